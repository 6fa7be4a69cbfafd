"""Cost layers: GeneralizedCost and GeneralizedCostMask."""
import numpy as np

from neon_compat import NervanaObject
from neon_compat.layers.base import Layer, interpret_in_shape
from neon_compat.util.compat import scalar_array


class GeneralizedCost(NervanaObject):
    """Applies a cost function to the network output.

    Arguments:
        costfunc (Cost): e.g. CrossEntropyBinary(), SumSquared().
        name (str, optional)

    `get_cost(y, t)` returns the mean per-column cost as a (1, 1) host array;
    `get_errors(y, t)` returns the deltas, shaped like the output buffer.
    """

    def __init__(self, costfunc, name=None):
        super(GeneralizedCost, self).__init__(name)
        self.costfunc = costfunc
        self.outputs = None
        self.deltas = None
        self.cost_buffer = self.be.empty((1, 1)) if self.be is not None else None

    def initialize(self, in_obj):
        if not isinstance(in_obj, Layer):
            raise TypeError('GeneralizedCost.initialize needs the network (a Layer), got '
                            '{}'.format(type(in_obj).__name__))
        self.prev_layer = in_obj
        self.parallelism = in_obj.parallelism
        self.nstep = interpret_in_shape(in_obj.out_shape)[1]
        self.outputs = self.be.iobuf((1, self.nstep), persist_values=False)
        self.deltas = self.be.iobuf(in_obj.out_shape, persist_values=False)
        if self.cost_buffer is None:
            self.cost_buffer = self.be.empty((1, 1))
        self.cost = np.empty([1, 1], dtype=np.float32)

    def get_cost(self, inputs, targets):
        self.outputs[:] = self.costfunc(inputs, targets)
        self.be.mean(self.outputs, axis=1, out=self.cost_buffer)
        self.cost = scalar_array(self.cost_buffer.get())
        return self.cost

    def get_errors(self, inputs, targets):
        self.deltas[:] = self.costfunc.bprop(inputs, targets)
        return self.deltas


class GeneralizedCostMask(GeneralizedCost):
    """GeneralizedCost whose targets come as (targets, mask); masked entries cost nothing.

    Arguments:
        costfunc (Cost): the cost.
        weights (float): scale of cost and deltas, default 1.
        name (str, optional)
    """

    def __init__(self, costfunc, weights=1.0, name=None):
        super(GeneralizedCostMask, self).__init__(costfunc, name)
        self.weights = weights

    def get_cost(self, inputs, targets_mask):
        targets, mask = targets_mask
        self.outputs[:] = self.costfunc(inputs * mask, targets * mask)
        self.cost_buffer[:] = self.be.mean(self.outputs, axis=1) * self.weights
        self.cost = scalar_array(self.cost_buffer.get())
        return self.cost

    def get_errors(self, inputs, targets_mask):
        targets, mask = targets_mask
        self.deltas[:] = self.costfunc.bprop(inputs, targets) * mask * self.weights
        return self.deltas


class GeneralizedGANCost(GeneralizedCost):
    """GeneralizedCost for a GAN's GANCost: `get_cost(y_data, y_noise, cost_type)` with
    cost_type 'dis', 'dis_data', 'dis_noise' or 'gen' (see GANCost).

    Arguments:
        costfunc (GANCost): the cost.
        name (str, optional)
    """

    def get_cost(self, inputs, targets, cost_type=None):
        self.outputs[:] = self.costfunc(inputs, targets, cost_type)
        self.be.mean(self.outputs, axis=1, out=self.cost_buffer)
        self.cost = scalar_array(self.cost_buffer.get())
        return self.cost
