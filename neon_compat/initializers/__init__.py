"""Initializers, as neon.initializers."""
from neon_compat.initializers.initializer import (  # noqa: F401
    Initializer, Constant, Array, Uniform, Gaussian, GlorotUniform, Xavier, Kaiming,
    IdentityInit, Orthonormal)
