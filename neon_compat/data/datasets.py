"""Dataset base class (neon.data.datasets): files found under `path`, never downloaded."""
import os
import zipfile

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
        """A dict of iterators by set name ('train', 'valid', ...)."""
        raise NotImplementedError()

    @property
    def data_dict(self):
        if self._data_dict is None:
            self._data_dict = self.gen_iterators()
        return self._data_dict

    def get_iterator(self, setname):
        """The iterator of one set ('train', 'valid' or 'test')."""
        if setname not in self.data_dict:
            raise KeyError('{} has no {!r} set (it has {})'.format(
                type(self).__name__, setname, sorted(self.data_dict)))
        return self.data_dict[setname]

    @property
    def train_iter(self):
        return self.get_iterator('train')

    @property
    def valid_iter(self):
        return self.get_iterator('valid')

    @property
    def test_iter(self):
        return self.get_iterator('test')

    @staticmethod
    def _valid_path_append(path, *args):
        """The folder `path` (created if missing) joined with each of args: the folder
        itself without args, one path for one, a list for several."""
        full = os.path.expanduser(path)
        os.makedirs(full, exist_ok=True)
        if not os.path.isdir(full):
            raise DataFileError("'{}' is not a folder".format(path))
        joined = [os.path.join(full, name) for name in args]
        if not joined:
            return path
        return joined[0] if len(joined) == 1 else joined

    @staticmethod
    def fetch_dataset(url, sourcefile, destfile, totalsz):
        """neon downloaded url/sourcefile to destfile here; this never downloads: it says
        which file to put where."""
        raise DataFileError(
            "'{}' not found. neon_compat never downloads data: get {} from {}/{} and put it "
            "there".format(destfile, sourcefile, url.rstrip('/'), sourcefile))

    def _find_file(self, filename=None):
        """The path of a data file (default `filename`) under `path`; a clear error,
        never a download, when it is absent."""
        filename = filename or self.filename
        filepath = os.path.join(os.path.expanduser(self.path), filename)
        if not os.path.exists(filepath):
            raise DataFileError(
                "{}: '{}' not found. neon_compat never downloads data: get {} from {}/{} "
                "and put it in '{}' (or pass path=...)".format(
                    type(self).__name__, filepath, filename, self.url, filename,
                    os.path.abspath(os.path.expanduser(self.path))))
        return filepath

    def load_zip(self, filename, size):
        """The local path of `filename` (neon downloaded it); a .zip is extracted beside
        it and the path without '.zip' is returned.

        Arguments:
            filename (str): the file's name under `path`.
            size (int): its size in bytes as neon recorded it (informative).
        """
        filepath = self._find_file(filename)
        if filepath.endswith('.zip'):
            workdir = os.path.dirname(os.path.abspath(filepath))
            with zipfile.ZipFile(filepath) as archive:
                for member in archive.namelist():
                    target = os.path.abspath(os.path.join(workdir, member))
                    if os.path.commonpath([workdir, target]) != workdir:
                        raise DataFileError("{}: '{}' holds '{}', outside its folder: refusing "
                                            "to extract it".format(type(self).__name__,
                                                                   filepath, member))
                archive.extractall(workdir)
            filepath = filepath[:-len('.zip')]
        return filepath
