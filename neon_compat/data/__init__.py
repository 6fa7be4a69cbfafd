"""Data iterators, as neon.data."""
from neon_compat.data.dataiterator import NervanaDataIterator, ArrayIterator  # noqa: F401
