"""The sequential containers (published as neon.layers.container): LayerContainer,
Sequential, GenerativeAdversarial, and the shared delta buffers (DeltasTree)."""
import inspect

import numpy as np

from neon_compat import NervanaObject, ShapeError, load_class
from neon_compat.layers.base import Layer, BranchNode
from neon_compat.layers.simple_layers import Dropout, DataTransform


def flatten(item):
    """Yield the leaves of nested iterables (compound layers expand; layers don't)."""
    if hasattr(item, '__iter__') and not isinstance(item, (str, bytes)):
        for i in iter(item):
            for j in flatten(i):
                yield j
    else:
        yield item


class DeltasTree(NervanaObject):
    """Two ping-pong delta buffers sized for the largest input among its layers.

    Arguments:
        parent (DeltasTree, optional): the enclosing tree for nested branches.
    """

    def __init__(self, parent=None):
        self.parent = parent
        self.child = None
        self.buffers = [None] * 2
        self.max_shape = 0

    def decend(self):
        if self.child is None:
            self.child = DeltasTree(self)
        return self.child

    def ascend(self):
        return self.parent

    def proc_layer(self, layer):
        in_shape = layer.in_shape
        size = int(np.prod(in_shape)) if isinstance(in_shape, (tuple, list)) else int(in_shape)
        self.max_shape = max(self.max_shape, size)

    def allocate_buffers(self):
        if self.child:
            self.child.allocate_buffers()
        for ind in range(len(self.buffers)):
            if self.buffers[ind] is None and self.max_shape > 0:
                self.buffers[ind] = self.be.iobuf(self.max_shape, persist_values=False)


class LayerContainer(Layer):
    """Base of containers: parameter collection, description and weight loading."""

    def __init__(self, name=None):
        super(LayerContainer, self).__init__(name)

    @property
    def layers_to_optimize(self):
        """Parameter layers, depth first; layers initialized with IdentityInit are frozen."""
        lto = []
        for layer in self.layers:
            if isinstance(layer, LayerContainer):
                lto += layer.layers_to_optimize
            elif layer.has_params:
                init = getattr(layer, 'init', None)
                if getattr(init, 'name', None) == "Identity":
                    continue
                lto.append(layer)
        return lto

    @property
    def nest_deltas(self):
        return False

    def nested_str(self, level=0):
        padstr = '\n' + '  ' * level
        return '  ' * level + self.classnm + padstr + padstr.join(
            [layer.nested_str(level + 1) for layer in self.layers])

    @classmethod
    def gen_class(cls, pdict):
        pdict = dict(pdict)
        layers = []
        for layer in pdict.pop('layers'):
            layers.append(load_class(layer['type']).gen_class(layer.get('config', {})))
        return cls(layers=layers, **pdict)

    def get_description(self, get_weights=False, keep_states=False, **kwargs):
        desc = NervanaObject.get_description(self, skip=['layers'])
        desc['container'] = True
        desc['config']['layers'] = [
            layer.get_description(get_weights=get_weights, keep_states=keep_states)
            for layer in self.layers]
        self._desc = desc
        return desc

    def fusion_pass(self, layers):
        """Pair legacy (Convolution, Bias) layer dicts (neon < 2.3 files) where this
        network has a Convolution_bias, as neon 2.3+ does on load. Pairs facing a
        separate Convolution and Bias (a network rebuilt from such a file, or built
        that way as Practice 3's) stay separate."""
        result, i = [], 0
        for layer in self.layers:
            if i >= len(layers):
                break
            ldict = layers[i]
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if type(layer).__name__ == 'Convolution_bias' and _is_type(ldict, 'Convolution') \
                    and _is_type(nxt, 'Bias'):
                result.append([ldict, nxt])
                i += 2
            else:
                result.append(ldict)
                i += 1
        return result + list(layers[i:])

    def load_weights(self, pdict, load_states=True):
        """Load each child's weights from a container description."""
        pdict['config']['layers'] = self.fusion_pass(pdict['config']['layers'])
        saved = pdict['config']['layers']
        if len(saved) != len(self.layers):
            raise ShapeError(
                "the model file describes {} layers in '{}', this network has {}: it was "
                "saved from a different network".format(len(saved), self.name, len(self.layers)))
        for layer, ldict in zip(self.layers, saved):
            _check_same_kind(layer, ldict)
            layer.load_weights(ldict, load_states=load_states)

    def propagate_parallelism(self, p):
        for layer in self.layers:
            if isinstance(layer, LayerContainer):
                layer.parallelism = p
                layer.propagate_parallelism(p)
                t = layer.get_terminal()
                p = t[0].parallelism if isinstance(t, list) else t.parallelism
            else:
                layer.parallelism = p if layer.parallelism == "Unknown" else layer.parallelism
                p = layer.parallelism

    def set_batch_size(self, N):
        for layer in self.layers:
            layer.set_batch_size(N)

    def set_seq_len(self, S):
        for layer in self.layers:
            layer.set_seq_len(S)

    def set_deltas(self, global_deltas):
        for layer in self.layers:
            layer.set_deltas(global_deltas)

    def layers_fprop(self):
        for layer in self.layers:
            yield layer
            if hasattr(layer, 'layers_fprop'):
                for sub in layer.layers_fprop():
                    yield sub

    def layers_bprop(self):
        for layer in reversed(self.layers):
            if hasattr(layer, 'layers_bprop'):
                for sub in layer.layers_bprop():
                    yield sub
            yield layer

    def set_acc_on(self, acc_on):
        if not hasattr(self, "accumulate_updates"):
            raise BufferError("accumulate_updates not set: allocate with "
                              "accumulate_updates=True first")
        for layer in self.layers:
            if hasattr(layer, "accumulate_updates"):
                layer.set_acc_on(acc_on)


def _is_type(ldict, class_name):
    return isinstance(ldict, dict) and str(ldict.get('type', '')).rsplit('.', 1)[-1] == \
        class_name


def _check_same_kind(layer, ldict):
    """Refuse a layer dict of another kind (a file from a different network)."""
    if not isinstance(ldict, dict) or 'type' not in ldict:
        return
    saved = ldict['type'].rsplit('.', 1)[-1]
    if saved != layer.classnm and not isinstance(layer, LayerContainer):
        raise ShapeError("layer '{}' is a {}, but the model file has a {} in its place: it was "
                         "saved from a different network".format(layer.name, layer.classnm,
                                                                 saved))


def _accepts(method, name):
    return name in inspect.signature(method).parameters


class Sequential(LayerContainer):
    """Layers applied one after another.

    Arguments:
        layers (list): layers, compound layers (Affine, ...) and nested lists,
            flattened in order; nested containers stay single entries.
        name (str, optional)

    `layers` is the flat list (model.layers.layers[i]).
    """

    def __init__(self, layers, name=None):
        super(Sequential, self).__init__(name)
        if not layers:
            raise ValueError('Sequential needs at least one layer')
        self.layers = [layer for layer in flatten(layers)]
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError('Sequential got a {} where a layer was expected'.format(
                    type(layer).__name__))
        self._layers = [x for x in self.layers if type(x) is not BranchNode]
        root = self._layers[0]
        if not (root.owns_output or type(root) in (Dropout, DataTransform)):
            raise ValueError("the first layer of a Sequential must own its outputs ({} '{}' "
                             "does not): put a layer that computes its outputs, or a "
                             "DataTransform, first".format(type(root).__name__, root.name))

    def configure(self, in_obj):
        if in_obj:
            config_layers = self.layers
        else:
            in_obj = self.layers[0]
            config_layers = self.layers
            for idx, layer in enumerate(self.layers):
                if type(layer) is not BranchNode:
                    config_layers = self.layers[idx:]
                    break
        super(Sequential, self).configure(in_obj)
        prev_layer = None
        for layer in config_layers:
            in_obj = layer.configure(in_obj)
            if in_obj is None:
                raise TypeError('{}.configure returned None: a layer\'s configure must '
                                'return self'.format(type(layer).__name__))
            if prev_layer is not None:
                prev_layer.set_next(layer)
            prev_layer = layer
        self.parallelism = in_obj.parallelism
        self.out_shape = in_obj.out_shape
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        self.accumulate_updates = accumulate_updates
        alloc_layers = [layer for layer in self.layers if layer.owns_output]
        if alloc_layers:
            last = alloc_layers[-1]
            if _accepts(last.allocate, 'accumulate_updates'):
                last.allocate(shared_outputs, accumulate_updates=accumulate_updates)
            else:
                last.allocate(shared_outputs)
        for layer in self.layers:
            if _accepts(layer.allocate, 'accumulate_updates'):
                layer.allocate(accumulate_updates=accumulate_updates)
            else:
                layer.allocate()

    def allocate_deltas(self, global_deltas=None):
        """Size and hand out the shared delta buffers.

        At the top (no global_deltas) the buffers are created and wired here. A
        nested Sequential registers its layers' sizes with its parent's buffers
        and is wired when the parent calls set_deltas (neon wired it before the
        buffers existed, giving nested layers private buffers).
        """
        if global_deltas is None:
            self.global_deltas = DeltasTree()
            st_ind = 0 if getattr(self.layers[0], 'nest_deltas', False) else 1
            for layer in self.layers[st_ind:]:
                layer.allocate_deltas(self.global_deltas)
            self.global_deltas.allocate_buffers()
            self.set_deltas(self.global_deltas)
        else:
            self.global_deltas = global_deltas
            for layer in self.layers:
                layer.allocate_deltas(global_deltas)

    def fprop(self, inputs, inference=False, beta=0.0):
        x = inputs
        last = self.layers[-1]
        for layer in self.layers:
            if layer is last and beta != 0:
                x = layer.fprop(x, inference=inference, beta=beta)
            else:
                x = layer.fprop(x, inference=inference)
        return x

    def bprop(self, error, alpha=1.0, beta=0.0):
        first = self._layers[0]
        for layer in reversed(self._layers):
            if type(layer.prev_layer) is BranchNode or layer is first:
                error = layer.bprop(error, alpha, beta)
            else:
                error = layer.bprop(error)
        return first.deltas

    def get_terminal(self):
        return self.layers[-1].get_terminal()


class GenerativeAdversarial(Sequential):
    """A GAN's two networks: `layers` is the generator's layers followed by the
    discriminator's, so that fprop runs noise -> generated sample -> discriminator output.

    Arguments:
        generator (Sequential): maps noise to samples.
        discriminator (Sequential): maps samples to a score.
        name (str, optional)
    """

    def __init__(self, generator, discriminator, name=None):
        LayerContainer.__init__(self, name)
        self.generator = generator
        self.discriminator = discriminator
        self.layers = self.generator.layers + self.discriminator.layers
        self._layers = [x for x in self.layers if type(x) is not BranchNode]

    @classmethod
    def gen_class(cls, pdict):
        """Rebuilt from the two networks' descriptions (the flat 'layers' carry the
        weights, which load_weights reads)."""
        pdict = {k: v for k, v in pdict.items() if k != 'layers'}
        return NervanaObject.gen_class.__func__(cls, pdict)

    def nested_str(self, level=0):
        pad = '\n' + '  ' * level
        return ('  ' * level + self.classnm + pad + '  ' * level + 'Generator:\n' +
                pad.join(layer.nested_str(level + 1) for layer in self.generator.layers) +
                '\n' + '  ' * level + 'Discriminator:\n' +
                pad.join(layer.nested_str(level + 1) for layer in self.discriminator.layers))
