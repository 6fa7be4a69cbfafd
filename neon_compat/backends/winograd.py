"""Winograd F(m×m, 3×3) convolution kernels (m = 2 or 4), written once over the array
module.

A mixin of Backend, for stride-1, undilated 3×3 convolutions (VGG's): (m+2)×(m+2)
input tiles and the filters go to the transformed domain, where the convolution is
(m+2)² batched GEMMs (K×C)·(C×tiles), and m×m output tiles come back: 2.25 (m = 2)
or 4 (m = 4) times fewer multiplications than direct convolution (Lavin & Gray,
2016). The tile transforms are small matrix products too, so BLAS does all the work.

- fprop: O = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, summed over input channels.
- bprop: the input gradient is the same kind of convolution of the (padded) errors with
  the filters rotated by 180° and C, K swapped, padding 2 − pad.
- update: the adjoint of fprop in g: dg = Gᵀ[Σ over tiles (A e Aᵀ) ⊙ (Bᵀ d B)]G, with
  e the m×m error tiles, one batched GEMM (K×tiles)·(tiles×C).

Layouts are neon's: images (C, H, W, N), filters (C·3·3, K) with rows (c, r, s).
"""
import numpy as np

# (Bᵀ, G, Aᵀ) of the minimal 1-D algorithms F(m, 3)
TRANSFORMS = {
    2: (np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float),
        np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),
        np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)),
    4: (np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
                 dtype=float),
        np.array([[1 / 4., 0, 0], [-1 / 6., -1 / 6., -1 / 6.], [-1 / 6., 1 / 6., -1 / 6.],
                  [1 / 24., 1 / 12., 1 / 6.], [1 / 24., -1 / 12., 1 / 6.], [0, 0, 1]]),
        np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
                  [0, 1, -1, 8, -8, 1]], dtype=float)),
}


class WinogradKernels(object):
    """Winograd paths of fprop_conv, bprop_conv and update_conv (see LayerKernels).

    Scratch buffers are shared by all layers (one per role, grown to the largest
    layer's need): layers run one after another, and the transformed tiles would
    otherwise take several times each layer's activations.
    """

    @staticmethod
    def winograd_fits(layer):
        """True for a 2-D, stride-1, undilated 3×3 convolution with padding <= 2."""
        return (layer.flat is None and layer.R == 3 and layer.S == 3 and
                tuple(layer.strides[1:]) == (1, 1) and tuple(layer.dilation[1:]) == (1, 1) and
                all(0 <= p <= 2 for p in layer.padding[1:]) and layer.T == 1 and
                layer.D == 1)

    def _pooled(self, shape, dtype, key, zero=False):
        """A view of the shared scratch buffer `key`, shaped `shape`."""
        pool = self.__dict__.setdefault('_winograd_pool', {})
        size = int(np.prod(shape))
        flat = pool.get((key, np.dtype(dtype)))
        if flat is None or flat.size < size:
            flat = self.xp.empty(size, dtype=dtype)
            pool[(key, np.dtype(dtype))] = flat
        view = flat[:size].reshape(shape)
        if zero:
            view.fill(0)
        return view

    def _matrices(self, m, dtype):
        """(Bᵀ, G, Aᵀ) of F(m, 3) on the device, made once per dtype."""
        cache = self.__dict__.setdefault('_winograd_matrices', {})
        key = (m, np.dtype(dtype))
        if key not in cache:
            cache[key] = tuple(self.xp.asarray(t, dtype=dtype) for t in TRANSFORMS[m])
        return cache[key]

    def _both_sides(self, M, tiles, out_key, out=None):
        """M·t·Mᵀ for every α×α tile of `tiles` (α, α, rest): two matrix products (into
        `out` if given, else into the shared buffer `out_key`)."""
        a = tiles.shape[0]
        rows = self._pooled((M.shape[0], a * tiles[0, 0].size), tiles.dtype, 'rows')
        self.xp.matmul(M, tiles.reshape(a, -1), out=rows)
        if out is None:
            out = self._pooled((M.shape[0], M.shape[0]) + tiles.shape[2:], tiles.dtype,
                               out_key)
        self.xp.matmul(M, rows.reshape((M.shape[0], a, -1)),
                       out=out.reshape(M.shape[0], M.shape[0], -1))
        return out

    # --- transforms -----------------------------------------------------------------
    def _wino_filters(self, g, m):
        """U (α², K, C) = G g Gᵀ of filters g (K, C, 3, 3)."""
        _, G, _ = self._matrices(m, g.dtype)
        rows = self.xp.tensordot(G, g, axes=([1], [2]))          # (α, K, C, 3)
        both = self.xp.tensordot(rows, G, axes=([3], [1]))       # (α, K, C, α)
        K, C = g.shape[:2]
        return self.xp.ascontiguousarray(both.transpose(0, 3, 1, 2)).reshape(-1, K, C)

    def _wino_filter_grads(self, dU, C, K, m):
        """dg in neon's filter layout (C·9, K) from dU (α², K, C): Gᵀ dU G."""
        _, G, _ = self._matrices(m, dU.dtype)
        a = m + 2
        dU = dU.reshape(a, a, K, C)
        rows = self.xp.tensordot(G, dU, axes=([0], [0]))         # (3, α, K, C): r, b
        both = self.xp.tensordot(rows, G, axes=([1], [0]))       # (3, K, C, 3): r, k, c, s
        return both.transpose(2, 0, 3, 1).reshape(C * 9, K)

    def _wino_tiles(self, x, pad, tiles, m, out=None):
        """V (α², C, th·tw·n) = Bᵀ d B of the α×α tiles (stride m) of x (C, H, W, n)
        zero-padded by `pad` (top, left) and up to m·th + 2 by m·tw + 2 (into `out`,
        shaped (α, α, C, th, tw, n), if given)."""
        xp = self.xp
        (ph, pw), (th, tw), a = pad, tiles, m + 2
        C, H, W, n = x.shape
        xpad = self._pooled((C, m * th + 2, m * tw + 2, n), x.dtype, 'pad', zero=True)
        rows_in, cols_in = min(H, m * th + 2 - ph), min(W, m * tw + 2 - pw)
        xpad[:, ph:ph + rows_in, pw:pw + cols_in] = x[:, :rows_in, :cols_in]
        sC, sH, sW, sN = xpad.strides
        d = self._pooled((a, a, C, th, tw, n), x.dtype, 'gather')
        d[...] = xp.lib.stride_tricks.as_strided(
            xpad, shape=d.shape, strides=(sH, sW, sC, m * sH, m * sW, sN))
        BT, _, _ = self._matrices(m, x.dtype)
        return self._both_sides(BT, d, 'tiles', out).reshape(a * a, C, th * tw * n)

    def _wino_error_tiles(self, e, tiles, m):
        """Ê (α², K, th·tw·n) = A e Aᵀ of the m×m tiles of e (K, P, Q, n), zero beyond."""
        th, tw = tiles
        K, P, Q, n = e.shape
        epad = self._pooled((K, m * th, m * tw, n), e.dtype, 'pad', zero=True)
        epad[:, :P, :Q] = e
        t = self._pooled((m, m, K, th, tw, n), e.dtype, 'gather')
        t[...] = epad.reshape(K, th, m, tw, m, n).transpose(2, 4, 0, 1, 3, 5)
        _, _, AT = self._matrices(m, e.dtype)
        return self._both_sides(AT.T, t, 'error_tiles').reshape((m + 2) ** 2, K, th * tw * n)

    # --- the three convolutions -----------------------------------------------------
    def _wino_convolve(self, x, g, pad, out, alpha, beta, m, keep=None):
        """out (K, P, Q, N) = alpha·conv(x (C, H, W, N), g (K, C, 3, 3), pad) + beta·out;
        with `keep` (a layer), the transformed input tiles stay in its cache when the
        batch is one chunk (update_conv reuses them)."""
        xp = self.xp
        K, P, Q, N = out.shape
        C, a = x.shape[0], m + 2
        tiles = (-(-P // m), -(-Q // m))
        U = self._wino_filters(g, m)
        per_item = a * a * (2 * C + K) * tiles[0] * tiles[1] * x.itemsize
        chunks = self._chunks(N, per_item)
        for n0, n1 in chunks:
            n = n1 - n0
            kept = None
            if keep is not None and len(chunks) == 1:
                kept = self._scratch(keep, (a, a, C) + tiles + (n,), x.dtype, ('wino_tiles', m))
            V = self._wino_tiles(x[..., n0:n1], pad, tiles, m, out=kept)
            M = self._pooled((a, a, K) + tiles + (n,), x.dtype, 'products')
            xp.matmul(U, V, out=M.reshape(a * a, K, -1))
            self._wino_output(M, out[..., n0:n1], alpha, beta, m)
        return kept is not None

    def _wino_output(self, M, out, alpha, beta, m):
        """out (K, P, Q, n) = alpha·(the m×m tiles Aᵀ M A, cropped) + beta·out, from the
        products M (α, α, K, th, tw, n)."""
        _, _, AT = self._matrices(m, M.dtype)
        K, th, tw, n = M.shape[2:]
        y = self._both_sides(AT, M, 'out')                       # (m, m, K, th, tw, n)
        full = self._pooled((K, th, m, tw, m, n), M.dtype, 'full')
        full[...] = y.transpose(2, 3, 0, 4, 1, 5)
        full = full.reshape(K, m * th, m * tw, n)
        self._blend(out, full[:, :out.shape[1], :out.shape[2]], alpha, beta)

    def _wino_fprop(self, layer, I, x, w, o4, alpha, beta, m):
        layer.cache['fprop_input'] = None  # update_conv's im2col may not reuse old columns
        C, K = layer.C, layer.K
        g = w.reshape(C, 3, 3, K).transpose(3, 0, 1, 2)
        kept = self._wino_convolve(x, g, tuple(layer.padding[1:]), o4, alpha, beta, m,
                                   keep=layer)
        layer.cache['wino_input'] = (I, m) if kept else None

    def _wino_bprop(self, layer, w, e4, gi4, alpha, beta, m):
        C, K = layer.C, layer.K
        flipped = w.reshape(C, 3, 3, K)[:, ::-1, ::-1, :].transpose(0, 3, 1, 2)  # (C, K, 3, 3)
        pad = tuple(2 - p for p in layer.padding[1:])
        self._wino_convolve(e4, flipped, pad, gi4, alpha, beta, m)

    def _wino_update(self, layer, I, x, e4, grad, alpha, beta, m):
        """grad (C·9, K) = alpha·dL/dw + beta·grad (reusing fprop's tiles of I if kept)."""
        C, K, N = layer.C, layer.K, layer.N
        a, tiles = m + 2, (-(-layer.P // m), -(-layer.Q // m))
        dU = None
        per_item = a * a * (2 * C + K) * tiles[0] * tiles[1] * x.itemsize
        chunks = self._chunks(N, per_item)
        entry = layer.cache.get('wino_input')
        kept = entry is not None and entry[0] is I and entry[1] == m and len(chunks) == 1
        for n0, n1 in chunks:
            if kept:
                V = self._scratch(layer, (a, a, C) + tiles + (N,), x.dtype,
                                  ('wino_tiles', m)).reshape(a * a, C, -1)
            else:
                V = self._wino_tiles(x[..., n0:n1], tuple(layer.padding[1:]), tiles, m)
            E = self._wino_error_tiles(e4[..., n0:n1], tiles, m)
            part = self.xp.matmul(E, V.transpose(0, 2, 1))       # (α², K, C)
            dU = part if dU is None else dU + part
        self._blend(grad, self._wino_filter_grads(dU, C, K, m), alpha, beta)
