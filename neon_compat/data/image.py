"""Image datasets (neon.data.image): MNIST and CIFAR10 from files the user provides."""
import gzip
import logging
import os
import tarfile

import numpy as np

from neon_compat.data.dataiterator import ArrayIterator
from neon_compat.data.datasets import Dataset
from neon_compat.data.hdf5iterator import DataFileError
from neon_compat.util.persist import load_obj, ModelFileError

logger = logging.getLogger(__name__)


def _subset(pct, *arrays):
    """The first pct percent of each array."""
    return [a[:int(a.shape[0] * pct / 100.)] for a in arrays]


def _load_pickle(path_or_file, what):
    try:
        return load_obj(path_or_file)
    except ModelFileError as err:
        raise DataFileError('{} is not a readable dataset pickle: {}'.format(what, err)) from None


class MNIST(Dataset):
    """MNIST from 'mnist.pkl.gz' in `path` (the Keras-style pickle neon used).

    Arguments:
        path (str): folder holding mnist.pkl.gz, default '.'.
        subset_pct (float): percentage of examples to keep, default 100.
        normalize (bool): scale to [0, 1], default True.
        sym_range (bool): then map to [-1, 1], default False.
        size (int): crop or zero-pad images to size×size, default 28.
        shuffle (bool): shuffle the training images (seed 0), default False.
    """

    def __init__(self, path='.', subset_pct=100, normalize=True, sym_range=False, size=28,
                 shuffle=False):
        super(MNIST, self).__init__('mnist.pkl.gz', 'https://s3.amazonaws.com/img-datasets',
                                    15296311, path=path, subset_pct=subset_pct)
        self.normalize = normalize
        self.sym_range = sym_range
        self.size = size
        self.shuffle = shuffle

    def load_data(self):
        """((X_train, y_train), (X_test, y_test), nclass) with X flattened (N, size²)."""
        filepath = self._find_file()
        with gzip.open(filepath, 'rb') as f:
            (X_train, y_train), (X_test, y_test) = _load_pickle(f, filepath)
        if self.subset_pct < 100:
            X_train, y_train, X_test, y_test = _subset(self.subset_pct, X_train, y_train,
                                                       X_test, y_test)
        X_train, X_test = self._resize(X_train), self._resize(X_test)
        if self.normalize:
            X_train, X_test = X_train / 255., X_test / 255.
            if self.sym_range:
                X_train, X_test = X_train * 2. - 1., X_test * 2. - 1.
        if self.shuffle:
            np.random.RandomState(0).shuffle(X_train)
        return (X_train, y_train), (X_test, y_test), 10

    def _resize(self, X):
        n, s = X.shape[0], self.size
        if s > 28:
            out = np.zeros((n, s, s))
            out[:, :28, :28] = X.reshape(n, 28, 28)
        else:
            out = X.reshape(n, 28, 28)[:, :s, :s]
        return out.reshape(n, s * s)

    def gen_iterators(self):
        """{'train': ArrayIterator, 'valid': ArrayIterator} with lshape (1, size, size)."""
        (X_train, y_train), (X_test, y_test), nclass = self.load_data()
        lshape = (1, self.size, self.size)
        self._data_dict = {
            'train': ArrayIterator(X_train, y_train, nclass=nclass, lshape=lshape, name='train'),
            'valid': ArrayIterator(X_test, y_test, nclass=nclass, lshape=lshape, name='valid')}
        return self._data_dict


class CIFAR10(Dataset):
    """CIFAR-10 from 'cifar-10-python.tar.gz' (or its extracted 'cifar-10-batches-py').

    Arguments:
        path (str): folder holding the archive, default '.'.
        subset_pct (float): percentage of examples to keep, default 100.
        normalize (bool): scale to [0, 1], default True.
        contrast_normalize (bool): global contrast normalization, default False.
        whiten (bool): ZCA whitening, default False.
        pad_classes (bool): report 16 classes, default False.
    """

    def __init__(self, path='.', subset_pct=100, normalize=True, contrast_normalize=False,
                 whiten=False, pad_classes=False):
        super(CIFAR10, self).__init__('cifar-10-python.tar.gz', 'http://www.cs.toronto.edu/~kriz',
                                      170498071, path=path, subset_pct=subset_pct)
        self.normalize = normalize
        self.contrast_normalize = contrast_normalize
        self.whiten = whiten
        self.pad_classes = pad_classes

    def load_data(self):
        """((X_train, y_train), (X_test, y_test), nclass); X is (N, 3·32·32)."""
        workdir = os.path.expanduser(self.path)
        batchdir = os.path.join(workdir, 'cifar-10-batches-py')
        if not os.path.exists(os.path.join(batchdir, 'data_batch_1')):
            archive = self._find_file()
            with tarfile.open(archive, 'r:gz') as f:
                f.extractall(workdir, filter='data')
        X_list, y_list = [], []
        for i in range(1, 6):
            batch = _load_pickle(os.path.join(batchdir, 'data_batch_%d' % i), 'data_batch_%d' % i)
            X_list.append(batch['data'])
            y_list.append(batch['labels'])
        X_train = np.vstack(X_list)
        y_train = np.hstack(y_list).reshape(-1, 1)
        test = _load_pickle(os.path.join(batchdir, 'test_batch'), 'test_batch')
        X_test, y_test = test['data'], np.array(test['labels']).reshape(-1, 1)
        if self.subset_pct < 100:
            X_train, y_train, X_test, y_test = _subset(self.subset_pct, X_train, y_train,
                                                       X_test, y_test)
        if self.contrast_normalize:
            X_train = self.global_contrast_normalize(X_train, scale=55.0)
            X_test = self.global_contrast_normalize(X_test, scale=55.0)
        if self.normalize:
            X_train, X_test = X_train / 255., X_test / 255.
        if self.whiten:
            X_train, X_test = self.zca_whiten(X_train, X_test)
        return (X_train, y_train), (X_test, y_test), 10

    @staticmethod
    def global_contrast_normalize(X, scale=1., min_divisor=1e-8):
        X = X - X.mean(axis=1)[:, np.newaxis]
        normalizers = np.sqrt((X ** 2).sum(axis=1)) / scale
        normalizers[normalizers < min_divisor] = 1.
        return X / normalizers[:, np.newaxis]

    @staticmethod
    def zca_whiten(train, test, filter_bias=0.1):
        mean = np.mean(train, 0)
        cov = np.cov(train.T)
        D, E = np.linalg.eigh(cov + filter_bias * np.eye(cov.shape[0]))
        W = E @ np.diag(D ** -.5) @ E.T
        return (train - mean) @ W, (test - mean) @ W

    def gen_iterators(self):
        """{'train': ArrayIterator, 'valid': ArrayIterator} with lshape (3, 32, 32)."""
        (X_train, y_train), (X_test, y_test), nclass = self.load_data()
        nclass = 16 if self.pad_classes else nclass
        self._data_dict = {
            'train': ArrayIterator(X_train, y_train, nclass=nclass, lshape=(3, 32, 32),
                                   name='train'),
            'valid': ArrayIterator(X_test, y_test, nclass=nclass, lshape=(3, 32, 32),
                                   name='valid')}
        return self._data_dict
