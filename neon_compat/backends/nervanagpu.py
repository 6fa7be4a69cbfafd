"""The gpu backend: the shared Backend over CuPy.

Everything is inherited; only where data lives and how it reaches the host
differ. Hot kernels may be overridden here, falling back to the shared path.
"""
import numpy as np

from neon_compat import NeonCompatError
from neon_compat.backends import cuda
from neon_compat.backends.backend import Backend
from neon_compat.backends.tensor import Tensor


class GPUTensor(Tensor):
    """A Tensor whose data is a CuPy array (see Tensor)."""


class BackendUnavailableError(NeonCompatError, RuntimeError):
    """The requested backend cannot run on this machine."""


class NervanaGPU(Backend):
    """CuPy backend (neon's `-b gpu`). Build it with `gen_backend('gpu', ...)`."""
    backend_name = 'gpu'
    tensor_cls = GPUTensor

    def __init__(self, *args, **kwargs):
        reason = cuda.gpu_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(
                "backend 'gpu' is not available on this machine: {}. "
                "Run with -b cpu (or gen_backend('cpu')) instead.".format(reason))
        self.xp = cuda.cupy
        device_id = kwargs.get('device_id', 0) or 0
        cuda.cupy.cuda.Device(device_id).use()
        super(NervanaGPU, self).__init__(*args, **kwargs)

    def to_host(self, ary):
        return cuda.cupy.asnumpy(ary)

    def to_device(self, ary):
        return cuda.cupy.asarray(np.ascontiguousarray(ary))

    def is_device_array(self, value):
        return isinstance(value, cuda.cupy.ndarray)

    def synchronize(self):
        cuda.cupy.cuda.get_current_stream().synchronize()

    def cleanup_backend(self):
        cuda.cupy.get_default_memory_pool().free_all_blocks()
