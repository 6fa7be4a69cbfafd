"""Backends: `gen_backend` builds the one backend every neon object uses (`be`)."""
import atexit
import logging

import numpy as np

from neon_compat import NervanaObject
from neon_compat.backends import cuda, distributed
from neon_compat.backends.backend import Backend  # noqa: F401
from neon_compat.backends.nervanacpu import NervanaCPU
from neon_compat.backends.nervanamkl import NervanaMKL
from neon_compat.backends.nervanagpu import NervanaGPU, BackendUnavailableError  # noqa: F401
from neon_compat.backends.optree import OpTreeNode  # noqa: F401
from neon_compat.backends.tensor import Tensor  # noqa: F401

logger = logging.getLogger(__name__)

BACKENDS = {'cpu': NervanaCPU, 'mkl': NervanaMKL, 'gpu': NervanaGPU}
_cleanup_registered = []


def get_device_count():
    """Number of CUDA devices CuPy can reach (0 when none)."""
    return cuda.device_count()


def _parse_dtype(datatype):
    if isinstance(datatype, str):
        aliases = {'f16': 'float16', 'f32': 'float32', 'f64': 'float64'}
        datatype = aliases.get(datatype, datatype)
    try:
        return np.dtype(datatype)
    except TypeError:
        raise ValueError('datatype {!r} is not a NumPy float type'.format(datatype)) from None


def gen_backend(backend='cpu', rng_seed=None, datatype=np.float32, batch_size=0,
                stochastic_round=False, device_id=0, max_devices=None, compat_mode=None,
                deterministic_update=None, deterministic=None):
    """Build the backend, make it `NervanaObject.be`, and return it.

    Arguments:
        backend (str): 'cpu', 'mkl' (NumPy too) or 'gpu' (CuPy).
        rng_seed (int, optional): seed for `be.rng`.
        datatype (dtype): np.float16, np.float32 (default) or np.float64.
        batch_size (int): minibatch size, stored as `be.bsz`.
        stochastic_round (bool): not supported; ignored as on neon's cpu backend.
        device_id (int): GPU number.
        max_devices (int): ignored (one device).
        compat_mode (str): None or 'caffe'.
        deterministic_update, deterministic: deprecated, ignored.
    """
    if deterministic_update is not None or deterministic is not None:
        logger.warning('deterministic_update and deterministic are deprecated and ignored')
    if backend not in BACKENDS:
        raise ValueError('backend must be one of {}, not {!r}'.format(
            tuple(sorted(BACKENDS)), backend))
    if NervanaObject.be is not None:
        cleanup_backend()
    elif not _cleanup_registered:
        _cleanup_registered.append(True)
        atexit.register(cleanup_backend)
    be = BACKENDS[backend](rng_seed=rng_seed, default_dtype=_parse_dtype(datatype),
                           compat_mode=compat_mode, device_id=device_id)
    be.bsz = batch_size
    be.data_parallel = distributed.start()  # started by mpiexec/srun: several processes
    NervanaObject.be = be
    return be


def cleanup_backend():
    """Release the current backend and unset `NervanaObject.be`."""
    if NervanaObject.be is not None:
        NervanaObject.be.cleanup_backend()
    NervanaObject.be = None
