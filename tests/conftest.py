"""Shared fixtures: every backend test runs on cpu and gpu; gpu skips without CUDA."""
import os

import numpy as np
import pytest

from neon_compat.backends import gen_backend, cleanup_backend
from neon_compat.backends import cuda

BACKENDS = ['cpu', 'gpu']
GPU_SKIP_PREFIX = 'gpu backend: '


def _gpu_skip(name):
    if name == 'gpu' and not cuda.device_available():
        pytest.skip(GPU_SKIP_PREFIX + cuda.gpu_unavailable_reason())


def pytest_terminal_summary(terminalreporter):
    """The skips, grouped: one line for all gpu-backend cases, one per other reason.

    (pytest.ini leaves skips out of -r, which would list the gpu case of every test.)
    """
    reasons = {}
    for report in terminalreporter.stats.get('skipped', []):
        if not isinstance(report.longrepr, tuple):
            continue
        path, line, reason = report.longrepr
        reason = reason[len('Skipped: '):] if reason.startswith('Skipped: ') else reason
        if reason.startswith(GPU_SKIP_PREFIX):
            key = 'gpu-backend cases skipped: ' + reason[len(GPU_SKIP_PREFIX):]
        else:
            where = os.path.relpath(path, str(terminalreporter.config.rootpath))
            key = 'skipped: {}:{}: {}'.format(where, line, reason)
        reasons[key] = reasons.get(key, 0) + 1
    if reasons:
        terminalreporter.section('skips', sep='-')
        for key, count in sorted(reasons.items()):
            terminalreporter.line('{} {}'.format(count, key))


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
