"""Practice 5 custom layers (the course's models/layers.py).

ShapeTransform, Split and Extract as printed in the Practice 5 document (section
3.1.5); Reshape and DimShuffle written in the same style, as the document says they
are. Fixes of print errors are marked "FIX". They use only neon's Layer and Tensor
API (x[i], reshape, dimension_reorder, get(), t[:] = array, self.be.bsz).
"""
import numpy as np

from neon.layers import Layer


def transpose_inplace(array, shuffle_dim):
    transposed = array.get().transpose(shuffle_dim)
    array = array.dimension_reorder(shuffle_dim)
    array[:] = np.ascontiguousarray(transposed)
    return array


class ShapeTransform(Layer):
    def __init__(self, name=None):
        super(ShapeTransform, self).__init__(name)
        self.owns_output = False

    def _get_total_in_shape(self, in_shape):
        # Remember batch size
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
        # Forget batch size
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


class Split(ShapeTransform):
    """Splits (C, H, W, N) into blocks of block_shape = (bC, bH, bW), giving
    (fC, bC, fH, bH, fW, bW, N), then permutes those axes by shuffle_dim."""

    def __init__(self, block_shape, shuffle_dim, name=None):
        # FIX: the constructor is not printed; it keeps the two parameters the text
        # describes and computes the inverse permutation for bprop
        super(Split, self).__init__(name)
        self.block_shape = block_shape
        self.shuffle_dim = shuffle_dim
        self.inverse_shuffle = tuple(int(i) for i in np.argsort(shuffle_dim))

    def make_internal_shape(self, in_shape_t):
        internal_shape = in_shape_t[:-1]
        tiled_internal_shape = \
            [0] * 2 * len(internal_shape) + [in_shape_t[-1]]
        for d in range(len(internal_shape)):
            tiled_internal_shape[2 * d + 0] = \
                internal_shape[d] // self.block_shape[d]
            tiled_internal_shape[2 * d + 1] = self.block_shape[d]
        # FIX: printed indented inside the loop, which returned after the first axis
        return tuple(tiled_internal_shape)  # (Co, Cb, Ho, Hb, Wo, Wb, N)

    def _configure_shape(self, in_shape_t):
        self.internal_shape_t = self.make_internal_shape(in_shape_t)
        self.out_shape_t = \
            tuple([self.internal_shape_t[d] for d in self.shuffle_dim])

    def _fprop(self, inputs):
        inputs = inputs.reshape(self.internal_shape_t)
        transpose_inplace(inputs, self.shuffle_dim)
        return inputs

    def _bprop(self, error):
        transpose_inplace(error, self.inverse_shuffle)
        self.deltas = error.reshape(self.in_shape_t)
        return self.deltas


class Reshape(ShapeTransform):
    """Gives the data a new shape, batch included (one dimension may be -1)."""

    def __init__(self, shape, name=None):
        super(Reshape, self).__init__(name)
        self.shape = shape

    def _configure_shape(self, in_shape_t):
        size = int(np.prod(in_shape_t))
        known = int(np.prod([d for d in self.shape if d != -1]))
        self.out_shape_t = tuple(size // known if d == -1 else d for d in self.shape)

    def _fprop(self, inputs):
        return inputs.reshape(self.out_shape_t)

    def _bprop(self, error):
        self.deltas = error.reshape(self.in_shape_t)
        return self.deltas


class DimShuffle(ShapeTransform):
    """Permutes the data axes (batch included) by shuffle_dim."""

    def __init__(self, shuffle_dim, name=None):
        super(DimShuffle, self).__init__(name)
        self.shuffle_dim = shuffle_dim
        self.inverse_shuffle = tuple(int(i) for i in np.argsort(shuffle_dim))

    def _configure_shape(self, in_shape_t):
        self.out_shape_t = tuple([in_shape_t[d] for d in self.shuffle_dim])

    def _fprop(self, inputs):
        inputs = inputs.reshape(self.in_shape_t)
        return transpose_inplace(inputs, self.shuffle_dim)

    def _bprop(self, error):
        error = error.reshape(self.out_shape_t)
        transpose_inplace(error, self.inverse_shuffle)
        self.deltas = error.reshape(self.in_shape_t)
        return self.deltas


class Extract(ShapeTransform):
    def __init__(self, dim=None, indices=None, name=None):
        super(Extract, self).__init__(name)
        self.dim = dim
        self.indices = indices
        self.owns_output = True
        self.owns_delta = True

    def _configure_shape(self, in_shape_t):
        self.out_shape_t = \
            tuple([len(self.indices)] + list(in_shape_t[self.dim + 1:]))

    def _fprop(self, x):
        self.outputs[:] = x[self.indices[0]]
        return self.outputs

    def _bprop(self, error):
        deltas_view = self.deltas.reshape(self.in_shape_t)
        error_view = error.reshape(self.out_shape_t)
        deltas_view[self.indices[0]][:] = error_view
        return self.deltas
