"""The gpu backend: the shared Backend over CuPy.

Everything is inherited; only where data lives, how it reaches the host and
where random numbers are drawn differ. Hot kernels may be overridden here,
falling back to the shared path.
"""
import numpy as np

from neon_compat import NeonCompatError
from neon_compat.backends import cuda
from neon_compat.backends.backend import Backend
from neon_compat.backends.tensor import Tensor

# seeds handed from the host generator to the device generator
_SEED_RANGE = 2 ** 31


class GPUTensor(Tensor):
    """A Tensor whose data is a CuPy array (see Tensor)."""


class BackendUnavailableError(NeonCompatError, RuntimeError):
    """The requested backend cannot run on this machine."""


class NervanaGPU(Backend):
    """CuPy backend (neon's `-b gpu`). Build it with `gen_backend('gpu', ...)`.

    Random numbers for dropout masks and `fill_normal` are drawn on the device
    by one CuPy generator, reseeded from the host generator (`be.rng`, or NumPy's
    global one for `fill_normal`) at every draw: the host state alone fixes the
    draws, so `rng_get_state`/`rng_set_state`/`rng_reset` work as on the cpu.
    """
    backend_name = 'gpu'
    tensor_cls = GPUTensor
    host_memory = False

    def __init__(self, *args, **kwargs):
        self.xp = self._array_module(kwargs.get('device_id', 0) or 0)
        self._device_rng = self.xp.random.RandomState(0)
        super(NervanaGPU, self).__init__(*args, **kwargs)

    @staticmethod
    def _array_module(device_id):
        """CuPy, with device `device_id` made current (raises when no device answers)."""
        reason = cuda.gpu_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(
                "backend 'gpu' is not available on this machine: {}. "
                "Run with -b cpu (or gen_backend('cpu')) instead.".format(reason))
        cuda.cupy.cuda.Device(device_id).use()
        return cuda.cupy

    def to_host(self, ary):
        return self.xp.asnumpy(ary)

    def to_device(self, ary):
        return self.xp.asarray(np.ascontiguousarray(ary))

    def is_device_array(self, value):
        return isinstance(value, self.xp.ndarray)

    def synchronize(self):
        self.xp.cuda.get_current_stream().synchronize()

    def cleanup_backend(self):
        self.xp.get_default_memory_pool().free_all_blocks()

    # --- random numbers, drawn on the device ---------------------------------
    def _seeded_device_rng(self, host_rng):
        self._device_rng.seed(int(host_rng.randint(_SEED_RANGE)))
        return self._device_rng

    def make_binary_mask(self, out, keepthresh=0.5):
        """out[:] = (uniform(0, 1) < keepthresh), drawn on the device (seeded from be.rng)."""
        uniform = self._seeded_device_rng(self.rng).uniform(size=out.shape, dtype=np.float32)
        out._tensor[...] = uniform < keepthresh
        return out

    def fill_normal(self, ary, mean=0, stdv=1):
        """Fill with normal samples drawn on the device (seeded from NumPy's global
        generator, which neon's cpu backend draws from)."""
        rng = self._seeded_device_rng(np.random)
        dtype = np.float64 if ary.dtype == np.float64 else np.float32  # CuPy draws no float16
        ary._tensor[...] = rng.normal(mean, stdv, size=ary.shape, dtype=dtype)
        return ary
