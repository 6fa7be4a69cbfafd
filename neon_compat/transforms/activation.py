"""Activation functions (neon.transforms.activation).

Derivatives are evaluated on the layer *output*, as in neon.
"""
from neon_compat.transforms.transform import Transform


class Identity(Transform):
    """f(x) = x.

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(Identity, self).__init__(name)

    def __call__(self, x):
        return x

    def bprop(self, x):
        return 1


class Rectlin(Transform):
    """ReLU (leaky with `slope`): max(x, 0) + slope·min(x, 0).

    Arguments:
        slope (float): slope for x < 0, default 0.
        name (str, optional)
    """

    def __init__(self, slope=0, name=None):
        super(Rectlin, self).__init__(name)
        self.slope = slope

    def __call__(self, x):
        if self.slope == 0:
            return self.be.maximum(x, 0)
        return self.be.maximum(x, 0) + self.slope * self.be.minimum(x, 0)

    def bprop(self, x):
        if self.slope == 0:
            return self.be.greater(x, 0)
        return self.be.greater(x, 0) + self.slope * self.be.less(x, 0)

    def bprop_error(self, y, error, out):
        if self.slope == 0:  # two passes, no op-tree temporaries
            return self.be.relu_bprop(y, error, out)
        return super(Rectlin, self).bprop_error(y, error, out)


class Rectlinclip(Transform):
    """Clipped ReLU: min(max(x, 0) + slope·min(x, 0), xcut).

    Arguments:
        slope (float): default 0.
        name (str, optional)
        xcut (float): clip value, default 20.
    """

    def __init__(self, slope=0, name=None, xcut=20.0):
        super(Rectlinclip, self).__init__(name)
        self.slope = slope
        self.xcut = xcut

    def __call__(self, x):
        return self.be.minimum(self.be.maximum(x, 0) + self.slope * self.be.minimum(x, 0),
                               self.xcut)

    def bprop(self, x):
        return ((self.be.greater(x, 0) + self.slope * self.be.less(x, 0)) *
                self.be.greater(self.xcut, x))


class Explin(Transform):
    """ELU: max(x, 0) + alpha·(exp(min(x, 0)) − 1).

    Arguments:
        alpha (float): default 1.
        name (str, optional)
    """

    def __init__(self, alpha=1.0, name=None):
        super(Explin, self).__init__(name)
        self.alpha = alpha

    def __call__(self, x):
        return self.be.maximum(x, 0) + self.alpha * (self.be.exp(self.be.minimum(x, 0)) - 1)

    def bprop(self, x):
        return self.be.greater(x, 0) + self.be.minimum(x, 0) + self.alpha * self.be.less(x, 0)


class Normalizer(Transform):
    """f(x) = x / divisor.

    Arguments:
        name (str, optional)
        divisor (float): default 128.
    """

    def __init__(self, name=None, divisor=128.):
        super(Normalizer, self).__init__(name)
        self.divisor = divisor

    def __call__(self, x):
        return x / self.divisor

    def bprop(self, x):
        return 1.0 / self.divisor


class Softmax(Transform):
    """Softmax along `axis` (0: over the features of each column).

    bprop returns 1: the derivative is folded into CrossEntropyMulti, as in neon.

    Arguments:
        axis (int): default 0.
        name (str, optional)
        epsilon (float): default 2**-23 (kept for compatibility).
    """

    def __init__(self, axis=0, name=None, epsilon=2 ** -23):
        super(Softmax, self).__init__(name)
        self.axis = axis
        self.epsilon = epsilon

    def __call__(self, x):
        return self.be.softmax(x, axis=self.axis)

    def bprop(self, x):
        return 1


class PixelwiseSoftmax(Transform):
    """Softmax over the c channels of each pixel of a (c, H, W) output, in place.

    bprop returns 1 (the derivative is folded into CrossEntropyMulti), as Softmax.

    Arguments:
        c (int): number of channels.
        name (str, optional)
        epsilon (float): default 2**-23 (kept for compatibility).
    """

    def __init__(self, c, name=None, epsilon=2 ** -23):
        super(PixelwiseSoftmax, self).__init__(name)
        self.epsilon = epsilon
        self.c = c

    def __call__(self, x):
        be = self.be
        y = x.reshape((self.c, -1))
        shifted = be.exp(y - be.max(y, axis=0))
        y[:] = shifted / be.sum(shifted, axis=0)
        return x

    def bprop(self, x):
        return 1


class Tanh(Transform):
    """Hyperbolic tangent; derivative 1 − y².

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(Tanh, self).__init__(name)

    def __call__(self, x):
        return self.be.tanh(x)

    def bprop(self, x):
        return 1.0 - self.be.square(x)


class Logistic(Transform):
    """Sigmoid; derivative y·(1 − y), or 1 with `shortcut` (for CrossEntropyBinary).

    Arguments:
        name (str, optional)
        shortcut (bool): default False.
    """

    def __init__(self, name=None, shortcut=False):
        super(Logistic, self).__init__(name)
        self.shortcut = shortcut

    def set_shortcut(self, shortcut):
        self.shortcut = shortcut

    def __call__(self, x):
        return self.be.sig(x)

    def bprop(self, x):
        if self.shortcut:
            return 1
        return x * (1.0 - x)


class Sign(Transform):
    """Binarization to ±1 with a straight-through derivative |x| <= 1.

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(Sign, self).__init__(name)

    def __call__(self, x):
        return 2 * self.be.greater_equal(x, 0) - 1

    def bprop(self, x):
        return self.be.less_equal(self.be.absolute(x), 1)
