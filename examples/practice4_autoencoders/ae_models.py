"""Practice 4 network descriptions (the course's ae_models.py).

As printed in the Practice 4 document, section 3.1; fixes of print errors are
marked "FIX". The target network of section 3.1 is added as a function at the end.
"""
import numpy as np
from neon.models import Model
from neon.transforms import SumSquared, Normalizer, Tanh
from neon.transforms import Logistic, CrossEntropyBinary  # FIX: used by the target network
from neon.layers import Affine, DataTransform, GeneralizedCost
from neon.initializers import Gaussian, Constant  # FIX: printed as "neon.initialiers"
from neon.initializers import Xavier  # FIX: Xavier is used below but was not imported


def generate_mlp_ae_stacked_step1_model(input_shape):
    output_size = int(np.prod(input_shape))
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Affine(nout=128, init=Gaussian(scale=0.1), bias=Constant(0),
               activation=Tanh(), name='fc_1'),
        Affine(nout=output_size, init=Gaussian(scale=0.1), bias=Constant(0),
               activation=Tanh(), name='fc_-1')
    ]
    model = Model(layers)
    cost = GeneralizedCost(costfunc=SumSquared())
    return (model, cost)


def generate_mlp_ae_stacked_step2_model(input_shape):
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Affine(nout=128, init=Xavier(), bias=Constant(0),
               activation=Tanh(), name='fc_1'),
        Affine(nout=64, init=Xavier(), bias=Constant(0),
               activation=Tanh(), name='fc_2'),
        # FIX: the printed listing repeats name='fc_2' for the decoder and adds a fourth
        # layer; the text says the decoder is one layer with as many outputs as the first
        # layer. A decoder named 'fc_2' would also receive fc_2's weights in the transfer.
        Affine(nout=128, init=Xavier(), bias=Constant(0),
               activation=Tanh(), name='fc_-2'),
    ]
    model = Model(layers=layers)
    cost = GeneralizedCost(costfunc=SumSquared())
    return (model, cost)


def generate_mlp_ae_stacked_step1_encoder_model():
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Affine(nout=128, init=Gaussian(scale=0.1), bias=Constant(0),
               activation=Tanh(), name='fc_1'),
    ]
    model = Model(layers)
    cost = GeneralizedCost(costfunc=SumSquared())
    return (model, cost)


def generate_mlp_ae_stacked_step2_encoder_model():
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Affine(nout=128, init=Xavier(), bias=Constant(0),
               activation=Tanh(), name='fc_1'),
        Affine(nout=64, init=Xavier(), bias=Constant(0),
               activation=Tanh(), name='fc_2'),
    ]
    model = Model(layers)
    cost = GeneralizedCost(costfunc=SumSquared())
    return (model, cost)


def generate_mlp_target_model():
    """The target network of section 3.1 (printed as a bare listing there)."""
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Affine(nout=128, init=Xavier(), bias=Constant(0), activation=Tanh(),
               name='fc_1'),
        Affine(nout=64, init=Xavier(), bias=Constant(0), activation=Tanh(),
               name='fc_2'),
        Affine(nout=2, init=Xavier(), bias=Constant(0),
               activation=Logistic(shortcut=True), name='cls')
    ]
    model = Model(layers)
    cost = GeneralizedCost(costfunc=CrossEntropyBinary())
    return (model, cost)
