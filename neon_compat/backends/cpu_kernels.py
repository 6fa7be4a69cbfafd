"""Compiled loops (numba) for the cpu backend's passes that NumPy can only do tap by
tap or in several passes: im2col and col2im of convolutions, max pooling and its
gradient, Rectlin's backward step, batch norm and the momentum update.

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
