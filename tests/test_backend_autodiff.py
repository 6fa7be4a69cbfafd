"""Autodiff of op-trees against central differences of the same expression in NumPy."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.backends.autodiff import Autodiff


def sig(x):
    return 1 / (1 + np.exp(-x))


# (name, function of (module, xs...), input kinds): the same code runs on NumPy arrays
# and on the backend's tensors (be.<op> and np.<op> share these names)
CASES = [
    ('arithmetic', lambda m, a, b, c: (a + b) * c - a / (c * c + 1) + 0.5 * b - 3, 'rrr'),
    ('dot_and_transpose', lambda m, a, b, c: m.dot(a, b.T) + m.dot(a, c.T).T -
     m.dot(c.T.T, b.T), 'rrr'),
    ('reductions', lambda m, a, b, c: m.sum(a, axis=0, keepdims=True) +
     m.max(b, axis=1, keepdims=True) - m.min(c, axis=0, keepdims=True) +
     m.sum(a * b, keepdims=True), 'rrr'),
    ('unary', lambda m, a, b, c: m.exp(a) + m.log(c) + m.sqrt(c) - m.square(b) +
     m.tanh(a) + m.absolute(b) + m.exp2(a) + m.log2(c), 'rrp'),
    ('broadcast', lambda m, a, b, c: a + b * c + m.tanh(b), 'scr'),
    ('maximum_minimum', lambda m, a, b, c: m.maximum(a, b) - m.minimum(b, c), 'rrr'),
    ('power', lambda m, a, b, c: c ** 1.5 + 0.9 ** a + c ** b, 'rrp'),
]
SHAPES = {'r': (3, 4), 'p': (3, 4), 's': (1, 1), 'c': (3, 1)}


def _inputs(kinds, seed):
    rng = np.random.RandomState(seed)
    # spread values apart so that max/min/maximum have no near-ties
    out = []
    for k in kinds:
        x = rng.permutation(np.arange(np.prod(SHAPES[k]))).reshape(SHAPES[k]) * 0.37 - 1.1
        out.append(np.abs(x) + 0.5 if k == 'p' else x + rng.uniform(-0.05, 0.05, x.shape))
    return out


def _numeric(f, xs, weights, eps=1e-6):
    grads = []
    for x in xs:
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            keep = x[i]
            x[i] = keep + eps
            up = np.sum(f(np, *xs) * weights)
            x[i] = keep - eps
            down = np.sum(f(np, *xs) * weights)
            x[i] = keep
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize('name,f,kinds', CASES, ids=[c[0] for c in CASES])
def test_gradients_match_central_differences(name, f, kinds):
    be = gen_backend('cpu', batch_size=2, datatype=np.float64)
    xs = _inputs(kinds, seed=len(name))
    tensors = [be.array(x) for x in xs]
    tree = f(be, *tensors)
    value = be.empty(tree.shape)
    value[:] = tree
    np.testing.assert_allclose(value.get(), f(np, *xs), rtol=1e-12)
    weights = np.random.RandomState(1).normal(size=value.shape)
    ad = Autodiff(tree, be, next_error=be.array(weights))
    for got, want in zip(ad.get_grad_asnumpyarray(tensors), _numeric(f, xs, weights)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_batch_norm_expression_and_the_api():
    be = gen_backend('cpu', batch_size=2, datatype=np.float64)
    rng = np.random.RandomState(3)
    x, gamma, beta = rng.normal(size=(4, 16)), rng.normal(size=(4, 1)), rng.normal(size=(4, 1))

    def bn(m, x, gamma, beta):
        return (x - m.mean(x, axis=1, keepdims=True)) / m.sqrt(
            m.var(x, axis=1, keepdims=True) + 1e-6) * gamma + beta

    tensors = [be.array(v) for v in (x, gamma, beta)]
    weights = rng.normal(size=x.shape)
    ad = Autodiff(bn(be, *tensors), be, next_error=be.array(weights))
    numeric = _numeric(bn, [x, gamma, beta], weights)
    for got, want in zip(ad.get_grad_asnumpyarray(tensors), numeric):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # the other ways to get them, and a tensor the expression does not use
    unused = be.zeros((2, 2))
    as_tensors = ad.get_grad_tensor(tensors + [unused])
    np.testing.assert_allclose(as_tensors[1].get(), numeric[1], rtol=1e-5)
    assert (as_tensors[3].get() == 0).all()
    outs = [be.zeros(t.shape) for t in tensors]
    ad.back_prop_grad(tensors, outs)
    np.testing.assert_allclose(outs[0].get(), numeric[0], rtol=1e-5, atol=1e-7)
    ad.cleanup()
    np.testing.assert_allclose(ad.get_grad_asnumpyarray([tensors[2]])[0], numeric[2],
                               rtol=1e-5)


def test_by_hand_and_refusals():
    be = gen_backend('cpu', batch_size=2, datatype=np.float64)
    x0, x1, x2, x3 = (be.array(np.full((2, 2), v)) for v in (1.0, 2.0, 3.0, 5.0))
    f = x0 * x0 - x1 * x0 + x0 * x2 - x2 * x1 * x0 + x3 * x3 * x3
    grads = Autodiff(f, be).get_grad_asnumpyarray([x0, x1, x2, x3])
    # d/dx0 = 2x0 − x1 + x2 − x2·x1 = −3; d/dx1 = −x0 − x2·x0 = −4; d/dx2 = x0 − x1·x0 = −1;
    # d/dx3 = 3·x3² = 75
    assert [float(g[0, 0]) for g in grads] == [-3.0, -4.0, -1.0, 75.0]
    # a view's gradient is its own tensor's, reshaped or transposed, either way asked for
    base = be.array(np.arange(4.0).reshape(2, 2))
    flat = base.reshape((1, 4))
    ad = Autodiff(be.sum(flat * flat) + be.sum(base.T * 3.0), be)
    got_flat, got_base = ad.get_grad_asnumpyarray([flat, base])
    np.testing.assert_allclose(got_base, 2 * np.arange(4.0).reshape(2, 2) + 3)
    np.testing.assert_allclose(got_flat, got_base.reshape(1, 4))
    with pytest.raises(NotImplementedError, match='slice'):
        Autodiff(x0[0:1] * 2, be).get_grad_asnumpyarray([x0])
