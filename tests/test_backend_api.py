"""Backend methods neon code calls outside the layers: MKL layout no-ops, timing marks."""
import time

import numpy as np
import pytest


def test_mkl_layout_calls_leave_tensors_as_they_are(backend_default):
    be = backend_default
    t = be.array(np.arange(6.).reshape(3, 2))
    assert be.convert_data(t, False) is None and be.clean_data(t, True) is None
    np.testing.assert_array_equal(t.get(), np.arange(6.).reshape(3, 2))


def test_timing_marks_measure_milliseconds(backend_default):
    be = backend_default
    start, end = be.init_mark(), be.init_mark()
    be.record_mark(start)
    time.sleep(0.02)
    be.record_mark(end)
    be.synchronize_mark(end)
    elapsed = be.get_time(start, end)
    assert 15 <= elapsed < 2000  # milliseconds, not seconds


def test_check_gpu_answers_without_a_gpu():
    from neon_compat.backends import cuda
    from neon_compat.backends.util import check_gpu
    if cuda.device_available():
        assert check_gpu.get_compute_capability() >= 3.0 and check_gpu.get_device_count() >= 1
        return
    assert check_gpu.get_compute_capability(0, verbose=True) == 0
    assert check_gpu.get_device_count() == 0
    with pytest.raises(RuntimeError, match='compute capability'):
        check_gpu.ensure_gpu_capability(0)
