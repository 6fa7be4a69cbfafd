"""The branching containers (published as neon.layers.container): Tree,
SingleOutputTree, MergeSum, MergeBroadcast, MergeMultistream, their base Broadcast, and
Multicost."""
import numpy as np

from neon_compat import NervanaObject
from neon_compat.layers.base import Layer, BranchNode
from neon_compat.layers.sequential import LayerContainer, Sequential


def _as_branches(layers, owner):
    """Branches as Sequential containers (a list or a single layer becomes one)."""
    branches = []
    for item in layers:
        if isinstance(item, Sequential):
            branches.append(item)
        elif isinstance(item, (list, tuple)):
            branches.append(Sequential(list(item)))
        elif isinstance(item, Layer):
            branches.append(Sequential([item]))
        else:
            raise TypeError('{}: a branch must be a layer, a list of layers or a Sequential, '
                            'not {}'.format(owner, type(item).__name__))
    return branches


class Tree(LayerContainer):
    """Branches that share a trunk: branch 0 is the trunk (holding BranchNodes), the
    others start at one of its BranchNodes. fprop returns the list of branch outputs.

    Arguments:
        layers (list): branches (lists of layers or Sequentials).
        name (str, optional)
        alphas (list of float, optional): weight of each branch's error, default 1.
    """

    def __init__(self, layers, name=None, alphas=None):
        super(Tree, self).__init__(name=name)
        self.layers = _as_branches(layers, 'Tree')
        self.alphas = [1.0 for _ in self.layers] if alphas is None else alphas
        self.betas = []
        next_root = None
        for branch in reversed(self.layers):
            root = branch.layers[0]
            self.betas.append(1.0 if (root is next_root or type(root) is not BranchNode)
                              else 0.0)
            next_root = root
        self.betas.reverse()

    def nested_str(self, level=0):
        return self.classnm + '\n' + '\n'.join(l.nested_str(level + 1) for l in self.layers)

    def configure(self, in_obj):
        super(Tree, self).configure(in_obj)
        self.layers[0].configure(in_obj)
        for branch in self.layers[1:]:
            branch.configure(None)
        self.out_shape = [branch.out_shape for branch in self.layers]
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        for branch in self.layers:
            branch.allocate(accumulate_updates=accumulate_updates)
        self.outputs = [branch.outputs for branch in self.layers]

    def allocate_deltas(self, global_deltas=None):
        for branch in reversed(self.layers):
            branch.allocate_deltas(None)

    def set_deltas(self, global_deltas):
        pass  # each branch wired its own buffers in allocate_deltas

    def fprop(self, inputs, inference=False):
        x = self.layers[0].fprop(inputs, inference)
        return [x] + [branch.fprop(None, inference=inference) for branch in self.layers[1:]]

    def bprop(self, error, alpha=1.0, beta=0.0):
        """Branches in reverse; returns the trunk's input deltas (neon returned None)."""
        deltas = None
        for branch, e, a, b in reversed(list(zip(self.layers, error, self.alphas, self.betas))):
            deltas = branch.bprop(e, alpha=a, beta=b)
        return deltas

    def get_terminal(self):
        return [branch.get_terminal() for branch in self.layers]


class SingleOutputTree(Tree):
    """A Tree whose inference returns the trunk's output only."""

    def fprop(self, inputs, inference=False):
        x = self.layers[0].fprop(inputs, inference)
        if inference:
            return x
        return [x] + [branch.fprop(None) for branch in self.layers[1:]]


class Broadcast(LayerContainer):
    """Base of MergeSum and MergeBroadcast: every branch sees the same input, and the
    first layers of all branches share one input-delta buffer, the container's."""

    def __init__(self, layers, name=None):
        super(Broadcast, self).__init__(name)
        self.layers = _as_branches(layers, type(self).__name__)
        self.owns_output = True
        self.outputs = None

    @property
    def nest_deltas(self):
        return True

    def __str__(self):
        return '\t' + self.classnm + '\n\t' + '\n\t'.join(str(l) for l in self.layers)

    def configure(self, in_obj):
        super(Broadcast, self).configure(in_obj)
        for branch in self.layers:
            branch.configure(in_obj)
        self._configure_merge()
        return self

    def allocate_deltas(self, global_deltas):
        nested = global_deltas.decend()
        for branch in self.layers:
            branch.layers[0].allocate_deltas(global_deltas)
            for sublayer in branch.layers[1:]:
                sublayer.allocate_deltas(nested)

    def set_deltas(self, delta_buffers):
        bottom = delta_buffers.buffers[0]
        nested = delta_buffers.decend()
        for branch in self.layers:
            branch.layers[0].set_deltas(delta_buffers)
            delta_buffers.buffers.reverse()  # every branch's first layer takes the same one
            for sublayer in branch.layers[1:]:
                sublayer.set_deltas(nested)
        if type(self.prev_layer) is BranchNode:
            self.deltas = self.be.iobuf(self.in_shape, shared=self.prev_layer.deltas)
        else:
            self.deltas = self.be.iobuf(self.in_shape, shared=bottom)
            delta_buffers.buffers.reverse()

    def get_terminal(self):
        return [branch.get_terminal() for branch in self.layers]


class MergeSum(Broadcast):
    """Branches whose outputs are summed (all write into one buffer), e.g. a residual
    block [[Conv, ...], SkipNode()].

    Arguments:
        layers (list): branches.
        name (str, optional)
    """

    def _configure_merge(self):
        self.out_shape = self.layers[0].out_shape

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        if self.outputs is None:
            self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs)
        for branch in self.layers:
            branch.allocate(shared_outputs=self.outputs, accumulate_updates=accumulate_updates)

    def fprop(self, inputs, inference=False):
        for i, branch in enumerate(self.layers):
            branch.fprop(inputs, inference, beta=0.0 if i == 0 else 1.0)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        for branch in reversed(self.layers):
            branch.bprop(error, alpha=alpha, beta=beta if branch is self.layers[-1] else 1.0)
        return self.deltas


class MergeBroadcast(Broadcast):
    """Branches fed the same input, outputs concatenated into one buffer.

    Arguments:
        layers (list): branches.
        merge (str): 'stack' (flattened outputs one above the other; out_shape an int),
            'depth' (channels: (ΣC, H, W)) or 'recurrent' (time: (F, ΣT)).
        alphas (list of float, optional): weights of the branches' input deltas.
        name (str, optional)
    """

    def __init__(self, layers, merge, alphas=None, name=None):
        super(MergeBroadcast, self).__init__(layers, name)
        if merge not in ('recurrent', 'depth', 'stack'):
            raise ValueError("merge must be 'stack', 'depth' or 'recurrent', not "
                             "{!r}".format(merge))
        self.betas = [1.0 for _ in self.layers]
        self.betas[-1] = 0.0
        self.alphas = [1.0 for _ in self.layers] if alphas is None else alphas
        self.merge = merge
        self.error_views = None
        self._error_source = None

    def _partition_error(self, error):
        """The branches' views of the error (made again only for a new error tensor)."""
        if self._error_source is not error:
            self.error_views = self.get_partitions(error, self.slices)
            self._error_source = error

    def get_partitions(self, x, slices):
        if x.shape[-1] != self.be.bsz:  # sequences: time steps are columns
            return [x[:, sl] for sl in slices]
        return [x[sl] for sl in slices]

    def _configure_merge(self):
        in_shapes = [branch.out_shape for branch in self.layers]
        if self.merge == "recurrent":
            catdims = [xs[1] for xs in in_shapes]
            self.out_shape = (in_shapes[0][0], sum(catdims))
            stride = self.be.bsz
        elif self.merge == "depth":
            catdims = [xs[0] for xs in in_shapes]
            if any(tuple(xs[1:]) != tuple(in_shapes[0][1:]) for xs in in_shapes):
                raise ValueError("MergeBroadcast 'depth' needs branch outputs of the same "
                                 "spatial size, got {}".format(in_shapes))
            self.out_shape = (sum(catdims),) + tuple(in_shapes[0][1:])
            stride = int(np.prod(in_shapes[0][1:]))
        else:
            catdims = [xs if isinstance(xs, (int, np.integer)) else int(np.prod(xs))
                       for xs in in_shapes]
            self.out_shape = int(sum(catdims))
            stride = 1
        ends = [int(e) * stride for e in np.cumsum(catdims)]
        starts = [0] + ends[:-1]
        self.slices = [slice(s, e) for s, e in zip(starts, ends)]

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        if self.outputs is None:
            self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs)
        self.output_views = self.get_partitions(self.outputs, self.slices)
        for branch, view in zip(self.layers, self.output_views):
            branch.allocate(shared_outputs=view, accumulate_updates=accumulate_updates)

    def fprop(self, inputs, inference=False):
        for branch in self.layers:
            branch.fprop(inputs, inference)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        self._partition_error(error)
        betas = self.betas[:-1] + [beta]
        for branch, e, a, b in reversed(list(zip(self.layers, self.error_views, self.alphas,
                                                 betas))):
            branch.bprop(e, alpha=a * alpha, beta=b)
        return self.deltas


class MergeMultistream(MergeBroadcast):
    """Like MergeBroadcast, but each branch has its own input (a list of inputs, e.g. an
    ArrayIterator over a list of arrays).

    Arguments:
        layers (list): branches.
        merge (str): 'stack', 'depth' or 'recurrent'.
        name (str, optional)
    """

    def __init__(self, layers, merge, name=None):
        super(MergeMultistream, self).__init__(layers, merge=merge, name=name)

    @property
    def nest_deltas(self):
        return False

    def configure(self, in_obj):
        self.prev_layer = None
        if not isinstance(in_obj, list):
            if not (hasattr(in_obj, 'shape') and isinstance(in_obj.shape, list)):
                raise ValueError('MergeMultistream needs a list of input shapes or a dataset '
                                 'with several inputs')
            in_obj = in_obj.shape
        self.in_shape = in_obj
        for inp, branch in zip(in_obj, self.layers):
            branch.configure(inp)
        self._configure_merge()
        return self

    def allocate_deltas(self, global_deltas=None):
        pass  # the first layer of a network: its branches get their own buffers below

    def set_deltas(self, delta_buffers):
        for branch in self.layers:
            branch.allocate_deltas(None)  # each branch has its own delta buffers

    def fprop(self, inputs, inference=False):
        for branch, inp in zip(self.layers, inputs):
            branch.fprop(inp, inference)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        self._partition_error(error)
        for branch, e in zip(self.layers, self.error_views):
            branch.bprop(e)


class Multicost(NervanaObject):
    """The costs of a Tree's outputs.

    Arguments:
        costs (list of GeneralizedCost): one per branch.
        weights (list of float, optional): default 1 each.
        name (str, optional)
    """

    def __init__(self, costs, weights=None, name=None):
        super(Multicost, self).__init__(name)
        self.costs = costs
        self.weights = [1.0 for _ in costs] if weights is None else weights
        self.deltas = None
        self.costfunc = costs[0].costfunc

    def initialize(self, in_obj):
        if isinstance(in_obj, LayerContainer):
            terminals = in_obj.get_terminal()
        elif isinstance(in_obj, list):
            terminals = in_obj
        else:
            raise TypeError('Multicost must be initialized with a container or a list')
        for cost, terminal in zip(self.costs, terminals):
            cost.initialize(terminal)

    @property
    def cost(self):
        return self.costs[0].cost

    @property
    def outputs(self):
        return self.costs[0].outputs

    def get_description(self, **kwargs):
        desc = super(Multicost, self).get_description()
        desc['config']['costs'] = [c.get_description() for c in self.costs]
        return desc

    def _per_cost(self, targets):
        """One target per cost (the same for all when a single one is given)."""
        return targets if type(targets) in (tuple, list) else [targets] * len(self.costs)

    def get_cost(self, inputs, targets):
        if not isinstance(inputs, list):
            return self.costs[0].get_cost(inputs, targets)
        targets = self._per_cost(targets)
        total = None
        for w, c, i, t in zip(self.weights, self.costs, inputs, targets):
            if t is not None:
                value = w * c.get_cost(i, t)
                total = value if total is None else total + value
        return total

    def get_errors(self, inputs, targets):
        if not isinstance(inputs, list):
            return self.costs[0].get_errors(inputs, targets)
        targets = self._per_cost(targets)
        self.deltas = []
        for w, c, i, t in zip(self.weights, self.costs, inputs, targets):
            if t is None:
                self.deltas.append(None)
                continue
            errors = c.get_errors(i, t)
            errors[:] = errors * w
            self.deltas.append(errors)
        return self.deltas
