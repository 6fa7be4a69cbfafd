"""neon.layers.layer: the layer protocol and the layers neon kept in this one module.

neon's module is about 2,500 lines; here its classes live in smaller files that
import `base.py` (never each other in a circle), and this module only re-exports
them. Model files name them by this module (`neon.layers.layer.Convolution`):
`publish_here` below records that, for every class re-exported here. See
docs/architecture.md.
"""
from neon_compat import publish_here
from neon_compat.layers.base import (
    Layer, ParameterLayer, BranchNode, interpret_in_shape)
from neon_compat.layers.simple_layers import (
    DataTransform, Activation, Dropout, Reshape, SkipNode)
from neon_compat.layers.linear import Linear, Bias
from neon_compat.layers.normalization import BatchNorm, BatchNormAutodiff, LRN
from neon_compat.layers.compound import CompoundLayer, Affine
from neon_compat.layers.convolutional import (
    Convolution, Convolution_bias, Deconvolution, Pooling, Conv, Deconv, RoiPooling)
from neon_compat.layers.embedding import LookupTable
from neon_compat.layers.cost_layers import (
    GeneralizedCost, GeneralizedCostMask, GeneralizedGANCost)

__all__ = [
    'Layer', 'ParameterLayer', 'BranchNode', 'interpret_in_shape',
    'DataTransform', 'Activation', 'Dropout', 'Reshape', 'SkipNode',
    'Linear', 'Bias', 'BatchNorm', 'BatchNormAutodiff', 'LRN', 'CompoundLayer', 'Affine',
    'Convolution', 'Convolution_bias', 'Deconvolution', 'Pooling', 'Conv', 'Deconv', 'RoiPooling',
    'LookupTable', 'GeneralizedCost', 'GeneralizedCostMask', 'GeneralizedGANCost',
]

publish_here(__name__, [globals()[name] for name in __all__])
