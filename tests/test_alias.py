"""The `neon` alias: neon.X is the very module neon_compat.X, in either import order."""
import subprocess
import sys

import pytest

SUBMODULES = ['backends', 'backends.backend', 'layers', 'layers.layer', 'layers.container',
              'models', 'models.model', 'optimizers', 'optimizers.optimizer', 'transforms',
              'transforms.cost', 'transforms.activation', 'initializers',
              'initializers.initializer', 'data', 'data.dataiterator', 'callbacks',
              'callbacks.callbacks', 'util.persist', 'util.gradcheck']


def _run(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)


@pytest.mark.parametrize('first', ['neon', 'neon_compat'])
def test_alias_gives_the_same_module_objects(first):
    second = 'neon_compat' if first == 'neon' else 'neon'
    code = '\n'.join(
        ['import importlib',
         'mods = {!r}'.format(SUBMODULES),
         'for m in mods:',
         '    a = importlib.import_module({!r} + "." + m)'.format(first),
         '    b = importlib.import_module({!r} + "." + m)'.format(second),
         '    assert a is b, m',
         'print("ok")'])
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


def test_neon_style_imports_work():
    code = ('from neon.layers import Affine, GeneralizedCost\n'
            'from neon.layers.layer import Linear\n'
            'import neon_compat.layers.layer as L\n'
            'assert Linear is L.Linear\n'
            'from neon import NervanaObject, logger\n'
            'import neon_compat\n'
            'assert NervanaObject is neon_compat.NervanaObject\n'
            'print("ok")')
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_unknown_neon_submodule_raises_module_not_found():
    result = _run('import neon.no_such_module')
    assert result.returncode != 0
    assert 'ModuleNotFoundError' in result.stderr
