"""Layers and containers, as neon.layers (re-exports only)."""
from neon_compat.layers.layer import (
    Layer, ParameterLayer, Linear, Bias, Activation, Affine, DataTransform, Dropout, Reshape,
    GeneralizedCost, GeneralizedCostMask, BranchNode, SkipNode, CompoundLayer, BatchNorm, LRN,
    Convolution, Convolution_bias, Deconvolution, Pooling, Conv, Deconv, LookupTable,
    GeneralizedGANCost, RoiPooling, BatchNormAutodiff)
from neon_compat.layers.container import (
    Sequential, DeltasTree, LayerContainer, Tree, SingleOutputTree, Broadcast, MergeSum,
    MergeBroadcast, MergeMultistream, Multicost, GenerativeAdversarial, Seq2Seq)
from neon_compat.layers.recurrent import (
    Recurrent, LSTM, GRU, BiRNN, BiLSTM, BiSum, BiBNRNN, RecurrentSum, RecurrentMean,
    RecurrentLast, DeepBiRNN, DeepBiLSTM)
