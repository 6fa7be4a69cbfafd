"""The `neon` alias of neon_compat.

`import neon.X` gives the very module object `neon_compat.X`, whichever of the
two names is imported first, so scripts written for neon 2.6 run unchanged.
"""
import importlib
import importlib.abc
import importlib.util
import sys

_ALIAS = 'neon'
_TARGET = 'neon_compat'


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already imported neon_compat module for a neon.* name."""

    def __init__(self, module):
        self._module = module

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `neon.X.Y` to `neon_compat.X.Y`."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_ALIAS + '.'):
            return None
        real_name = _TARGET + fullname[len(_ALIAS):]
        try:
            module = importlib.import_module(real_name)
        except ModuleNotFoundError as err:
            if err.name == real_name:
                return None
            raise
        is_package = hasattr(module, '__path__')
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=is_package)


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())

from neon_compat import *  # noqa: E402,F401,F403
from neon_compat import NervanaObject, logger, __version__, __neon_version__  # noqa: E402,F401
