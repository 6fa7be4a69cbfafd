"""Data iterators and datasets, as neon.data."""
from neon_compat.data.dataiterator import NervanaDataIterator, ArrayIterator  # noqa: F401
from neon_compat.data.hdf5iterator import (  # noqa: F401
    HDF5Iterator, HDF5IteratorOneHot, HDF5IteratorAutoencoder, DataFileError)
from neon_compat.data.datasets import Dataset  # noqa: F401
from neon_compat.data.image import MNIST, CIFAR10  # noqa: F401
