"""User-written layers in the style of the Practice 5 document (section 3.1.5) run unchanged."""
import numpy as np

from neon_compat.backends import gen_backend
from neon_compat.initializers import Gaussian
from neon_compat.layers import Layer, Linear, Affine, Reshape
from neon_compat.models import Model
from neon_compat.util.gradcheck import gradcheck


class ShapeTransform(Layer):
    def __init__(self, name=None):
        super(ShapeTransform, self).__init__(name)
        self.owns_output = False

    def _get_total_in_shape(self, in_shape):
        in_shape_t = None
        if isinstance(in_shape, tuple):
            if len(in_shape) == 2:
                in_shape_t = (in_shape[0], in_shape[1] * self.be.bsz)
            else:
                in_shape_t = tuple([d for d in in_shape] + [self.be.bsz])
        else:
            in_shape_t = (in_shape, self.be.bsz)
        return in_shape_t

    def _get_out_shape(self, out_shape_t):
        out_shape = None
        if len(out_shape_t) == 2:
            out_shape = (out_shape_t[0], out_shape_t[1] // self.be.bsz)
        else:
            out_shape = tuple([int(d) for d in out_shape_t[:-1]])
        return out_shape

    def _configure_shape(self, in_shape_t):
        raise NotImplementedError

    def configure(self, in_obj):
        super(ShapeTransform, self).configure(in_obj)
        self.in_shape_t = self._get_total_in_shape(self.in_shape)
        self._configure_shape(self.in_shape_t)
        self.out_shape = self._get_out_shape(self.out_shape_t)
        return self

    def _fprop(self, inputs):
        raise NotImplementedError

    def fprop(self, inputs, inference=False):
        self.inputs = inputs
        self.outputs = self._fprop(self.inputs)
        return self.outputs

    def _bprop(self, error):
        raise NotImplementedError

    def bprop(self, error, alpha=1.0, beta=0.0):
        self._bprop(error)
        return self.deltas


def transpose_inplace(array, shuffle_dim):
    transposed = array.get().transpose(shuffle_dim)
    array = array.dimension_reorder(shuffle_dim)
    array[:] = np.ascontiguousarray(transposed)
    return array


class DimShuffle(ShapeTransform):
    """Permutes the (C, H, W, N) axes of its input, in the style of the document."""

    def __init__(self, shuffle_dim, name=None):
        super(DimShuffle, self).__init__(name)
        self.shuffle_dim = shuffle_dim
        self.inverse_shuffle = tuple(int(i) for i in np.argsort(shuffle_dim))

    def _configure_shape(self, in_shape_t):
        self.out_shape_t = tuple([in_shape_t[d] for d in self.shuffle_dim])

    def _fprop(self, inputs):
        inputs = inputs.reshape(self.in_shape_t)
        return transpose_inplace(inputs, self.shuffle_dim).reshape(
            (int(np.prod(self.out_shape_t[:-1])), self.out_shape_t[-1]))

    def _bprop(self, error):
        error = error.reshape(self.out_shape_t)
        transpose_inplace(error, self.inverse_shuffle)
        self.deltas = error.reshape((int(np.prod(self.in_shape_t[:-1])), self.in_shape_t[-1]))
        return self.deltas


def test_document_style_layer_matches_numpy(backend_cpu64):
    be = backend_cpu64
    shuffle = DimShuffle((2, 1, 0, 3))
    model = Model([Linear(12, init=Gaussian()), Reshape((2, 3, 2)), shuffle])
    model.initialize((5,))
    x = np.random.RandomState(0).normal(size=(5, be.bsz))
    out = model.fprop(be.array(x)).get()
    hidden = model.layers.layers[0].W.get() @ x
    expect = hidden.reshape(2, 3, 2, be.bsz).transpose(2, 1, 0, 3).reshape(12, be.bsz)
    np.testing.assert_allclose(out, expect)
    assert shuffle.out_shape == (2, 3, 2)


def affine_without_activation():
    return Affine(12, init=Gaussian(), bias=Gaussian())


def test_document_style_layer_gradients(backend_cpu64):
    # the layer permutes its input buffer in place, so the layer before it must not need
    # its own outputs in bprop (a Linear does not; an Activation would)
    gradcheck([affine_without_activation(), Reshape((2, 3, 2)),
               DimShuffle((1, 0, 2, 3)),
               Linear(3, init=Gaussian())], 4)
