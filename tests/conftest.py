"""Shared fixtures: every backend test runs on cpu and gpu; gpu skips without CUDA."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend, cleanup_backend
from neon_compat.backends import cuda

BACKENDS = ['cpu', 'gpu']


def _gpu_skip(name):
    if name == 'gpu' and not cuda.device_available():
        pytest.skip('gpu backend: ' + cuda.gpu_unavailable_reason())


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    """'cpu' or 'gpu' (skipped without a CUDA device)."""
    _gpu_skip(request.param)
    return request.param


@pytest.fixture
def backend_default(backend_name):
    """A float32 backend, batch size 8, seed 0."""
    be = gen_backend(backend_name, batch_size=8, rng_seed=0)
    yield be
    cleanup_backend()


@pytest.fixture
def backend64(backend_name):
    """A float64 backend (gradient checks), batch size 3, seed 0."""
    be = gen_backend(backend_name, batch_size=3, rng_seed=0, datatype=np.float64)
    yield be
    cleanup_backend()


@pytest.fixture
def backend_cpu64():
    """A float64 cpu backend, batch size 4, seed 0."""
    be = gen_backend('cpu', batch_size=4, rng_seed=0, datatype=np.float64)
    yield be
    cleanup_backend()
