"""HDF5 iterators: neon's file layout, wrap-around, one-hot, autoencoder targets, mean."""
import h5py
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.data import (HDF5Iterator, HDF5IteratorOneHot, HDF5IteratorAutoencoder,
                              DataFileError)


def write_h5(path, X, y=None, lshape=None, nclass=None, mean=None, output=None):
    with h5py.File(path, 'w') as f:
        inp = f.create_dataset('input', data=X)
        if lshape is not None:
            inp.attrs['lshape'] = lshape
        if y is not None:
            out = f.create_dataset('output', data=y)
            if nclass is not None:
                out.attrs['nclass'] = nclass
        if mean is not None:
            f.create_dataset('mean', data=mean)
    return str(path)


@pytest.fixture
def be(backend_name):
    return gen_backend(backend_name, batch_size=4, datatype=np.float64)


def batches(it):
    return [(x.get().copy(), None if t is None else t.get().copy()) for x, t in it]


def test_layout_shapes_and_partial_last_batch(be, tmp_path):
    X = np.arange(10 * 6, dtype=np.uint8).reshape(10, 6)
    y = np.arange(10 * 2, dtype=np.float32).reshape(10, 2)
    it = HDF5Iterator(write_h5(tmp_path / 'd.h5', X, y, lshape=(1, 2, 3)))
    assert it.shape == (1, 2, 3) and it.ndata == 10 and it.nbatches == 3
    got = batches(it)
    assert len(got) == 3
    np.testing.assert_array_equal(got[0][0], X[:4].T)
    np.testing.assert_array_equal(got[2][0], np.vstack([X[8:], X[:2]]).T)  # wrap-around
    np.testing.assert_array_equal(got[2][1], np.vstack([y[8:], y[:2]]).T)
    assert it.start == 2 and it.nbatches == 2
    np.testing.assert_array_equal(batches(it)[0][0], X[2:6].T)
    it.reset()
    assert it.start == 0


def test_full_last_batch_keeps_start(be, tmp_path):
    X = np.ones((8, 3), dtype=np.float32)
    it = HDF5Iterator(write_h5(tmp_path / 'd.h5', X, lshape=(3,)))
    assert len(batches(it)) == 2 and it.start == 0
    assert batches(it)[0][1] is None


def test_onehot_labels(be, tmp_path):
    X = np.zeros((6, 2), dtype=np.float32)
    y = np.array([[2], [0], [1], [2], [1], [0]])
    it = HDF5IteratorOneHot(write_h5(tmp_path / 'd.h5', X, y, lshape=(2,), nclass=3))
    got = batches(it)
    np.testing.assert_array_equal(got[0][1], np.eye(3)[[2, 0, 1, 2]].T)
    np.testing.assert_array_equal(got[1][1], np.eye(3)[[1, 0, 2, 0]].T)


def test_autoencoder_targets_are_the_inputs(be, tmp_path):
    X = np.random.RandomState(0).normal(size=(8, 4))
    it = HDF5IteratorAutoencoder(write_h5(tmp_path / 'd.h5', X, lshape=(4,)))
    x, t = next(iter(it))
    assert t is x
    np.testing.assert_allclose(x.get(), X[:4].T)


@pytest.mark.parametrize('per_channel', [False, True])
def test_mean_subtraction(be, tmp_path, per_channel):
    X = np.random.RandomState(1).randint(0, 255, (8, 2 * 3)).astype(np.uint8)
    mean = np.array([10.0, 20.0]) if per_channel else np.arange(6.0)
    it = HDF5Iterator(write_h5(tmp_path / 'd.h5', X, lshape=(2, 1, 3), mean=mean))
    x, _ = next(iter(it))
    full_mean = np.repeat(mean, 3) if per_channel else mean
    np.testing.assert_allclose(x.get(), X[:4].T - full_mean[:, None])


def test_bad_files_give_clear_errors(be, tmp_path):
    with pytest.raises(DataFileError, match='not found'):
        HDF5Iterator(str(tmp_path / 'missing.h5'))
    corrupt = tmp_path / 'corrupt.h5'
    corrupt.write_bytes(b'this is not hdf5' * 10)
    with pytest.raises(DataFileError, match='not a readable HDF5 file'):
        HDF5Iterator(str(corrupt))
    with h5py.File(tmp_path / 'noinput.h5', 'w') as f:
        f.create_dataset('data', data=np.zeros((4, 2)))
    with pytest.raises(DataFileError, match="no 'input' dataset"):
        HDF5Iterator(str(tmp_path / 'noinput.h5'))
    with pytest.raises(DataFileError, match='lshape'):
        HDF5Iterator(write_h5(tmp_path / 'nolshape.h5', np.zeros((4, 2))))
    with pytest.raises(DataFileError, match='lshape'):
        HDF5Iterator(write_h5(tmp_path / 'badlshape.h5', np.zeros((4, 6)), lshape=(3, 3)))
    with pytest.raises(DataFileError, match='fewer than the batch size'):
        HDF5Iterator(write_h5(tmp_path / 'small.h5', np.zeros((3, 2)), lshape=(2,)))
    with pytest.raises(DataFileError, match='nclass'):
        HDF5IteratorOneHot(write_h5(tmp_path / 'nonclass.h5', np.zeros((4, 2)),
                                    np.zeros((4, 1)), lshape=(2,)))
    with pytest.raises(DataFileError, match='labels range'):
        HDF5IteratorOneHot(write_h5(tmp_path / 'badlabel.h5', np.zeros((4, 2)),
                                    np.full((4, 1), 5), lshape=(2,), nclass=2))
