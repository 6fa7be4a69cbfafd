"""Layers (neon.layers.layer): the layer protocol and the fully-connected layers.

Activations are (features, columns) tensors with the batch in the columns; see
DESIGN.md. Every layer reaches the device only through `self.be`.
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
        return "  " * level + str(self)

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
    """True for a DataTransform that is the first layer (its deltas are never used)."""
    return type(layer) is DataTransform and not getattr(layer, 'prev_layer', None)


class _TransformLayer(Layer):
    """Applies a transform to its input in place (the shared part of DataTransform and
    Activation)."""

    def __init__(self, transform, name=None):
        super(_TransformLayer, self).__init__(name)
        self.transform = transform
        self.owns_output = False

    def __str__(self):
        return "{} Layer '{}': {}".format(self.classnm, self.name, self.transform.classnm)

    def configure(self, in_obj):
        super(_TransformLayer, self).configure(in_obj)
        self.out_shape = self.in_shape
        self.nout = interpret_in_shape(self.in_shape)[0]
        return self

    def fprop(self, inputs, inference=False):
        self.outputs = self.inputs = inputs
        self.outputs[:] = self.transform(self.inputs)
        return self.outputs


class DataTransform(_TransformLayer):
    """Applies a transform to the input data in place (only valid as the first layer).

    Arguments:
        transform (Transform): e.g. Normalizer(divisor=128.).
        name (str, optional)
    """

    def bprop(self, *args, **kwargs):
        return None


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


class Linear(ParameterLayer):
    """Fully connected layer without bias: outputs = W · inputs.

    Arguments:
        nout (int): number of outputs.
        init (Initializer): W initializer; W has shape (nout, nin).
        bsum (bool): also compute row sums of the output (for BatchNorm).
        name (str, optional)
        parallelism (str): default "Disabled".

    Shapes: input (nin, nsteps·bsz) -> output (nout, nsteps·bsz).
    """

    def __init__(self, nout, init, bsum=False, name=None, parallelism="Disabled"):
        super(Linear, self).__init__(init, name, parallelism)
        self.nout = nout
        self.inputs = None
        self.bsum = bsum

    def __str__(self):
        return "Linear Layer '{}': {} inputs, {} outputs".format(self.name, self.nin, self.nout)

    def configure(self, in_obj):
        super(Linear, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        self.out_shape = (self.nout, self.nsteps)
        if self.weight_shape is None:
            self.weight_shape = (self.nout, self.nin)
        if self.bsum:
            self.batch_sum_shape = (self.nout, 1)
        return self

    def fprop(self, inputs, inference=False, beta=0.0):
        self.inputs = inputs
        if self.actual_bsz is None and self.actual_seq_len is None:
            self.be.compound_dot(A=self.W, B=self.inputs, C=self.outputs, beta=beta,
                                 bsum=self.batch_sum)
        else:
            bsz = self.be.bsz if self.actual_bsz is None else self.actual_bsz
            steps = self.nsteps if self.actual_seq_len is None else self.actual_seq_len
            self.be.compound_dot(A=self.W, B=self.inputs[:, :bsz * steps],
                                 C=self.outputs[:, :bsz * steps], beta=beta,
                                 bsum=self.batch_sum)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.compound_dot(A=self.W.T, B=error, C=self.deltas, alpha=alpha, beta=beta)
        self.be.compound_dot(A=error, B=self.inputs.T, C=self.dW)
        return self.deltas


class Bias(ParameterLayer):
    """Adds a learned bias per row (per channel for (C, H, W) inputs), in place.

    Arguments:
        init (Initializer): bias initializer; W has shape (in_shape[0], 1).
        name (str, optional)
    """

    def __init__(self, init, name=None):
        super(Bias, self).__init__(init, name)
        self.y = None
        self.owns_output = False
        self.owns_delta = False

    def __str__(self):
        return "Bias Layer '{}': size {}".format(self.name, self.bias_size)

    def configure(self, in_obj):
        super(Bias, self).configure(in_obj)
        self.out_shape = self.in_shape
        self.bias_size = interpret_in_shape(self.in_shape)[0] \
            if isinstance(self.in_shape, (int, np.integer)) else self.in_shape[0]
        if self.weight_shape is None:
            self.weight_shape = (self.bias_size, 1)
        return self

    def fprop(self, inputs, inference=False):
        self.outputs = self.inputs = inputs
        if self.y is None or self.y.base is not self.outputs:
            self.y = self.outputs.reshape((self.bias_size, -1))
        self.y[:] = self.y + self.W
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        grad = error.reshape((self.bias_size, -1))
        self.be.sum(grad, axis=1, out=self.dW)
        return error


class Activation(_TransformLayer):
    """Applies a transform in place; bprop multiplies by its derivative at the output.

    Arguments:
        transform (Transform): e.g. Rectlin(), Tanh(), Logistic(), Softmax().
        name (str, optional)
    """

    def __init__(self, transform, name=None):
        super(Activation, self).__init__(transform, name)
        self.owns_delta = True

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is None:
            return None
        grad = self.transform.bprop(self.outputs) * error
        if alpha != 1.0:
            grad = grad * alpha
        if beta != 0:
            grad = grad + beta * self.deltas
        self.deltas[:] = grad
        return self.deltas


class Reshape(Layer):
    """Reshapes its input without copying (0 keeps that input dimension, -1 infers one).

    Arguments:
        reshape (tuple or int): target shape, batch excluded.
        name (str, optional)
    """

    def __init__(self, reshape, name=None):
        super(Reshape, self).__init__(name)
        if isinstance(reshape, int):
            reshape = (reshape,)
        self.reshape = tuple(reshape)
        self.owns_output = False

    def __str__(self):
        return "Reshape Layer '{}' input shape {} to {}".format(self.name, self.in_shape,
                                                                self.reshape)

    def configure(self, in_obj):
        super(Reshape, self).configure(in_obj)
        self.in_shape_t = _buffer_shape(self.in_shape, self.be.bsz)
        in_shape = list(self.in_shape) if isinstance(self.in_shape, (tuple, list)) \
            else [self.in_shape]
        out_shape = list(self.reshape)
        for i, d in enumerate(out_shape):
            if d == 0:
                out_shape[i] = in_shape[i]
        if -1 in out_shape:
            known = int(np.prod([d for d in out_shape if d != -1]))
            out_shape[out_shape.index(-1)] = int(np.prod(in_shape)) // known
        self.out_shape = tuple(out_shape)
        if np.prod(self.out_shape) != np.prod(in_shape):
            raise ValueError("Reshape '{}': cannot reshape {} into {}".format(
                self.name, self.in_shape, self.reshape))
        self.out_shape_t = _buffer_shape(self.out_shape, self.be.bsz)
        return self

    def fprop(self, inputs, inference=False):
        if not inputs.is_contiguous:
            if self.inputs is None:
                self.inputs = self.be.empty_like(inputs)
                self.outputs = self.inputs.reshape(self.out_shape_t)
            self.inputs.copy(inputs)
        elif self.inputs is None or self.inputs is not inputs:
            self.inputs = inputs
            self.outputs = self.inputs.reshape(self.out_shape_t)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is None or self.deltas.base is not error:
            self.deltas = error.reshape(self.in_shape_t)
        return self.deltas


def _buffer_shape(shape, bsz):
    """The 2-D buffer shape of a layer shape: (F, T) -> (F, T·bsz); else (prod, bsz)."""
    if isinstance(shape, (tuple, list)):
        if len(shape) == 2:
            return (shape[0], shape[1] * bsz)
        return (int(np.prod(shape)), bsz)
    return (shape, bsz)


class Dropout(Layer):
    """Zeroes each input with probability 1 − keep during training.

    neon semantics: no rescaling at train time; at inference the input is
    multiplied by `keep` (caffe compat mode: 1/keep at train time, identity at
    inference).

    Arguments:
        keep (float): keep probability, default 0.5.
        name (str, optional)
    """

    def __init__(self, keep=0.5, name=None):
        super(Dropout, self).__init__(name)
        self.keep = keep
        self.keep_mask = None
        self.caffe_mode = None
        if self.be is not None:
            self._set_mode()
        self.owns_output = False

    def _set_mode(self):
        self.caffe_mode = self.be.check_caffe_compat()
        self._train_scaling = 1.0 / self.keep if self.caffe_mode else 1.0

    def __str__(self):
        return "Dropout Layer '{}': keep {}%".format(self.name, 100 * self.keep)

    def configure(self, in_obj):
        super(Dropout, self).configure(in_obj)
        if self.caffe_mode is None:
            self._set_mode()
        self.out_shape = self.in_shape
        self.nout = interpret_in_shape(self.in_shape)[0]
        return self

    def allocate(self, shared_outputs=None):
        super(Dropout, self).allocate(shared_outputs)
        self.keep_mask = self.be.iobuf(self.out_shape, parallelism=self.parallelism)

    def fprop(self, inputs, inference=False):
        self.outputs = self.inputs = inputs
        if inference:
            return self._fprop_inference(inputs)
        self.be.make_binary_mask(self.keep_mask, self.keep)
        if self._train_scaling == 1.0:
            self.outputs[:] = self.keep_mask * inputs
        else:
            self.outputs[:] = self.keep_mask * inputs * self._train_scaling
        return self.outputs

    def _fprop_inference(self, inputs):
        if not self.caffe_mode:
            self.outputs[:] = inputs * self.keep
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if not self.deltas:
            self.deltas = error
        scale = alpha * self._train_scaling
        if beta == 0:
            self.deltas[:] = self.keep_mask * error * scale
        else:
            self.deltas[:] = self.keep_mask * error * scale + beta * error
        return self.deltas


class CompoundLayer(list):
    """A list of layers built from one call (flattened by containers).

    Arguments:
        bias (Initializer, optional): adds a Bias layer named <base>_bias.
        batch_norm (bool): adds a BatchNorm layer named <base>_bnorm.
        activation (Transform, optional): adds an Activation named <base>_<Transform>.
        name (str, optional): base name (default: the first layer's name).
    """

    def __init__(self, bias=None, batch_norm=False, activation=None, name=None):
        super(CompoundLayer, self).__init__()
        if batch_norm and (bias is not None):
            raise AttributeError('Batchnorm and bias cannot be combined')
        self.activation = activation
        self.batch_norm = batch_norm
        self.bias = bias
        self.base_name = name

    def init_base_name(self):
        if self.base_name is None:
            self.base_name = self[-1].name

    def add_postfilter_layers(self):
        self.init_base_name()
        if self.bias is not None:
            self.append(Bias(init=self.bias, name=self.base_name + '_bias'))
        if self.batch_norm:
            from neon_compat.layers.normalization import BatchNorm  # (imports this module)
            self.append(BatchNorm(name=self.base_name + '_bnorm'))
        if self.activation is not None:
            self.append(Activation(transform=self.activation,
                                   name=self.base_name + '_' + self.activation.classnm))


class Affine(CompoundLayer):
    """Linear, then optional Bias, BatchNorm and Activation.

    Arguments:
        nout (int): number of outputs.
        init (Initializer): weight initializer.
        bias (Initializer, optional): bias initializer.
        batch_norm (bool): default False.
        activation (Transform, optional)
        name (str, optional)
        parallelism (str): default "Disabled".
    """

    def __init__(self, nout, init, bias=None, batch_norm=False, activation=None, name=None,
                 parallelism="Disabled"):
        super(Affine, self).__init__(bias=bias, batch_norm=batch_norm,
                                     activation=activation, name=name)
        self.append(Linear(nout, init, bsum=batch_norm, name=name, parallelism=parallelism))
        self.add_postfilter_layers()


# neon kept these in this module; they live in separate files here and are published
# under this module's name (see neon_compat.public_module_name)
from neon_compat.layers.branch_layers import BranchNode, SkipNode  # noqa: E402,F401
from neon_compat.layers.cost_layers import (  # noqa: E402,F401
    GeneralizedCost, GeneralizedCostMask)
from neon_compat.layers.embedding import LookupTable  # noqa: E402,F401
from neon_compat.layers.normalization import BatchNorm, LRN  # noqa: E402,F401
from neon_compat.layers.convolutional import (  # noqa: E402,F401
    Convolution, Convolution_bias, Deconvolution, Pooling, Conv, Deconv)
