"""Shared fixtures: every backend test runs on cpu and gpu.

Without a CUDA device the gpu cases run the gpu backend's code over the CuPy
emulation (tests/device_emulation.py) and are named `gpu-emulated`; the terminal
summary says so in one line. NEON_TEST_GPU=skip skips them instead.
"""
import os

import numpy as np
import pytest

from neon_compat.backends import BACKENDS as BACKEND_CLASSES
from neon_compat.backends import gen_backend, cleanup_backend
from neon_compat.backends import cuda
from neon_compat.backends.nervanagpu import NervanaGPU

import device_emulation

BACKENDS = ['cpu', 'gpu']
GPU_SKIP_PREFIX = 'gpu backend: '
GPU_EMULATED = not cuda.device_available() and os.environ.get('NEON_TEST_GPU') != 'skip'
GPU_ID = 'gpu-emulated' if GPU_EMULATED else 'gpu'


class EmulatedGPU(NervanaGPU):
    """NervanaGPU, unchanged, over the CuPy emulation instead of CuPy (tests only)."""

    @staticmethod
    def _array_module(device_id):
        return device_emulation.xp


def _use_gpu(name, monkeypatch):
    """Skip a gpu case that cannot run; under emulation, let gen_backend('gpu') build
    EmulatedGPU for the test's duration."""
    if name != 'gpu':
        return
    if GPU_EMULATED:
        monkeypatch.setitem(BACKEND_CLASSES, 'gpu', EmulatedGPU)
    elif not cuda.device_available():
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
    if GPU_EMULATED:
        terminalreporter.line('gpu-backend cases ran on the CuPy emulation (no CUDA device: '
                              '{}); the real gpu backend was not run'.format(
                                  cuda.gpu_unavailable_reason()))
    if reasons:
        terminalreporter.section('skips', sep='-')
        for key, count in sorted(reasons.items()):
            terminalreporter.line('{} {}'.format(count, key))


@pytest.fixture(params=BACKENDS, ids=['cpu', GPU_ID])
def backend_name(request, monkeypatch):
    """'cpu' or 'gpu' (the CuPy emulation without a CUDA device)."""
    _use_gpu(request.param, monkeypatch)
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
