"""BranchNode and SkipNode, the identity layers that branching containers share
(published as neon.layers.layer)."""
from neon_compat.layers.layer import Layer


class BranchNode(Layer):
    """A node shared by the branches of a Tree: the same name gives the same object.

    Arguments:
        name (str, optional): node name (one instance per name, None included).
    """
    instances = {}

    def __new__(cls, name=None):
        if name in cls.instances:
            return cls.instances[name]
        return Layer.__new__(cls)

    def __init__(self, name=None):
        if name not in BranchNode.instances:
            BranchNode.instances[name] = self
            super(BranchNode, self).__init__(name)
            self.owns_output = False

    def fprop(self, inputs=None, inference=False):
        if self.outputs is None and inputs is not None:
            self.outputs = inputs
        return self.outputs

    def configure(self, in_obj):
        if hasattr(self, 'in_shape') and in_obj is None:
            return self
        super(BranchNode, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def set_deltas(self, delta_buffers):
        if self.deltas is None:
            self.deltas = self.be.iobuf(self.in_shape, shared=delta_buffers.buffers[0])
            delta_buffers.buffers.reverse()

    def bprop(self, error, alpha=1.0, beta=0.0):
        pass


class SkipNode(Layer):
    """Identity layer (used with MergeSum); fprop accumulates with `beta`.

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(SkipNode, self).__init__(name)
        self.owns_delta = True

    def configure(self, in_obj):
        super(SkipNode, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def fprop(self, inputs=None, inference=False, beta=0):
        if beta == 0:
            self.outputs[:] = inputs
        else:
            self.outputs[:] = self.outputs * beta + inputs
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            if beta == 0:
                self.deltas[:] = error * alpha
            else:
                self.deltas[:] = error * alpha + self.deltas * beta
        return self.deltas
