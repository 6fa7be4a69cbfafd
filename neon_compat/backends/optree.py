"""Lazy op-trees, as in neon.

Arithmetic on tensors and the `be.<op>` functions build `OpTreeNode`s
(`(op_dict, left, right)` triples); nothing is computed until a tree is
assigned to a tensor (`out[:] = tree`, or `be.op(..., out=t)`). The backend
then evaluates the tree post-order with one op table built from its array
module, reusing temporaries in place.
"""
import numbers

import numpy as np

from neon_compat import ShapeError

ELEMENTWISE_BINARY = ('add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
                      'eq', 'ne', 'lt', 'le', 'gt', 'ge')
COMPARISONS = ('eq', 'ne', 'lt', 'le', 'gt', 'ge')
ELEMENTWISE_UNARY = ('neg', 'abs', 'sgn', 'sqrt', 'sqr', 'exp', 'log', 'exp2', 'log2',
                     'safelog', 'sig', 'sig2', 'tanh', 'tanh2', 'finite', 'rint',
                     'reciprocal')
REDUCTIONS = ('sum', 'max', 'min', 'argmax', 'argmin')
# the same as sets, for the membership tests of every node built and evaluated
_BINARY, _UNARY, _REDUCE, _COMPARE = (frozenset(names) for names in (
    ELEMENTWISE_BINARY, ELEMENTWISE_UNARY, REDUCTIONS, COMPARISONS))


# the usual scalar types, checked before the (slower) numbers.Real test
_SCALAR_TYPES = frozenset([int, float, bool, np.float16, np.float32, np.float64, np.int8,
                           np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                           np.uint64])


def is_scalar(value):
    """Python and NumPy real numbers (neon rejected np.float32; we accept it)."""
    if type(value) in _SCALAR_TYPES:
        return True
    if isinstance(value, OpTreeOperators):  # tensors and nodes
        return False
    return isinstance(value, numbers.Real) and not isinstance(value, np.ndarray)


def _broadcast_shape(*shapes):
    """np.broadcast_shapes, without its cost when the shapes are all the same."""
    first = shapes[0]
    if all(shape == first for shape in shapes[1:]):
        return tuple(first)
    return tuple(np.broadcast_shapes(*shapes))


def _operand_shape(value):
    if value is None or is_scalar(value):
        return None
    return tuple(value.shape)


def _broadcast(a, b):
    if a is None:
        return b
    if b is None:
        return a
    try:
        return _broadcast_shape(a, b)
    except ValueError:
        raise ShapeError('cannot combine tensors of shapes {} and {} elementwise'.format(
            a, b)) from None


def _reduced(shape, axis):
    if shape is None:
        return (1, 1)
    if axis is None:
        return tuple(1 for _ in shape)
    shape = list(shape)
    shape[axis] = 1
    return tuple(shape)


def _infer_shape(op, a, b, kwargs):
    sa, sb = _operand_shape(a), _operand_shape(b)
    if op in _BINARY:
        return _broadcast(sa, sb)
    if op in _UNARY:
        return sa
    if op in _REDUCE:
        return _reduced(sa, kwargs.get('axis'))
    if op == 'dot':
        if sa[-1] != sb[0]:
            raise ValueError('dot: inner dimensions differ: {} x {}'.format(sa, sb))
        return (sa[0], sb[-1])
    if op == 'transpose':
        return tuple(reversed(sa))
    if op == 'assign':
        return sa
    if op == 'onehot':  # takes the shape of the tensor it is assigned to
        return None
    raise ValueError('unknown op-tree operation {!r}'.format(op))


def _is_operand(value):
    return is_scalar(value) or isinstance(value, (OpTreeNode, OpTreeOperators))


class OpTreeOperators(object):
    """Operators shared by tensors and op-tree nodes: each builds a node."""
    __array_priority__ = 1000

    def _build(self, op, a, b):
        if not (_is_operand(a) and _is_operand(b)):
            return NotImplemented
        return OpTreeNode.build(op, a, b)

    def __add__(self, other):
        return self._build('add', self, other)

    def __radd__(self, other):
        return self._build('add', other, self)

    def __sub__(self, other):
        return self._build('sub', self, other)

    def __rsub__(self, other):
        return self._build('sub', other, self)

    def __mul__(self, other):
        return self._build('mul', self, other)

    def __rmul__(self, other):
        return self._build('mul', other, self)

    def __truediv__(self, other):
        return self._build('div', self, other)

    def __rtruediv__(self, other):
        return self._build('div', other, self)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __pow__(self, other):
        return self._build('pow', self, other)

    def __rpow__(self, other):
        return self._build('pow', other, self)

    def __neg__(self):
        return OpTreeNode.build('neg', self, None)

    def __abs__(self):
        return OpTreeNode.build('abs', self, None)

    def __eq__(self, other):
        return self._build('eq', self, other)

    def __ne__(self, other):
        return self._build('ne', self, other)

    def __lt__(self, other):
        return self._build('lt', self, other)

    def __le__(self, other):
        return self._build('le', self, other)

    def __gt__(self, other):
        return self._build('gt', self, other)

    def __ge__(self, other):
        return self._build('ge', self, other)

    __hash__ = object.__hash__


class OpTreeNode(OpTreeOperators, tuple):
    """A lazy operation: `(op_dict, left, right)` with op_dict = {'op', 'shape', ...}."""

    def __new__(cls, op_dict, left, right=None):
        return tuple.__new__(cls, (op_dict, left, right))

    __hash__ = tuple.__hash__

    @staticmethod
    def build(op, a, b, out=None, **kwargs):
        """Make a node for `op(a, b)`; with `out`, evaluate it into `out` at once."""
        for operand in (a, b):
            if operand is not None and not _is_operand(operand):
                raise TypeError('op-tree operand of type {} is not supported: use tensors, '
                                'op-trees or numbers'.format(type(operand).__name__))
            if op != 'assign' and isinstance(operand, OpTreeNode) and \
                    operand[0]['op'] == 'onehot':
                raise ValueError('be.onehot(...) can only be assigned to a tensor as it is '
                                 '(t[:] = be.onehot(idx, axis)), not used inside an '
                                 'expression')
        if op == 'assign':
            backend = a.backend
            node = OpTreeNode(dict(op='assign', shape=tuple(a.shape)), a, b)
            backend.execute(node)
            return a
        op_dict = dict(op=op, shape=_infer_shape(op, a, b, kwargs), **kwargs)
        node = OpTreeNode(op_dict, a, b)
        if out is not None:
            return OpTreeNode.build('assign', out, node)
        return node

    @property
    def shape(self):
        return self[0]['shape']

    @property
    def T(self):
        return OpTreeNode.build('transpose', self, None)

    def transpose(self, out=None):
        return OpTreeNode.build('transpose', self, None, out=out)

    def find_backend(self):
        """The backend of the first tensor leaf (None for scalar-only trees)."""
        for child in self[1:]:
            if isinstance(child, OpTreeNode):
                found = child.find_backend()
                if found is not None:
                    return found
            elif child is not None and not is_scalar(child):
                return child.backend
        return None

    def astensor(self):
        """Evaluate into a new tensor of the tree's shape."""
        backend = self.find_backend()
        out = backend.empty(self.shape)
        out[:] = self
        return out

    def asnumpyarray(self):
        """Evaluate and return a host NumPy array."""
        return self.astensor().get()

    def pp(self, indent=0):
        """A printable form of the tree."""
        pad = '  ' * indent
        lines = [pad + self[0]['op']]
        for child in self[1:]:
            if isinstance(child, OpTreeNode):
                lines.append(child.pp(indent + 1))
            elif child is not None:
                lines.append(pad + '  ' + (repr(child) if is_scalar(child)
                                           else 'Tensor{}'.format(child.shape)))
        return '\n'.join(lines)

    def __repr__(self):
        return 'OpTreeNode({}, shape={})'.format(self[0]['op'], self.shape)


def make_op_table(xp):
    """The op table for an array module: op name -> function(out_or_None, *arrays, **kw).

    Elementwise functions take `out` (an array to write into, or None).
    """
    exp_m50 = float(np.exp(-50.0))

    def ufunc2(f):
        return lambda out, a, b: f(a, b, out=out) if out is not None else f(a, b)

    def ufunc1(f):
        return lambda out, a: f(a, out=out) if out is not None else f(a)

    def safelog(out, a):
        res = xp.maximum(a, exp_m50, out=out)
        return xp.log(res, out=res)

    def sig(out, a):
        res = xp.negative(a, out=out)
        xp.exp(res, out=res)
        res += 1
        return xp.reciprocal(res, out=res)

    def sig2(out, a):
        res = xp.negative(a, out=out)
        xp.exp2(res, out=res)
        res += 1
        return xp.reciprocal(res, out=res)

    def tanh2(out, a):
        e = xp.exp2(2 * a)
        res = xp.subtract(e, 1, out=out)
        res /= (e + 1)
        return res

    def finite(out, a):
        res = xp.isfinite(a)
        if out is not None:
            out[...] = res
            return out
        return res

    table = {
        'add': ufunc2(xp.add), 'sub': ufunc2(xp.subtract), 'mul': ufunc2(xp.multiply),
        'div': ufunc2(xp.true_divide), 'pow': ufunc2(xp.power),
        'maximum': ufunc2(xp.maximum), 'minimum': ufunc2(xp.minimum),
        'eq': ufunc2(xp.equal), 'ne': ufunc2(xp.not_equal), 'lt': ufunc2(xp.less),
        'le': ufunc2(xp.less_equal), 'gt': ufunc2(xp.greater), 'ge': ufunc2(xp.greater_equal),
        'neg': ufunc1(xp.negative), 'abs': ufunc1(xp.absolute), 'sgn': ufunc1(xp.sign),
        'sqrt': ufunc1(xp.sqrt), 'sqr': ufunc1(xp.square), 'exp': ufunc1(xp.exp),
        'log': ufunc1(xp.log), 'exp2': ufunc1(xp.exp2), 'log2': ufunc1(xp.log2),
        'tanh': ufunc1(xp.tanh), 'rint': ufunc1(xp.rint), 'reciprocal': ufunc1(xp.reciprocal),
        'safelog': safelog, 'sig': sig, 'sig2': sig2, 'tanh2': tanh2, 'finite': finite,
    }
    reductions = {
        'sum': lambda a, axis: xp.sum(a, axis=axis, keepdims=True),
        'max': lambda a, axis: xp.max(a, axis=axis, keepdims=True),
        'min': lambda a, axis: xp.min(a, axis=axis, keepdims=True),
        'argmax': lambda a, axis: xp.expand_dims(xp.argmax(a, axis=axis), axis),
        'argmin': lambda a, axis: xp.expand_dims(xp.argmin(a, axis=axis), axis),
    }
    return table, reductions


class OpTreeEvaluator(object):
    """Evaluates op-trees over one array module `xp` with one op table."""

    def __init__(self, xp, float_dtype):
        self.xp = xp
        self.float_dtype = float_dtype
        self.elementwise, self.reductions = make_op_table(xp)

    def assign(self, out, value):
        """out[...] = value, where value is a tensor, an op-tree or a number."""
        target = out._tensor
        if isinstance(value, OpTreeNode):
            result = self._eval_root(target, value)
            if result is None:
                return
        else:
            result = self._leaf(value)
        try:
            target[...] = result
        except ValueError:
            size = getattr(result, 'size', None)
            if size != target.size:
                raise ShapeError('cannot assign a value of shape {} to a tensor of shape '
                                 '{}'.format(getattr(result, 'shape', ()), target.shape)) \
                    from None
            # same number of elements, shapes not broadcastable: copy in element order,
            # as neon's gpu backend did (course code relies on it)
            target[...] = result.reshape(target.shape)

    def _leaf(self, value):
        if is_scalar(value):
            return value
        return value._tensor

    def _eval(self, node):
        """Return (array, owned): owned arrays are temporaries that may be overwritten."""
        if not isinstance(node, OpTreeNode):
            return self._leaf(node), False
        op_dict, left, right = node
        op = op_dict['op']
        if op in _BINARY:
            (a, a_own), (b, b_own) = self._eval(left), self._eval(right)
            out = self._reusable(op, a, b) if a_own else None
            if out is None and b_own:
                out = self._reusable(op, b, a)
            result = self.elementwise[op](out, a, b)
            if op in _COMPARE:
                result = self._as_float(result, a, b)
            return result, True
        if op in _UNARY:
            a, a_own = self._eval(left)
            out = a if (a_own and self._float_array(a)) else None
            result = self.elementwise[op](out, a)
            if op == 'finite':
                result = self._as_float(result, a, None)
            return result, True
        if op in _REDUCE:
            a = self._eval(left)[0]
            if not hasattr(a, 'shape'):
                a = self.xp.full((1, 1), a, dtype=self.float_dtype)
            return self.reductions[op](a, op_dict.get('axis')), True
        if op == 'dot':
            a, b = self._eval(left)[0], self._eval(right)[0]
            return self.xp.dot(a, b), True
        if op == 'transpose':
            a, own = self._eval(left)
            return a.T, own
        raise ValueError('unknown op-tree operation {!r}'.format(op))

    def _float_array(self, a):
        return hasattr(a, 'dtype') and a.dtype.kind == 'f'

    def _reusable(self, op, own, other):
        """`own` if the result of op(own, other) fits in it exactly (shape and dtype)."""
        if op in _COMPARE or not self._float_array(own):
            return None
        other_shape = getattr(other, 'shape', ())
        if other_shape and _broadcast_shape(own.shape, other_shape) != own.shape:
            return None
        other_dtype = getattr(other, 'dtype', None)
        if other_dtype is not None and other_dtype != own.dtype and \
                self.xp.result_type(own, other) != own.dtype:
            return None
        return own

    def _as_float(self, result, a, b):
        dtypes = [x.dtype for x in (a, b) if hasattr(x, 'dtype') and x.dtype.kind == 'f']
        dtype = dtypes[0] if dtypes else self.float_dtype
        return result.astype(dtype) if hasattr(result, 'astype') else dtype.type(result)

    def _eval_root(self, target, node):
        """Evaluate a tree being assigned to `target`.

        An elementwise root is computed straight into `target` when shape and
        dtype allow (returns None); otherwise the value is returned for copying.
        """
        op_dict, left, right = node
        op = op_dict['op']
        if op == 'onehot':
            self._onehot(target, op_dict['idx'], op_dict['axis'])
            return None
        plain = op not in _COMPARE and op != 'finite' and target.dtype.kind == 'f'
        if plain and op in _BINARY:
            a, b = self._eval(left)[0], self._eval(right)[0]
            if self._fits(target, a, b):
                self.elementwise[op](target, a, b)
                return None
            return self.elementwise[op](None, a, b)
        if plain and op in _UNARY:
            a = self._eval(left)[0]
            if self._fits(target, a):
                self.elementwise[op](target, a)
                return None
            return self.elementwise[op](None, a)
        return self._eval(node)[0]

    def _onehot(self, target, indices, axis):
        """target[i, n] = (indices[n] == i) for axis 0; target[n, i] for axis 1."""
        xp = self.xp
        idx = xp.asarray(self._leaf(indices) if hasattr(indices, '_tensor') else indices)
        idx = idx.reshape(-1).astype(np.int64)
        if axis == 0:
            target[...] = xp.arange(target.shape[0]).reshape(-1, 1) == idx.reshape(1, -1)
        elif axis == 1:
            target[...] = idx.reshape(-1, 1) == xp.arange(target.shape[1]).reshape(1, -1)
        else:
            raise ValueError('onehot axis must be 0 or 1, not {}'.format(axis))

    def _fits(self, target, *arrays):
        shapes = [x.shape for x in arrays if hasattr(x, 'shape')]
        if _broadcast_shape(target.shape, *shapes) != target.shape:
            return False
        dtypes = [x for x in arrays if hasattr(x, 'dtype')]
        if all(x.dtype == target.dtype for x in dtypes):
            return True
        return self.xp.result_type(*dtypes) == target.dtype
