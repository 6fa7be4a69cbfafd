"""Tensors, op-trees, reductions and GEMM helpers against NumPy, on every backend."""
import numpy as np
import pytest

from neon_compat import NervanaObject
from neon_compat.backends import gen_backend, cleanup_backend
from neon_compat.backends.optree import OpTreeNode


def rand(*shape, seed=0):
    return np.random.RandomState(seed).uniform(0.1, 2.0, size=shape)


def test_gen_backend_sets_global_backend_and_attributes(backend_name):
    be = gen_backend(backend_name, rng_seed=3, batch_size=16, datatype=np.float32)
    assert NervanaObject.be is be
    assert be.bsz == 16 and be.rng_seed == 3 and be.default_dtype == np.float32
    assert be.deterministic is True
    cleanup_backend()
    assert NervanaObject.be is None


def test_gen_backend_defaults_and_errors():
    be = gen_backend()
    assert be.bsz == 0 and be.backend_name == 'cpu'
    with pytest.raises(ValueError, match='backend must be one of'):
        gen_backend('tpu')
    with pytest.raises(ValueError, match='not supported'):
        gen_backend('cpu', datatype=np.int32)
    with pytest.raises(ValueError, match='compat_mode'):
        gen_backend('cpu', compat_mode='torch')
    cleanup_backend()


def test_mkl_runs_on_the_numpy_backend():
    be = gen_backend('mkl', batch_size=2)
    assert be.backend_name == 'mkl' and be.xp is np
    cleanup_backend()


def test_gpu_without_device_gives_one_clear_error():
    from neon_compat.backends import cuda
    if cuda.device_available():
        pytest.skip('a CUDA device is present')
    with pytest.raises(RuntimeError) as err:
        gen_backend('gpu')
    assert '-b cpu' in str(err.value) and 'not available' in str(err.value)


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_creation_helpers(backend_name, dtype):
    be = gen_backend(backend_name, batch_size=4, datatype=dtype)
    assert be.zeros((2, 3)).dtype == dtype
    assert (be.ones((2, 3)).get() == 1).all()
    a = be.array(np.arange(6).reshape(2, 3))
    assert a.dtype == dtype and a.get().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert be.array(np.arange(3)).shape == (3, 1)
    assert be.array(np.arange(3), dtype=np.int32).dtype == np.int32
    assert be.zeros_like(a).shape == (2, 3) and be.empty_like(a).dtype == dtype
    assert be.iobuf(5).shape == (5, 4)
    assert be.iobuf((5, 3)).shape == (5, 12)
    assert be.iobuf((2, 3, 4)).shape == (24, 4)
    shared = be.zeros((100, 4))
    view = be.iobuf((5, 3), shared=shared)
    view[:] = 7
    assert shared.get().reshape(-1)[:60].tolist() == [7] * 60
    assert be.iobuf(3, x=a) is a
    cleanup_backend()


def test_tensor_get_set_and_truthiness(backend_default):
    be = backend_default
    t = be.zeros((3, 4))
    host = t.get()
    host[0, 0] = 5
    assert t.get()[0, 0] == 0, 'get() must return a copy'
    t.set(np.arange(12).reshape(3, 4))
    assert t.get()[2, 3] == 11
    t.set(np.arange(12))  # same size, 1-D: reshaped
    assert t.get()[1, 0] == 4
    with pytest.raises(ValueError, match='12 != 5'):
        t.set(np.arange(5))
    t[:] = 2.5
    assert (t.get() == 2.5).all()
    t[:] = np.float32(1.5)  # NumPy scalars are accepted (neon refused them)
    assert (t.get() == 1.5).all()
    assert len(t) == 3 and bool(t) is True
    assert bool(be.zeros((0, 4))) is False
    assert t.fill(3).get()[0, 0] == 3


def test_indexing_views_and_axis_dropping(backend_default):
    be = backend_default
    host = np.arange(24, dtype=np.float32).reshape(4, 6)
    t = be.array(host)
    assert t[:] is t
    assert t[1].shape == (1, 6) and t[:, 2].shape == (4, 1)
    np.testing.assert_array_equal(t[1:3, ::2].get(), host[1:3, ::2])
    t[1:3, 0:2] = 0
    host[1:3, 0:2] = 0
    np.testing.assert_array_equal(t.get(), host)
    t4 = be.array(np.arange(120).reshape(2, 3, 4, 5))
    assert t4[1].shape == (3, 4, 5)
    v = be.array(np.arange(60).reshape(5, 3, 1, 4))[0]
    assert v.shape == (3, 1, 4), 'only the indexed axis is dropped'
    row = t4[1]
    row[:] = -1
    assert (t4.get()[1] == -1).all(), 'int indexing returns a view'
    with pytest.raises(IndexError):
        t[10]


def test_reshape_transpose_take_share(backend_default):
    be = backend_default
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = be.array(host)
    r = t.reshape(4, 3)
    assert r.base is t and t.reshape((3, 4)) is t
    r[0, 0] = 100
    assert t.get()[0, 0] == 100
    host[0, 0] = 100
    np.testing.assert_array_equal(t.T.get(), host.T)
    np.testing.assert_array_equal(t.dimension_reorder([1, 0]).get(), host.reshape(4, 3))
    np.testing.assert_array_equal(t.take([2, 0], axis=0).get(), host[[2, 0]])
    s = t.share((2, 2))
    assert s.get().tolist() == [[100, 1], [2, 3]]
    with pytest.raises(ValueError, match='cannot reshape'):
        t.reshape(5, 5)


BINARY = [('add', np.add), ('subtract', np.subtract), ('multiply', np.multiply),
          ('divide', np.divide), ('power', np.power), ('maximum', np.maximum),
          ('minimum', np.minimum), ('equal', np.equal), ('not_equal', np.not_equal),
          ('less', np.less), ('less_equal', np.less_equal), ('greater', np.greater),
          ('greater_equal', np.greater_equal)]
UNARY = [('negative', np.negative), ('absolute', np.abs), ('sgn', np.sign), ('sqrt', np.sqrt),
         ('square', np.square), ('exp', np.exp), ('log', np.log), ('exp2', np.exp2),
         ('log2', np.log2), ('tanh', np.tanh), ('rint', np.rint),
         ('reciprocal', lambda x: 1.0 / x),
         ('sig', lambda x: 1 / (1 + np.exp(-x))), ('sig2', lambda x: 1 / (1 + 2 ** -x)),
         ('tanh2', lambda x: (2 ** (2 * x) - 1) / (2 ** (2 * x) + 1)),
         ('safelog', lambda x: np.log(np.maximum(x, np.exp(-50.)))),
         ('finite', np.isfinite)]


@pytest.mark.parametrize('name,ref', BINARY)
def test_binary_ops_match_numpy(backend64, name, ref):
    be = backend64
    a, b = rand(3, 4, seed=1), rand(3, 4, seed=2)
    out = be.empty((3, 4))
    getattr(be, name)(be.array(a), be.array(b), out=out)
    np.testing.assert_allclose(out.get(), ref(a, b), rtol=1e-12)
    # broadcasting a column and a scalar
    getattr(be, name)(be.array(a), be.array(b[:, :1]), out=out)
    np.testing.assert_allclose(out.get(), ref(a, b[:, :1]), rtol=1e-12)
    out[:] = getattr(be, name)(be.array(a), 1.5)
    np.testing.assert_allclose(out.get(), ref(a, 1.5), rtol=1e-12)


@pytest.mark.parametrize('name,ref', UNARY)
def test_unary_ops_match_numpy(backend64, name, ref):
    be = backend64
    a = rand(3, 4, seed=3) - 0.5
    if name in ('sqrt', 'log', 'log2'):
        a = np.abs(a) + 0.1
    out = be.empty((3, 4))
    getattr(be, name)(be.array(a), out=out)
    np.testing.assert_allclose(out.get(), ref(a), rtol=1e-12)


def test_operators_build_lazy_trees(backend64):
    be = backend64
    a, b = rand(3, 4, seed=4), rand(3, 4, seed=5)
    ta, tb = be.array(a), be.array(b)
    tree = (ta + tb) * 2 - ta / tb + (-ta) ** 2 + abs(tb - 5)
    assert isinstance(tree, OpTreeNode) and tree.shape == (3, 4)
    before = ta.get()
    np.testing.assert_array_equal(before, a), 'nothing runs before assignment'
    out = be.empty((3, 4))
    out[:] = tree
    np.testing.assert_allclose(out.get(), (a + b) * 2 - a / b + a ** 2 + np.abs(b - 5))
    np.testing.assert_allclose(tree.asnumpyarray(), out.get())
    mask = (ta > 1) + (ta < 0.5)
    np.testing.assert_array_equal(mask.asnumpyarray(), (a > 1) * 1.0 + (a < 0.5) * 1.0)
    # in-place update of an operand, as optimizers do
    ta[:] = ta * 0.5 + tb
    np.testing.assert_allclose(ta.get(), a * 0.5 + b)
    out[:] = 1.5 - ta
    np.testing.assert_allclose(out.get(), 1.5 - (a * 0.5 + b))
    with pytest.raises(TypeError):
        ta + 'x'


def test_reductions_keep_dims(backend64):
    be = backend64
    a = rand(4, 5, seed=6)
    ta = be.array(a)
    for name, ref in [('sum', np.sum), ('max', np.max), ('min', np.min)]:
        for axis in (0, 1):
            got = getattr(be, name)(ta, axis=axis).asnumpyarray()
            np.testing.assert_allclose(got, ref(a, axis=axis, keepdims=True))
        assert getattr(be, name)(ta).asnumpyarray().shape == (1, 1)
        np.testing.assert_allclose(getattr(be, name)(ta).asnumpyarray()[0, 0], ref(a))
    np.testing.assert_allclose(be.mean(ta, axis=1).asnumpyarray(), a.mean(1, keepdims=True))
    np.testing.assert_allclose(be.var(ta, axis=0).asnumpyarray(), a.var(0, keepdims=True))
    np.testing.assert_allclose(be.std(ta, axis=0).asnumpyarray(), a.std(0, keepdims=True))
    np.testing.assert_allclose(be.mean(ta).asnumpyarray()[0, 0], a.mean())
    a[1, 2] = a[3, 2] = 10.0  # ties: first occurrence
    ta = be.array(a)
    np.testing.assert_array_equal(be.argmax(ta, axis=0).asnumpyarray(),
                                  a.argmax(0)[None, :])
    np.testing.assert_array_equal(be.argmin(ta, axis=1).asnumpyarray(), a.argmin(1)[:, None])
    # reductions inside a larger tree
    out = be.empty((4, 5))
    out[:] = ta - be.max(ta, axis=0)
    np.testing.assert_allclose(out.get(), a - a.max(0, keepdims=True))


def test_dot_clip_onehot(backend64):
    be = backend64
    a, b = rand(3, 4, seed=7), rand(4, 2, seed=8)
    out = be.empty((3, 2))
    be.dot(be.array(a), be.array(b), out=out)
    np.testing.assert_allclose(out.get(), a @ b)
    np.testing.assert_allclose(be.dot(be.array(a).T, be.array(a)).asnumpyarray(), a.T @ a)
    clipped = be.clip(be.array(a), 0.5, 1.0).asnumpyarray()
    np.testing.assert_allclose(clipped, np.clip(a, 0.5, 1.0))
    idx = be.array(np.array([[2, 0, 1]]), dtype=np.int32)
    oh = be.empty((4, 3))
    be.onehot(idx, axis=0, out=oh)
    np.testing.assert_array_equal(oh.get(), np.eye(4)[[2, 0, 1]].T)
    oh1 = be.empty((3, 4))
    be.onehot(idx, axis=1, out=oh1)
    np.testing.assert_array_equal(oh1.get(), np.eye(4)[[2, 0, 1]])


@pytest.mark.parametrize('alpha,beta,relu', [(1.0, 0.0, False), (2.0, 0.0, False),
                                             (0.5, 1.5, False), (1.0, 0.0, True),
                                             (-1.0, 0.5, True)])
def test_compound_dot(backend64, alpha, beta, relu):
    be = backend64
    a, b, c = rand(3, 4, seed=9) - 1, rand(4, 5, seed=10), rand(3, 5, seed=11)
    C = be.array(c)
    be.compound_dot(be.array(a), be.array(b), C, alpha=alpha, beta=beta, relu=relu)
    expect = alpha * (a @ b)
    if relu:
        expect = np.maximum(expect, 0)
    expect = expect + beta * c
    np.testing.assert_allclose(C.get(), expect, rtol=1e-12)
    # transposed operands and a bsum
    bsum = be.empty((5, 1))
    C2 = be.empty((5, 3))
    be.compound_dot(be.array(b).T, be.array(a).T, C2, bsum=bsum)
    np.testing.assert_allclose(C2.get(), (a @ b).T)
    np.testing.assert_allclose(bsum.get(), (a @ b).T.sum(1, keepdims=True))
    with pytest.raises(ValueError, match='do not fit'):
        be.compound_dot(be.array(a), be.array(a), C)


def test_batched_dot(backend64):
    be = backend64
    A, B = rand(5, 3, seed=12), rand(4, 3, 2, seed=13)
    C = be.empty((4, 5, 2))
    be.batched_dot(be.array(A), be.array(B), C)
    np.testing.assert_allclose(C.get(), np.einsum('kc,xcn->xkn', A, B))
    E, X = rand(4, 5, 2, seed=14), rand(4, 3, 2, seed=15)
    G = be.empty((5, 3))
    be.batched_dot(be.array(E), be.array(X).T, G)
    np.testing.assert_allclose(G.get(), np.einsum('xkn,xcn->kc', E, X))


def test_rng_state_api(backend_name, backend_default):
    be = backend_default
    m1, m2 = be.iobuf(6), be.iobuf(6)
    state = be.rng_get_state()
    be.make_binary_mask(m1, 0.5)
    be.rng_set_state(state)
    be.make_binary_mask(m2, 0.5)
    np.testing.assert_array_equal(m1.get(), m2.get())
    assert set(np.unique(m1.get())) <= {0.0, 1.0}
    be.rng_reset()
    be.make_binary_mask(m2, 0.5)
    fresh = gen_backend(backend_name, rng_seed=0, batch_size=8)
    m3 = fresh.iobuf(6)
    fresh.make_binary_mask(m3, 0.5)
    np.testing.assert_array_equal(m2.get(), m3.get())


def test_output_dim(backend_default):
    be = backend_default
    assert be.output_dim(32, 3, 1, 1) == 32
    assert be.output_dim(32, 3, 0, 2) == 15
    assert be.output_dim(32, 3, 0, 1, dilation=2) == 28
    with pytest.raises(ValueError):
        be.output_dim(8, 2, 2, 2, pooling=True)
