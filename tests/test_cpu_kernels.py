"""The cpu backend's compiled loops (backends/cpu_kernels.py) against the shared NumPy
code they replace: convolutions (im2col, col2im, the Winograd tile transforms) and
max pooling over paddings, strides, dilations, batch chunks and alpha/beta blends;
NaN and -inf; and that the cpu backend really runs them. The layer tests
(test_layers_conv.py, test_winograd.py) check both paths against direct references:
the compiled ones on cpu, the shared ones on gpu. numba is a dependency (setup.py), so
these fail rather than skip where it does not import."""
import numpy as np
import pytest

from neon_compat.backends import cpu_kernels, gen_backend, cleanup_backend

N = 6


@pytest.fixture(params=[np.float32, np.float64], ids=['f32', 'f64'])
def be(request):
    backend = gen_backend('cpu', batch_size=N, datatype=request.param, rng_seed=0)
    yield backend
    cleanup_backend()


def both_paths(be, run):
    """run() with the compiled loops and with the shared code: (compiled, shared)."""
    results = []
    for compiled in (True, False):
        be.compiled_kernels = compiled
        results.append(run())
    return results


def assert_same(be, compiled, shared):
    tol = 1e-12 if be.default_dtype == np.float64 else 1e-5
    for got, want in zip(compiled, shared):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


CONV_CASES = [  # C, H, K, R, pad, stride, dilation
    (3, 7, 4, 3, 1, 1, 1),
    (2, 9, 3, 5, 0, 1, 1),
    (3, 8, 2, 3, 2, 2, 1),
    (2, 9, 3, 3, 1, 1, 2),
    (1, 10, 2, 4, 3, 3, 2),
]


@pytest.mark.parametrize('case', CONV_CASES, ids=[str(c) for c in CONV_CASES])
@pytest.mark.parametrize('alpha,beta', [(1.0, 0.0), (0.5, 0.3), (2.0, 1.0)])
@pytest.mark.parametrize('chunked', [False, True], ids=['whole', 'chunks'])
def test_convolution_passes_match_the_shared_code(be, case, alpha, beta, chunked):
    C, H, K, R, pad, stride, dil = case
    layer = be.conv_layer(be.default_dtype, N, C, K, H=H, W=H, R=R, S=R, pad_h=pad,
                          pad_w=pad, str_h=stride, str_w=stride, dil_h=dil, dil_w=dil)
    be.conv_algorithm = 'im2col'
    if chunked:  # two batch items per im2col buffer: strided (C, H, W, 2) slices
        be.im2col_bytes = 2 * C * R * R * layer.P * layer.Q * np.dtype(be.default_dtype).itemsize
    rng = np.random.RandomState(sum(case))
    x = rng.normal(size=(C * H * H, N))
    w = rng.normal(size=(C * R * R, K))
    e = rng.normal(size=(K * layer.P * layer.Q, N))
    start_o = rng.normal(size=e.shape)
    start_gi, start_gw = rng.normal(size=x.shape), rng.normal(size=w.shape)

    def run():
        layer.cache.clear()
        I, F, E = be.array(x), be.array(w), be.array(e)
        O, GI, GF = be.array(start_o), be.array(start_gi), be.array(start_gw)
        be.fprop_conv(layer, I, F, O, alpha=alpha, beta=beta)
        be.bprop_conv(layer, F, E, GI, alpha=alpha, beta=beta)
        be.update_conv(layer, I, E, GF, alpha=alpha, beta=beta)
        return O.get(), GI.get(), GF.get()
    assert_same(be, *both_paths(be, run))


WINOGRAD_CASES = [  # C, H, W, K, pad_h, pad_w (3×3, stride 1)
    (3, 7, 7, 4, 1, 1),
    (2, 8, 5, 3, 0, 0),
    (2, 6, 9, 3, 2, 2),
    (2, 7, 6, 3, 2, 0),
]


@pytest.mark.parametrize('m', [2, 4])
@pytest.mark.parametrize('case', WINOGRAD_CASES, ids=[str(c) for c in WINOGRAD_CASES])
@pytest.mark.parametrize('alpha,beta', [(1.0, 0.0), (0.5, 0.3)])
@pytest.mark.parametrize('chunked', [False, True], ids=['whole', 'chunks'])
def test_winograd_passes_match_the_shared_code(be, m, case, alpha, beta, chunked):
    """The compiled tile transforms (input, error and output tiles) against the shared
    NumPy ones, through fprop, bprop and update of Winograd F(m×m, 3×3)."""
    C, H, W, K, pad_h, pad_w = case
    layer = be.conv_layer(be.default_dtype, N, C, K, H=H, W=W, R=3, S=3, pad_h=pad_h,
                          pad_w=pad_w)
    be.conv_algorithm = 'winograd{}'.format(m)
    if chunked:  # two batch items per chunk: strided (C, H, W, 2) slices
        tiles = -(-layer.P // m) * -(-layer.Q // m)
        be.im2col_bytes = 2 * (m + 2) ** 2 * (2 * C + K) * tiles * \
            np.dtype(be.default_dtype).itemsize
    rng = np.random.RandomState(sum(case) + m)
    x = rng.normal(size=(C * H * W, N))
    w = rng.normal(size=(C * 9, K))
    e = rng.normal(size=(K * layer.P * layer.Q, N))
    start_o = rng.normal(size=e.shape)
    start_gi, start_gw = rng.normal(size=x.shape), rng.normal(size=w.shape)

    def run():
        layer.cache.clear()
        I, F, E = be.array(x), be.array(w), be.array(e)
        O, GI, GF = be.array(start_o), be.array(start_gi), be.array(start_gw)
        be.fprop_conv(layer, I, F, O, alpha=alpha, beta=beta)
        be.bprop_conv(layer, F, E, GI, alpha=alpha, beta=beta)
        be.update_conv(layer, I, E, GF, alpha=alpha, beta=beta)
        return O.get(), GI.get(), GF.get()
    # the transforms add in another order: float32 F(4×4) differs by its rounding
    tol = 1e-12 if be.default_dtype == np.float64 else (2e-6 if m == 2 else 2e-5)
    for got, want in zip(*both_paths(be, run)):
        assert np.abs(got - want).max() <= tol * np.abs(want).max()


POOL_CASES = [  # C, H, R, pad, stride
    (3, 8, 2, 0, 2),
    (2, 9, 3, 1, 2),
    (2, 7, 3, 0, 1),
    (3, 6, 3, 2, 3),
    (1, 7, 2, 1, 1),
]


@pytest.mark.parametrize('case', POOL_CASES, ids=[str(c) for c in POOL_CASES])
@pytest.mark.parametrize('alpha,beta', [(1.0, 0.0), (0.5, 0.3), (1.0, 1.0)])
def test_max_pooling_matches_the_shared_code(be, case, alpha, beta):
    C, H, R, pad, stride = case
    layer = be.pool_layer(be.default_dtype, 'max', N, C, H=H, W=H, R=R, S=R, pad_h=pad,
                          pad_w=pad, str_h=stride, str_w=stride)
    rng = np.random.RandomState(sum(case))
    # few distinct values: many ties, where the first maximum must win
    x = rng.randint(-3, 3, size=(C * H * H, N)).astype(float)
    e = rng.normal(size=(C * layer.P * layer.Q, N))
    start_o, start_g = rng.normal(size=e.shape), rng.normal(size=x.shape)

    def run():
        layer.cache.clear()
        O, G = be.array(start_o), be.array(start_g)
        be.fprop_pool(layer, be.array(x), O, beta=beta)
        be.bprop_pool(layer, be.array(e), G, alpha=alpha, beta=beta)
        return O.get(), G.get()
    assert_same(be, *both_paths(be, run))


def test_max_pooling_lets_nan_through_and_keeps_inf(be):
    C, H = 1, 4
    layer = be.pool_layer(be.default_dtype, 'max', N, C, H=H, W=H, R=2, S=2, str_h=2,
                          str_w=2)
    x = np.zeros((C, H, H, N))
    x[0, 0, 1, 0] = np.nan          # after the first tap
    x[0, 2, 2, 1] = np.nan          # at the first tap
    x[0, 2:, :2, 2] = -np.inf       # a whole window of -inf
    x[0, :2, 2:, 3] = np.inf

    def run():
        O = be.zeros((C * 4, N))
        be.fprop_pool(layer, be.array(x.reshape(-1, N)), O)
        return (O.get().reshape(C, 2, 2, N),)
    compiled, = both_paths(be, run)[0]
    assert np.isnan(compiled[0, 0, 0, 0]) and np.isnan(compiled[0, 1, 1, 1])
    assert compiled[0, 1, 0, 2] == -np.inf and compiled[0, 0, 1, 3] == np.inf
    assert_same(be, *both_paths(be, run))


@pytest.mark.parametrize('rows', [5, (1 << 20) // N + 1], ids=['small', 'threaded'])
def test_relu_backward_matches_the_shared_code(be, rows):
    rng = np.random.RandomState(0)
    outputs = np.maximum(rng.normal(size=(rows, N)), 0)
    error = rng.normal(size=(rows, N))

    def run():
        out = be.empty((rows, N))
        be.relu_bprop(be.array(outputs), be.array(error), out)
        in_place = be.array(error)
        be.relu_bprop(be.array(outputs), in_place, in_place)
        return out.get(), in_place.get()
    compiled, shared = both_paths(be, run)
    np.testing.assert_array_equal(compiled[0], (error * (outputs > 0)).astype(be.default_dtype))
    assert_same(be, compiled, shared)


def test_the_cpu_backend_runs_the_compiled_loops(be, monkeypatch):
    """A convolution and max pooling layer on cpu go through cpu_kernels."""
    calls = []
    for name in ('im2col', 'col2im', 'max_pool', 'max_pool_grad', 'relu_bprop'):
        kernel = getattr(cpu_kernels, name)
        monkeypatch.setattr(cpu_kernels, name,
                            lambda *args, _k=kernel, _n=name: calls.append(_n) or _k(*args))
    from neon_compat.initializers import Gaussian
    from neon_compat.layers import Conv, Pooling
    from neon_compat.models import Model
    from neon_compat.transforms import Rectlin
    be.conv_algorithm = 'im2col'
    model = Model([Conv((3, 3, 2), init=Gaussian(), activation=Rectlin()),
                   Pooling(2), Conv((3, 3, 2), init=Gaussian())])
    model.initialize((1, 8, 8))
    out = model.fprop(be.array(np.ones((64, N))))
    model.bprop(be.array(np.ones(out.shape)))
    assert set(calls) == {'im2col', 'col2im', 'max_pool', 'max_pool_grad', 'relu_bprop'}


def test_the_cpu_backend_runs_the_compiled_winograd_transforms(be, monkeypatch):
    """A Winograd convolution on cpu takes its input, error and output tiles through
    cpu_kernels (fprop, bprop and update)."""
    calls = []
    for name in ('winograd_tiles', 'winograd_output'):
        kernel = getattr(cpu_kernels, name)
        monkeypatch.setattr(cpu_kernels, name,
                            lambda *args, _k=kernel, _n=name: calls.append(_n) or _k(*args))
    layer = be.conv_layer(be.default_dtype, N, 2, 3, H=6, W=6, R=3, S=3, pad_h=1, pad_w=1)
    be.conv_algorithm = 'winograd4'
    ones = [be.array(np.ones(shape)) for shape in ((2 * 36, N), (18, 3), (3 * 36, N))]
    I, F, E = ones
    be.fprop_conv(layer, I, F, be.empty((3 * 36, N)))
    be.bprop_conv(layer, F, E, be.empty((2 * 36, N)))
    be.update_conv(layer, I, E, be.empty((18, 3)))
    assert calls == ['winograd_tiles', 'winograd_output',   # fprop
                     'winograd_tiles', 'winograd_output',   # bprop
                     'winograd_tiles']                       # update: the error tiles


@pytest.mark.parametrize('inference', [False, True], ids=['train', 'inference'])
@pytest.mark.parametrize('relu', [False, True], ids=['', 'relu'])
@pytest.mark.parametrize('deltas', ['apart', 'in_place', 'none'])
@pytest.mark.parametrize('accumbeta', [0.0, 0.5])
def test_batchnorm_matches_the_shared_code(be, inference, relu, deltas, accumbeta):
    C, n = 3, 40
    rng = np.random.RandomState(1)
    x = rng.normal(5, 2, size=(C, n))
    err = rng.normal(size=(C, n))
    vectors = [rng.uniform(0.5, 1.5, size=(C, 1)) for _ in range(6)]

    def run():
        xsum, xvar, gmean, gvar, gamma, beta = (be.array(v) for v in vectors)
        y = be.array(err)  # accumbeta: y = accumbeta·y + batch norm
        be.compound_fprop_bn(be.array(x), xsum, xvar, gmean, gvar, gamma, beta, y, 1e-3,
                             0.9, relu=relu, inference=inference, accumbeta=accumbeta)
        E = be.array(err)
        D = {'apart': be.empty((C, n)), 'in_place': E, 'none': None}[deltas]
        grad_gamma, grad_beta = be.zeros((C, 1)), be.zeros((C, 1))
        be.compound_bprop_bn(D, grad_gamma, grad_beta, E, be.array(x), xsum, xvar, gamma,
                             1e-3)
        out = [t.get() for t in (y, xsum, xvar, gmean, gvar, grad_gamma, grad_beta)]
        return out + ([] if D is None else [D.get()])
    assert_same(be, *both_paths(be, run))


@pytest.mark.parametrize('wdecay', [0.0, 0.01])
def test_momentum_update_matches_the_shared_code(be, wdecay):
    be.parallel_min_size = be.fused_momentum_min_size = 0  # compiled, two threads
    rng = np.random.RandomState(2)
    start = [rng.normal(size=(7, 5)) for _ in range(3)]

    def run():
        param, grad, velocity = (be.array(a) for a in start)
        be.momentum_update(param, grad, velocity, 0.1, 0.9, wdecay, 0.5)
        return param.get(), velocity.get()
    compiled, shared = both_paths(be, run)
    p, g, v = start
    want_v = 0.9 * v - 0.1 * (0.5 * g + wdecay * p)
    np.testing.assert_allclose(compiled[1], want_v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled[0], p + want_v, rtol=1e-5, atol=1e-6)
    assert_same(be, compiled, shared)


def test_batchnorm_of_a_strided_view_rounds_as_of_a_copy():
    """A float32 view with row gaps goes through the compiled loops as a contiguous
    copy does, to the same bits (the shared code's float32 pairwise sums would change
    the last ones). In float64 the two may differ in the last bit: the float64 sums'
    vector lanes follow the layout."""
    be = gen_backend('cpu', batch_size=N, datatype=np.float32, rng_seed=0)
    C, n = 3, 40
    rng = np.random.RandomState(4)
    wide = rng.normal(5, 2, size=(C, 2 * n))
    vectors = [rng.uniform(0.5, 1.5, size=(C, 1)) for _ in range(6)]

    def run(view):
        xsum, xvar, gmean, gvar, gamma, beta = (be.array(v) for v in vectors)
        x = be.array(wide)[:, :n] if view else be.array(np.ascontiguousarray(wide[:, :n]))
        y = be.empty((C, n))
        be.compound_fprop_bn(x, xsum, xvar, gmean, gvar, gamma, beta, y, 1e-3, 0.9)
        return y.get(), xvar.get()
    try:
        assert not be.array(wide)[:, :n]._tensor.flags.c_contiguous
        for got, want in zip(run(True), run(False)):
            np.testing.assert_array_equal(got, want)
    finally:
        cleanup_backend()
