"""Convolution kernels of the Backend: im2col + GEMM for any convolution, Winograd
(winograd.py) for 3×3 stride-1 ones, and the choice between them.

A mixin of Backend, below LayerKernels, whose buffer helpers (_chunks, _padded,
_scratch, _blend, _over_slices ...) it uses; every method uses `self.xp` only.
"""
import time

import numpy as np

from neon_compat.backends.winograd import WinogradKernels


def window_view(xp, padded, shape, steps):
    """A strided view of `padded` (C, Hp, Wp, N) with the given shape and per-axis
    element steps along (C, H, W, N) combined as listed in `steps`."""
    sC, sH, sW, sN = padded.strides
    strides = tuple(a * sC + b * sH + c * sW + d * sN for a, b, c, d in steps)
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


class ConvKernels(WinogradKernels):
    """fprop_conv, bprop_conv and update_conv (neon's names and signatures).

    `conv_algorithm` picks the convolution path: 'im2col' (any convolution),
    'winograd2' or 'winograd4' (F(2×2, 3×3) or F(4×4, 3×3) for 3×3 stride-1 ones, see
    winograd.py; others use im2col), or 'auto' (default): for each layer and each of
    fprop, bprop and update, the first call times the paths on its own data and keeps
    the fastest of those that agree with im2col (relative error below
    WINOGRAD_TOLERANCE).
    """
    conv_algorithm = 'auto'
    WINOGRAD_TOLERANCE = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}
    WINOGRAD_MARGIN = 1.15

    # --- convolution --------------------------------------------------------
    def _conv_path(self, kind, layer, out, beta, im2col, winograd):
        """Run im2col(out) or winograd(out, m) as conv_algorithm says (see the class)."""
        fits = self.winograd_fits(layer) and out.dtype in self.WINOGRAD_TOLERANCE
        choice = self.conv_algorithm if fits else 'im2col'
        if choice == 'auto':
            choice = layer.cache.get(('conv_algorithm', kind))
            if choice is None and beta == 0:
                choice = self._tune_conv(out, im2col, winograd)
                layer.cache[('conv_algorithm', kind)] = choice
                if kind == 'fprop':  # the trials kept their input tiles for update
                    self._drop_unused_tiles(layer, choice)
                return  # out holds the im2col result
            choice = choice or 'im2col'
        if choice == 'im2col':
            im2col(out)
        else:
            winograd(out, int(choice[-1]))

    @staticmethod
    def _drop_unused_tiles(layer, choice):
        """Free the transformed input tiles that the Winograd trials of a layer's fprop
        kept (in its cache, for update_conv) for the variants not chosen."""
        kept = ('wino_tiles', int(choice[-1])) if choice != 'im2col' else None
        for key in [k for k in layer.cache if isinstance(k, tuple) and isinstance(k[0], tuple)
                    and k[0][0] == 'wino_tiles' and k[0] != kept]:
            del layer.cache[key]

    def _tune_conv(self, out, im2col, winograd):
        """The fastest (best of three runs) of im2col, winograd2 and winograd4 among those
        that agree with im2col, Winograd only when WINOGRAD_MARGIN times faster (a first
        call's timings are noisy); then im2col's result goes to out. The timed runs write
        into scratch arrays: out may share memory with the input (a layer's deltas)."""
        def best(run, dst):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                run(dst)
                self.synchronize()
                times.append(time.perf_counter() - start)
            return min(times)
        trials = {name: self.xp.empty_like(out) for name in ('im2col', 'winograd2', 'winograd4')}
        timings = {'winograd{}'.format(m): best(lambda dst, m=m: winograd(dst, m),
                                                trials['winograd{}'.format(m)]) for m in (2, 4)}
        timings['im2col'] = best(im2col, trials['im2col']) / self.WINOGRAD_MARGIN
        reference = trials.pop('im2col')
        scale = float(self.xp.abs(reference).max()) or 1.0
        for name, trial in trials.items():
            if float(self.xp.abs(trial - reference).max()) / scale > \
                    self.WINOGRAD_TOLERANCE[out.dtype]:
                del timings[name]
        im2col(out)
        return min(timings, key=timings.get)

    def _conv_geometry(self, layer):
        _, ph, pw = layer.padding
        _, sh, sw = layer.strides
        _, dh, dw = layer.dilation
        Hp = max(layer.H + 2 * ph, (layer.P - 1) * sh + dh * (layer.R - 1) + 1)
        Wp = max(layer.W + 2 * pw, (layer.Q - 1) * sw + dw * (layer.S - 1) + 1)
        return (ph, pw), (sh, sw), (dh, dw), (Hp, Wp)

    def _columns(self, layer, x):
        """The layer's column buffer (C, R, S, P, Q, n) for x (C, H, W, n), kept in its
        cache: update_conv reuses fprop's columns."""
        n = x.shape[-1]
        cols = layer.cache.get(('cols', n))
        if cols is None:
            cols = self.xp.empty((x.shape[0], layer.R, layer.S, layer.P, layer.Q, n),
                                 dtype=x.dtype)
            layer.cache[('cols', n)] = cols
        return cols

    def _im2col(self, layer, x):
        """Columns (C·R·S, P·Q·n) of x (C, H, W, n), neon's filter row order (c, r, s)."""
        pad, (sh, sw), (dh, dw), extent = self._conv_geometry(layer)
        C, n = x.shape[0], x.shape[-1]
        xpad = self._padded(layer, x, pad, extent, 0, 'conv_pad')
        view = window_view(self.xp, xpad, (C, layer.R, layer.S, layer.P, layer.Q, n),
                            [(1, 0, 0, 0), (0, dh, 0, 0), (0, 0, dw, 0), (0, sh, 0, 0),
                             (0, 0, sw, 0), (0, 0, 0, 1)])
        cols = self._columns(layer, x)

        def copy(cs):
            cols[cs] = view[cs]
        self._by_channels(copy, C, cols.size)
        return cols.reshape(C * layer.R * layer.S, layer.P * layer.Q * n)

    def _col2im(self, layer, dcols, n):
        """Sum the columns (C·R·S, P·Q·n) back onto a (C, H, W, n) image gradient."""
        (ph, pw), (sh, sw), (dh, dw), (Hp, Wp) = self._conv_geometry(layer)
        C, R, S, P, Q = layer.C, layer.R, layer.S, layer.P, layer.Q
        dcols = dcols.reshape(C, R, S, P, Q, n)
        dxpad = self._zeros(layer, (C, Hp, Wp, n), dcols.dtype, 'col2im')

        def scatter(cs):
            for r in range(R):
                h0 = r * dh
                for s in range(S):
                    w0 = s * dw
                    dxpad[cs, h0:h0 + sh * (P - 1) + 1:sh, w0:w0 + sw * (Q - 1) + 1:sw, :] += \
                        dcols[cs, r, s]
        self._by_channels(scatter, C, dcols.size)
        return dxpad[:, ph:ph + layer.H, pw:pw + layer.W, :]

    def _slices_as_batch(self, ary, C, D, H, W, keep=True):
        """A (C, D, H, W, N) buffer as a (C·H·W, D·N) tensor (a copy; uninitialised
        without keep)."""
        N = ary.size // (C * D * H * W)
        if not keep:
            return self._new(self.xp.empty((C * H * W, D * N), dtype=ary.dtype))
        slices = self.xp.moveaxis(ary.reshape(C, D, H, W, N), 1, 3)
        return self._new(self.xp.ascontiguousarray(slices).reshape(C * H * W, D * N))

    def _batch_as_slices(self, tensor, out, C, D, H, W):
        """Write a (C·H·W, D·N) tensor back into the (C, D, H, W, N) buffer `out`."""
        N = out.size // (C * D * H * W)
        out.reshape(C, D, H, W, N)[...] = self.xp.moveaxis(
            tensor._tensor.reshape(C, H, W, D, N), 3, 1)

    def _over_slices(self, src, src_dims, dst, dst_dims, beta, run):
        """Run a 2-D kernel, run(src', dst'), on the depth slices of volumes src and dst
        (dims (C, D, H, W)) laid out as one batch; dst' starts as dst when beta != 0."""
        x = self._slices_as_batch(src._tensor, *src_dims)
        y = self._slices_as_batch(dst._tensor, *dst_dims, keep=beta != 0)
        run(x, y)
        self._batch_as_slices(y, dst._tensor, *dst_dims)
        return dst

    def fprop_conv(self, layer, I, F, O, X=None, bias=None, bsum=None, alpha=1.0, beta=0.0,
                   relu=False, brelu=False, slope=0.0, layer_op=None):
        """O = alpha·conv(I, F) + beta·O (+ bias per channel; relu; bsum = channel sums)."""
        if layer.flat is not None:  # a volume: every depth slice, as one batch
            return self._over_slices(
                I, layer.dimI[:4], O, layer.dimO[:4], beta,
                lambda x, o: self.fprop_conv(layer.flat, x, F, o, bias=bias, bsum=bsum,
                                             alpha=alpha, beta=beta, relu=relu))
        xp = self.xp
        C, H, W, N = layer.C, layer.H, layer.W, layer.N
        K, P, Q = layer.K, layer.P, layer.Q
        x = I._tensor.reshape(C, H, W, N)
        w = F._tensor
        o4 = O._tensor.reshape(K, P, Q, N)
        self._conv_path('fprop', layer, o4, beta,
                        lambda out: self._im2col_fprop(layer, I, x, w, out, alpha, beta),
                        lambda out, m: self._wino_fprop(layer, I, x, w, out, alpha, beta, m))
        if bias is not None:
            o4 += bias._tensor.reshape(K, 1, 1, 1)
        if relu:
            xp.maximum(o4, 0, out=o4)
        if bsum is not None:
            bsum._tensor[...] = o4.reshape(K, -1).sum(axis=1, keepdims=True)
        return O

    def _im2col_fprop(self, layer, I, x, w, o4, alpha, beta):
        K, P, Q, N = o4.shape
        chunks = self._chunks(N, layer.C * layer.R * layer.S * P * Q * x.itemsize)
        for n0, n1 in chunks:
            cols = self._im2col(layer, x[..., n0:n1])
            if len(chunks) == 1 and beta == 0 and o4.flags.c_contiguous and \
                    o4.dtype == cols.dtype:
                self.xp.matmul(w.T, cols, out=o4.reshape(K, P * Q * N))
                if alpha != 1:
                    o4 *= alpha
            else:
                res = self.xp.matmul(w.T, cols).reshape(K, P, Q, n1 - n0)
                self._blend(o4[..., n0:n1], res, alpha, beta)
        layer.cache['fprop_input'] = I if len(chunks) == 1 else None
        layer.cache['wino_input'] = None

    def bprop_conv(self, layer, F, E, grad_I, X=None, bias=None, bsum=None, alpha=1.0,
                   beta=0.0, relu=False, brelu=False, slope=0.0, layer_op=None):
        """grad_I = alpha·(gradient of conv with respect to its input) + beta·grad_I."""
        if layer.flat is not None:
            return self._over_slices(
                E, layer.dimO[:4], grad_I, layer.dimI[:4], beta,
                lambda e, gi: self.bprop_conv(layer.flat, F, e, gi, bsum=bsum, alpha=alpha,
                                              beta=beta))
        C, H, W, N = layer.C, layer.H, layer.W, layer.N
        K, P, Q = layer.K, layer.P, layer.Q
        e4 = E._tensor.reshape(K, P, Q, N)
        gi4 = grad_I._tensor.reshape(C, H, W, N)
        w = F._tensor
        self._conv_path('bprop', layer, gi4, beta,
                        lambda out: self._im2col_bprop(layer, w, e4, out, alpha, beta),
                        lambda out, m: self._wino_bprop(layer, w, e4, out, alpha, beta, m))
        if bsum is not None:
            bsum._tensor[...] = gi4.reshape(C, -1).sum(axis=1, keepdims=True)
        return grad_I

    def _im2col_bprop(self, layer, w, e4, gi4, alpha, beta):
        xp = self.xp
        K, P, Q, N = e4.shape
        for n0, n1 in self._chunks(N, layer.C * layer.R * layer.S * P * Q * e4.itemsize):
            n = n1 - n0
            e2 = e4 if n == N else xp.ascontiguousarray(e4[..., n0:n1])
            dcols = self._pooled((w.shape[0], P * Q * n), e4.dtype, 'dcols')  # all layers
            xp.matmul(w, e2.reshape(K, P * Q * n), out=dcols)
            self._col2im_into(layer, dcols, gi4[..., n0:n1], alpha, beta)

    def _col2im_into(self, layer, dcols, dst, alpha, beta):
        """dst (C, H, W, n) = alpha·col2im(dcols) + beta·dst."""
        self._blend(dst, self._col2im(layer, dcols, dst.shape[-1]), alpha, beta)

    def update_conv(self, layer, I, E, grad_F, alpha=1.0, beta=0.0, grad_bias=None,
                    layer_op=None):
        """grad_F = alpha·Σ (input patches × errors) + beta·grad_F; grad_bias = Σ errors."""
        if layer.flat is not None:
            x = self._slices_as_batch(I._tensor, *layer.dimI[:4])
            e = self._slices_as_batch(E._tensor, *layer.dimO[:4])
            return self.update_conv(layer.flat, x, e, grad_F, alpha=alpha, beta=beta,
                                    grad_bias=grad_bias)
        C, H, W, N = layer.C, layer.H, layer.W, layer.N
        K, P, Q = layer.K, layer.P, layer.Q
        x = I._tensor.reshape(C, H, W, N)
        e4 = E._tensor.reshape(K, P, Q, N)
        cached = layer.cache.pop('fprop_input', None) is I
        if layer.cache.get(('conv_algorithm', 'fprop'), 'im2col') != 'im2col':
            cached = False  # fprop leaves no columns: time im2col as it will then run
        self._conv_path('update', layer, grad_F._tensor, beta,
                        lambda out: self._im2col_update(layer, x, e4, out, alpha, beta, cached),
                        lambda out, m: self._wino_update(layer, I, x, e4, out, alpha, beta, m))
        if grad_bias is not None:
            grad_bias._tensor[...] = e4.reshape(K, -1).sum(axis=1, keepdims=True)
        return grad_F

    def _im2col_update(self, layer, x, e4, grad, alpha, beta, cached):
        xp = self.xp
        K, P, Q, N = e4.shape
        total = None
        for n0, n1 in self._chunks(N, layer.C * layer.R * layer.S * P * Q * x.itemsize):
            n = n1 - n0
            cols = layer.cache[('cols', n)].reshape(-1, P * Q * n) if cached else \
                self._im2col(layer, x[..., n0:n1])
            e2 = e4 if n == N else xp.ascontiguousarray(e4[..., n0:n1])
            part = xp.matmul(cols, e2.reshape(K, P * Q * n).T)
            total = part if total is None else total + part
        self._blend(grad, total, alpha, beta)
