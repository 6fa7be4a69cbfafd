"""neon.layers.container: the layer containers.

They live in smaller files (sequential.py, branching.py, seq2seq.py) and this module
only re-exports them; model files name them by this module
(`neon.layers.container.Sequential`), which `publish_here` records. See
docs/architecture.md.
"""
from neon_compat import publish_here
from neon_compat.layers.sequential import (
    flatten, DeltasTree, LayerContainer, Sequential, GenerativeAdversarial)
from neon_compat.layers.branching import (
    Tree, SingleOutputTree, Broadcast, MergeSum, MergeBroadcast, MergeMultistream, Multicost)
from neon_compat.layers.seq2seq import Encoder, Decoder, Seq2Seq

__all__ = [
    'flatten', 'DeltasTree', 'LayerContainer', 'Sequential', 'GenerativeAdversarial',
    'Tree', 'SingleOutputTree', 'Broadcast', 'MergeSum', 'MergeBroadcast', 'MergeMultistream',
    'Multicost', 'Encoder', 'Decoder', 'Seq2Seq',
]

publish_here(__name__, [globals()[name] for name in __all__])
