"""Write tests/cupy_names.json, the names the CuPy emulation may offer, from an
installed CuPy (it imports without a GPU): `python tests/write_device_names.py`.
CuPy is reached, as everywhere, through neon_compat.backends.cuda."""
import json
import os

NAMES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cupy_names.json')
# the CuPy objects whose public names are listed
LISTED_OBJECTS = ('cupy', 'cupy.ndarray', 'cupy.ufunc', 'cupy.random',
                  'cupy.random.RandomState', 'cupy.lib.stride_tricks', 'cupy.cuda')


def listed_names(cupy):
    """{object: sorted public names} for LISTED_OBJECTS, with ndarray's protocols
    (__array__, __float__ ...) and the CuPy version."""
    objects = {'cupy': cupy, 'cupy.ndarray': cupy.ndarray, 'cupy.ufunc': cupy.add,
               'cupy.random': cupy.random, 'cupy.random.RandomState': cupy.random.RandomState,
               'cupy.lib.stride_tricks': cupy.lib.stride_tricks, 'cupy.cuda': cupy.cuda}
    names = {}
    for key in LISTED_OBJECTS:
        attrs = dir(objects[key])
        public = [n for n in attrs if not n.startswith('_')]
        if key == 'cupy.ndarray':
            public += [n for n in attrs if n.startswith('__') and n.endswith('__')]
        names[key] = sorted(set(public))
    return names


if __name__ == '__main__':
    from neon_compat.backends import cuda
    if not cuda.cupy_importable:
        raise SystemExit('CuPy does not import here: ' + cuda.gpu_unavailable_reason())
    with open(NAMES_FILE, 'w') as handle:
        json.dump(dict(listed_names(cuda.cupy), version=cuda.cupy.__version__), handle,
                  indent=0, sort_keys=True)
        handle.write('\n')
    print('wrote {} (CuPy {})'.format(NAMES_FILE, cuda.cupy.__version__))
