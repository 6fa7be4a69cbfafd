"""Python/NumPy compatibility helpers (neon.util.compat)."""
import pickle  # noqa: F401  (neon exported it from here)

import numpy as np

PY3 = True
range = range
xrange = range


class ScalarArray(np.ndarray):
    """A NumPy array that still converts to float/int when it holds one value.

    neon returned metrics and costs as small arrays ((1,) or (1, 1)) and course
    scripts format them with '%.1f' % value; NumPy 2 refuses float() of any array
    with ndim > 0. These arrays behave as NumPy arrays in every other way.
    """

    def __float__(self):
        return float(self._single())

    def __int__(self):
        return int(self._single())

    def _single(self):
        if self.size != 1:
            raise TypeError('only arrays of one element convert to a Python scalar '
                            '(this one has shape {})'.format(self.shape))
        return np.asarray(self).reshape(-1)[0]


def scalar_array(values, dtype=None):
    """`values` as a ScalarArray."""
    return np.asarray(values, dtype=dtype).view(ScalarArray)
