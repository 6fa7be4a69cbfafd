"""Backend methods neon code calls outside the layers: MKL layout no-ops, timing marks."""
import time

import numpy as np


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
