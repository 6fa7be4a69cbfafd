"""Weight initializers (neon.initializers.initializer).

Each `fill(param)` writes into a parameter tensor. Random draws come from the
backend's `be.rng` (NumPy RandomState) on the host, so a seed gives the same
weights on every backend; Orthonormal uses NumPy's global generator, as neon.
"""
import numpy as np

from neon_compat import NervanaObject
from neon_compat.backends.tensor import Tensor


class Initializer(NervanaObject):
    """Abstract base: `fill(param)` initializes a tensor in place."""

    def fill(self, param):
        raise NotImplementedError()


class Constant(Initializer):
    """Every element set to `val`.

    Arguments:
        val (float or Tensor): value (a tensor must have the parameter's shape).
        name (str): defaults to "constantInit".
    """

    def __init__(self, val=0.0, name="constantInit"):
        super(Constant, self).__init__(name=name)
        self.val = val

    def fill(self, param):
        if isinstance(self.val, Tensor):
            if self.val.shape != param.shape:
                raise ValueError('{}: value of shape {} cannot fill a parameter of shape '
                                 '{}'.format(self.name, self.val.shape, param.shape))
        param[:] = self.val


class Array(Constant):
    """The parameter set from an array of its shape.

    Arguments:
        val (Tensor or ndarray): the values.
        name (str): defaults to "arrayInit".
    """

    def __init__(self, val, name="arrayInit"):
        super(Array, self).__init__(val=val, name=name)

    def fill(self, param):
        val = self.val
        if isinstance(val, np.ndarray):
            param.set(val)
        else:
            super(Array, self).fill(param)

    def get_description(self, skip=(), **kwargs):
        desc = super(Array, self).get_description(skip=skip, **kwargs)
        if isinstance(self.val, Tensor):
            desc['config']['val'] = self.val.get()
        return desc


class Uniform(Initializer):
    """Uniform draws in [low, high).

    Arguments:
        low (float): lower bound, default 0.
        high (float): upper bound, default 1.
        name (str): defaults to "uniformInit".
    """

    def __init__(self, low=0.0, high=1.0, name="uniformInit"):
        super(Uniform, self).__init__(name=name)
        self.low, self.high = low, high

    def fill(self, param):
        param.set(self.be.rng.uniform(self.low, self.high, param.shape))


class Gaussian(Initializer):
    """Normal draws N(loc, scale²).

    Arguments:
        loc (float): mean, default 0.
        scale (float): standard deviation, default 1.
        name (str): defaults to "gaussianInit".
    """

    def __init__(self, loc=0.0, scale=1.0, name="gaussianInit"):
        super(Gaussian, self).__init__(name=name)
        self.loc, self.scale = loc, scale

    def fill(self, param):
        param.set(self.be.rng.normal(self.loc, self.scale, param.shape))


class GlorotUniform(Initializer):
    """Uniform in ±sqrt(6 / (shape[0] + shape[1])).

    Arguments:
        name (str): defaults to "autouniformInit".
    """

    def __init__(self, name="autouniformInit"):
        super(GlorotUniform, self).__init__(name=name)

    def fill(self, param):
        k = np.sqrt(6.0 / (param.shape[0] + param.shape[1]))
        param.set(self.be.rng.uniform(-k, k, param.shape))


def _fan_in(param, local):
    """neon's rule: shape[0] when local (conv W is (C*R*S, K)), else shape[1]."""
    return param.shape[0 if local else 1]


class Xavier(Initializer):
    """Uniform in ±sqrt(3 / fan_in), fan_in = shape[0] if local else shape[1].

    Note: Linear's W is (nout, nin), so its true fan-in needs local=False (as neon).

    Arguments:
        local (bool): default True.
        name (str): defaults to "xavier".
    """

    def __init__(self, local=True, name="xavier"):
        super(Xavier, self).__init__(name=name)
        self.local = local

    def fill(self, param):
        scale = np.sqrt(3.0 / _fan_in(param, self.local))
        param.set(self.be.rng.uniform(-scale, scale, param.shape))


class Kaiming(Initializer):
    """Normal N(0, 2 / fan_in), fan_in as in Xavier.

    Arguments:
        local (bool): default True.
        name (str): defaults to "Kaiming".
    """

    def __init__(self, local=True, name="Kaiming"):
        super(Kaiming, self).__init__(name=name)
        self.local = local

    def fill(self, param):
        scale = np.sqrt(2.0 / _fan_in(param, self.local))
        param.set(self.be.rng.normal(0, scale, param.shape))


class IdentityInit(Initializer):
    """Identity in the first nin columns of a (nin, nout) parameter (nout >= nin).

    Layers initialized with it are not optimized (as neon).

    Arguments:
        local (bool): default True.
        name (str): defaults to "Identity".
    """

    def __init__(self, local=True, name="Identity"):
        super(IdentityInit, self).__init__(name=name)
        self.local = local

    def fill(self, param):
        nin, nout = param.shape
        if nout < nin:
            raise ValueError('IdentityInit needs a (nin, nout) parameter with nout >= nin, '
                             'got {}'.format(param.shape))
        ary = np.zeros((nin, nout))
        ary[:, :nin] = np.eye(nin)
        param.set(ary)


class Orthonormal(Initializer):
    """scale × the orthonormal factor of the SVD of a normal matrix (NumPy global rng).

    Arguments:
        scale (float): default 1.1.
        name (str): defaults to "orthonormal".
    """

    def __init__(self, scale=1.1, name="orthonormal"):
        super(Orthonormal, self).__init__(name=name)
        self.scale = scale

    def fill(self, param):
        a = np.random.normal(0.0, 1.0, param.shape)
        u, _, v = np.linalg.svd(a, full_matrices=False)
        q = u if u.shape == param.shape else v
        param.set(self.scale * q)
