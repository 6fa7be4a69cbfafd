"""Minibatches read from HDF5 files in neon's layout (neon.data.hdf5iterator).

File layout: dataset 'input' (N, C·H·W) with attribute 'lshape' (e.g. [C, H, W]);
optional 'output' (N, M) targets (with attribute 'nclass' for one-hot labels);
optional 'mean' of size C·H·W (full mean image) or C (per channel).
"""
import logging
import os

import numpy as np

from neon_compat import NeonCompatError
from neon_compat.data.dataiterator import ArrayIterator

logger = logging.getLogger(__name__)


class DataFileError(NeonCompatError, IOError):
    """A data file that is missing, unreadable or not in the expected layout."""


def open_hdf5(path):
    """Open an HDF5 file read-only, with a clear error when it is missing or corrupt."""
    import h5py
    if not os.path.isfile(path):
        raise DataFileError("HDF5 file '{}' not found: check the path (e.g. --data_root) or "
                            "prepare the data first".format(path))
    try:
        return h5py.File(path, mode='r')
    except OSError as err:
        raise DataFileError("'{}' is not a readable HDF5 file ({}): recreate it".format(
            path, str(err).split('(')[0].strip() or type(err).__name__)) from None


class HDF5Iterator(ArrayIterator):
    """Minibatches of an HDF5 file; targets are the 'output' rows (None without them).

    Arguments:
        hdf_filename (str): the file.
        name (str, optional)

    As neon: no shuffling, the last partial batch wraps around to the start, and
    the mean (if present) is subtracted on the device.
    """

    def __init__(self, hdf_filename, name=None):
        super(ArrayIterator, self).__init__(name=name)
        self.hdf_filename = hdf_filename
        self.hdf_file = open_hdf5(hdf_filename)
        if 'input' not in self.hdf_file:
            found = ', '.join(sorted(self.hdf_file.keys())) or 'nothing'
            self.hdf_file.close()
            raise DataFileError("'{}' has no 'input' dataset (found: {}): it is not in neon's "
                                "HDF5 layout".format(hdf_filename, found))
        self.inp = self.hdf_file['input']
        if self.inp.ndim != 2:
            raise DataFileError("'{}': 'input' must be 2-D (N, features), it has shape "
                                "{}".format(hdf_filename, self.inp.shape))
        if 'lshape' not in self.inp.attrs:
            raise DataFileError("'{}': the 'input' dataset has no 'lshape' attribute (the "
                                "shape of one example, e.g. [3, 128, 128])".format(hdf_filename))
        self.ndata = self.inp.shape[0]
        self.lshape = tuple(int(d) for d in self.inp.attrs['lshape'])
        if int(np.prod(self.lshape)) != self.inp.shape[1]:
            raise DataFileError("'{}': lshape {} has {} values but each input row has {}".format(
                hdf_filename, self.lshape, int(np.prod(self.lshape)), self.inp.shape[1]))
        if self.be is None or not self.be.bsz:
            raise ValueError('HDF5Iterator needs a backend with a batch size: call '
                             'gen_backend(batch_size=N) first')
        if self.ndata < self.be.bsz:
            raise DataFileError("'{}' holds {} examples, fewer than the batch size {}".format(
                hdf_filename, self.ndata, self.be.bsz))
        self.start = 0
        self.shape = self.lshape
        self.out = self.hdf_file['output'] if 'output' in self.hdf_file else None
        if self.out is not None and self.out.shape[0] != self.ndata:
            raise DataFileError("'{}': 'output' has {} rows but 'input' has {}".format(
                hdf_filename, self.out.shape[0], self.ndata))
        self.inpbuf = None
        self.outbuf = None
        self.allocated = False

    def allocate(self):
        if not self.allocated:
            self.allocate_inputs()
            self.allocate_outputs()
            self.allocated = True

    def allocate_inputs(self):
        self.inpbuf = self.be.iobuf(self.inp.shape[1])
        self.mini_batch_in = np.zeros(self.inpbuf.shape, dtype=np.float32)
        self.mean = None
        if 'mean' in self.hdf_file:
            mean = np.array(self.hdf_file['mean'], dtype=np.float64).flatten()
            if mean.size == self.inp.shape[1]:
                self.meansub_view = self.inpbuf
            elif mean.size == self.lshape[0]:
                mean = mean.reshape((self.lshape[0], 1))
                self.meansub_view = self.inpbuf.reshape((self.lshape[0], -1))
            else:
                raise DataFileError("'{}': 'mean' has {} values; expected {} (a mean image) or "
                                    "{} (per channel)".format(self.hdf_filename, mean.size,
                                                              self.inp.shape[1], self.lshape[0]))
            self.mean = self.be.array(mean.reshape(-1, 1) if mean.ndim == 1 else mean)

    def allocate_outputs(self):
        self.outbuf = None
        if self.out is not None:
            self.outbuf = self.be.iobuf(self.out.shape[1] if self.out.ndim > 1 else 1)
            self.mini_batch_out = np.zeros(self.outbuf.shape, dtype=np.float32)

    def gen_input(self, mini_batch):
        self.inpbuf.set(mini_batch)
        if self.mean is not None:
            self.meansub_view[:] = self.meansub_view - self.mean

    def gen_output(self, mini_batch):
        self.outbuf.set(mini_batch)

    def _rows(self, source, i1, i2):
        rows = source[i1:i2]
        return rows.reshape(len(rows), -1)

    def __del__(self):
        self.cleanup()

    def cleanup(self):
        hdf_file = getattr(self, 'hdf_file', None)
        if hdf_file is not None:
            try:
                hdf_file.close()
            except Exception:
                pass

    def reset(self):
        self.start = 0

    def __iter__(self):
        self.allocate()
        rank, nranks = self.part
        step = self.be.bsz * nranks  # the global minibatch: be.bsz with one process
        for i1 in range(self.start, self.ndata, step):
            if i1 + step >= self.ndata:  # the last one (neon: the next epoch starts after
                self.start = i1 + step - self.ndata  # the rows it wrapped around to)
            slices = self._slices(i1 + rank * self.be.bsz)
            for rows, columns in slices:
                self.mini_batch_in[:, columns] = self._rows(self.inp, rows.start, rows.stop).T
            self.gen_input(self.mini_batch_in)
            if self.outbuf is not None:
                for rows, columns in slices:
                    self.mini_batch_out[:, columns] = \
                        self._rows(self.out, rows.start, rows.stop).T
                self.gen_output(self.mini_batch_out)
            yield (self.inpbuf, self.outbuf)


class HDF5IteratorOneHot(HDF5Iterator):
    """HDF5Iterator whose 'output' holds class indices (attribute 'nclass'), one-hot encoded.

    Arguments:
        hdf_filename (str): the file.
        name (str, optional)
    """

    def __init__(self, hdf_filename, name=None):
        super(HDF5IteratorOneHot, self).__init__(hdf_filename, name=name)
        if self.out is not None:
            if 'nclass' not in self.out.attrs:
                raise DataFileError("'{}': the 'output' dataset has no 'nclass' attribute, "
                                    "needed for one-hot labels".format(hdf_filename))
            self.nclass = int(self.out.attrs['nclass'])
            labels = np.array(self.out).reshape(-1)
            if labels.size != self.ndata:
                raise DataFileError("'{}': one-hot labels need one class index per example, "
                                    "'output' has shape {}".format(hdf_filename, self.out.shape))
            if labels.min() < 0 or labels.max() >= self.nclass:
                raise DataFileError("'{}': labels range over [{}, {}] but nclass is {}".format(
                    hdf_filename, labels.min(), labels.max(), self.nclass))
            self.out = labels.astype(np.int32).reshape((-1, 1))

    def allocate_outputs(self):
        self.outbuf = None
        if self.out is not None:
            self.argmax_buf = self.be.iobuf(1, dtype=np.int32)
            self.mini_batch_out = np.zeros(self.argmax_buf.shape, dtype=np.int32)
            self.outbuf = self.be.iobuf(self.nclass)

    def gen_output(self, mini_batch):
        self.argmax_buf.set(mini_batch)
        self.be.onehot(self.argmax_buf, axis=0, out=self.outbuf)


class HDF5IteratorAutoencoder(HDF5Iterator):
    """HDF5Iterator yielding (x, x): the (mean-subtracted) input is also the target.

    Note: as in neon, both are the same buffer, so a DataTransform that rescales the
    input in place rescales the target too.
    """

    def __iter__(self):
        for x, _ in super(HDF5IteratorAutoencoder, self).__iter__():
            yield (x, x)
