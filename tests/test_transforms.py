"""Activations, costs and metrics against NumPy formulas."""
import numpy as np
import pytest

from neon_compat.transforms import (Identity, Rectlin, Rectlinclip, Explin, Normalizer,
                                    Softmax, Tanh, Logistic, CrossEntropyBinary,
                                    CrossEntropyMulti, SumSquared, MeanSquared, SmoothL1Loss,
                                    Accuracy, Misclassification, TopKMisclassification, LogLoss,
                                    PrecisionRecall)

X = np.array([[-2.0, -0.5, 0.0, 0.7], [1.5, 3.0, -1.0, 25.0], [0.2, -0.1, 2.0, -3.0]])
sig = 1 / (1 + np.exp(-X))
ACT_CASES = [
    (Identity(), X, np.ones_like(X)),
    (Rectlin(), np.maximum(X, 0), (X > 0) * 1.0),
    (Rectlin(slope=0.1), np.maximum(X, 0) + 0.1 * np.minimum(X, 0),
     (X > 0) + 0.1 * (X < 0)),
    (Rectlinclip(xcut=2.0), np.minimum(np.maximum(X, 0), 2.0), None),
    (Explin(alpha=0.5), np.maximum(X, 0) + 0.5 * (np.exp(np.minimum(X, 0)) - 1), None),
    (Normalizer(divisor=4.0), X / 4.0, np.full_like(X, 0.25)),
    (Tanh(), np.tanh(X), 1 - np.tanh(X) ** 2),
    (Logistic(), sig, sig * (1 - sig)),
    (Logistic(shortcut=True), sig, np.ones_like(X)),
    (Softmax(), np.exp(X) / np.exp(X).sum(0), np.ones_like(X)),
]


@pytest.mark.parametrize('transform,expect_f,expect_df', ACT_CASES,
                         ids=[type(c[0]).__name__ + str(i) for i, c in enumerate(ACT_CASES)])
def test_activation_values(backend64, transform, expect_f, expect_df):
    be = backend64
    x = be.array(X)
    y = be.empty(X.shape)
    y[:] = transform(x)
    np.testing.assert_allclose(y.get(), expect_f, rtol=1e-12)
    if expect_df is not None:
        d = be.empty(X.shape)
        d[:] = transform.bprop(y) * be.ones(X.shape)
        np.testing.assert_allclose(d.get(), expect_df, rtol=1e-12)


@pytest.mark.parametrize('axis', [0, 1])
def test_softmax_of_a_tensor_and_of_an_expression(backend64, axis):
    """A tensor's softmax is computed at once, an expression's stays an op-tree; both
    are exp(x − max)/Σ exp(x − max) along axis (large inputs do not overflow)."""
    be = backend64
    big = X * 40
    want = np.exp(big - big.max(axis, keepdims=True))
    want /= want.sum(axis, keepdims=True)
    x = be.array(big)
    y = be.empty(X.shape)
    for value in (x, x * 1.0):
        y[:] = Softmax(axis=axis)(value)
        np.testing.assert_allclose(y.get(), want, rtol=1e-12)


def test_explin_and_rectlinclip_derivatives_from_outputs(backend64):
    be = backend64
    y = be.empty(X.shape)
    d = be.empty(X.shape)
    y[:] = Explin(alpha=0.5)(be.array(X))
    d[:] = Explin(alpha=0.5).bprop(y)
    # at x = 0 neon's output-based formula gives 0
    expect = np.where(X > 0, 1.0, np.where(X < 0, 0.5 * np.exp(X), 0.0))
    np.testing.assert_allclose(d.get(), expect, rtol=1e-12)
    clip = Rectlinclip(slope=0.1, xcut=2.0)
    y[:] = clip(be.array(X))
    d[:] = clip.bprop(y)
    np.testing.assert_allclose(d.get(), ((X > 0) + 0.1 * (X < 0)) * (X < 2.0), rtol=1e-12)


Y = np.array([[0.7, 0.2, 0.1, 0.5], [0.2, 0.5, 0.3, 0.25], [0.1, 0.3, 0.6, 0.25]])
T = np.array([[1.0, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 0]])


def _cost(be, costfunc, y, t):
    out = be.empty((1, y.shape[1]))
    out[:] = costfunc(be.array(y), be.array(t))
    delta = be.empty(y.shape)
    delta[:] = costfunc.bprop(be.array(y), be.array(t))
    return out.get(), delta.get()


def test_cost_values(backend64):
    be = backend64
    c, d = _cost(be, CrossEntropyMulti(), Y, T)
    np.testing.assert_allclose(c, -(T * np.log(Y)).sum(0, keepdims=True))
    np.testing.assert_allclose(d, Y - T)
    c, _ = _cost(be, CrossEntropyMulti(usebits=True), Y, T)
    np.testing.assert_allclose(c, -(T * np.log2(Y)).sum(0, keepdims=True))
    c, d = _cost(be, CrossEntropyBinary(scale=2), Y, T)
    np.testing.assert_allclose(c, -(T * np.log(Y) + (1 - T) * np.log(1 - Y)).sum(0, keepdims=True))
    np.testing.assert_allclose(d, 2 * (Y - T))
    c, d = _cost(be, SumSquared(), Y, T)
    np.testing.assert_allclose(c, ((Y - T) ** 2).sum(0, keepdims=True) / 2)
    np.testing.assert_allclose(d, Y - T)
    c, d = _cost(be, MeanSquared(), Y, T)
    np.testing.assert_allclose(c, ((Y - T) ** 2).mean(0, keepdims=True) / 2)
    np.testing.assert_allclose(d, (Y - T) / 3)
    diff = np.array([[0.5, -2.0, 0.1, 3.0]])
    c, d = _cost(be, SmoothL1Loss(), diff, np.zeros_like(diff))
    np.testing.assert_allclose(c, [[0.125, 1.5, 0.005, 2.5]])
    np.testing.assert_allclose(d, [[0.5, -1.0, 0.1, 1.0]])


def test_cost_shape_mismatch_is_a_clear_error(backend64):
    be = backend64
    with pytest.raises(ValueError, match='same shape'):
        CrossEntropyMulti()(be.array(Y), be.array(T[:2]))


def test_metrics(backend_name):
    from neon_compat.backends import gen_backend
    be = gen_backend(backend_name, batch_size=4, datatype=np.float64)
    y, t = be.array(Y), be.array(T)
    assert Accuracy()(y, t) == pytest.approx(0.25)
    assert Misclassification()(y, t) == pytest.approx(0.75)
    assert Accuracy()(y, t, calcrange=slice(0, 1)) == pytest.approx(1.0)
    np.testing.assert_allclose(LogLoss()(y, t), -np.log((Y * T).sum(0)).mean())
    top = TopKMisclassification(k=2)(y, t)
    p = (Y * T).sum(0)
    np.testing.assert_allclose(top[0], -np.log(p).mean())
    assert top[1] == pytest.approx(0.75)
    # top-2: column 1 p=.3 rank 2 ok; column 2 p=.3 rank 2 ok; column 3 tie .25/.25 for
    # the second slot: half credit
    assert top[2] == pytest.approx((0 + 0 + 0 + 0.5) / 4)
    precision, recall = PrecisionRecall(3, binarize=True)(be.array(Y), t)
    preds = np.eye(3)[Y.argmax(0)].T
    tp = (preds * T).sum(1)
    np.testing.assert_allclose(precision, (tp / (preds.sum(1) + 1e-6)).mean())
    np.testing.assert_allclose(recall, (tp / (T.sum(1) + 1e-6)).mean())
    assert Accuracy().metric_names == ['Accuracy']
    assert TopKMisclassification(5).metric_names == ['LogLoss', 'Top1Misclass', 'Top5Misclass']


def test_bleu_score_by_hand():
    from neon_compat.transforms import BLEUScore
    bleu = BLEUScore()
    # unigrams 5 of 6 match (the×2, cat, on, mat), bigrams 3 of 5 (the cat, on the, the mat)
    score = bleu(['The cat sat on the mat.'], [['the cat is on the mat']], N=2)
    assert bleu.bleu_n[0] == pytest.approx(100 * 5 / 6, rel=1e-5)
    assert score == bleu.bleu_n[1] == pytest.approx(100 * np.sqrt(5 / 6 * 3 / 5), rel=1e-5)
    # a word absent from every reference, and the unknown token, never match
    assert bleu(['the <unk>'], [['the <unk>']], N=1) == pytest.approx(50, rel=1e-5)
    # brevity penalty against the closest reference length (3, not 5)
    short = bleu(['the cat'], [['the cat sat', 'a b c d e']], N=1, brevity_penalty=True)
    assert short == pytest.approx(100 * np.exp(1 - 3 / 2), rel=1e-5)
    # the clipped count: 'the' three times against a reference holding it twice
    assert bleu(['the the the'], [['the cat the']], N=1) == pytest.approx(100 * 2 / 3, rel=1e-5)
