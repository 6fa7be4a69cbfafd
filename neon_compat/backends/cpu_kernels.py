"""Compiled loops (numba) for the cpu backend's passes that NumPy can only do tap by
tap or in several passes: im2col and col2im of convolutions, the Winograd tile
transforms, max pooling and its gradient, Rectlin's backward step, batch norm and the
momentum update.

Each window kernel walks whole windows per output element in one pass over memory,
with the padding implied by bounds checks instead of a padded copy; sums are added
in the order the shared NumPy code adds them. They work on the channel range
[c0, c1) of (C, H, W, N) arrays (the flat ones on slices) and release the GIL, so
that the backend's `_by_channels` can split them over threads. numba is optional: without it
`AVAILABLE` is False and the backend keeps its NumPy code (the same code the gpu
backend runs over CuPy). Kernels compile on first use, once per dtype and memory
layout, and are cached on disk.
"""
import math

import numpy as np

try:
    import numba
except ImportError:  # the NumPy paths of the Backend remain
    numba = None

AVAILABLE = numba is not None


def _compiled(fn, **options):
    if not AVAILABLE:
        return None
    try:
        return numba.njit(nogil=True, cache=True, **options)(fn)
    except RuntimeError:  # nowhere writable to cache: compile in each process
        return numba.njit(nogil=True, **options)(fn)


def _inline(fn):
    """A compiled helper that the kernels inline."""
    return numba.njit(inline='always')(fn) if AVAILABLE else None


def _reduction(fn):
    """A compiled sum whose additions may be reordered (into vector lanes); the
    callers accumulate in float64."""
    return _compiled(fn, fastmath={'reassoc'})


@_compiled
def im2col(x, cols, c0, c1, ph, pw, sh, sw, dh, dw):
    """cols[c, r, s, p, q, n] = x[c, p·sh + r·dh − ph, q·sw + s·dw − pw, n], 0 outside x;
    x (C, H, W, N), cols (C, R, S, P, Q, N)."""
    _, R, S, P, Q, N = cols.shape
    H, W = x.shape[1], x.shape[2]
    for c in range(c0, c1):
        for r in range(R):
            for s in range(S):
                for p in range(P):
                    h = p * sh + r * dh - ph
                    for q in range(Q):
                        w = q * sw + s * dw - pw
                        if 0 <= h < H and 0 <= w < W:
                            for n in range(N):
                                cols[c, r, s, p, q, n] = x[c, h, w, n]
                        else:
                            for n in range(N):
                                cols[c, r, s, p, q, n] = 0


@_inline
def _blend_plane(out, c, plane, alpha, beta):
    """out[c] = alpha·plane + beta·out[c], rounded as the shared code's _blend does
    (the sum first, then beta·out plus alpha·sum)."""
    H, W, N = plane.shape
    for h in range(H):
        for w in range(W):
            for n in range(N):
                v = plane[h, w, n] if alpha == 1 else alpha * plane[h, w, n]
                out[c, h, w, n] = v if beta == 0 else out[c, h, w, n] * beta + v


@_inline
def _add_columns(dcols, c, target, ph, pw, sh, sw, dh, dw):
    """target (H, W, N) += channel c of the columns, each element's taps in (r, s)
    order, as the shared code's passes add them."""
    _, R, S, P, Q, N = dcols.shape
    H, W = target.shape[0], target.shape[1]
    for r in range(R):
        for p in range(P):
            h = p * sh + r * dh - ph
            if h < 0 or h >= H:
                continue
            for s in range(S):
                for q in range(Q):
                    w = q * sw + s * dw - pw
                    if 0 <= w < W:
                        for n in range(N):
                            target[h, w, n] += dcols[c, r, s, p, q, n]


@_compiled
def col2im(dcols, out, c0, c1, ph, pw, sh, sw, dh, dw, alpha, beta):
    """out = alpha·(the columns summed back onto the image) + beta·out: the adjoint of
    im2col; dcols (C, R, S, P, Q, N), out (C, H, W, N). The sums go straight into out
    when alpha = 1 and beta = 0, else into a scratch plane blended after (the shared
    code's rounding either way)."""
    direct = alpha == 1 and beta == 0
    plane = np.empty((1, 1, 1) if direct else out.shape[1:], dtype=out.dtype)
    for c in range(c0, c1):
        if direct:
            out[c] = 0
            _add_columns(dcols, c, out[c], ph, pw, sh, sw, dh, dw)
        else:
            plane[...] = 0
            _add_columns(dcols, c, plane, ph, pw, sh, sw, dh, dw)
            _blend_plane(out, c, plane, alpha, beta)


@_compiled
def max_pool(x, res, idx, c0, c1, R, S, ph, pw, sh, sw):
    """res[c, p, q, n] = the maximum of the R×S window at (p·sh − ph, q·sw − pw), and
    idx its tap r·S + s (the first one among equals); taps outside x count as −inf.
    A NaN in a window makes its maximum NaN.
    x (C, H, W, N), res and idx (C, P, Q, N)."""
    _, P, Q, N = res.shape
    H, W = x.shape[1], x.shape[2]
    for c in range(c0, c1):
        for p in range(P):
            for q in range(Q):
                for r in range(R):
                    h = p * sh + r - ph
                    for s in range(S):
                        w = q * sw + s - pw
                        t = r * S + s
                        if 0 <= h < H and 0 <= w < W:
                            for n in range(N):
                                v = x[c, h, w, n]
                                # a NaN wins, as NumPy's maximum lets it through
                                if t == 0 or v > res[c, p, q, n] or v != v:
                                    res[c, p, q, n] = v
                                    idx[c, p, q, n] = t
                        elif t == 0:
                            for n in range(N):
                                res[c, p, q, n] = -math.inf
                                idx[c, p, q, n] = 0


@_inline
def _add_routed(err, idx, c, target, R, S, ph, pw, sh, sw):
    """target (H, W, N) += channel c's errors at their windows' recorded taps, tap by
    tap, as the shared code adds them (overlapping windows round alike)."""
    _, P, Q, N = err.shape
    H, W = target.shape[0], target.shape[1]
    zero = target.dtype.type(0)
    for r in range(R):
        for s in range(S):
            t = r * S + s
            for p in range(P):
                h = p * sh + r - ph
                if h < 0 or h >= H:
                    continue
                for q in range(Q):
                    w = q * sw + s - pw
                    if 0 <= w < W:
                        for n in range(N):  # a select, which vectorizes
                            target[h, w, n] += err[c, p, q, n] \
                                if idx[c, p, q, n] == t else zero


@_compiled
def max_pool_grad(err, idx, grad, c0, c1, R, S, ph, pw, sh, sw, alpha, beta):
    """grad = alpha·(each error added at its window's recorded tap) + beta·grad;
    err and idx (C, P, Q, N), grad (C, H, W, N); taps in the padding are dropped.
    Straight into grad when alpha = 1 and beta = 0, else through a blended plane."""
    direct = alpha == 1 and beta == 0
    plane = np.empty((1, 1, 1) if direct else grad.shape[1:], dtype=grad.dtype)
    for c in range(c0, c1):
        if direct:
            grad[c] = 0
            _add_routed(err, idx, c, grad[c], R, S, ph, pw, sh, sw)
        else:
            plane[...] = 0
            _add_routed(err, idx, c, plane, R, S, ph, pw, sh, sw)
            _blend_plane(grad, c, plane, alpha, beta)


@_compiled
def relu_bprop(outputs, error, out):
    """out = error·(outputs > 0), one pass over flat arrays of one size (out may be
    error)."""
    for i in range(out.size):
        out[i] = error[i] * (outputs[i] > 0)


@_reduction
def _row_mean_var(x, c):
    """Mean and population variance of row c of x, two passes, float64 sums."""
    n = x.shape[1]
    total = 0.0
    for i in range(n):
        total += x[c, i]
    mean = total / n
    squares = 0.0
    for i in range(n):
        d = x[c, i] - mean
        squares += d * d
    return mean, squares / n


@_reduction
def _row_sums(x, err, mean, c):
    """Σ err and Σ (x − mean)·err over row c, float64 sums."""
    total = 0.0
    products = 0.0
    for i in range(x.shape[1]):
        e = err[c, i]
        total += e
        products += (x[c, i] - mean) * e
    return total, products


@_compiled
def bn_fprop(x, out, gamma, beta, mean, var, gmean, gvar, eps, rho, inference, relu,
             accumbeta, c0, c1):
    """Batch norm of the rows [c0, c1) of x (C, n) into out: y = gamma·(x − mean)/
    sqrt(var + eps) + beta (then max(y, 0) with relu), out = y, or out·accumbeta + y
    when accumbeta != 0. Training: batch mean and variance into mean/var, and
    gmean/gvar = rho·g + (1 − rho)·batch; inference: gmean/gvar. The per-row vectors
    are 1-D."""
    n = x.shape[1]
    cast = out.dtype.type
    for c in range(c0, c1):
        if inference:
            m, v = gmean[c], gvar[c]
        else:
            m, v = _row_mean_var(x, c)
            mean[c], var[c] = m, v
            gmean[c] = gmean[c] * rho + (1.0 - rho) * m
            gvar[c] = gvar[c] * rho + (1.0 - rho) * v
        scale = gamma[c] / np.sqrt(v + eps)
        shift = beta[c]
        for i in range(n):
            y = (x[c, i] - m) * scale + shift
            if relu and y < 0:  # a NaN stays NaN
                y = 0
            if accumbeta == 0:
                out[c, i] = y
            else:  # y rounded to out's type first, as the shared code's add sees it
                out[c, i] = out[c, i] * accumbeta + cast(y)


@_compiled
def bn_bprop(x, err, delta, gamma, mean, var, grad_gamma, grad_beta, eps, with_delta, c0,
             c1):
    """Batch-norm gradients of rows [c0, c1): grad_beta = Σ err, grad_gamma =
    inv_std·Σ (x − mean)·err, and (with_delta) delta = a·err + b·(x − mean) + c per row,
    a = gamma·inv_std, b = −a·inv_std·grad_gamma/n, c = −a·grad_beta/n; delta may be
    err itself."""
    n = x.shape[1]
    for c in range(c0, c1):
        m = mean[c]
        inv_std = 1.0 / np.sqrt(var[c] + eps)
        g_beta, products = _row_sums(x, err, m, c)
        g_gamma = inv_std * products
        grad_gamma[c], grad_beta[c] = g_gamma, g_beta
        if with_delta:
            a = gamma[c] * inv_std
            b = -a * inv_std * g_gamma / n
            shift = -a * g_beta / n
            for i in range(n):
                delta[c, i] = a * err[c, i] + b * (x[c, i] - m) + shift


@_compiled
def momentum_step(param, grad, velocity, momentum, grad_step, decay_step):
    """v = momentum·v + grad_step·g + decay_step·W, then W += v, in one pass over flat
    arrays (grad_step = −lr·grad_scale, decay_step = −lr·wdecay)."""
    for i in range(param.size):
        v = velocity[i] * momentum + grad_step * grad[i] + decay_step * param[i]
        velocity[i] = v
        param[i] += v


@_inline
def _combine(dst, src, coef, first):
    """dst = coef·src (first) or dst += coef·src, over 1-D arrays of one length.

    The Winograd kernels below do all their arithmetic here: on 1-D slices that start
    at 0 the loop vectorizes (an offset index, or a short inner loop over N, keeps it
    scalar and was 5–20× slower)."""
    if first:
        for k in range(dst.size):
            dst[k] = coef * src[k]
    else:
        for k in range(dst.size):
            dst[k] += coef * src[k]


@_compiled
def winograd_tiles(x, M, tiles, c0, c1, ph, pw, m):
    """tiles[r·a + s, c, i, j, n] = Σ_u,v M[r, u]·M[s, v]·x[c, m·i + u − ph, m·j + v − pw, n]
    (zero outside x) for channels [c0, c1): the b×b tiles of x at stride m taken to the
    a×a transformed domain, M (a, b). Bᵀ d B (M = Bᵀ, b = a) for fprop and bprop,
    A e Aᵀ (M = A, b = m) for update. x (C, H, W, N), tiles (a², C, th, tw, N).

    Per channel, x is first copied zero-padded with its columns split by phase
    (w mod m): then every tap of a tile row, for all tw tiles at once, is one
    contiguous run of tw·N values."""
    a, b = M.shape
    H, W, N = x.shape[1], x.shape[2], x.shape[3]
    C, th, tw = tiles.shape[1], tiles.shape[2], tiles.shape[3]
    flat = tiles.reshape(tiles.size)
    Q = tw + (b - 1) // m
    row = m * Q * N
    L = tw * N
    split = np.empty((m * (th - 1) + b) * row, dtype=tiles.dtype)
    cols = np.empty(a * row, dtype=tiles.dtype)  # the column pass of one tile row
    for c in range(c0, c1):
        for hh in range(m * (th - 1) + b):
            h = hh - ph
            for p in range(m):
                for q in range(Q):
                    w = m * q + p - pw
                    o = hh * row + (p * Q + q) * N
                    dst = split[o:o + N]
                    if 0 <= h < H and 0 <= w < W:
                        src = x[c, h, w]
                        for n in range(N):
                            dst[n] = src[n]
                    else:
                        dst[:] = 0
        for i in range(th):
            for r in range(a):
                dst = cols[r * row:(r + 1) * row]
                first = True
                for u in range(b):
                    if M[r, u] != 0:
                        o = (m * i + u) * row
                        _combine(dst, split[o:o + row], M[r, u], first)
                        first = False
                if first:
                    dst[:] = 0
            for r in range(a):
                for s in range(a):
                    o = (((r * a + s) * C + c) * th + i) * L
                    dst = flat[o:o + L]
                    first = True
                    for v in range(b):
                        if M[s, v] != 0:
                            o = r * row + ((v % m) * Q + v // m) * N
                            _combine(dst, cols[o:o + L], M[s, v], first)
                            first = False
                    if first:
                        dst[:] = 0


@_compiled
def winograd_output(products, AT, out, c0, c1, alpha, beta):
    """out[k, m·i + r, m·j + s, n] = alpha·Σ_u,v AT[r, u]·AT[s, v]·products[u·a + v, k, i,
    j, n] + beta·out, within out's P×Q, for channels [c0, c1): the m×m output tiles
    Aᵀ M A. products (a², K, th, tw, N), AT (m, a), out (K, P, Q, N)."""
    m, a = AT.shape
    K, th, tw = products.shape[1], products.shape[2], products.shape[3]
    P, Q, N = out.shape[1], out.shape[2], out.shape[3]
    flat = products.reshape(products.size)
    L = tw * N
    cols = np.empty(m * a * L, dtype=products.dtype)  # rows (r, v) of one tile row
    rows = np.empty(m * L, dtype=products.dtype)      # one output row, columns by phase
    first_tap = np.empty(m, dtype=np.int64)
    for r in range(m):
        first_tap[r] = a
        for u in range(a - 1, -1, -1):
            if AT[r, u] != 0:
                first_tap[r] = u
        if first_tap[r] == a:  # a zero row of AT: its output rows stay 0
            cols[r * a * L:(r + 1) * a * L] = 0
    for k in range(c0, c1):
        for i in range(th):
            # each product row is read once (its a² planes alias in the caches)
            for u in range(a):
                for v in range(a):
                    o = (((u * a + v) * K + k) * th + i) * L
                    src = flat[o:o + L]
                    for r in range(m):
                        if AT[r, u] != 0:
                            _combine(cols[(r * a + v) * L:(r * a + v + 1) * L], src,
                                     AT[r, u], u == first_tap[r])
            for r in range(min(m, P - m * i)):
                for s in range(m):
                    dst = rows[s * L:(s + 1) * L]
                    first = True
                    for v in range(a):
                        if AT[s, v] != 0:
                            o = (r * a + v) * L
                            _combine(dst, cols[o:o + L], AT[s, v], first)
                            first = False
                    if first:
                        dst[:] = 0
                for w in range(min(Q, m * tw)):
                    o = (w % m) * L + (w // m) * N
                    src = rows[o:o + N]
                    dst = out[k, m * i + r, w]
                    for n in range(N):
                        val = src[n] if alpha == 1 else alpha * src[n]
                        dst[n] = val if beta == 0 else dst[n] * beta + val
