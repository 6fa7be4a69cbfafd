"""Project rules that keep the device switch in one place."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'neon_compat'
CUPY_IMPORT = re.compile(r'^\s*(import cupy|from cupy)', re.M)
NUMPY_IMPORT = re.compile(r'^\s*(import numpy|from numpy)', re.M)


def test_cupy_is_imported_only_in_backends_cuda():
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob('*.py')
                 if CUPY_IMPORT.search(p.read_text()) and p.name != 'cuda.py']
    assert offenders == []


def test_gpu_backend_defines_no_public_method_the_base_lacks():
    import inspect
    from neon_compat.backends.backend import Backend
    from neon_compat.backends.nervanagpu import NervanaGPU
    from neon_compat.backends.nervanacpu import NervanaCPU
    for sub in (NervanaGPU, NervanaCPU):
        for name, member in vars(sub).items():
            if name.startswith('_') or not callable(member):
                continue
            assert hasattr(Backend, name), '{}.{} is not on Backend'.format(sub.__name__, name)
            base_sig = inspect.signature(getattr(Backend, name))
            assert inspect.signature(member) == base_sig, \
                '{}.{} signature differs from Backend'.format(sub.__name__, name)
