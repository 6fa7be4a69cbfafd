"""Dataset base class (neon.data.datasets): files found under `path`, never downloaded."""
import os

from neon_compat import NervanaObject
from neon_compat.data.hdf5iterator import DataFileError


class Dataset(NervanaObject):
    """A dataset read from files the user puts in `path`.

    Arguments:
        filename (str): the file this dataset reads.
        url (str): where the user can get it (shown in the error message only).
        size (int): its expected size in bytes (informative).
        path (str): the folder holding it, default '.'.
        subset_pct (float): percentage of the data to use, default 100.
    """

    def __init__(self, filename, url, size, path='.', subset_pct=100):
        super(Dataset, self).__init__(name=None)
        self.filename = filename
        self.url = url
        self.size = size
        self.path = path
        self.subset_pct = subset_pct
        self._data_dict = None

    def load_data(self):
        raise NotImplementedError()

    def gen_iterators(self):
        raise NotImplementedError()

    def _find_file(self):
        """The data file's path; a clear error (never a download) when it is absent."""
        filepath = os.path.join(os.path.expanduser(self.path), self.filename)
        if not os.path.exists(filepath):
            raise DataFileError(
                "{}: '{}' not found. neon_compat never downloads data: get {} from {}/{} "
                "and put it in '{}' (or pass path=...)".format(
                    type(self).__name__, filepath, self.filename, self.url, self.filename,
                    os.path.abspath(os.path.expanduser(self.path))))
        return filepath
