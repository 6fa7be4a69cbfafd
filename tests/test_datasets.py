"""MNIST and CIFAR10 read the usual files from `path`, and never download."""
import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.data import MNIST, CIFAR10, DataFileError


@pytest.fixture
def be():
    return gen_backend('cpu', batch_size=4)


def test_missing_files_say_what_to_put_where(be, tmp_path):
    with pytest.raises(DataFileError, match=r"mnist\.pkl\.gz.*never downloads.*put it in"):
        MNIST(path=str(tmp_path)).gen_iterators()
    with pytest.raises(DataFileError, match=r"cifar-10-python\.tar\.gz"):
        CIFAR10(path=str(tmp_path)).load_data()


def test_mnist_from_its_pickle(be, tmp_path):
    rng = np.random.RandomState(0)
    train = (rng.randint(0, 256, (12, 28, 28)).astype(np.uint8), rng.randint(0, 10, 12))
    test = (rng.randint(0, 256, (8, 28, 28)).astype(np.uint8), rng.randint(0, 10, 8))
    with gzip.open(str(tmp_path / 'mnist.pkl.gz'), 'wb') as f:
        pickle.dump((train, test), f, protocol=2)
    dataset = MNIST(path=str(tmp_path))
    data = dataset.gen_iterators()
    assert data['train'].ndata == 12 and data['valid'].ndata == 8
    assert dataset.train_iter.ndata == 12 and dataset.valid_iter.ndata == 8  # neon 2.x usage
    with pytest.raises(KeyError, match="no 'test' set"):
        _ = dataset.test_iter
    assert data['train'].shape == (1, 28, 28)
    x, t = next(iter(data['train']))
    np.testing.assert_allclose(x.get(), train[0][:4].reshape(4, -1).T / 255., rtol=1e-6)
    np.testing.assert_array_equal(t.get().argmax(0), train[1][:4])
    (X, _), _, _ = MNIST(path=str(tmp_path), size=32, sym_range=True).load_data()
    assert X.shape == (12, 32 * 32) and X.min() >= -1 and X.max() <= 1


def test_cifar10_from_its_archive(be, tmp_path):
    rng = np.random.RandomState(1)
    archive = tmp_path / 'cifar-10-python.tar.gz'
    with tarfile.open(str(archive), 'w:gz') as tar:
        names = ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']
        for name in names:
            batch = {'data': rng.randint(0, 256, (4, 3072)).astype(np.uint8),
                     'labels': list(rng.randint(0, 10, 4))}
            payload = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo('cifar-10-batches-py/' + name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    data = CIFAR10(path=str(tmp_path)).gen_iterators()
    assert data['train'].ndata == 20 and data['valid'].ndata == 4
    assert data['train'].shape == (3, 32, 32)
    x, _ = next(iter(data['valid']))
    assert x.shape == (3072, 4) and 0 <= x.get().min() and x.get().max() <= 1


def test_dataset_path_helpers_never_download(tmp_path):
    from neon_compat.data import Dataset, DataFileError
    folder = tmp_path / 'new' / 'sub'
    assert Dataset._valid_path_append(str(folder)) == str(folder) and folder.is_dir()
    assert Dataset._valid_path_append(str(folder), 'a.p') == str(folder / 'a.p')
    assert Dataset._valid_path_append(str(folder), 'a', 'b') == [str(folder / 'a'),
                                                                  str(folder / 'b')]
    with pytest.raises(DataFileError, match=r"'/x/m.p' not found\. neon_compat never "
                                            r"downloads data: get m.p from http://h/d/m.p"):
        Dataset.fetch_dataset('http://h/d/', 'm.p', '/x/m.p', 10)
