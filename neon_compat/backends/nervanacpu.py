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

    def axpy(self, alpha, x, y):
        """y += alpha·x, through BLAS when both are contiguous float32/float64."""
        xa, ya = x._tensor, y._tensor
        if (xa.dtype == ya.dtype and xa.dtype.type in (np.float32, np.float64) and
                xa.flags.c_contiguous and ya.flags.c_contiguous and xa.shape == ya.shape):
            axpy = blas.get_blas_funcs('axpy', (xa,))
            axpy(xa.reshape(-1), ya.reshape(-1), a=alpha)
        else:
            super(NervanaCPU, self).axpy(alpha, x, y)
