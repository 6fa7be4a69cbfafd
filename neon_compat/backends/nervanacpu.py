"""The cpu backend: the shared Backend over NumPy."""
import os

import numpy as np
from scipy.linalg import blas

from neon_compat.backends.backend import Backend
from neon_compat.backends.tensor import Tensor


class CPUTensor(Tensor):
    """A Tensor whose data is a NumPy array (see Tensor)."""


class NervanaCPU(Backend):
    """NumPy backend (neon's `-b cpu`). Build it with `gen_backend('cpu', ...)`."""
    xp = np
    backend_name = 'cpu'
    tensor_cls = CPUTensor
    kernel_threads = os.cpu_count() or 1

    _blas_axpy = {np.float32: blas.saxpy, np.float64: blas.daxpy}

    def axpy(self, alpha, x, y):
        """y += alpha·x, through BLAS when both are contiguous float32/float64."""
        xa, ya = x._tensor, y._tensor
        axpy = self._blas_axpy.get(xa.dtype.type)
        if (axpy is not None and xa.dtype == ya.dtype and xa.flags.c_contiguous and
                ya.flags.c_contiguous and xa.shape == ya.shape):
            axpy(xa.reshape(-1), ya.reshape(-1), a=alpha)
        else:
            super(NervanaCPU, self).axpy(alpha, x, y)
