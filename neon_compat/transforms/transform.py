"""Transform: the base of activations (neon.transforms.transform)."""
from neon_compat import NervanaObject


class Transform(NervanaObject):
    """A function applied elementwise by an Activation layer.

    `__call__(x)` returns an op-tree for f(x); `bprop(y)` returns an op-tree (or a
    number) for f'(x) written in terms of the *output* y = f(x), as neon does.

    Arguments:
        name (str, optional): object name.
    """

    def __init__(self, name=None):
        super(Transform, self).__init__(name=name)

    def __call__(self, x):
        raise NotImplementedError()

    def bprop(self, x):
        raise NotImplementedError()

    def bprop_error(self, y, error, out):
        """out = f'(y)·error, the backward step of an Activation (tensors of one shape;
        out may be error itself). A transform with a faster way overrides it."""
        out[:] = self.bprop(y) * error
        return out
