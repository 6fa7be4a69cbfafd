"""The cpu backend: the shared Backend over NumPy."""
import os

import numpy as np
from scipy.linalg import blas

from neon_compat.backends import cpu_kernels
from neon_compat.backends.backend import Backend
from neon_compat.backends.tensor import Tensor


class CPUTensor(Tensor):
    """A Tensor whose data is a NumPy array (see Tensor)."""


class NervanaCPU(Backend):
    """NumPy backend (neon's `-b cpu`). Build it with `gen_backend('cpu', ...)`.

    Where numba is installed, im2col, col2im, the Winograd tile transforms, max pooling
    and its gradient, Rectlin's backward step, batch norm and the momentum update of
    large parameters run
    compiled loops (cpu_kernels.py) on float32/float64 arrays; everything else, and
    all of it without numba, is the shared Backend code.
    """
    xp = np
    backend_name = 'cpu'
    tensor_cls = CPUTensor
    kernel_threads = os.cpu_count() or 1

    _blas_axpy = {np.float32: blas.saxpy, np.float64: blas.daxpy}
    # False: the shared NumPy code even where numba is installed
    compiled_kernels = cpu_kernels.AVAILABLE
    _compiled_dtypes = (np.dtype(np.float32), np.dtype(np.float64))
    fused_momentum_min_size = 1 << 14  # smallest parameter momentum_update fuses

    def axpy(self, alpha, x, y):
        """y += alpha·x, through BLAS when both are contiguous float32/float64."""
        xa, ya = x._tensor, y._tensor
        axpy = self._blas_axpy.get(xa.dtype.type)
        if (axpy is not None and xa.dtype == ya.dtype and xa.flags.c_contiguous and
                ya.flags.c_contiguous and xa.shape == ya.shape):
            axpy(xa.reshape(-1), ya.reshape(-1), a=alpha)
        else:
            super(NervanaCPU, self).axpy(alpha, x, y)

    # --- compiled loops (cpu_kernels.py), else the shared code -------------
    def _compiled_for(self, *arrays):
        return self.compiled_kernels and all(a.dtype in self._compiled_dtypes
                                             for a in arrays)

    def _im2col(self, layer, x):
        if not self._compiled_for(x):
            return super(NervanaCPU, self)._im2col(layer, x)
        (ph, pw), (sh, sw), (dh, dw), _ = self._conv_geometry(layer)
        C, n = x.shape[0], x.shape[-1]
        cols = self._columns(layer, x)
        self._by_channels(lambda cs: cpu_kernels.im2col(x, cols, cs.start, cs.stop, ph, pw,
                                                        sh, sw, dh, dw), C, cols.size)
        return cols.reshape(C * layer.R * layer.S, layer.P * layer.Q * n)

    def _col2im_into(self, layer, dcols, dst, alpha, beta):
        if not self._compiled_for(dcols, dst):
            return super(NervanaCPU, self)._col2im_into(layer, dcols, dst, alpha, beta)
        (ph, pw), (sh, sw), (dh, dw), _ = self._conv_geometry(layer)
        C, n = layer.C, dst.shape[-1]
        dcols = dcols.reshape(C, layer.R, layer.S, layer.P, layer.Q, n)
        scalars = dst.dtype.type(alpha), dst.dtype.type(beta)  # no float64 promotion
        self._by_channels(lambda cs: cpu_kernels.col2im(dcols, dst, cs.start, cs.stop, ph, pw,
                                                        sh, sw, dh, dw, *scalars),
                          C, dcols.size)

    def _wino_tiles(self, x, pad, tiles, m, out=None):
        if not self._compiled_for(x):
            return super(NervanaCPU, self)._wino_tiles(x, pad, tiles, m, out)
        C, n, a = x.shape[0], x.shape[-1], m + 2
        shape = (a * a, C) + tuple(tiles) + (n,)
        V = out.reshape(shape) if out is not None else self._pooled(shape, x.dtype, 'tiles')
        BT = self._matrices(m, x.dtype)[0]
        self._by_channels(lambda cs: cpu_kernels.winograd_tiles(x, BT, V, cs.start, cs.stop,
                                                                pad[0], pad[1], m),
                          C, V.size)
        return V.reshape(a * a, C, -1)

    def _wino_error_tiles(self, e, tiles, m):
        if not self._compiled_for(e):
            return super(NervanaCPU, self)._wino_error_tiles(e, tiles, m)
        K, n, a = e.shape[0], e.shape[-1], m + 2
        E = self._pooled((a * a, K) + tuple(tiles) + (n,), e.dtype, 'error_tiles')
        A = np.ascontiguousarray(self._matrices(m, e.dtype)[2].T)
        self._by_channels(lambda cs: cpu_kernels.winograd_tiles(e, A, E, cs.start, cs.stop,
                                                                0, 0, m),
                          K, E.size)
        return E.reshape(a * a, K, -1)

    def _wino_output(self, M, out, alpha, beta, m):
        if not self._compiled_for(M, out):
            return super(NervanaCPU, self)._wino_output(M, out, alpha, beta, m)
        K, a = out.shape[0], m + 2
        products = M.reshape((a * a,) + M.shape[2:])
        AT = self._matrices(m, M.dtype)[2]
        scalars = out.dtype.type(alpha), out.dtype.type(beta)
        self._by_channels(lambda cs: cpu_kernels.winograd_output(products, AT, out, cs.start,
                                                                 cs.stop, *scalars),
                          K, M.size)

    def _max_pool(self, layer, x, out=None):
        if not self._compiled_for(x):
            return super(NervanaCPU, self)._max_pool(layer, x, out)
        (ph, pw), (sh, sw), _ = self._pool_geometry(layer)
        shape = (layer.C, layer.P, layer.Q, layer.N)
        res = out if out is not None else self._scratch(layer, shape, x.dtype, 'pool_max')
        idx = self._scratch(layer, shape, np.uint8, 'pool_idx')
        self._by_channels(lambda cs: cpu_kernels.max_pool(x, res, idx, cs.start, cs.stop,
                                                          layer.R, layer.S, ph, pw, sh, sw),
                          layer.C, res.size * layer.R * layer.S)
        return res, idx

    def _max_pool_grad(self, layer, err, idx, grad, alpha, beta):
        if not self._compiled_for(err, grad) or np.may_share_memory(err, grad):
            return super(NervanaCPU, self)._max_pool_grad(layer, err, idx, grad, alpha, beta)
        (ph, pw), (sh, sw), _ = self._pool_geometry(layer)
        scalars = grad.dtype.type(alpha), grad.dtype.type(beta)
        self._by_channels(lambda cs: cpu_kernels.max_pool_grad(err, idx, grad, cs.start,
                                                               cs.stop, layer.R, layer.S, ph,
                                                               pw, sh, sw, *scalars),
                          layer.C, grad.size)

    def relu_bprop(self, outputs, error, out):
        o, e, d = outputs._tensor, error._tensor, out._tensor
        if not (self._compiled_for(o, e, d) and o.shape == e.shape == d.shape and
                o.flags.c_contiguous and e.flags.c_contiguous and d.flags.c_contiguous):
            return super(NervanaCPU, self).relu_bprop(outputs, error, out)
        flat = o.reshape(-1), e.reshape(-1), d.reshape(-1)
        self._by_channels(lambda part: cpu_kernels.relu_bprop(*(a[part] for a in flat)),
                          o.size, o.size)
        return out

    def _row_vectors(self, *tensors):
        """1-D views of (C, 1) tensors (None where one is not contiguous: a reshape
        would copy and lose what the kernel writes)."""
        views = []
        for t in tensors:
            a = t._tensor
            if not (a.flags.c_contiguous and a.dtype in self._compiled_dtypes):
                return None
            views.append(a.reshape(-1))
        return views

    def compound_fprop_bn(self, x, xsum, xvar, gmean, gvar, gamma, beta, y, eps, rho,
                          compute_batch_sum=True, accumbeta=0.0, relu=False, binary=False,
                          inference=False, outputs=None, layer=None):
        xa, ya = x._tensor, y._tensor
        rows = None
        # any strides: a network must not mix the compiled and the shared rounding
        if not binary and xa.ndim == 2 and xa.shape == ya.shape and self._compiled_for(xa, ya):
            stats = (gmean, gvar) if inference else (xsum, xvar)
            rows = self._row_vectors(gamma, beta, *stats, gmean, gvar)
        if rows is None:
            return super(NervanaCPU, self).compound_fprop_bn(
                x, xsum, xvar, gmean, gvar, gamma, beta, y, eps, rho, compute_batch_sum,
                accumbeta, relu, binary, inference, outputs, layer)
        self._by_channels(lambda cs: cpu_kernels.bn_fprop(xa, ya, *rows, eps, rho, inference,
                                                          relu, ya.dtype.type(accumbeta),
                                                          cs.start, cs.stop),
                          xa.shape[0], xa.size)
        return y

    def compound_bprop_bn(self, delta_out, grad_gamma, grad_beta, delta_in, x, xsum, xvar,
                          gamma, eps, binary=False, layer=None):
        xa, err = x._tensor, delta_in._tensor
        delta = err if delta_out is None else delta_out._tensor
        rows = None
        if delta.shape != xa.shape and delta.flags.c_contiguous:
            delta = delta.reshape(xa.shape)  # a view: the kernel writes the deltas
        if not binary and xa.ndim == 2 and err.shape == delta.shape == xa.shape and \
                self._compiled_for(xa, err, delta):
            rows = self._row_vectors(gamma, xsum, xvar, grad_gamma, grad_beta)
        if rows is None:
            return super(NervanaCPU, self).compound_bprop_bn(
                delta_out, grad_gamma, grad_beta, delta_in, x, xsum, xvar, gamma, eps,
                binary, layer)
        self._by_channels(lambda cs: cpu_kernels.bn_bprop(xa, err, delta, *rows, eps,
                                                          delta_out is not None, cs.start,
                                                          cs.stop),
                          xa.shape[0], xa.size)
        return delta_out

    def momentum_update(self, param, grad, velocity, lrate, momentum, wdecay, grad_scale):
        arrays = [t._tensor for t in (param, grad, velocity) if t is not None]
        # one compiled pass instead of four axpy passes: on the SpatialRNN block's
        # 2562x256 weights the step is ~17% faster, MLP epochs (784x200) ~10%; on
        # biases and other tiny parameters the call costs more than the passes
        if velocity is None or param.size < self.fused_momentum_min_size or not (
                self._compiled_for(*arrays) and len({a.dtype for a in arrays}) == 1 and
                len({a.shape for a in arrays}) == 1 and all(a.flags.c_contiguous
                                                            for a in arrays)):
            return super(NervanaCPU, self).momentum_update(param, grad, velocity, lrate,
                                                           momentum, wdecay, grad_scale)
        flat = [a.reshape(-1) for a in arrays]
        cast = arrays[0].dtype.type
        scalars = cast(momentum), cast(-lrate * grad_scale), cast(-lrate * wdecay)
        self._by_channels(lambda part: cpu_kernels.momentum_step(*(a[part] for a in flat),
                                                                 *scalars),
                          flat[0].size, flat[0].size)
