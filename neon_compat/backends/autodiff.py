"""Reverse-mode differentiation of op-trees (neon.backends.autodiff).

`Autodiff(f, be)` takes an op-tree f built from tensors (`x0 * x1 + be.exp(x2)`,
reductions, `be.dot`, transposes) and gives the gradient of Σ next_error ⊙ f (next_error
defaults to ones) with respect to any tensor in it. Values are computed once, forward,
over the backend's array module; gradients flow back through the same op table's
operations, summed over broadcast axes. Views of a tensor (its transpose or a reshape)
pass their gradient on to the tensor they view.
"""
import math

from neon_compat.backends.optree import (COMPARISONS, ELEMENTWISE_BINARY, ELEMENTWISE_UNARY,
                                         REDUCTIONS, OpTreeNode, is_scalar)
from neon_compat.backends.tensor import Tensor

LN2 = math.log(2.0)
_NO_GRADIENT = COMPARISONS + ('sgn', 'rint', 'finite', 'argmax', 'argmin')


class Autodiff(object):
    """Gradients of an op-tree with respect to its tensors.

    Arguments:
        op_tree (OpTreeNode or Tensor): the function f.
        be (Backend): the backend of its tensors.
        next_error (Tensor, optional): the weight of each element of f (the error coming
            from the layer above); default ones.
    """

    def __init__(self, op_tree, be, next_error=None):
        self.op_tree = op_tree
        self.be = be
        self.next_error = next_error
        self.xp = be.xp
        self._values = {}
        self._leaf_grads = None

    # --- forward values -----------------------------------------------------
    def _value(self, node):
        if node is None or is_scalar(node):
            return node
        if isinstance(node, Tensor):
            return node._tensor
        key = id(node)
        if key not in self._values:
            op_dict, left, right = node
            self._values[key] = self._compute(op_dict, self._value(left), self._value(right))
        return self._values[key]

    def _compute(self, op_dict, a, b):
        op, xp, evaluator = op_dict['op'], self.xp, self.be.evaluator
        if op in ELEMENTWISE_BINARY:
            result = evaluator.elementwise[op](None, a, b)
        elif op in ELEMENTWISE_UNARY:
            result = evaluator.elementwise[op](None, a)
        elif op in REDUCTIONS:
            if is_scalar(a):
                a = xp.full((1, 1), a, dtype=self.be.default_dtype)
            result = evaluator.reductions[op](a, op_dict.get('axis'))
        elif op == 'dot':
            result = xp.dot(a, b)
        elif op == 'transpose':
            result = a.T
        else:
            raise NotImplementedError("Autodiff cannot differentiate the op-tree operation "
                                      "{!r}".format(op))
        if hasattr(result, 'dtype') and result.dtype.kind != 'f':
            result = result.astype(self.be.default_dtype)
        return result

    # --- backward -----------------------------------------------------------
    def _nodes_in_order(self):
        """The op-tree's nodes, each after all the nodes it depends on."""
        order, seen, stack = [], set(), [(self.op_tree, False)]
        while stack:
            node, expanded = stack.pop()
            if not isinstance(node, OpTreeNode) or (id(node) in seen and not expanded):
                continue
            if expanded:
                order.append(node)
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node[1:] if child is not None)
        return order

    def _unbroadcast(self, grad, shape):
        """grad summed down to `shape` (the operand was broadcast to grad's shape)."""
        if tuple(grad.shape) == tuple(shape):
            return grad
        if grad.ndim < len(shape):
            grad = grad.reshape((1,) * (len(shape) - grad.ndim) + grad.shape)
        extra = grad.ndim - len(shape)
        if extra:
            grad = grad.sum(axis=tuple(range(extra)))
        axes = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1)
        return grad.sum(axis=axes, keepdims=True) if axes else grad

    def _child_grads(self, node, grad):
        """[(child, gradient with respect to it)] of one node, given its gradient."""
        xp = self.xp
        op_dict, left, right = node
        op = op_dict['op']
        if op in _NO_GRADIENT:
            return []
        a, b, value = self._value(left), self._value(right), self._value(node)
        if op == 'add':
            pairs = [(left, grad), (right, grad)]
        elif op == 'sub':
            pairs = [(left, grad), (right, -grad)]
        elif op == 'mul':
            pairs = [(left, grad * b), (right, grad * a)]
        elif op == 'div':
            pairs = [(left, grad / b), (right, -grad * a / (b * b))]
        elif op == 'pow':
            pairs = [(left, grad * b * a ** (b - 1)), (right, grad * value * xp.log(a))]
        elif op in ('maximum', 'minimum'):
            first = (a >= b) if op == 'maximum' else (a <= b)
            pairs = [(left, grad * first), (right, grad * ~first)]
        elif op == 'dot':
            pairs = [(left, xp.dot(grad, b.T)), (right, xp.dot(a.T, grad))]
        elif op == 'transpose':
            pairs = [(left, grad.T)]
        elif op == 'sum':
            pairs = [(left, xp.broadcast_to(grad, a.shape) + 0)]
        elif op in ('max', 'min'):
            pairs = [(left, grad * (a == value))]
        else:
            pairs = [(left, grad * self._unary_derivative(op, a, value))]
        return pairs

    def _unary_derivative(self, op, a, value):
        xp = self.xp
        derivatives = {
            'neg': lambda: -1.0,
            'abs': lambda: xp.sign(a),
            'sqrt': lambda: 0.5 / value,
            'sqr': lambda: 2.0 * a,
            'exp': lambda: value,
            'exp2': lambda: value * LN2,
            'log': lambda: 1.0 / a,
            'log2': lambda: 1.0 / (a * LN2),
            'safelog': lambda: (a > math.exp(-50.)) / a,
            'sig': lambda: value * (1.0 - value),
            'sig2': lambda: value * (1.0 - value) * LN2,
            'tanh': lambda: 1.0 - value * value,
            'tanh2': lambda: (1.0 - value * value) * LN2,
            'reciprocal': lambda: -value * value,
        }
        if op not in derivatives:
            raise NotImplementedError("Autodiff cannot differentiate the op-tree operation "
                                      "{!r}".format(op))
        return derivatives[op]()

    @staticmethod
    def _view_chain(tensor):
        """[(view, 'T' or 'reshape')] from `tensor` up to the tensor that owns the data,
        and that tensor."""
        chain = []
        while isinstance(tensor.base, Tensor):
            mine, base = tensor._tensor, tensor.base._tensor
            if mine.shape == base.shape[::-1] and mine.strides == base.strides[::-1]:
                chain.append((tensor, 'T'))
            elif mine.size == base.size:
                chain.append((tensor, 'reshape'))
            else:
                raise NotImplementedError('Autodiff: gradients through a slice of a tensor are '
                                          'not supported; use the whole tensor')
            tensor = tensor.base
        return chain, tensor

    def _add_leaf(self, tensor, grad):
        """Accumulate a tensor's gradient on the tensor owning its data (a view's is
        passed on to the tensor it views)."""
        chain, owner = self._view_chain(tensor)
        for view, kind in chain:
            grad = grad.T if kind == 'T' else grad.reshape(view.base.shape)
        key = id(owner)
        if key in self._leaf_grads:
            self._leaf_grads[key] = (owner, self._leaf_grads[key][1] + grad)
        else:
            self._leaf_grads[key] = (owner, grad)

    def _backprop(self):
        xp = self.xp
        self._leaf_grads = {}
        root_value = self._value(self.op_tree)
        shape = root_value.shape if hasattr(root_value, 'shape') else (1, 1)
        seed = xp.ones(shape, dtype=self.be.default_dtype)
        if self.next_error is not None:
            seed = seed * self.next_error._tensor
        if isinstance(self.op_tree, Tensor):
            self._add_leaf(self.op_tree, seed)
            return
        node_grads = {id(self.op_tree): seed}
        for node in reversed(self._nodes_in_order()):
            grad = node_grads.pop(id(node), None)
            if grad is None:
                continue
            for child, child_grad in self._child_grads(node, grad):
                if child is None or is_scalar(child):
                    continue
                child_grad = self._unbroadcast(xp.asarray(child_grad),
                                               self._value(child).shape)
                if isinstance(child, Tensor):
                    self._add_leaf(child, child_grad)
                else:
                    previous = node_grads.get(id(child))
                    node_grads[id(child)] = child_grad if previous is None else \
                        previous + child_grad

    # --- neon's API -----------------------------------------------------------
    def _gradient_arrays(self, tensors):
        if self._leaf_grads is None:
            self._backprop()
        out = []
        for tensor in tensors:
            chain, owner = self._view_chain(tensor)
            found = self._leaf_grads.get(id(owner))
            grad = found[1] if found is not None else self.xp.zeros(owner.shape)
            for view, kind in reversed(chain):  # back down to the view asked for
                grad = grad.T if kind == 'T' else grad.reshape(view.shape)
            out.append(grad.astype(tensor.dtype, copy=False))
        return out

    def get_grad_tensor(self, tensors):
        """New tensors holding d(Σ next_error·f)/d tensor, one per tensor."""
        grads = []
        for tensor, grad in zip(tensors, self._gradient_arrays(tensors)):
            out = self.be.empty(tensor.shape, dtype=tensor.dtype)
            out._tensor[...] = grad
            grads.append(out)
        return grads

    def get_grad_op_tree(self, tensors):
        """The gradients as op-tree operands (tensors here: they are computed at once)."""
        return self.get_grad_tensor(tensors)

    def get_grad_asnumpyarray(self, tensors):
        """The gradients as host NumPy arrays."""
        return [self.be.to_host(g) for g in self._gradient_arrays(tensors)]

    def back_prop_grad(self, tensors, gradients):
        """Write each tensor's gradient into the matching tensor of `gradients`."""
        for grad, out in zip(self._gradient_arrays(tensors), gradients):
            out._tensor[...] = grad

    def cleanup(self):
        """Drop the cached values and gradients."""
        self._values = {}
        self._leaf_grads = None
