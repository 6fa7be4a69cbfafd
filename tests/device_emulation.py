"""A CuPy stand-in for machines without a GPU: NumPy underneath, CuPy's rules on top.

Test-only (never importable from neon_compat). It lets CI run the gpu backend's
code path and catch what would break on a real device:

- `ndarray` is its own type. Implicit conversion to NumPy raises as in CuPy
  (`np.asarray(x)`, `np.array(x)`, NumPy functions CuPy lacks); data reaches the
  host only through `asnumpy`, `.get()`, `.item()`, `.tolist()`, `float()`,
  `int()`, `bool()` or formatting, and each of those is counted in
  `TRANSFERS.to_host`; host data entering the device in `TRANSFERS.to_device`.
- Mixing in a host NumPy array (other than 0-d) raises `TypeError`, as CuPy's
  kernels do; `asarray`/`array` and index keys accept host data, as CuPy does.
- Reductions and element reads return 0-d arrays, not NumPy scalars.
- Integer-array indexing and `take` wrap out-of-range indices instead of raising.
- The namespace holds only names CuPy 14 has (`cupy_names.json`, written by
  `python tests/write_device_names.py` where CuPy imports; a test compares it).
- `random.RandomState` has CuPy's methods (a `dtype` argument, no `get_state`).

It is an emulation: speed, memory, streams and kernels are NumPy's.
"""
import json
import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from write_device_names import NAMES_FILE

IMPLICIT_CONVERSION = ('Implicit conversion to a NumPy array is not allowed. '
                       'Please use `.get()` to construct a NumPy array explicitly.')
# functions that take host data (lists, NumPy arrays) as CuPy's do
HOST_INPUT_FUNCTIONS = ('array', 'asarray', 'asanyarray', 'ascontiguousarray',
                        'asfortranarray')


class Transfers(object):
    """Counts copies between host and emulated device: `to_host` (each one a
    synchronisation on a real GPU) and `to_device`."""

    def __init__(self):
        self.to_host = 0
        self.to_device = 0

    def read(self):
        self.to_host += 1

    def write(self, value):
        """Count `value` if it is host data (not an emulated array or a number)."""
        if isinstance(value, (np.ndarray, list, tuple)) and not (
                isinstance(value, np.ndarray) and value.ndim == 0):
            self.to_device += 1


TRANSFERS = Transfers()


def load_names():
    with open(NAMES_FILE) as handle:
        return json.load(handle)


NAMES = load_names()


# --- crossing between the emulated device and NumPy ---------------------------------
def _unwrap(value, allow_host=False):
    """Emulated arrays -> their NumPy data, inside lists and tuples too."""
    if isinstance(value, ndarray):
        return value._data
    if isinstance(value, np.ndarray):
        if allow_host or value.ndim == 0:
            return value
        raise TypeError('Unsupported type {} (a host NumPy array given to a CuPy '
                        'function: transfer it with cupy.asarray first)'.format(type(value)))
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, allow_host) for v in value)
    return value


def _wrap(value, outs=None):
    """NumPy results -> emulated arrays (0-d for scalars); `outs` maps id of an
    out= array's data to the emulated array the caller passed."""
    if isinstance(value, np.ndarray):
        if outs and id(value) in outs:
            return outs[id(value)]
        return ndarray._of(value)
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        return ndarray._of(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v, outs) for v in value)
    if isinstance(value, list):
        return [_wrap(v, outs) for v in value]
    return value


def _call(func, args, kwargs, allow_host=False):
    outs = {}
    out = kwargs.get('out')
    for o in (out if isinstance(out, tuple) else (out,)):
        if isinstance(o, ndarray):
            outs[id(o._data)] = o
    args = _unwrap(args, allow_host)
    kwargs = {k: _unwrap(v, allow_host) for k, v in kwargs.items()}
    return _wrap(func(*args, **kwargs), outs)


def _wrapped_indices(key, shape):
    """Integer-array parts of an index, wrapped into range (CuPy does not raise)."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(p is None or p is Ellipsis for p in parts):
        return key
    fixed = []
    for axis, part in enumerate(parts):
        if (isinstance(part, np.ndarray) and part.dtype.kind in 'iu' and axis < len(shape)
                and shape[axis]):
            part = part % shape[axis]
        fixed.append(part)
    return tuple(fixed) if isinstance(key, tuple) else fixed[0]


def _host_scalar(array, kind):
    TRANSFERS.read()
    if array.size != 1:
        raise TypeError('only length-1 arrays can be converted to Python scalars')
    return kind(array.reshape(()).item())


class ndarray(NDArrayOperatorsMixin):
    """An emulated device array (CuPy's constructor: shape, dtype)."""
    __slots__ = ('_data',)
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order='C'):
        self._data = np.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _of(cls, data):
        array = cls.__new__(cls)
        array._data = data
        return array

    # NumPy protocols: conversion refused, ufuncs and listed functions stay on device
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ not in NAMES['cupy'] or '.' in getattr(func, '__module__', 'numpy')[6:]:
            return NotImplemented
        return _call(func, args, kwargs)

    # the attributes CuPy's ndarray has, served by NumPy's
    def __getattr__(self, name):
        if name.startswith('_') or name not in NAMES['cupy.ndarray']:
            raise AttributeError("'cupy.ndarray' object has no attribute {!r}".format(name))
        attr = getattr(self._data, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs)
        return _wrap(attr)

    # host reads
    def get(self, stream=None, order='C', out=None):
        TRANSFERS.read()
        return np.array(self._data, order=order)

    def set(self, arr, stream=None):
        TRANSFERS.write(arr)
        self._data[...] = np.asarray(arr)

    def item(self, *args):
        TRANSFERS.read()
        return self._data.item(*args)

    def tolist(self):
        TRANSFERS.read()
        return self._data.tolist()

    def __float__(self):
        return _host_scalar(self._data, float)

    def __int__(self):
        return _host_scalar(self._data, int)

    def __complex__(self):
        return _host_scalar(self._data, complex)

    def __bool__(self):
        return _host_scalar(self._data, bool)

    def __format__(self, spec):
        if not spec:
            return str(self)
        return format(_host_scalar(self._data, lambda v: v), spec)

    def __repr__(self):
        return repr(self._data)

    def __str__(self):
        return str(self._data)

    # container protocol (CuPy has no __index__: a 0-d array is not an index)
    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (ndarray._of(self._data[i]) for i in range(len(self._data)))

    def __getitem__(self, key):
        key = _wrapped_indices(_unwrap(key, allow_host=True), self._data.shape)
        return _wrap(self._data[key])

    def __setitem__(self, key, value):
        key = _wrapped_indices(_unwrap(key, allow_host=True), self._data.shape)
        TRANSFERS.write(value)
        self._data[key] = _unwrap(value, allow_host=True)

    def take(self, indices, axis=None, out=None):
        return take(self, indices, axis=axis, out=out)

    def __copy__(self):
        return ndarray._of(self._data.copy())

    def __deepcopy__(self, memo):
        return ndarray._of(self._data.copy())

    def __reduce__(self):
        return (_rebuild, (self._data.copy(),))


def _rebuild(data):
    return ndarray._of(data)


class ufunc(object):
    """An emulated CuPy ufunc over a NumPy one."""

    def __init__(self, np_ufunc):
        self._ufunc = np_ufunc
        self.__name__ = np_ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs)

    def __getattr__(self, name):
        if name not in NAMES['cupy.ufunc']:
            raise AttributeError("'cupy.ufunc' object has no attribute {!r}".format(name))
        attr = getattr(self._ufunc, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs)
        return attr


def _function(np_func, allow_host=False):
    def call(*args, **kwargs):
        if allow_host and args:
            TRANSFERS.write(args[0])
        return _call(np_func, args, kwargs, allow_host=allow_host)
    call.__name__ = np_func.__name__
    return call


def asnumpy(a, stream=None, order='C', out=None):
    if isinstance(a, ndarray):
        return a.get(order=order)
    return np.asarray(a, order=order)


def asarray(a, dtype=None, order=None, blocking=False):
    if isinstance(a, ndarray) and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    TRANSFERS.write(a)
    return _wrap(np.asarray(_unwrap(a, allow_host=True), dtype=dtype, order=order))


def take(a, indices, axis=None, out=None):
    """CuPy's take: out-of-range indices wrap around."""
    return _call(np.take, (a, indices), dict(axis=axis, out=out, mode='wrap'))


def get_array_module(*args):
    return xp if any(isinstance(a, ndarray) for a in args) else np


# --- sub-namespaces -----------------------------------------------------------
class RandomState(object):
    """CuPy's RandomState over NumPy's: CuPy's method names, a `dtype` argument on
    the float draws, no get_state/set_state."""

    def __init__(self, seed=None, method=None):
        self._rng = np.random.RandomState(seed)

    def seed(self, seed=None):
        self._rng.seed(seed)

    def __getattr__(self, name):
        if name.startswith('_') or name not in NAMES['cupy.random.RandomState']:
            raise AttributeError("'cupy.random.RandomState' object has no attribute "
                                 "{!r}".format(name))
        draw = getattr(self._rng, name)

        def call(*args, **kwargs):
            dtype = kwargs.pop('dtype', None)
            result = _call(draw, args, kwargs)
            if dtype is not None and isinstance(result, ndarray):
                result = ndarray._of(result._data.astype(dtype))
            return result
        return call


def _namespace(name, attrs):
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


class _Device(object):
    def __init__(self, device=0):
        self.id = int(device)

    def use(self):
        return None

    def synchronize(self):
        return None


class _Stream(object):
    def synchronize(self):
        return None


class _MemoryPool(object):
    def free_all_blocks(self):
        return None

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0


_MEMORY_POOL = _MemoryPool()
_GLOBAL_RNG = RandomState()


def _build_cupy():
    attrs = {}
    for name in NAMES['cupy']:
        obj = getattr(np, name, None)
        if obj is None or isinstance(obj, types.ModuleType):
            continue  # CuPy-only names and submodules: absent unless built below
        if isinstance(obj, np.ufunc):
            attrs[name] = ufunc(obj)
        elif isinstance(obj, type) or not callable(obj):
            attrs[name] = obj  # dtypes, exceptions, constants
        else:
            attrs[name] = _function(obj, allow_host=name in HOST_INPUT_FUNCTIONS)
    attrs.update(ndarray=ndarray, asnumpy=asnumpy, asarray=asarray, take=take,
                 get_array_module=get_array_module,
                 get_default_memory_pool=lambda: _MEMORY_POOL)
    random_attrs = {'RandomState': RandomState, 'seed': _GLOBAL_RNG.seed}
    for name in NAMES['cupy.random']:
        if name in NAMES['cupy.random.RandomState'] and name not in random_attrs:
            random_attrs[name] = getattr(_GLOBAL_RNG, name)
    attrs['random'] = _namespace('cupy.random', random_attrs)
    strided = np.lib.stride_tricks
    attrs['lib'] = _namespace('cupy.lib', {'stride_tricks': _namespace(
        'cupy.lib.stride_tricks', {n: _function(getattr(strided, n))
                                   for n in ('as_strided', 'sliding_window_view')})})
    attrs['cuda'] = _namespace('cupy.cuda', {
        'Device': _Device, 'get_current_stream': lambda: _Stream(),
        'runtime': _namespace('cupy.cuda.runtime', {'getDeviceCount': lambda: 1})})
    missing = [n for n in attrs if n not in NAMES['cupy']]
    assert not missing, 'the emulation defines names CuPy lacks: {}'.format(missing)
    return _namespace('device_emulation.xp', attrs)


xp = _build_cupy()  # the emulated `cupy` namespace

