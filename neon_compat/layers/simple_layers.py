"""Layers without weights that transform, mask or reshape their input: DataTransform,
Activation, Dropout, Reshape and SkipNode."""
import numpy as np

from neon_compat.backends.backend import buffer_shape
from neon_compat.layers.base import Layer, interpret_in_shape


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
    discards_input_deltas = True

    def bprop(self, *args, **kwargs):
        return None



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
        if alpha == 1.0 and beta == 0 and error.shape == self.deltas.shape:
            return self.transform.bprop_error(self.outputs, error, self.deltas)
        grad = self.transform.bprop(self.outputs) * error
        if alpha != 1.0:
            grad = grad * alpha
        if beta != 0:
            grad = grad + beta * self.deltas
        self.deltas[:] = grad
        return self.deltas



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
        return "Reshape Layer '{}' input shape {} to {}".format(
            self.name, getattr(self, 'in_shape', None), self.reshape)

    def configure(self, in_obj):
        super(Reshape, self).configure(in_obj)
        self.in_shape_t = buffer_shape(self.in_shape, self.be.bsz)
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
        self.out_shape_t = buffer_shape(self.out_shape, self.be.bsz)
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



class SkipNode(Layer):
    """Identity layer (used with MergeSum); fprop accumulates with `beta`.

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(SkipNode, self).__init__(name)
        self.owns_delta = True

    def configure(self, in_obj):
        super(SkipNode, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def fprop(self, inputs=None, inference=False, beta=0):
        if beta == 0:
            self.outputs[:] = inputs
        else:
            self.outputs[:] = self.outputs * beta + inputs
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            if beta == 0:
                self.deltas[:] = error * alpha
            else:
                self.deltas[:] = error * alpha + self.deltas * beta
        return self.deltas
