"""neon's Tensor over an array module (NumPy or CuPy).

Shapes are always at least 2-D; batch is the last axis. Indexing gives views
sharing memory; assignment `t[key] = value` accepts numbers, host arrays,
tensors and op-trees.
"""
import numpy as np

from neon_compat.backends.optree import OpTreeNode, OpTreeOperators, is_scalar


def _normalize_key(key, shape):
    """Basic-slicing key -> (tuple of slices, axes given as ints)."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = len(shape) - (len(key) - 1)
        key = key[:at] + (slice(None),) * fill + key[at + 1:]
    if len(key) > len(shape):
        raise IndexError('too many indices ({}) for a tensor of shape {}'.format(len(key), shape))
    slices, int_axes = [], []
    for axis, k in enumerate(key):
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            k = int(k)
            size = shape[axis]
            if k < -size or k >= size:
                raise IndexError('index {} is out of bounds for axis {} of size {}'.format(
                    k, axis, size))
            k = k % size
            slices.append(slice(k, k + 1))
            int_axes.append(axis)
        elif isinstance(k, slice):
            slices.append(k)
        else:
            raise TypeError('tensor index {!r} is not supported: use ints and slices '
                            '(or tensor.take for gathers)'.format(k))
    return tuple(slices), int_axes


class Tensor(OpTreeOperators):
    """A device array with neon's tensor API.

    Arguments:
        backend (Backend): the backend owning the array.
        ary (xp.ndarray): the data, at least 2-D.
        name (str, optional): a name.
        base (Tensor, optional): the tensor this one is a view of.
        persist_values (bool): kept for neon compatibility.
    """
    _min_dims = 2

    def __init__(self, backend, ary, name=None, base=None, persist_values=True):
        while ary.ndim < self._min_dims:
            ary = ary.reshape(ary.shape + (1,)) if ary.ndim else ary.reshape(1, 1)
        self._tensor = ary
        self.backend = backend
        self.name = name
        self.base = base
        self.persist_values = persist_values

    # --- shape and data -------------------------------------------------
    @property
    def shape(self):
        """Tuple of ints, at least two."""
        return tuple(self._tensor.shape)

    @property
    def size(self):
        return int(self._tensor.size)

    @property
    def dtype(self):
        return self._tensor.dtype

    @property
    def is_contiguous(self):
        return bool(self._tensor.flags.c_contiguous)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return '{}(shape={}, dtype={}, name={!r})'.format(
            type(self).__name__, self.shape, self.dtype, self.name)

    def get(self):
        """A host NumPy copy of the data."""
        return self.backend.to_host(self._tensor).copy()

    def asnumpyarray(self):
        """The data as a host NumPy array (the array itself on the cpu backend)."""
        return self.backend.to_host(self._tensor)

    def set(self, value):
        """Copy a host array or a number into this tensor; returns self."""
        if isinstance(value, np.ndarray):
            if value.size != self.size:
                raise ValueError('cannot set a tensor of shape {} from an array of shape {} '
                                 '({} != {} elements)'.format(self.shape, value.shape,
                                                              self.size, value.size))
            value = value.astype(self.dtype, copy=False)
            if value.ndim < self._min_dims or value.shape != self.shape and \
                    not _broadcastable(value.shape, self.shape):
                value = value.reshape(self.shape)
            self._tensor[...] = self.backend.to_device(value)
        elif is_scalar(value):
            self._tensor.fill(value)
        else:
            raise TypeError('Tensor.set takes a NumPy array or a number, not {}'.format(
                type(value).__name__))
        return self

    def fill(self, value):
        """Set every element to `value`; returns self."""
        self._tensor.fill(value)
        return self

    def copy(self, a):
        """self[:] = a; returns self."""
        self._assign(a)
        return self

    copy_from = copy

    # --- indexing -------------------------------------------------------
    def __getitem__(self, key):
        if isinstance(key, slice) and key == slice(None):
            return self
        if key is Ellipsis:
            return self
        slices, int_axes = _normalize_key(key, self.shape)
        view = self._tensor[slices]
        # drop the int-indexed axes, never below two dimensions
        view = _drop_axes(view, int_axes, self._min_dims)
        return self.__class__(self.backend, view, name=self.name, base=self)

    def __setitem__(self, key, value):
        self.__getitem__(key)._assign(value)

    def _assign(self, value):
        if isinstance(value, (Tensor, OpTreeNode)) or is_scalar(value):
            self.backend.evaluator.assign(self, value)
        elif isinstance(value, np.ndarray):
            self.set(value)
        elif self.backend.is_device_array(value):
            self._tensor[...] = value
        else:
            raise TypeError('cannot assign a {} to a tensor: use a number, a NumPy array, '
                            'a tensor or an op-tree'.format(type(value).__name__))
        return self

    # --- views ----------------------------------------------------------
    def reshape(self, *shape):
        """A tensor of a new shape over the same data (a copy if not contiguous)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(int(d) for d in shape)
        if shape == self.shape:
            return self
        try:
            ary = self._tensor.reshape(shape)
        except ValueError:
            raise ValueError('cannot reshape a tensor of shape {} ({} elements) to {}'.format(
                self.shape, self.size, shape)) from None
        return self.__class__(self.backend, ary, name=self.name, base=self)

    def dimension_reorder(self, new_order):
        """Reinterpret the shape in another axis order; the data is not moved (as neon)."""
        return self.reshape([self.shape[i] for i in new_order])

    @property
    def T(self):
        """Transposed view (2-D), or axes 1 and 2 swapped (3-D)."""
        return self.transpose()

    def transpose(self, out=None):
        """Transposed view; with `out`, the transposed data is copied into it."""
        if self._tensor.ndim == 3:
            ary = self._tensor.transpose(0, 2, 1)
        else:
            ary = self._tensor.T
        view = self.__class__(self.backend, ary, name=self.name, base=self)
        if out is not None:
            out[:] = view
            return out
        return view

    def take(self, indices, axis, out=None):
        """Gather `indices` along `axis` into a new tensor (or into `out`)."""
        idx = self.backend.index_array(indices)
        ary = self.backend.xp.take(self._tensor, idx, axis=axis)
        if out is not None:
            out._tensor[...] = ary
            return out
        return self.__class__(self.backend, ary, name=self.name, base=self)

    def share(self, shape, dtype=None, name=None):
        """A view of the first prod(shape) elements of this tensor's memory."""
        shape = (shape, 1) if isinstance(shape, int) else tuple(shape)
        size = int(np.prod(shape))
        if size > self.size:
            raise ValueError('share: shape {} needs {} elements, the buffer has {}'.format(
                shape, size, self.size))
        flat = self._tensor.reshape(-1)
        return self.__class__(self.backend, flat[:size].reshape(shape), name=name or self.name,
                              base=self)

    def raw(self):
        """The underlying array (neon returned a pointer)."""
        return self._tensor

    def __array__(self, dtype=None, copy=None):
        ary = self.get()
        return ary.astype(dtype) if dtype is not None else ary


def _broadcastable(src, dst):
    try:
        return tuple(np.broadcast_shapes(src, dst)) == tuple(dst)
    except ValueError:
        return False


def _drop_axes(view, int_axes, min_dims):
    """Remove the int-indexed (size-1) axes, leftmost first, while ndim > min_dims."""
    shape = list(view.shape)
    removed = 0
    for axis in sorted(int_axes):
        if len(shape) <= min_dims:
            break
        del shape[axis - removed]
        removed += 1
    if removed:
        view = view.reshape(shape)
    return view
