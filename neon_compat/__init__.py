"""neon_compat: the public API of Intel Nervana neon 2.6 on NumPy and CuPy.

Holds `NervanaObject`, the root of every neon object: it carries the global
backend `be`, automatic names and the description machinery used for
serialization.
"""
import importlib
import inspect
import logging
import os
import sys
import warnings

# OpenBLAS worker threads spin for ~0.1 s after each BLAS call, taking the CPU from the
# NumPy elementwise work that follows a GEMM (on 2-core machines this doubled a training
# step). Let them sleep sooner. Effective for every OpenBLAS loaded after this line
# (NumPy's when neon_compat is imported before numpy); a user's own setting wins.
os.environ.setdefault('OPENBLAS_THREAD_TIMEOUT', '4')

__all__ = ['NervanaObject', 'NeonCompatError', 'ShapeError', 'ModelFileError',
           'DivergenceError', 'logger',
           'public_module_name', 'class_path', 'publish_here', 'load_class']

__version__ = '2.6.0'
# neon's own version string: model files record it, and neon 2.x reads ours.
__neon_version__ = '2.6.0'

DISPLAY_LEVEL_NUM = 41
logging.addLevelName(DISPLAY_LEVEL_NUM, "DISPLAY")


def _display(self, message, *args, **kwargs):
    if self.isEnabledFor(DISPLAY_LEVEL_NUM):
        self._log(DISPLAY_LEVEL_NUM, message, args, **kwargs)


logging.Logger.display = _display
logger = logging.getLogger(__name__)

_OWN_PREFIX = 'neon_compat'

# class -> the module that publishes it: neon kept some modules whole that are split
# into files here (neon.layers.layer); model files name a class by neon's module
_PUBLISHED_AS = {}


def publish_here(module_name, classes):
    """Record that `module_name` publishes `classes` (re-exported there from the files
    they are defined in): descriptions and model files name them by `module_name`."""
    for cls in classes:
        if isinstance(cls, type) and cls.__module__ != module_name:
            _PUBLISHED_AS[cls] = module_name


def public_module_name(module):
    """The module path neon would have used: `neon_compat.x` is written `neon.x`."""
    if module == _OWN_PREFIX or module.startswith(_OWN_PREFIX + '.'):
        return 'neon' + module[len(_OWN_PREFIX):]
    return module


def class_path(cls):
    """'module.Class' as neon writes it in model files ('neon.layers.layer.Linear')."""
    return public_module_name(_PUBLISHED_AS.get(cls, cls.__module__)) + '.' + cls.__name__


def _differs(value, default):
    """True when an attribute value differs from a constructor default."""
    if value is default:
        return False
    try:
        return bool(value != default)
    except Exception:  # arrays, tensors: compare by identity only
        return True


class NervanaObject(object):
    """Base class of all neon objects.

    Arguments:
        name (str, optional): object name; defaults to '<ClassName>_<counter>'.

    Attributes:
        be (Backend): class attribute holding the current backend (set by gen_backend).
    """
    be = None
    __counter = 0

    def __init__(self, name=None):
        if name is None:
            name = '{}_{}'.format(self.__class__.__name__, self.__counter)
        self.name = name
        self._desc = None
        self.__class__.__counter += 1

    @classmethod
    def gen_class(cls, pdict):
        """Build an instance from a description's config, recreating nested objects."""
        config = {k: _instantiate_nested(v) for k, v in pdict.items()}
        return cls(**config)

    def get_description(self, skip=(), **kwargs):
        """Describe this object as {'type': module.Class, 'config': {constructor args}}.

        Only arguments that differ from their constructor default are listed
        (arguments without a default are always listed).
        """
        skip = list(skip) + ['self']
        config = {}
        signature = inspect.signature(self.__class__.__init__)
        for arg, param in signature.parameters.items():
            if arg in skip or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if not hasattr(self, arg):
                logger.warning('%s: no attribute %s to describe', self.classnm, arg)
                continue
            value = getattr(self, arg)
            default = None if param.default is param.empty else param.default
            if param.default is not param.empty and not _differs(value, default):
                continue
            if isinstance(value, NervanaObject):
                value = value.get_description()
            config[arg] = value
        desc = {'type': self.modulenm, 'config': config}
        self._desc = desc
        return desc

    @property
    def classnm(self):
        """The class name."""
        return self.__class__.__name__

    @property
    def modulenm(self):
        """'module.Class' as neon writes it in model files."""
        return class_path(self.__class__)


def _instantiate_nested(value):
    """Recreate every {'type': ..., 'config': ...} found in value (dicts, lists, tuples)."""
    if isinstance(value, dict):
        if 'type' in value and isinstance(value['type'], str) and set(value) <= {
                'type', 'config', 'params', 'states', 'container'}:
            cls = load_class(value['type'])
            return cls.gen_class(value.get('config', {}))
        return {k: _instantiate_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_instantiate_nested(v) for v in value)
    return value


def load_class(ctype):
    """The class named by a model file's 'type' string, e.g. 'neon.layers.layer.Linear'
    (neon.util.persist.load_class).

    Only NervanaObject subclasses are returned; a bare class name is searched for
    in the neon modules.
    """
    if '.' not in ctype:
        return _find_in_neon(ctype)
    module_name, class_name = ctype.rsplit('.', 1)
    ours = module_name.split('.')[0] in ('neon', _OWN_PREFIX)
    if not ours and module_name not in sys.modules:
        # importing a module runs its code: a file may only name neon's modules, or user
        # modules the program has already imported (its own layer classes)
        raise ModelFileError(
            "the model file names '{}', from module '{}', which is neither neon's nor "
            "imported by this program: import that module before loading the file if it "
            "holds your own layers".format(ctype, module_name))
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ModelFileError("cannot find '{}' named by the model file: {}".format(
            ctype, err)) from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, NervanaObject)):
        raise ModelFileError("'{}' named by the model file is not a neon class".format(ctype))
    return cls


def _find_in_neon(class_name):
    for module_name in ('neon_compat.layers', 'neon_compat.transforms',
                        'neon_compat.initializers', 'neon_compat.optimizers',
                        'neon_compat.models', 'neon_compat.data', 'neon_compat.callbacks'):
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, NervanaObject):
            return cls
    raise ModelFileError("no neon class named '{}'".format(class_name))


class NeonCompatError(Exception):
    """An error the user can fix; the message says what is wrong and how to fix it.

    Scripts that parse their arguments with NeonArgparser print such errors as one
    line and exit with status 1 instead of showing a traceback.
    """


class ShapeError(NeonCompatError, ValueError):
    """Shapes that do not fit: data vs network, outputs vs targets, weights vs layer."""


class ModelFileError(NeonCompatError, ValueError):
    """A model file that cannot be read: missing, corrupt, or holding code."""


class DivergenceError(NeonCompatError, FloatingPointError):
    """Training produced a non-finite cost or non-finite weights."""


warnings.filterwarnings('default', category=DeprecationWarning, module=__name__)
