"""The bases every layer module builds on: the layer protocol (Layer), layers with
weights (ParameterLayer), the shared node of branching containers (BranchNode), and
the input-shape rule of fully-connected layers.

The layer modules import this one and never each other in a circle; `layer.py`
re-exports what neon kept in `neon/layers/layer.py` (see docs/architecture.md).
"""
from functools import wraps

import numpy as np

from neon_compat import NervanaObject, ShapeError
from neon_compat.backends.tensor import Tensor


def interpret_in_shape(xshape):
    """(nin, nsteps) of a layer input shape: int n -> (n, 1); (F, T) -> itself;
    longer tuples are flattened -> (prod, 1)."""
    if isinstance(xshape, (int, np.integer)):
        return (int(xshape), 1)
    if len(xshape) == 2:
        return tuple(xshape)
    return (int(np.prod(xshape)), 1)



class Layer(NervanaObject):
    """Base layer.

    Arguments:
        name (str, optional): layer name.
        parallelism (str): "Unknown" (inherit), "Data", "Model" or "Disabled".

    Protocol: `configure(in_obj)` sets `in_shape`/`out_shape` and returns self;
    `allocate()` creates `outputs` when the layer owns them; `set_deltas()` gives
    delta-owning layers a view into the shared delta buffers;
    `fprop(inputs, inference=False)` returns the output tensor;
    `bprop(error, alpha=1.0, beta=0.0)` writes alpha·(d/d input) + beta·deltas.
    """
    # True for layers whose bprop drops the error (DataTransform): the layer after one
    # that is first in a network then needs no input deltas
    discards_input_deltas = False

    def __init__(self, name=None, parallelism="Unknown"):
        super(Layer, self).__init__(name)
        self.outputs = None
        self.has_params = False
        self.inputs = None
        self.owns_output = True
        self.owns_delta = False
        self.deltas = None
        self.parallelism = parallelism
        self.revert_list = []
        self.next_layer = None
        self.actual_bsz = None
        self.actual_seq_len = None
        self.acc_on = False
        self.is_mklop = False

    def __str__(self):
        return '{} {}'.format(self.classnm, self.name)

    def nested_str(self, level=0):
        try:
            text = str(self)
        except AttributeError:  # its shapes are known once the model is initialized
            text = "{} Layer '{}' (not configured yet)".format(self.classnm, self.name)
        return "  " * level + text

    def configure(self, in_obj):
        """Record the input: a Layer, a shape (int/tuple/list), a Tensor or a dataset."""
        if isinstance(in_obj, Layer):
            self.prev_layer = in_obj
            self.in_shape = in_obj.out_shape
            if self.parallelism == "Unknown":
                self.parallelism = in_obj.parallelism
        else:
            self.prev_layer = None
            if isinstance(in_obj, (tuple, int, list, np.integer)):
                self.in_shape = in_obj
            elif isinstance(in_obj, Tensor):
                self.in_shape = (in_obj.shape[0], in_obj.shape[1] // self.be.bsz)
            else:
                self.in_shape = in_obj.shape

    def allocate(self, shared_outputs=None):
        if self.outputs:
            return
        if self.owns_output:
            self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs,
                                         parallelism=self.parallelism)

    def allocate_deltas(self, global_deltas):
        global_deltas.proc_layer(self)

    def set_deltas(self, delta_buffers):
        """Take a view of the shared delta buffers if this layer owns its deltas.

        Unlike neon, a layer fed only by a leading DataTransform gets no deltas:
        DataTransform discards them, so computing them would be wasted work.
        """
        if self.next_layer is not None and self.next_layer.parallelism != self.parallelism:
            self.owns_delta = True
        if self.owns_delta and self.prev_layer and not _feeds_from_data(self.prev_layer):
            if type(self.prev_layer) is BranchNode:
                self.deltas = self.prev_layer.deltas
            else:
                self.deltas = self.be.iobuf(self.in_shape, shared=delta_buffers.buffers[0],
                                            parallelism=self.parallelism)
                delta_buffers.buffers.reverse()
        else:
            self.deltas = None

    def set_next(self, layer):
        self.next_layer = layer

    def get_is_mklop(self):
        return self.is_mklop

    def fprop(self, inputs, inference=False):
        raise NotImplementedError

    def _fprop_inference(self, inputs):
        raise NotImplementedError

    def bprop(self, error, alpha=1.0, beta=0.0):
        raise NotImplementedError

    def get_terminal(self):
        return self

    def serialize(self):
        if self.has_params:
            return self.get_params()

    def load_weights(self, pdict, load_states=True):
        """Set parameters (and optimizer states) from a layer description dict."""
        self.set_params(pdict)
        if load_states:
            self.set_states(pdict)

    def get_param_attrs(self):
        return {}

    def set_params(self, pdict):
        pass

    def set_states(self, pdict):
        pass

    def set_batch_size(self, N):
        self.actual_bsz = N

    def set_seq_len(self, S):
        self.actual_seq_len = S

    def get_description(self, get_weights=False, keep_states=False, **kwargs):
        return super(Layer, self).get_description(**kwargs)

    def set_acc_on(self, acc_on):
        if not hasattr(self, "accumulate_updates"):
            raise BufferError("accumulate_updates not set: allocate the layer with "
                              "accumulate_updates=True first")
        if self.accumulate_updates:
            self.acc_on = acc_on

    @staticmethod
    def accumulates(f):
        """Decorate a bprop so gradients add onto the previous ones while acc_on."""
        @wraps(f)
        def accum_wrapper(self, *args, **kwargs):
            if not isinstance(self, Layer):
                raise TypeError("accumulates can only decorate methods of Layer subclasses")
            if self.acc_on:
                for acc_p, p in self.acc_params:
                    acc_p[:] = p
            out = f(self, *args, **kwargs)
            if self.acc_on:
                for acc_p, p in self.acc_params:
                    p[:] = p + acc_p
            return out
        return accum_wrapper



def _feeds_from_data(layer):
    """True for the first layer when it discards its input deltas (a DataTransform)."""
    return getattr(layer, 'discards_input_deltas', False) and \
        not getattr(layer, 'prev_layer', None)


class ParameterLayer(Layer):
    """A layer with weights `W` and their gradient `dW` (summed over the batch).

    Arguments:
        init (Initializer, Tensor or ndarray): how W is initialized.
        name (str, optional)
        parallelism (str): default "Unknown".
    """

    def __init__(self, init=None, name=None, parallelism="Unknown"):
        super(ParameterLayer, self).__init__(name, parallelism)
        self.has_params = True
        self.init = init
        self.W = None
        self.dW = None
        self.weight_shape = None
        self.batch_sum = None
        self.batch_sum_shape = None
        self.states = []
        self.owns_delta = True

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(ParameterLayer, self).allocate(shared_outputs)
        self.accumulate_updates = accumulate_updates
        if self.W is None:
            self.init_params(self.weight_shape)
        elif self.weight_shape is not None and tuple(self.W.shape) != tuple(self.weight_shape):
            raise ShapeError(
                "layer '{}' holds loaded weights of shape {}, but its input {} needs {}: the "
                "data (its lshape) or the network differs from the one the weights were "
                "saved from".format(self.name, self.W.shape, self.in_shape,
                                    tuple(self.weight_shape)))
        elif accumulate_updates and not hasattr(self, 'acc_params'):
            self._make_acc_buffers()
        if self.batch_sum_shape is not None:
            self.batch_sum = self.be.empty(self.batch_sum_shape)

    def init_params(self, shape):
        self.W = self.be.empty(shape)
        self.dW = self.be.empty_like(self.W)
        self.states = []
        if isinstance(self.init, (Tensor, np.ndarray)):
            if tuple(self.init.shape) != tuple(self.W.shape):
                raise ValueError('{}: initial weights have shape {}, the layer needs {}'.format(
                    self.name, self.init.shape, self.W.shape))
            self.W[:] = self.init
        else:
            if self.init is None:
                raise ValueError('{}: no initializer given (init=None)'.format(self.name))
            self.init.fill(self.W)
        if self.accumulate_updates:
            self._make_acc_buffers()

    def _make_acc_buffers(self):
        self.acc_dW = self.be.empty_like(self.dW)
        self.acc_params = [(self.acc_dW, self.dW)]

    def get_params(self):
        """((W, dW), states): the optimizer appends its state tensors to `states`."""
        return ((self.W, self.dW), self.states)

    def get_params_serialize(self, keep_states=True):
        return self.get_description(get_weights=True, keep_states=keep_states)

    def get_description(self, get_weights=False, keep_states=True, **kwargs):
        serial_dict = super(ParameterLayer, self).get_description()
        if get_weights:
            serial_dict['params'] = {'W': self.W.get()}
            if keep_states:
                serial_dict['states'] = [s.get() for s in self.states]
        return serial_dict

    def set_params(self, pdict):
        """Set W (and other tensors) from pdict['params'] (host arrays)."""
        if not isinstance(pdict, dict):
            raise TypeError('{}: layer parameters must be a dict, not {}'.format(
                self.name, type(pdict).__name__))
        if 'params' not in pdict:  # a description without weights: keep the initializer
            return
        for key, value in pdict['params'].items():
            attr = getattr(self, key, None)
            if isinstance(attr, Tensor) and isinstance(value, np.ndarray):
                if attr.shape != tuple(value.shape) and attr.size != value.size:
                    raise ShapeError(
                        "layer '{}': the file's '{}' has shape {}, this layer's has {}: the "
                        "model file was saved from a different network".format(
                            self.name, key, value.shape, attr.shape))
                attr.set(value)
            elif isinstance(value, np.ndarray):
                expected = self.weight_shape if key == 'W' else None
                if expected is not None and tuple(expected) != tuple(value.shape):
                    raise ShapeError(
                        "layer '{}': the file's '{}' has shape {}, this layer needs {}: the "
                        "model file was saved from a different network".format(
                            self.name, key, value.shape, tuple(expected)))
                setattr(self, key, self.be.array(value))
            else:
                setattr(self, key, value)
        if self.dW is None:
            self.dW = self.be.empty_like(self.W)

    def set_states(self, pdict):
        if 'states' not in pdict:
            self.states = []
            return
        if self.dW is None:
            return
        if not self.states:
            self.states = [self.be.zeros_like(self.dW) for _ in pdict['states']]
        for state, value in zip(self.states, pdict['states']):
            state.set(value)



class BranchNode(Layer):
    """A node shared by the branches of a Tree: the same name gives the same object.

    Arguments:
        name (str, optional): node name (one instance per name, None included,
            while the backend stays the same: after gen_backend a name gives a new
            node, whose buffers live on the new backend).
    """
    instances = {}

    def __new__(cls, name=None):
        node = cls.instances.get(name)
        if node is not None and node.made_under is cls.be:
            return node
        return Layer.__new__(cls)

    def __init__(self, name=None):
        if BranchNode.instances.get(name) is not self:
            BranchNode.instances[name] = self
            self.made_under = self.be
            super(BranchNode, self).__init__(name)
            self.owns_output = False

    def fprop(self, inputs=None, inference=False):
        if self.outputs is None and inputs is not None:
            self.outputs = inputs
        return self.outputs

    def configure(self, in_obj):
        if hasattr(self, 'in_shape') and in_obj is None:
            return self
        super(BranchNode, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def set_deltas(self, delta_buffers):
        if self.deltas is None:
            self.deltas = self.be.iobuf(self.in_shape, shared=delta_buffers.buffers[0])
            delta_buffers.buffers.reverse()

    def bprop(self, error, alpha=1.0, beta=0.0):
        pass


def describe_params(layer, desc, keys, keep_states):
    """Add a layer's tensors `keys` (host copies) and, with keep_states, its optimizer
    states grouped per parameter ([[states of keys[0]], ...]) to its description."""
    desc['params'] = {key: getattr(layer, key).get() for key in keys}
    if keep_states:
        desc['states'] = [[s.get() for s in group] for group in layer.states]
    return desc


def load_state_groups(layer, pdict, ngroups, dtype=None):
    """Set `layer.states`, one list of optimizer states per parameter group, from a
    description's 'states'; a file without states starts them afresh (neon asserted)."""
    saved = pdict.get('states')
    if not saved or not any(len(group) for group in saved):
        layer.states = [[] for _ in range(ngroups)]
    elif not any(layer.states):
        layer.states = [[layer.be.array(x, dtype=dtype) for x in group] for group in saved]
    else:
        for current, group in zip(layer.states, saved):
            for dst, src in zip(current, group):
                dst.set(src)
