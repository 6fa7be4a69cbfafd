"""Layers and containers, as neon.layers."""
from neon_compat.layers.layer import (  # noqa: F401
    Layer, ParameterLayer, Linear, Bias, Activation, Affine, DataTransform, Dropout, Reshape,
    GeneralizedCost, GeneralizedCostMask, BranchNode, SkipNode, CompoundLayer, BatchNorm, LRN,
    Convolution, Convolution_bias, Deconvolution, Pooling, Conv, Deconv, LookupTable)
from neon_compat.layers.container import (  # noqa: F401
    Sequential, DeltasTree, LayerContainer, Tree, SingleOutputTree, Broadcast, MergeSum,
    MergeBroadcast, MergeMultistream, Multicost)
from neon_compat.layers.recurrent import (  # noqa: F401
    Recurrent, LSTM, GRU, BiRNN, BiLSTM, RecurrentSum, RecurrentMean, RecurrentLast,
    DeepBiRNN, DeepBiLSTM)
