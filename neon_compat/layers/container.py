"""Layer containers (neon.layers.container): Sequential and the shared delta buffers."""
import inspect

import numpy as np

from neon_compat import NervanaObject, ShapeError, load_class
from neon_compat.layers.layer import Layer, BranchNode, Dropout, DataTransform


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
            raise ValueError('the first layer of a Sequential must own its outputs '
                             '({} does not)'.format(root))

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


def _as_branches(layers, owner):
    """Branches as Sequential containers (a list or a single layer becomes one)."""
    branches = []
    for item in layers:
        if isinstance(item, Sequential):
            branches.append(item)
        elif isinstance(item, (list, tuple)):
            branches.append(Sequential(list(item)))
        elif isinstance(item, Layer):
            branches.append(Sequential([item]))
        else:
            raise TypeError('{}: a branch must be a layer, a list of layers or a Sequential, '
                            'not {}'.format(owner, type(item).__name__))
    return branches


class Tree(LayerContainer):
    """Branches that share a trunk: branch 0 is the trunk (holding BranchNodes), the
    others start at one of its BranchNodes. fprop returns the list of branch outputs.

    Arguments:
        layers (list): branches (lists of layers or Sequentials).
        name (str, optional)
        alphas (list of float, optional): weight of each branch's error, default 1.
    """

    def __init__(self, layers, name=None, alphas=None):
        super(Tree, self).__init__(name=name)
        self.layers = _as_branches(layers, 'Tree')
        self.alphas = [1.0 for _ in self.layers] if alphas is None else alphas
        self.betas = []
        next_root = None
        for branch in reversed(self.layers):
            root = branch.layers[0]
            self.betas.append(1.0 if (root is next_root or type(root) is not BranchNode)
                              else 0.0)
            next_root = root
        self.betas.reverse()

    def nested_str(self, level=0):
        return self.classnm + '\n' + '\n'.join(l.nested_str(level + 1) for l in self.layers)

    def configure(self, in_obj):
        super(Tree, self).configure(in_obj)
        self.layers[0].configure(in_obj)
        for branch in self.layers[1:]:
            branch.configure(None)
        self.out_shape = [branch.out_shape for branch in self.layers]
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        for branch in self.layers:
            branch.allocate(accumulate_updates=accumulate_updates)
        self.outputs = [branch.outputs for branch in self.layers]

    def allocate_deltas(self, global_deltas=None):
        for branch in reversed(self.layers):
            branch.allocate_deltas(None)

    def set_deltas(self, global_deltas):
        pass  # each branch wired its own buffers in allocate_deltas

    def fprop(self, inputs, inference=False):
        x = self.layers[0].fprop(inputs, inference)
        return [x] + [branch.fprop(None, inference=inference) for branch in self.layers[1:]]

    def bprop(self, error, alpha=1.0, beta=0.0):
        """Branches in reverse; returns the trunk's input deltas (neon returned None)."""
        deltas = None
        for branch, e, a, b in reversed(list(zip(self.layers, error, self.alphas, self.betas))):
            deltas = branch.bprop(e, alpha=a, beta=b)
        return deltas

    def get_terminal(self):
        return [branch.get_terminal() for branch in self.layers]


class SingleOutputTree(Tree):
    """A Tree whose inference returns the trunk's output only."""

    def fprop(self, inputs, inference=False):
        x = self.layers[0].fprop(inputs, inference)
        if inference:
            return x
        return [x] + [branch.fprop(None) for branch in self.layers[1:]]


class Broadcast(LayerContainer):
    """Base of MergeSum and MergeBroadcast: every branch sees the same input, and the
    first layers of all branches share one input-delta buffer, the container's."""

    def __init__(self, layers, name=None):
        super(Broadcast, self).__init__(name)
        self.layers = _as_branches(layers, type(self).__name__)
        self.owns_output = True
        self.outputs = None

    @property
    def nest_deltas(self):
        return True

    def __str__(self):
        return '\t' + self.classnm + '\n\t' + '\n\t'.join(str(l) for l in self.layers)

    def configure(self, in_obj):
        super(Broadcast, self).configure(in_obj)
        for branch in self.layers:
            branch.configure(in_obj)
        self._configure_merge()
        return self

    def allocate_deltas(self, global_deltas):
        nested = global_deltas.decend()
        for branch in self.layers:
            branch.layers[0].allocate_deltas(global_deltas)
            for sublayer in branch.layers[1:]:
                sublayer.allocate_deltas(nested)

    def set_deltas(self, delta_buffers):
        bottom = delta_buffers.buffers[0]
        nested = delta_buffers.decend()
        for branch in self.layers:
            branch.layers[0].set_deltas(delta_buffers)
            delta_buffers.buffers.reverse()  # every branch's first layer takes the same one
            for sublayer in branch.layers[1:]:
                sublayer.set_deltas(nested)
        if type(self.prev_layer) is BranchNode:
            self.deltas = self.be.iobuf(self.in_shape, shared=self.prev_layer.deltas)
        else:
            self.deltas = self.be.iobuf(self.in_shape, shared=bottom)
            delta_buffers.buffers.reverse()

    def get_terminal(self):
        return [branch.get_terminal() for branch in self.layers]


class MergeSum(Broadcast):
    """Branches whose outputs are summed (all write into one buffer), e.g. a residual
    block [[Conv, ...], SkipNode()].

    Arguments:
        layers (list): branches.
        name (str, optional)
    """

    def _configure_merge(self):
        self.out_shape = self.layers[0].out_shape

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        if self.outputs is None:
            self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs)
        for branch in self.layers:
            branch.allocate(shared_outputs=self.outputs, accumulate_updates=accumulate_updates)

    def fprop(self, inputs, inference=False):
        for i, branch in enumerate(self.layers):
            branch.fprop(inputs, inference, beta=0.0 if i == 0 else 1.0)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        for branch in reversed(self.layers):
            branch.bprop(error, alpha=alpha, beta=beta if branch is self.layers[-1] else 1.0)
        return self.deltas


class MergeBroadcast(Broadcast):
    """Branches fed the same input, outputs concatenated into one buffer.

    Arguments:
        layers (list): branches.
        merge (str): 'stack' (flattened outputs one above the other; out_shape an int),
            'depth' (channels: (ΣC, H, W)) or 'recurrent' (time: (F, ΣT)).
        alphas (list of float, optional): weights of the branches' input deltas.
        name (str, optional)
    """

    def __init__(self, layers, merge, alphas=None, name=None):
        super(MergeBroadcast, self).__init__(layers, name)
        if merge not in ('recurrent', 'depth', 'stack'):
            raise ValueError("merge must be 'stack', 'depth' or 'recurrent', not "
                             "{!r}".format(merge))
        self.betas = [1.0 for _ in self.layers]
        self.betas[-1] = 0.0
        self.alphas = [1.0 for _ in self.layers] if alphas is None else alphas
        self.merge = merge
        self.error_views = None
        self._error_source = None

    def get_partitions(self, x, slices):
        if x.shape[-1] != self.be.bsz:  # sequences: time steps are columns
            return [x[:, sl] for sl in slices]
        return [x[sl] for sl in slices]

    def _configure_merge(self):
        in_shapes = [branch.out_shape for branch in self.layers]
        if self.merge == "recurrent":
            catdims = [xs[1] for xs in in_shapes]
            self.out_shape = (in_shapes[0][0], sum(catdims))
            stride = self.be.bsz
        elif self.merge == "depth":
            catdims = [xs[0] for xs in in_shapes]
            if any(tuple(xs[1:]) != tuple(in_shapes[0][1:]) for xs in in_shapes):
                raise ValueError("MergeBroadcast 'depth' needs branch outputs of the same "
                                 "spatial size, got {}".format(in_shapes))
            self.out_shape = (sum(catdims),) + tuple(in_shapes[0][1:])
            stride = int(np.prod(in_shapes[0][1:]))
        else:
            catdims = [xs if isinstance(xs, (int, np.integer)) else int(np.prod(xs))
                       for xs in in_shapes]
            self.out_shape = int(sum(catdims))
            stride = 1
        ends = [int(e) * stride for e in np.cumsum(catdims)]
        starts = [0] + ends[:-1]
        self.slices = [slice(s, e) for s, e in zip(starts, ends)]

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        if self.outputs is None:
            self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs)
        self.output_views = self.get_partitions(self.outputs, self.slices)
        for branch, view in zip(self.layers, self.output_views):
            branch.allocate(shared_outputs=view, accumulate_updates=accumulate_updates)

    def fprop(self, inputs, inference=False):
        for branch in self.layers:
            branch.fprop(inputs, inference)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self._error_source is not error:
            self.error_views = self.get_partitions(error, self.slices)
            self._error_source = error
        betas = self.betas[:-1] + [beta]
        for branch, e, a, b in reversed(list(zip(self.layers, self.error_views, self.alphas,
                                                 betas))):
            branch.bprop(e, alpha=a * alpha, beta=b)
        return self.deltas


class MergeMultistream(MergeBroadcast):
    """Like MergeBroadcast, but each branch has its own input (a list of inputs, e.g. an
    ArrayIterator over a list of arrays).

    Arguments:
        layers (list): branches.
        merge (str): 'stack', 'depth' or 'recurrent'.
        name (str, optional)
    """

    def __init__(self, layers, merge, name=None):
        super(MergeMultistream, self).__init__(layers, merge=merge, name=name)

    @property
    def nest_deltas(self):
        return False

    def configure(self, in_obj):
        self.prev_layer = None
        if not isinstance(in_obj, list):
            if not (hasattr(in_obj, 'shape') and isinstance(in_obj.shape, list)):
                raise ValueError('MergeMultistream needs a list of input shapes or a dataset '
                                 'with several inputs')
            in_obj = in_obj.shape
        self.in_shape = in_obj
        for inp, branch in zip(in_obj, self.layers):
            branch.configure(inp)
        self._configure_merge()
        return self

    def allocate_deltas(self, global_deltas=None):
        pass  # the first layer of a network: its branches get their own buffers below

    def set_deltas(self, delta_buffers):
        for branch in self.layers:
            branch.allocate_deltas(None)  # each branch has its own delta buffers

    def fprop(self, inputs, inference=False):
        for branch, inp in zip(self.layers, inputs):
            branch.fprop(inp, inference)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self._error_source is not error:
            self.error_views = self.get_partitions(error, self.slices)
            self._error_source = error
        for branch, e in zip(self.layers, self.error_views):
            branch.bprop(e)


class Multicost(NervanaObject):
    """The costs of a Tree's outputs.

    Arguments:
        costs (list of GeneralizedCost): one per branch.
        weights (list of float, optional): default 1 each.
        name (str, optional)
    """

    def __init__(self, costs, weights=None, name=None):
        super(Multicost, self).__init__(name)
        self.costs = costs
        self.weights = [1.0 for _ in costs] if weights is None else weights
        self.deltas = None
        self.costfunc = costs[0].costfunc

    def initialize(self, in_obj):
        if isinstance(in_obj, LayerContainer):
            terminals = in_obj.get_terminal()
        elif isinstance(in_obj, list):
            terminals = in_obj
        else:
            raise TypeError('Multicost must be initialized with a container or a list')
        for cost, terminal in zip(self.costs, terminals):
            cost.initialize(terminal)

    @property
    def cost(self):
        return self.costs[0].cost

    @property
    def outputs(self):
        return self.costs[0].outputs

    def get_description(self, **kwargs):
        desc = super(Multicost, self).get_description()
        desc['config']['costs'] = [c.get_description() for c in self.costs]
        return desc

    def get_cost(self, inputs, targets):
        if not isinstance(inputs, list):
            return self.costs[0].get_cost(inputs, targets)
        if type(targets) not in (tuple, list):
            targets = [targets] * len(self.costs)
        total = None
        for w, c, i, t in zip(self.weights, self.costs, inputs, targets):
            if t is not None:
                value = w * c.get_cost(i, t)
                total = value if total is None else total + value
        return total

    def get_errors(self, inputs, targets):
        if not isinstance(inputs, list):
            return self.costs[0].get_errors(inputs, targets)
        if type(targets) not in (tuple, list):
            targets = [targets] * len(self.costs)
        self.deltas = []
        for w, c, i, t in zip(self.weights, self.costs, inputs, targets):
            if t is None:
                self.deltas.append(None)
                continue
            errors = c.get_errors(i, t)
            errors[:] = errors * w
            self.deltas.append(errors)
        return self.deltas
