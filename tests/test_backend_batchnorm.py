"""Batch-norm kernels in float32 keep the accuracy of pairwise two-pass sums when
|mean| ≫ std (a (64, 24, 24, 32) input, mean/std = 300)."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend

C, H, W, N, EPS = 64, 24, 24, 32, 1e-3


@pytest.fixture(scope='module')
def data():
    rng = np.random.RandomState(0)
    # float32 inputs (their rounding is not the kernels' error), references in float64
    x = rng.normal(300, 1, size=(C, H * W * N)).astype(np.float32)
    err = rng.normal(size=x.shape).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, (C, 1)).astype(np.float32)
    beta = rng.normal(size=(C, 1)).astype(np.float32)
    return x, err, gamma, beta


def _reference(x, err, gamma, beta, dtype):
    """The batch-norm equations, two-pass with NumPy's pairwise sums, in `dtype`."""
    x, err, gamma, beta = (a.astype(dtype) for a in (x, err, gamma, beta))
    n = dtype(x.shape[1])
    mean = x.sum(1, keepdims=True) / n
    xc = x - mean
    var = (xc * xc).sum(1, keepdims=True) / n
    inv = 1 / np.sqrt(var + dtype(EPS))
    xhat = xc * inv
    gg, gb = (xhat * err).sum(1, keepdims=True), err.sum(1, keepdims=True)
    dx = gamma * inv * (err - (xhat * gg + gb) / n)
    return dict(var=var, y=gamma * xhat + beta, grad_gamma=gg, grad_beta=gb, dx=dx)


def _kernels(data, in_place=False):
    be = gen_backend('cpu', batch_size=N)
    x, err, gamma, beta = (be.array(a) for a in data)
    xsum, xvar, gmean, gvar, gg, gb = (be.zeros((C, 1)) for _ in range(6))
    y = be.empty(x.shape)
    layer = be.batchnorm_layer((C, H, W))
    be.compound_fprop_bn(x, xsum, xvar, gmean, gvar, gamma, beta, y, EPS, 0.9, layer=layer)
    dx = err if in_place else be.empty(x.shape)
    be.compound_bprop_bn(dx, gg, gb, err, x, xsum, xvar, gamma, EPS, layer=layer)
    return dict(var=xvar.get(), y=y.get(), grad_gamma=gg.get(), grad_beta=gb.get(),
                dx=dx.get())


def _error(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


def test_float32_batchnorm_is_as_accurate_as_pairwise_sums(data):
    exact = _reference(*data, dtype=np.float64)
    pairwise = _reference(*data, dtype=np.float32)
    got = _kernels(data)
    for key in exact:
        bound = 2 * _error(pairwise[key], exact[key]) + 1e-9
        assert _error(got[key], exact[key]) <= bound, key


def test_deltas_may_overwrite_the_errors(data):
    separate, in_place = _kernels(data), _kernels(data, in_place=True)
    for key in separate:
        np.testing.assert_allclose(in_place[key], separate[key], rtol=1e-6, atol=1e-7)
