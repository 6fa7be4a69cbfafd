"""CUDA device queries (neon.backends.util.check_gpu), answered through CuPy; 0 when no
device answers (neon asked PyCUDA)."""
from neon_compat import logger
from neon_compat.backends import cuda


def get_compute_capability(device_id=None, verbose=False):
    """The highest compute capability (e.g. 9.0) of the device(s), 0 without a GPU.

    Arguments:
        device_id (int or list, optional): the devices to ask; default all.
        verbose (bool): log what was found.
    """
    found = cuda.compute_capabilities(device_id)
    if verbose:
        logger.display('Found GPU(s) with compute capability: {}'.format(found) if found else
                       'no GPU: ' + (cuda.gpu_unavailable_reason() or 'none found'))
    return max(found) if found else 0


def ensure_gpu_capability(device_id):
    """Raise RuntimeError unless the device has compute capability 3.0 or more."""
    if get_compute_capability(device_id) < 3.0:
        raise RuntimeError('device {} does not have CUDA compute capability 3.0 or greater'
                           .format(device_id))


def get_device_count(verbose=False):
    """The number of CUDA devices (0 without CuPy or a device)."""
    count = cuda.device_count()
    if verbose:
        logger.display('Found {} GPU(s)'.format(count))
    return count
