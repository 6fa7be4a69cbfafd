"""Data iterators and datasets, as neon.data (re-exports only)."""
from neon_compat.data.dataiterator import NervanaDataIterator, ArrayIterator
from neon_compat.data.hdf5iterator import (
    HDF5Iterator, HDF5IteratorOneHot, HDF5IteratorAutoencoder, DataFileError)
from neon_compat.data.datasets import Dataset
from neon_compat.data.text import Text, PTB, Shakespeare, HutterPrize, IMDB
from neon_compat.data.ticker import Ticker, CopyTask, RepeatCopyTask, PrioritySortTask
from neon_compat.data.image import MNIST, CIFAR10
