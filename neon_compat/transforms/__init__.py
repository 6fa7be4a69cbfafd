"""Activations, costs and metrics, as neon.transforms."""
from neon_compat.transforms.transform import Transform  # noqa: F401
from neon_compat.transforms.activation import (  # noqa: F401
    Identity, Rectlin, Rectlinclip, Explin, Normalizer, Softmax, PixelwiseSoftmax, Tanh,
    Logistic, Sign)
from neon_compat.transforms.cost import (  # noqa: F401
    Cost, CrossEntropyBinary, CrossEntropyMulti, SumSquared, MeanSquared, SmoothL1Loss,
    SquareHingeLoss, Metric, MultiMetric, LogLoss, TopKMisclassification, Misclassification,
    Accuracy, PrecisionRecall, BLEUScore, GANCost)
