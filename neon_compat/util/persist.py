"""Model files (neon.util.persist): save_obj, load_obj, load_class.

neon's format is a pickled dictionary of plain containers and NumPy arrays.
Loading here never runs code from the file: only arrays, NumPy scalars and
dtypes, and plain containers are admitted (Python-2 pickles included).
Writing is atomic: a temporary file in the same folder, then a rename.
"""
import gzip
import io
import logging
import os
import pickle
import tempfile

# load_class lives beside NervanaObject (which rebuilds objects with it); published here
from neon_compat import ModelFileError, load_class  # noqa: F401

logger = logging.getLogger(__name__)


# (module, name) pairs a neon model file may legitimately reference
_SAFE_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'), ('numpy._core.numeric', '_frombuffer'),
    ('numpy', 'ndarray'), ('numpy', 'dtype'),
    ('collections', 'OrderedDict'),
    ('_codecs', 'encode'),  # how protocol 2 stores bytes (array data) on Python 3
    ('builtins', 'set'), ('builtins', 'frozenset'), ('builtins', 'complex'),
    ('builtins', 'slice'), ('builtins', 'range'),
    ('__builtin__', 'set'), ('__builtin__', 'frozenset'), ('__builtin__', 'complex'),
    ('__builtin__', 'slice'),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super(_RestrictedUnpickler, self).find_class(module, name)
        # Python 2's copy_reg rebuilds ndarrays through _reconstructor(cls, base, state)
        if (module, name) in (('copy_reg', '_reconstructor'), ('copyreg', '_reconstructor')):
            return _safe_reconstructor
        raise pickle.UnpicklingError(
            "refusing to load '{}.{}': a neon model file holds only arrays and plain "
            "containers, and loading never runs code from a file".format(module, name))


def _safe_reconstructor(cls, base, state):
    import numpy as np
    if cls is not np.ndarray and not (isinstance(cls, type) and issubclass(cls, np.ndarray)):
        raise pickle.UnpicklingError('refusing to rebuild a {!r} from a model file'.format(cls))
    import copyreg
    return copyreg._reconstructor(cls, base, state)


def _expand(path):
    return os.path.expandvars(os.path.expanduser(path))


def ensure_dirs_exist(path):
    """Create the folder of `path` if needed; return path."""
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
    return path


def _file_mode(path):
    """The existing file's mode, or what a plain open() would give (0666 less umask)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but owned by someone else
        return True
    return True


def _remove_stale_temporaries(folder, prefix):
    """Delete the temporary files that writers of the same target left when they were
    killed (their pid is gone); never one whose writer still runs."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith('.tmp')):
            continue
        pid = name[len(prefix):].split('.', 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            try:
                os.remove(os.path.join(folder, name))
                logger.info('removed %s, left by an interrupted save', name)
            except OSError:
                pass


def atomic_write(path, write_bytes):
    """Call write_bytes(fileobj) on a temporary file, then rename it onto `path`."""
    path = ensure_dirs_exist(_expand(path))
    folder = os.path.dirname(os.path.abspath(path))
    prefix = '.' + os.path.basename(path) + '.'
    _remove_stale_temporaries(folder, prefix)
    # the writer's pid in the name tells a crashed writer's file from a live one
    fd, tmp = tempfile.mkstemp(prefix='{}{}.'.format(prefix, os.getpid()), suffix='.tmp',
                               dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            write_bytes(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_obj(obj, save_path):
    """Pickle `obj` (protocol 2, as neon) to `save_path` atomically; no-op for an empty path.

    Arguments:
        obj: plain containers and NumPy arrays (a model description).
        save_path (str): file name ('~' and $VARS expanded; '.gz' compresses).
    """
    if save_path is None or len(save_path) == 0:
        return
    save_path = _expand(save_path)
    if save_path.endswith('.gz'):
        def write(f):
            with gzip.GzipFile(fileobj=f, mode='wb') as gz:
                pickle.dump(obj, gz, protocol=2)
    else:
        def write(f):
            pickle.dump(obj, f, protocol=2)
    atomic_write(save_path, write)


def load_obj(load_path):
    """Read a neon pickle (path or open binary file), refusing anything but data.

    Arguments:
        load_path (str or file): the file; '.gz' files are decompressed.

    Raises:
        ModelFileError: missing, truncated or corrupt file, or one holding code.
    """
    if isinstance(load_path, (str, bytes, os.PathLike)):
        path = _expand(os.fsdecode(load_path))
        if not os.path.isfile(path):
            raise ModelFileError("model file '{}' does not exist".format(path))
        with open(path, 'rb') as f:
            data = f.read()
        name = path
    else:
        data = load_path.read()
        name = getattr(load_path, 'name', '<file>')
    if data[:2] == b'\x1f\x8b':
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise ModelFileError("model file '{}' is a damaged gzip file ({})".format(
                name, err)) from None
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding='latin1').load()
    except pickle.UnpicklingError as err:
        raise ModelFileError("cannot load model file '{}': {}".format(name, err)) from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as err:
        raise ModelFileError("model file '{}' is truncated or corrupt ({}: {})".format(
            name, type(err).__name__, err)) from None
