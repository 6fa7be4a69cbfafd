"""The one place that imports CuPy.

Two flags say what is usable: `cupy_importable` (the package imports) and
`device_available()` (a CUDA device answers). `require_gpu()` raises one
clear error naming what is missing.
"""
try:  # pragma: no cover - depends on the machine
    import cupy
    cupy_importable = True
    _import_error = None
except Exception as err:  # ImportError, or a broken CUDA install
    cupy = None
    cupy_importable = False
    _import_error = err

_device_checked = None


def _probe_device():
    """Return None when a CUDA device answers, else a sentence saying why not."""
    if not cupy_importable:
        return ('CuPy is not installed or does not import ({}); install it with '
                "`pip install 'neon-compat[gpu-cuda12]'` (or gpu-cuda13)".format(_import_error))
    try:  # pragma: no cover - needs a GPU
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return 'no CUDA device was found'
        cupy.zeros(1).sum()  # touches the driver and a kernel
    except Exception as err:
        return 'no usable CUDA device ({})'.format(str(err).strip() or type(err).__name__)
    return None


def gpu_unavailable_reason():
    """None when the gpu backend can run here, else the reason it cannot."""
    global _device_checked
    if _device_checked is None:
        _device_checked = [_probe_device()]
    return _device_checked[0]


def device_available():
    """True when CuPy imports and a CUDA device answers."""
    return gpu_unavailable_reason() is None


def device_count():
    """Number of CUDA devices (0 without CuPy or a device)."""
    if not device_available():
        return 0
    return int(cupy.cuda.runtime.getDeviceCount())  # pragma: no cover


def compute_capabilities(device_id=None):
    """Compute capabilities (major.minor as floats) of the given devices (an int, a list,
    or None for all); [] without a usable device."""
    if not device_available():
        return []
    ids = range(device_count()) if device_id is None else (  # pragma: no cover
        [device_id] if isinstance(device_id, int) else device_id)
    return [int(cupy.cuda.Device(i).compute_capability) / 10.0 for i in ids]  # pragma: no cover
