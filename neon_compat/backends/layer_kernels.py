"""Layer kernels (pooling, batch norm, LRN, ROI pooling, embeddings; convolutions in
conv_kernels.py), written once over the array module, and the buffer helpers they share.

A mixin of Backend: every method uses `self.xp` only, so the same code runs on NumPy
and CuPy. Convolutions are im2col + GEMM or Winograd (BLAS/cuBLAS); pooling works on
strided window views; nothing loops over pixels or batch items in Python (the only
Python loops run over filter taps or batch chunks).
"""
import math

import numpy as np

from neon_compat import ShapeError
from neon_compat.backends.layer_params import (ConvLayer, DeconvLayer, PoolLayer, LRNLayer,
                                                BatchNormLayer)
from neon_compat.backends.conv_kernels import ConvKernels, window_view


class LayerKernels(ConvKernels):
    """Layer kernels of the Backend (neon's names and signatures)."""

    # the batch is processed in chunks so that one im2col buffer stays below this size
    im2col_bytes = 256 * 2 ** 20

    # --- parameter objects ----------------------------------------------
    def conv_layer(self, dtype, N, C, K, D=1, H=1, W=1, T=1, R=1, S=1, pad_d=0, pad_h=0,
                   pad_w=0, str_d=1, str_h=1, str_w=1, dil_d=1, dil_h=1, dil_w=1):
        """Shapes of a convolution layer (see ConvLayer)."""
        return ConvLayer(self, dtype, N, C, K, D, H, W, T, R, S, pad_d, pad_h, pad_w, str_d,
                         str_h, str_w, dil_d, dil_h, dil_w)

    def deconv_layer(self, dtype, N, C, K, P, Q, R=1, S=1, pad_d=0, pad_h=0, pad_w=0,
                     str_d=1, str_h=1, str_w=1, dil_d=1, dil_h=1, dil_w=1, M=1, T=1, D=1):
        """Shapes of a deconvolution layer (see DeconvLayer)."""
        return DeconvLayer(self, dtype, N, C, K, P, Q, R, S, pad_d, pad_h, pad_w, str_d,
                           str_h, str_w, dil_d, dil_h, dil_w, M, T, D)

    def pool_layer(self, dtype, op, N, C, D=1, H=1, W=1, J=1, T=1, R=1, S=1, pad_c=0,
                   pad_d=0, pad_h=0, pad_w=0, str_c=None, str_d=None, str_h=None,
                   str_w=None):
        """Shapes of a pooling layer (see PoolLayer)."""
        return PoolLayer(self, dtype, op, N, C, D, H, W, J, T, R, S, pad_c, pad_d, pad_h,
                         pad_w, str_c, str_d, str_h, str_w)

    def batchnorm_layer(self, in_shape):
        """Kernel state of a batch-norm layer (see BatchNormLayer)."""
        return BatchNormLayer(self, in_shape)

    def lrn_layer(self, dtype, N, C, D=1, H=1, W=1, J=1):
        """Shapes of a cross-channel LRN layer (see LRNLayer)."""
        return LRNLayer(self, dtype, N, C, D, H, W, J)

    # --- helpers ----------------------------------------------------------
    # threads for the channel-parallel parts of the kernels (NumPy releases the GIL in
    # its ufuncs); the NumPy backend sets it to the CPU count, others leave it at 1
    kernel_threads = 1
    # elements below which one thread is faster (2 cores: pooling 16x24x24x32 took 0.29 ms
    # on one thread, 0.62 on two; col2im of 1.6 M elements 1.36 ms on one, 1.09 on two)
    parallel_min_size = 1 << 20
    _pool_executor = None

    def _by_channels(self, fn, C, size):
        """Run fn(channel slice) over slices of range(C), on several threads when the
        work is large enough; fn must only touch its own channels."""
        threads = min(self.kernel_threads, C)
        if threads <= 1 or size < self.parallel_min_size:
            fn(slice(0, C))
            return
        if LayerKernels._pool_executor is None:
            from concurrent.futures import ThreadPoolExecutor
            LayerKernels._pool_executor = ThreadPoolExecutor(max_workers=self.kernel_threads)
        bounds = [C * i // threads for i in range(threads + 1)]
        futures = [LayerKernels._pool_executor.submit(fn, slice(bounds[i], bounds[i + 1]))
                   for i in range(threads)]
        for future in futures:
            future.result()
    def _chunks(self, N, bytes_per_item):
        step = max(1, min(N, self.im2col_bytes // max(1, bytes_per_item)))
        return [(n0, min(N, n0 + step)) for n0 in range(0, N, step)]

    def _padded(self, layer, x, pad, extent, fill, key):
        """x (C, H, W, n) copied into a buffer padded to `extent` (Hp, Wp) with `fill`."""
        (ph, pw), (Hp, Wp) = pad, extent
        C, H, W, n = x.shape
        if ph == 0 and pw == 0 and (Hp, Wp) == (H, W):
            return x if x.flags.c_contiguous else self.xp.ascontiguousarray(x)
        buf = layer.cache.get((key, n))
        if buf is None:
            buf = self.xp.full((C, Hp, Wp, n), fill, dtype=x.dtype)
            layer.cache[(key, n)] = buf
        buf[:, ph:ph + H, pw:pw + W, :] = x
        return buf

    def _scratch(self, layer, shape, dtype, key):
        """A reusable uninitialized buffer (big per-batch temporaries would otherwise be
        fresh pages from the OS at every call)."""
        buf = layer.cache.get((key, shape, dtype))
        if buf is None:
            buf = self.xp.empty(shape, dtype=dtype)
            layer.cache[(key, shape, dtype)] = buf
        return buf

    def _zeros(self, layer, shape, dtype, key):
        buf = layer.cache.get((key, shape))
        if buf is None:
            buf = self.xp.zeros(shape, dtype=dtype)
            layer.cache[(key, shape)] = buf
        else:
            buf.fill(0)
        return buf

    @staticmethod
    def _blend(dst, value, alpha, beta):
        """dst = alpha·value + beta·dst."""
        if beta == 0:
            if alpha == 1:
                dst[...] = value
            else:
                dst[...] = alpha * value
        else:
            dst *= beta
            dst += value if alpha == 1 else alpha * value

    # --- pooling ------------------------------------------------------------
    def _pool_geometry(self, layer):
        _, _, ph, pw = layer.padding
        _, _, sh, sw = layer.strides
        Hp = max(layer.H + 2 * ph, (layer.P - 1) * sh + layer.R)
        Wp = max(layer.W + 2 * pw, (layer.Q - 1) * sw + layer.S)
        return (ph, pw), (sh, sw), (Hp, Wp)

    def _pool_windows(self, layer, xpad):
        (_, _), (sh, sw), _ = self._pool_geometry(layer)
        return window_view(self.xp, xpad, (layer.C, layer.P, layer.Q, layer.R, layer.S,
                                            xpad.shape[-1]),
                            [(1, 0, 0, 0), (0, sh, 0, 0), (0, 0, sw, 0), (0, 1, 0, 0),
                             (0, 0, 1, 0), (0, 0, 0, 1)])

    def _pool_counts(self, layer):
        """Number of image (unpadded) elements in each window, (1, P, Q, 1)."""
        counts = layer.cache.get('counts')
        if counts is None:
            (ph, pw), (sh, sw), _ = self._pool_geometry(layer)

            def valid(n_out, step, pad, size, extent):
                start = np.arange(n_out) * step - pad
                return np.minimum(start + size, extent) - np.maximum(start, 0)
            c = valid(layer.P, sh, ph, layer.R, layer.H)[:, None] * \
                valid(layer.Q, sw, pw, layer.S, layer.W)[None, :]
            counts = self.xp.asarray(c.reshape(1, layer.P, layer.Q, 1).astype(layer.dtype))
            layer.cache['counts'] = counts
        return counts

    # windows up to this many taps are pooled tap by tap (vectorized over the whole
    # output); larger ones ('all' over a big image) through a strided window view
    max_tap_loop = 64

    def _taps(self, layer, padded):
        """(index, view) of each window tap: padded[:, r::sh, s::sw, :] cut to (C, P, Q, n)."""
        _, (sh, sw), _ = self._pool_geometry(layer)
        P, Q = layer.P, layer.Q
        for r in range(layer.R):
            for s in range(layer.S):
                yield r * layer.S + s, padded[:, r:r + sh * (P - 1) + 1:sh,
                                              s:s + sw * (Q - 1) + 1:sw, :]

    def _max_pool(self, layer, x, out=None):
        """(maxima, tap index of each: uint8) of the windows of x (C, H, W, N), the
        first maximum among equals, padding counted as -inf; R·S <= max_tap_loop.
        The maxima may be written into `out` (C, P, Q, N), when given."""
        xp = self.xp
        C, N = layer.C, layer.N
        pad, _, extent = self._pool_geometry(layer)
        xpad = self._padded(layer, x, pad, extent, -np.inf, 'pool_pad')
        shape = (C, layer.P, layer.Q, N)
        res = self._scratch(layer, shape, x.dtype, 'pool_max')
        # tap indices fit a byte (R·S <= max_tap_loop); the update is exact mod 256
        idx = self._scratch(layer, shape, np.uint8, 'pool_idx')
        bigger = self._scratch(layer, shape, bool, 'pool_mask')
        step = self._scratch(layer, shape, np.uint8, 'pool_step')

        def max_taps(cs):
            for t, tap in self._taps(layer, xpad):
                tap = tap[cs]
                if t == 0:
                    res[cs] = tap
                    idx[cs] = 0
                    continue
                xp.greater(tap, res[cs], out=bigger[cs])  # the first maximum wins
                # idx = t where bigger: the taps come in increasing t, so
                # max(idx, t·bigger) does it (masked assignment is slower)
                xp.multiply(bigger[cs], np.uint8(t), out=step[cs])
                xp.maximum(idx[cs], step[cs], out=idx[cs])
                xp.maximum(res[cs], tap, out=res[cs])
        self._by_channels(max_taps, C, res.size * layer.R * layer.S)
        return res, idx

    def fprop_pool(self, layer, I, O, argmax=None, beta=0.0):
        """O = pool(I) (+ beta·O); max pooling records each window's argmax."""
        if layer.misfit:
            raise ShapeError(layer.misfit)
        xp = self.xp
        C, H, W, N = layer.C, layer.H, layer.W, layer.N
        pad, _, extent = self._pool_geometry(layer)
        x = I._tensor.reshape(C, H, W, N)
        o4 = O._tensor.reshape(C, layer.P, layer.Q, N)
        few_taps = layer.R * layer.S <= self.max_tap_loop
        if layer.op == 'max':
            if few_taps:
                res, idx = self._max_pool(layer, x, o4 if beta == 0 else None)
            else:
                xpad = self._padded(layer, x, pad, extent, -np.inf, 'pool_pad')
                win = self._pool_windows(layer, xpad).reshape(
                    C, layer.P, layer.Q, layer.R * layer.S, N)
                idx = xp.argmax(win, axis=3)
                res = xp.take_along_axis(win, idx[:, :, :, None, :], axis=3)[:, :, :, 0, :]
            if argmax is not None:
                argmax._tensor[...] = idx.reshape(argmax.shape)
            else:
                layer.cache['argmax'] = idx
        else:
            xpad = self._padded(layer, x, pad, extent, 0, 'pool_pad')
            if few_taps:
                res = None
                for _, tap in self._taps(layer, xpad):
                    res = tap.copy() if res is None else xp.add(res, tap, out=res)
            else:
                res = self._pool_windows(layer, xpad).sum(axis=(3, 4))
            res /= self._pool_counts(layer)
        if res is not o4:
            self._blend(o4, res, 1.0, beta)
        return O

    def _max_pool_grad(self, layer, err, idx, grad, alpha, beta):
        """grad (C, H, W, N) = alpha·(each error of err (C, P, Q, N) sent to its window's
        tap idx) + beta·grad; R·S <= max_tap_loop."""
        xp = self.xp
        C, H, W, N = layer.C, layer.H, layer.W, layer.N
        (ph, pw), _, (Hp, Wp) = self._pool_geometry(layer)
        # windows that tile the input: each input element lies in one window, so
        # its delta (err or 0) is written in place, with no zero fill and no copy
        in_place = layer.tiles and alpha == 1 and beta == 0 and grad.flags.c_contiguous
        dxpad = grad if in_place else \
            self._zeros(layer, (C, Hp, Wp, N), err.dtype, 'pool_grad')
        routed = None if in_place else \
            self._scratch(layer, err.shape, err.dtype, 'pool_routed')
        chosen = self._scratch(layer, err.shape, bool, 'pool_mask')

        def route(cs):
            for t, tap in self._taps(layer, dxpad):
                xp.equal(idx[cs], t, out=chosen[cs])
                if in_place:
                    xp.multiply(err[cs], chosen[cs], out=tap[cs])
                else:
                    xp.multiply(err[cs], chosen[cs], out=routed[cs])
                    tap[cs] += routed[cs]
        self._by_channels(route, C, err.size * layer.R * layer.S)
        if not in_place:
            self._blend(grad, dxpad[:, ph:ph + H, pw:pw + W, :], alpha, beta)

    def bprop_pool(self, layer, I, O, argmax=None, alpha=1.0, beta=0.0):
        """O (input deltas) = alpha·(pooling gradient of the errors I) + beta·O."""
        if layer.misfit:
            raise ShapeError(layer.misfit)
        xp = self.xp
        C, H, W, N, P, Q = layer.C, layer.H, layer.W, layer.N, layer.P, layer.Q
        (ph, pw), (sh, sw), (Hp, Wp) = self._pool_geometry(layer)
        err = I._tensor.reshape(C, P, Q, N)
        grad = O._tensor.reshape(C, H, W, N)
        few_taps = layer.R * layer.S <= self.max_tap_loop
        if layer.op == 'max':
            idx = argmax._tensor.reshape(C, P, Q, N) if argmax is not None \
                else layer.cache['argmax']
            if few_taps:
                self._max_pool_grad(layer, err, idx, grad, alpha, beta)
                return O
            else:
                idx = idx.astype(np.int64)
                rows = xp.arange(P).reshape(1, P, 1, 1) * sh + idx // layer.S
                cols = xp.arange(Q).reshape(1, 1, Q, 1) * sw + idx % layer.S
                chan = xp.arange(C).reshape(C, 1, 1, 1)
                batch = xp.arange(N).reshape(1, 1, 1, N)
                flat = ((chan * Hp + rows) * Wp + cols) * N + batch
                dxpad = xp.bincount(flat.reshape(-1), weights=err.reshape(-1),
                                    minlength=C * Hp * Wp * N).reshape(C, Hp, Wp, N)
        else:
            share = err / self._pool_counts(layer)
            dxpad = self._zeros(layer, (C, Hp, Wp, N), err.dtype, 'pool_grad')
            if not layer.overlap:
                windows = self._pool_windows(layer, dxpad)  # disjoint: one broadcast add
                windows += share[:, :, :, None, None, :]
            else:
                for _, tap in self._taps(layer, dxpad):
                    tap += share
        self._blend(grad, dxpad[:, ph:ph + H, pw:pw + W, :].astype(grad.dtype, copy=False),
                    alpha, beta)
        return O

    # --- batch normalization ------------------------------------------------
    def _bn_scratch(self, layer, shape, dtype, key):
        if layer is not None:
            return self._scratch(layer, shape, dtype, key)
        return self.xp.empty(shape, dtype=dtype)

    def compound_fprop_bn(self, x, xsum, xvar, gmean, gvar, gamma, beta, y, eps, rho,
                          compute_batch_sum=True, accumbeta=0.0, relu=False, binary=False,
                          inference=False, outputs=None, layer=None):
        """y = gamma·(x − mean)/sqrt(var + eps) + beta per row of x (nfm, n).

        Training: batch mean and (population) variance, stored in xsum and xvar, and
        the running averages gmean/gvar = rho·g + (1 − rho)·batch. Inference: gmean/gvar.
        Mean and variance are two-pass pairwise sums (NumPy's reductions), accurate
        when |mean| ≫ std.
        """
        xp = self.xp
        xa, ya = x._tensor, y._tensor
        if accumbeta == 0:
            out = ya
        else:
            out = self._bn_scratch(layer, ya.shape, ya.dtype, 'bn_out')
        squares = None if inference else self._bn_scratch(layer, xa.shape, ya.dtype,
                                                          'bn_scratch')

        def normalize(rows):
            xr, o = xa[rows], out[rows]
            if inference:
                mean, var = gmean._tensor[rows], gvar._tensor[rows]
                xp.subtract(xr, mean, out=o)
            else:
                mean = xr.mean(axis=1, keepdims=True)
                xp.subtract(xr, mean, out=o)
                sq = xp.square(o, out=squares[rows])
                var = sq.sum(axis=1, keepdims=True) / xr.shape[1]
                xsum._tensor[rows] = mean
                xvar._tensor[rows] = var
                gmean._tensor[rows] = gmean._tensor[rows] * rho + (1.0 - rho) * mean
                gvar._tensor[rows] = gvar._tensor[rows] * rho + (1.0 - rho) * var
            o *= (gamma._tensor[rows] / xp.sqrt(var + eps)).astype(o.dtype, copy=False)
            o += beta._tensor[rows].astype(o.dtype, copy=False)
            if relu:
                xp.maximum(o, 0, out=o)
        self._by_channels(normalize, xa.shape[0], xa.size)
        if accumbeta != 0:
            ya *= accumbeta
            ya += out
        return y

    def compound_bprop_bn(self, delta_out, grad_gamma, grad_beta, delta_in, x, xsum, xvar,
                          gamma, eps, binary=False, layer=None):
        """BatchNorm gradients from the batch statistics stored by compound_fprop_bn.

        Two-pass, with xc = x − mean and inv_std = 1/sqrt(var + eps): dbeta = Σ δ,
        dgamma = inv_std·Σ xc·δ, dx = a·δ + b·xc + c with per-row a = gamma·inv_std,
        b = −a·inv_std·dgamma/n, c = −a·dbeta/n (pairwise sums; no cancellation against
        a large mean).
        """
        xp = self.xp
        xa, err = x._tensor, delta_in._tensor
        n = xa.shape[1]
        d = delta_out._tensor.reshape(xa.shape) if delta_out is not None else None
        dtype = d.dtype if d is not None else err.dtype
        centred = self._bn_scratch(layer, xa.shape, dtype, 'bn_scratch')
        in_place = d is not None and xp.may_share_memory(d, err)  # deltas over the errors
        products = d if d is not None and not in_place else \
            self._bn_scratch(layer, xa.shape, dtype, 'bn_out')

        def gradients(rows):
            xr, er, xc, pr = xa[rows], err[rows], centred[rows], products[rows]
            inv_std = 1.0 / xp.sqrt(xvar._tensor[rows] + eps)
            xp.subtract(xr, xsum._tensor[rows].astype(dtype, copy=False), out=xc)
            g_beta = er.sum(axis=1, keepdims=True)
            g_gamma = inv_std * xp.multiply(xc, er, out=pr).sum(axis=1, keepdims=True)
            grad_gamma._tensor[rows] = g_gamma
            grad_beta._tensor[rows] = g_beta
            if d is not None:
                a = gamma._tensor[rows] * inv_std
                b = -a * inv_std * g_gamma / n
                c = -a * g_beta / n
                xp.multiply(er, a.astype(dtype, copy=False), out=pr)
                xc *= b.astype(dtype, copy=False)
                pr += xc
                pr += c.astype(dtype, copy=False)
                if in_place:
                    d[rows] = pr
        self._by_channels(gradients, xa.shape[0], xa.size)
        return delta_out

    # --- region-of-interest pooling -----------------------------------------
    @staticmethod
    def _roi_bins(start, stop, pooled, size, spatial_scale):
        """[lo, hi) input ranges of the `pooled` bins of one ROI side [start, stop] given
        in image coordinates (scaled to the feature map, clipped to [0, size))."""
        lo, hi = int(round(start * spatial_scale)), int(round(stop * spatial_scale))
        stride = max(hi - lo + 1, 1) / float(pooled)
        return [(min(max(int(math.floor(k * stride)) + lo, 0), size),
                 min(max(int(math.ceil((k + 1) * stride)) + lo, 0), size))
                for k in range(pooled)]

    def _roi_windows(self, rois, pooled_height, pooled_width, H, W, spatial_scale):
        """(roi, image, bin row, bin column, rows, columns) of every non-empty bin."""
        for r, (image, x1, y1, x2, y2) in enumerate(self.to_host(rois._tensor)):
            rows = self._roi_bins(y1, y2, pooled_height, H, spatial_scale)
            cols = self._roi_bins(x1, x2, pooled_width, W, spatial_scale)
            for ph, (h0, h1) in enumerate(rows):
                for pw, (w0, w1) in enumerate(cols):
                    if h1 > h0 and w1 > w0:
                        yield r, int(image), ph, pw, slice(h0, h1), slice(w0, w1)

    def roipooling_fprop(self, I, rois, O, argmax, roi_count, C, H, W, pooled_height,
                         pooled_width, spatial_scale):
        """Max over each of the pooled_height×pooled_width bins of every ROI.

        I (C, H, W, N) feature maps; rois (roi_count, 5) rows (image, x1, y1, x2, y2) in
        image coordinates (times spatial_scale on the map); O and argmax (C, PH, PW,
        roi_count): the maxima and their flat positions h·W + w (−1 for an empty bin).
        """
        if I.size != C * H * W * self.bsz or rois.shape != (roi_count, 5):
            raise ShapeError('roipooling_fprop: feature maps {} or ROIs {} do not fit C={}, '
                             'H={}, W={}, {} ROIs'.format(I.shape, rois.shape, C, H, W,
                                                          roi_count))
        xp = self.xp
        maps = I._tensor.reshape(C, H, W, -1)
        out = O._tensor.reshape(C, pooled_height, pooled_width, roi_count)
        arg = argmax._tensor.reshape(C, pooled_height, pooled_width, roi_count)
        out[...] = 0
        arg[...] = -1
        channels = xp.arange(C)
        for r, n, ph, pw, rows, cols in self._roi_windows(rois, pooled_height, pooled_width,
                                                          H, W, spatial_scale):
            window = maps[:, rows, cols, n].reshape(C, -1)
            best = window.argmax(axis=1)
            width = cols.stop - cols.start
            out[:, ph, pw, r] = window[channels, best]
            arg[:, ph, pw, r] = (rows.start + best // width) * W + cols.start + best % width
        return O

    def roipooling_bprop(self, I, rois, O, argmax, roi_count, C, H, W, pooled_height,
                         pooled_width, spatial_scale):
        """O (C, H, W, N) = the errors I (C, PH, PW, roi_count) added at the positions
        argmax recorded (overlapping bins add up)."""
        xp = self.xp
        err = I._tensor.reshape(C, pooled_height, pooled_width, roi_count)
        arg = argmax._tensor.reshape(C, pooled_height, pooled_width, roi_count)
        delta = O._tensor.reshape(C, H, W, -1)
        delta[...] = 0
        channels = xp.arange(C)
        for r, image in enumerate(self.to_host(rois._tensor)[:, 0].astype(int)):
            where = arg[:, :, :, r]
            valid = where >= 0
            c = xp.broadcast_to(channels.reshape(-1, 1, 1), where.shape)[valid]
            flat = where[valid]
            xp.add.at(delta, (c, flat // W, flat % W, int(image)), err[:, :, :, r][valid])
        return O

    # --- local response normalization ---------------------------------------
    def _channel_window_sum(self, a, J):
        """Sum over the J channels centred on each channel (rows of a (C, m) array)."""
        xp = self.xp
        half = J // 2
        padded = xp.concatenate([xp.zeros((half + 1, a.shape[1]), dtype=a.dtype), a,
                                 xp.zeros((half, a.shape[1]), dtype=a.dtype)])
        csum = xp.cumsum(padded, axis=0)
        return csum[J:] - csum[:-J]

    def fprop_lrn(self, layer, I, O, denom, alpha=None, beta=None, ascale=1, bpower=1):
        """denom = 1 + (ascale/J)·Σ_window x²; O = I·denom^(−bpower)."""
        x = I._tensor.reshape(layer.C, -1)
        d = denom._tensor.reshape(layer.C, -1)
        d[...] = 1 + (ascale / float(layer.J)) * self._channel_window_sum(x * x, layer.J)
        O._tensor.reshape(layer.C, -1)[...] = x * d ** (-bpower)
        return O

    def bprop_lrn(self, layer, I, O, E, delta, denom, alpha=None, beta=None, ascale=1,
                  bpower=1):
        """delta = E·denom^(−b) − 2·b·(ascale/J)·I·Σ_window(O·E/denom)."""
        x = I._tensor.reshape(layer.C, -1)
        o = O._tensor.reshape(layer.C, -1)
        e = E._tensor.reshape(layer.C, -1)
        d = denom._tensor.reshape(layer.C, -1)
        window = self._channel_window_sum(o * e / d, layer.J)
        delta._tensor.reshape(layer.C, -1)[...] = \
            -2 * bpower * (ascale / float(layer.J)) * window * x + e * d ** (-bpower)
        return delta

    # --- embeddings -----------------------------------------------------------
    def compound_bprop_lut(self, nin, inputs, error, error_t, dW, pad_idx, alpha=1.0,
                           beta=0.0):
        """dW[id] += Σ of the error columns of each occurrence of id (pad_idx skipped)."""
        xp = self.xp
        ids = inputs._tensor.reshape(-1).astype(np.int64)
        grad = error._tensor.T * alpha  # (nin·bsz, embedding_dim)
        if pad_idx is not None:
            grad = grad * (ids != pad_idx)[:, None]
        if beta == 0:
            dW._tensor.fill(0)
            xp.add.at(dW._tensor, ids, grad)
        else:
            acc = xp.zeros(dW.shape, dtype=dW.dtype)
            xp.add.at(acc, ids, grad)
            self._blend(dW._tensor, acc, 1.0, beta)
        return dW
