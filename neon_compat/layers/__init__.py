"""Layers and containers, as neon.layers."""
from neon_compat.layers.layer import (  # noqa: F401
    Layer, ParameterLayer, Linear, Bias, Activation, Affine, DataTransform, Dropout, Reshape,
    GeneralizedCost, GeneralizedCostMask, BranchNode, SkipNode, CompoundLayer)
from neon_compat.layers.container import Sequential, DeltasTree, LayerContainer  # noqa: F401
