"""ArrayIterator: batches, one-hot targets, wrap-around of the last partial batch."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.data import ArrayIterator


@pytest.fixture
def be(backend_name):
    return gen_backend(backend_name, batch_size=4, datatype=np.float64)


def collect(it):
    return [(x.get().copy(), t.get().copy()) for x, t in it]


def test_batches_are_transposed_and_onehot(be):
    X = np.arange(8 * 3).reshape(8, 3)
    y = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    it = ArrayIterator(X, y, nclass=3)
    assert it.ndata == 8 and it.nbatches == 2 and it.shape == 3
    batches = collect(it)
    assert len(batches) == 2
    np.testing.assert_array_equal(batches[0][0], X[:4].T)
    np.testing.assert_array_equal(batches[1][1], np.eye(3)[y[4:]].T)


def test_wrap_around_and_rotation(be):
    X = np.arange(10).reshape(10, 1)
    it = ArrayIterator(X, X[:, 0] % 2, nclass=2)
    assert it.nbatches == 3
    first = collect(it)
    np.testing.assert_array_equal(first[2][0], [[8, 9, 0, 1]])
    assert it.start == 2 and it.nbatches == 2  # next epoch starts after the wrapped examples
    second = collect(it)
    np.testing.assert_array_equal(second[0][0], [[2, 3, 4, 5]])
    np.testing.assert_array_equal(second[1][0], [[6, 7, 8, 9]])
    it.reset()
    assert it.start == 0 and it.nbatches == 3


def test_autoencoder_targets_and_lshape(be):
    X = np.random.RandomState(0).normal(size=(8, 12))
    it = ArrayIterator(X, lshape=(3, 2, 2))
    assert it.shape == (3, 2, 2)
    x, t = next(iter(it))
    assert t is x


def test_regression_targets_and_multi_input(be):
    X1, X2 = np.ones((8, 2)), np.zeros((8, 3))
    y = np.arange(16.0).reshape(8, 2)
    it = ArrayIterator([X1, X2], y, make_onehot=False)
    assert it.shape == [2, 3]
    x, t = next(iter(it))
    assert isinstance(x, list) and x[1].shape == (3, 4)
    np.testing.assert_array_equal(t.get(), y[:4].T)


def test_bad_input_is_reported(be):
    with pytest.raises(ValueError, match='fewer than the batch size'):
        ArrayIterator(np.ones((3, 2)))
    with pytest.raises(AttributeError, match='number of classes'):
        ArrayIterator(np.ones((8, 2)), np.zeros(8))
    with pytest.raises(ValueError, match='range from 0 to 1'):
        ArrayIterator(np.ones((8, 2)), np.full(8, 2), nclass=2)
    with pytest.raises(ValueError, match='lshape'):
        ArrayIterator(np.ones((8, 2)), lshape=(3, 1))
