"""The one Backend implementation, written over an array module `xp`.

NumPy for the cpu (and mkl) backend, CuPy for the gpu backend: the subclasses
only choose `xp` and how data crosses to the host.
"""
import math
import time

import numpy as np

from neon_compat.backends.layer_kernels import LayerKernels
from neon_compat.backends.optree import OpTreeEvaluator, OpTreeNode, is_scalar
from neon_compat.backends.recurrent_kernels import RecurrentKernels
from neon_compat.backends.tensor import Tensor

SUPPORTED_DTYPES = (np.float16, np.float32, np.float64)


def _as_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


def buffer_shape(shape, bsz):
    """The 2-D buffer of a layer shape, batch last: int n -> (n, bsz); (F, T) sequences
    -> (F, T·bsz); longer shapes such as (C, H, W) -> (C·H·W, bsz)."""
    if isinstance(shape, (tuple, list)):
        if len(shape) == 2:
            return (int(shape[0]), int(shape[1]) * bsz)
        return (int(np.prod(shape)), bsz)
    return (int(shape), bsz)


class Backend(LayerKernels, RecurrentKernels):
    """Device backend: tensors, lazy op-trees, GEMM and layer kernels over `xp`.

    Built by `gen_backend`, never directly.

    Arguments:
        rng_seed (int, optional): seed of `be.rng` (a numpy RandomState).
        default_dtype (numpy dtype): float16, float32 or float64.
        compat_mode (str, optional): None or 'caffe'.
        device_id (int): device number (gpu only).

    `data_parallel` is the DataParallel of a job of several processes (gen_backend sets
    it when an MPI launcher started this one; backends.distributed), else None.
    """
    xp = np
    backend_name = 'cpu'
    tensor_cls = Tensor
    host_memory = True  # tensors hold host NumPy arrays: asnumpyarray() is their memory

    def __init__(self, rng_seed=None, default_dtype=np.float32, compat_mode=None,
                 device_id=0, **kwargs):
        dtype = np.dtype(default_dtype)
        if dtype.type not in SUPPORTED_DTYPES:
            raise ValueError('datatype {} is not supported: use float16, float32 or '
                             'float64'.format(dtype))
        self.default_dtype = dtype
        self.rng_seed = rng_seed
        self.rng = np.random.RandomState(rng_seed)
        self.init_rng_state = self.rng.get_state()
        self.deterministic = rng_seed is not None
        self.device_id = device_id
        self.bsz = None
        self.data_parallel = None
        self.compat_mode = None
        self.set_compat_mode(compat_mode)
        self.evaluator = OpTreeEvaluator(self.xp, dtype)

    # --- identity and modes ---------------------------------------------
    @property
    def global_bsz(self):
        """The examples of a minibatch over every process: bsz, times the processes of a
        data-parallel job."""
        return self.bsz * (1 if self.data_parallel is None else self.data_parallel.size)

    def set_compat_mode(self, compat_mode):
        if compat_mode not in (None, 'neon', 'caffe'):
            raise ValueError("compat_mode must be None or 'caffe', not {!r}".format(compat_mode))
        self.compat_mode = 'caffe' if compat_mode == 'caffe' else None

    def set_caffe_compat(self):
        self.compat_mode = 'caffe'

    def check_caffe_compat(self):
        return self.compat_mode == 'caffe'

    def cleanup_backend(self):
        """Release resources (nothing to do over NumPy)."""

    def synchronize(self):
        """Wait until queued device work is done (a no-op over NumPy)."""

    # --- host <-> device ------------------------------------------------
    def to_host(self, ary):
        """A host NumPy view or copy of a device array."""
        return ary

    def to_device(self, ary):
        """A device array from a host array."""
        return self.xp.asarray(ary)

    def is_device_array(self, value):
        return isinstance(value, self.xp.ndarray)

    def index_array(self, indices):
        """Integer indices (Tensor, array or list) as a flat device array."""
        if isinstance(indices, Tensor):
            indices = indices._tensor
        return self.xp.asarray(indices).reshape(-1).astype(np.int64)

    # --- MKL layout conversion (no MKL layouts here) ----------------------
    def convert_data(self, tensor, layer_mkl):
        """neon's MKL backend converted tensors out of MKL layout; a no-op here."""
        return None

    def clean_data(self, tensor, layer_mkl):
        """neon's MKL backend freed MKL buffers; a no-op here."""
        return None

    # --- timing marks (neon.benchmark, Model.benchmark) -----------------
    def init_mark(self):
        """A timing mark: {'time': seconds}."""
        return {'time': 0}

    def record_mark(self, marker):
        """Set the mark to now."""
        marker['time'] = time.time()

    def synchronize_mark(self, marker):
        """Wait until the work queued before the mark is done."""
        self.synchronize()

    def get_time(self, start, end):
        """Milliseconds between two marks."""
        return (end['time'] - start['time']) * 1000.0

    # --- random numbers -------------------------------------------------
    def rng_get_state(self):
        return self.rng.get_state()

    def rng_set_state(self, state):
        self.rng.set_state(state)

    def rng_reset(self):
        self.rng.set_state(self.init_rng_state)

    def gen_rng(self, seed=None):
        self.rng_seed = seed
        self.rng = np.random.RandomState(seed)
        self.init_rng_state = self.rng.get_state()
        return self.rng

    def make_binary_mask(self, out, keepthresh=0.5):
        """out[:] = (uniform(0, 1) < keepthresh), drawn from be.rng."""
        mask = self.rng.uniform(size=out.shape) < keepthresh
        out.set(mask.astype(out.dtype))
        return out

    def fill_normal(self, ary, mean=0, stdv=1):
        """Fill with normal samples from NumPy's global generator (as neon)."""
        ary.set(np.random.normal(mean, stdv, ary.shape))
        return ary

    # --- creation -------------------------------------------------------
    def _new(self, ary, name=None, persist_values=True):
        return self.tensor_cls(self, ary, name=name, persist_values=persist_values)

    @staticmethod
    def _shape(shape):
        if isinstance(shape, (int, np.integer)):
            return (int(shape), 1)
        shape = tuple(int(d) for d in shape)
        return shape if len(shape) >= 2 else shape + (1,)

    def empty(self, shape, dtype=None, name=None, persist_values=True, parallel=False,
              distributed=False):
        """A new zero-filled tensor (neon's cpu `empty` zero-fills too)."""
        return self.zeros(shape, dtype=dtype, name=name, persist_values=persist_values)

    def zeros(self, shape, dtype=None, name=None, persist_values=True, parallel=False,
              distributed=False):
        dtype = _as_dtype(dtype) or self.default_dtype
        return self._new(self.xp.zeros(self._shape(shape), dtype=dtype), name, persist_values)

    def ones(self, shape, dtype=None, name=None, persist_values=True, parallel=False,
             distributed=False):
        dtype = _as_dtype(dtype) or self.default_dtype
        return self._new(self.xp.ones(self._shape(shape), dtype=dtype), name, persist_values)

    def array(self, ary, dtype=None, name=None, persist_values=True, parallel=False,
              distributed=False):
        """A new tensor holding a copy of `ary` (default dtype unless `dtype` is given)."""
        dtype = _as_dtype(dtype) or self.default_dtype
        if isinstance(ary, Tensor):
            ary = ary.get()
        host = np.array(ary, dtype=dtype)
        if host.ndim < 2:
            host = host.reshape(-1, 1) if host.ndim == 1 else host.reshape(1, 1)
        return self._new(self.to_device(host), name, persist_values)

    def empty_like(self, ary, dtype=None, name=None, persist_values=True):
        return self.zeros(ary.shape, dtype=dtype, name=name, persist_values=persist_values)

    def zeros_like(self, ary, dtype=None, name=None, persist_values=True):
        return self.zeros(ary.shape, dtype=dtype, name=name, persist_values=persist_values)

    def iobuf(self, dim0, x=None, dtype=None, name=None, persist_values=True, shared=None,
              parallelism=None):
        """A zeroed activation buffer for a layer shape, batch last (`buffer_shape`).

        With `shared`, a view of that buffer is returned instead.
        """
        if x is not None:
            return x
        if self.bsz is None or self.bsz < 1:
            raise ValueError('the backend has no batch size: call gen_backend(batch_size=N) '
                             'before building buffers')
        shape = buffer_shape(dim0, self.bsz)
        if shared is not None:
            out = shared if tuple(shared.shape) == shape else shared.share(shape)
        else:
            out = self.empty(shape, dtype=dtype, name=name, persist_values=persist_values)
        out[:] = 0
        return out

    def output_dim(self, X, S, padding, strides, pooling=False, dilation=1):
        """Output size along one dimension (neon's rule, caffe's ceil rule for pooling)."""
        S = dilation * (S - 1) + 1
        if self.check_caffe_compat() and pooling:
            size = int(math.ceil(float(X - S + 2 * padding) / strides)) + 1
            if padding > 0 and (size - 1) * strides >= X + padding:
                size -= 1
        else:
            size = ((X - S + 2 * padding) // strides) + 1
        if pooling and padding >= S:
            raise ValueError('padding {} is incompatible with a pooling window of {}'.format(
                padding, S))
        return size

    # --- op-trees -------------------------------------------------------
    def execute(self, node):
        """Evaluate an 'assign' op-tree node: node[1][:] = node[2]."""
        out, value = node[1], node[2]
        self.evaluator.assign(out, value)
        return out

    @staticmethod
    def _op(op, a, b=None, out=None, **kwargs):
        return OpTreeNode.build(op, a, b, out=out, **kwargs)

    def add(self, a, b, out=None):
        return self._op('add', a, b, out)

    def subtract(self, a, b, out=None):
        return self._op('sub', a, b, out)

    def multiply(self, a, b, out=None):
        return self._op('mul', a, b, out)

    def divide(self, a, b, out=None):
        return self._op('div', a, b, out)

    true_divide = divide

    def power(self, a, b, out=None):
        return self._op('pow', a, b, out)

    def reciprocal(self, a, out=None):
        return self._op('reciprocal', a, None, out)

    def negative(self, a, out=None):
        return self._op('neg', a, None, out)

    def sgn(self, a, out=None):
        return self._op('sgn', a, None, out)

    def absolute(self, a, out=None):
        return self._op('abs', a, None, out)

    fabs = absolute

    def sqrt(self, a, out=None):
        return self._op('sqrt', a, None, out)

    def square(self, a, out=None):
        return self._op('sqr', a, None, out)

    def exp(self, a, out=None):
        return self._op('exp', a, None, out)

    def exp2(self, a, out=None):
        return self._op('exp2', a, None, out)

    def log(self, a, out=None):
        return self._op('log', a, None, out)

    def log2(self, a, out=None):
        return self._op('log2', a, None, out)

    def safelog(self, a, out=None):
        return self._op('safelog', a, None, out)

    def sig(self, a, out=None):
        return self._op('sig', a, None, out)

    def sig2(self, a, out=None):
        return self._op('sig2', a, None, out)

    def tanh(self, a, out=None):
        return self._op('tanh', a, None, out)

    def tanh2(self, a, out=None):
        return self._op('tanh2', a, None, out)

    def finite(self, a, out=None):
        return self._op('finite', a, None, out)

    def rint(self, a, out=None):
        return self._op('rint', a, None, out)

    def equal(self, a, b, out=None):
        return self._op('eq', a, b, out)

    def not_equal(self, a, b, out=None):
        return self._op('ne', a, b, out)

    def less(self, a, b, out=None):
        return self._op('lt', a, b, out)

    def less_equal(self, a, b, out=None):
        return self._op('le', a, b, out)

    def greater(self, a, b, out=None):
        return self._op('gt', a, b, out)

    def greater_equal(self, a, b, out=None):
        return self._op('ge', a, b, out)

    def maximum(self, a, b, out=None):
        return self._op('maximum', a, b, out)

    def minimum(self, a, b, out=None):
        return self._op('minimum', a, b, out)

    def shift(self, ary, shift_ary, value=True, out=None):
        """ary · 2^k, computed now (as neon's cpu backend): with value, k = round(log2
        |shift_ary|) carrying shift_ary's sign (a multiply rounded to a power of two);
        without, k = shift_ary. Returns `out` (a new tensor when None; (1, 1) for a
        number)."""
        if is_scalar(shift_ary):  # a number: the factor is computed here
            shift_ary = float(shift_ary)
            exponent = np.rint(np.log(max(abs(shift_ary), np.exp(-50.))) / np.log(2.)) \
                if value else shift_ary
            factor = float(np.sign(shift_ary) * np.exp2(exponent)) if value else \
                float(np.exp2(exponent))
        elif value:
            exponent = self.rint(self.safelog(self.absolute(shift_ary)) / math.log(2.0))
            factor = self.multiply(self.sgn(shift_ary), self.exp2(exponent))
        else:
            factor = self.exp2(shift_ary)
        if out is None:
            out = self.empty_like(ary) if hasattr(ary, 'shape') else self.empty((1, 1))
        out[:] = self.multiply(ary, factor)
        return out

    def clip(self, a, a_min, a_max, out=None):
        return self.minimum(self.maximum(a, a_min), a_max, out=out)

    def dot(self, a, b, out=None):
        return self._op('dot', a, b, out)

    def sum(self, a, axis=None, out=None, keepdims=True):
        return self._op('sum', a, None, out, axis=axis)

    def max(self, a, axis=None, out=None, keepdims=True):
        return self._op('max', a, None, out, axis=axis)

    def min(self, a, axis=None, out=None, keepdims=True):
        return self._op('min', a, None, out, axis=axis)

    def argmax(self, a, axis=1, out=None, keepdims=True):
        return self._op('argmax', a, None, out, axis=axis)

    def argmin(self, a, axis=1, out=None, keepdims=True):
        return self._op('argmin', a, None, out, axis=axis)

    def mean(self, a, axis=None, partial=None, out=None, keepdims=True):
        """sum × 1/n along `axis` (both axes when None)."""
        shape = a.shape
        count = shape[0] * shape[1] if axis is None else shape[axis]
        return self.multiply(self.sum(a, axis=axis), 1.0 / count, out=out)

    def var(self, a, axis=None, partial=None, out=None, keepdims=True, binary=False):
        """Population variance along `axis`."""
        return self.mean(self.square(a - self.mean(a, axis=axis)), axis=axis, out=out)

    def std(self, a, axis=None, partial=None, out=None, keepdims=True):
        return self.sqrt(self.var(a, axis=axis), out=out)

    def take(self, a, indices, axis, out=None):
        return a.take(indices, axis, out)

    def onehot(self, indices, axis, out=None):
        """One-hot rows (axis 0: out[i, n] = (indices[n] == i)) or columns (axis 1).

        Without `out`, an op-tree to assign: `t[:] = be.onehot(idx, axis=0)` (neon)."""
        node = OpTreeNode(dict(op='onehot', shape=None, idx=indices, axis=axis), None, None)
        if out is None:
            return node
        out[:] = node
        return out

    def copy_transpose(self, a, out, axes=None, repeat=1):
        out._tensor[...] = self.xp.transpose(a._tensor, axes)
        return out

    # --- fused updates (used by the library's own optimizers) -------------
    def axpy(self, alpha, x, y):
        """y += alpha·x in place (x, y: tensors of one shape)."""
        y._tensor += alpha * x._tensor

    def softmax(self, x, axis=0):
        """neon's Softmax, exp(x − max)/Σ exp(x − max) along axis: for a Tensor a new
        Tensor, computed now in three passes (the op-tree would evaluate its shifted
        exponentials twice); for an op-tree the same expression as an op-tree."""
        if not isinstance(x, Tensor):
            shifted = self.exp(x - self.max(x, axis=axis))
            return shifted / self.sum(shifted, axis=axis)
        xp, a = self.xp, x._tensor
        out = xp.subtract(a, a.max(axis=axis, keepdims=True))
        xp.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        return self._new(out)

    def relu_bprop(self, outputs, error, out):
        """out = error where outputs > 0, else 0 (Rectlin's backward step in two passes
        instead of an op-tree's temporaries); out may be error itself."""
        self.xp.multiply(error._tensor, outputs._tensor > 0, out=out._tensor)
        return out

    def momentum_update(self, param, grad, velocity, lrate, momentum, wdecay, grad_scale):
        """neon's GradientDescentMomentum step without clipping, in place.

        g = grad_scale·dW; momentum 0: W = −lr·g + (1 − lr·wdecay)·W;
        else v = μ·v − lr·(g + wdecay·W), W = W + v.
        """
        if velocity is None:
            if wdecay:
                param._tensor *= (1 - lrate * wdecay)
            self.axpy(-lrate * grad_scale, grad, param)
            return
        velocity._tensor *= momentum
        self.axpy(-lrate * grad_scale, grad, velocity)
        if wdecay:
            self.axpy(-lrate * wdecay, param, velocity)
        self.axpy(1.0, velocity, param)

    # --- GEMM -----------------------------------------------------------
    def compound_dot(self, A, B, C, alpha=1.0, beta=0.0, relu=False, bsum=None):
        """C = alpha·A·B (relu'd if asked) + beta·C; bsum[:] = row sums of C if given."""
        a, b, c = A._tensor, B._tensor, C._tensor
        if a.shape[-1] != b.shape[0] or c.shape != (a.shape[0], b.shape[-1]):
            raise ValueError('compound_dot: shapes {} x {} -> {} do not fit'.format(
                a.shape, b.shape, c.shape))
        xp = self.xp
        direct = (beta == 0 and c.dtype == a.dtype == b.dtype and
                  not xp.may_share_memory(c, a) and not xp.may_share_memory(c, b))
        if direct:
            xp.matmul(a, b, out=c)
            if alpha != 1.0:
                c *= alpha
            if relu:
                xp.maximum(c, 0, out=c)
        else:
            prod = xp.matmul(a, b)
            if alpha != 1.0:
                prod *= alpha
            if relu:
                xp.maximum(prod, 0, out=prod)
            if beta == 0:
                c[...] = prod
            else:
                c *= beta
                c += prod
        if bsum is not None:
            bsum._tensor[...] = c.sum(axis=1, keepdims=True)
        return C

    def batched_dot(self, A, B, C, alpha=1.0, beta=0.0, relu=False):
        """GEMMs over a leading batch axis: one of A, B is 3-D.

        fprop A(K,C)·B(X,C,N) -> C(X,K,N); bprop A.T·B(X,K,N) -> C(X,C,N);
        update A(X,K,N)·B(X,C,N).T -> C(K,C) (summed over X).
        """
        a, b, c = A._tensor, B._tensor, C._tensor
        if a.ndim != 3 and b.ndim != 3:
            raise ValueError('batched_dot needs A or B with 3 dimensions')
        prod = self.xp.matmul(a, b)
        if c.ndim == 2 and prod.ndim == 3:
            prod = prod.sum(axis=0)
        prod = prod * alpha
        if relu:
            self.xp.maximum(prod, 0, out=prod)
        c[...] = prod + beta * c if beta != 0 else prod
        return C
