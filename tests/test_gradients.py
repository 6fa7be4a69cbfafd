"""Float64 finite-difference gradient checks of every layer, activation and cost."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian, Uniform, Constant
from neon_compat.layers import (Affine, Linear, Bias, Activation, DataTransform, Dropout,
                                Reshape, GeneralizedCost, GeneralizedCostMask, Sequential,
                                Layer, ParameterLayer, SkipNode)
from neon_compat.transforms import (Identity, Rectlin, Rectlinclip, Explin, Normalizer,
                                    Logistic, Tanh, Softmax, SumSquared, MeanSquared,
                                    SmoothL1Loss, CrossEntropyBinary, CrossEntropyMulti)
from neon_compat.util.gradcheck import gradcheck, GradientCheckError

ACTIVATIONS = [Identity(), Rectlin(), Rectlin(slope=0.1), Rectlinclip(xcut=0.8),
               Rectlinclip(slope=0.2, xcut=1.0), Explin(), Explin(alpha=0.5),
               Normalizer(divisor=3.), Logistic(), Tanh()]


def _ids(objs):
    return ['{}{}'.format(type(o).__name__, i) for i, o in enumerate(objs)]


def test_linear(backend64):
    gradcheck(Linear(5, init=Gaussian()), 4)


def test_linear_on_sequences(backend64):
    # (features, time) input: the same W applies to every time step
    gradcheck(Linear(3, init=Gaussian()), (4, 2))


def test_bias(backend64):
    gradcheck([Linear(3, init=Gaussian()), Bias(init=Gaussian())], 4)


def test_bias_per_channel_on_image_shapes(backend64):
    gradcheck(Bias(init=Gaussian()), (2, 3, 3))


@pytest.mark.parametrize('transform', ACTIVATIONS, ids=_ids(ACTIVATIONS))
def test_activation(backend64, transform):
    gradcheck([Linear(4, init=Gaussian()), Activation(transform)], 3)


def test_activation_with_alpha_beta_as_first_layer(backend64):
    # the first layer of a Sequential receives (error, alpha, beta)
    gradcheck(Activation(Tanh()), 4)


def test_affine_compound(backend64):
    gradcheck(Affine(4, init=Gaussian(), bias=Uniform(-1, 1), activation=Tanh()), 5)


def test_data_transform_then_affine(backend64):
    # DataTransform has no input gradient (neon returns None); parameters downstream see
    # the transformed data
    gradcheck([DataTransform(Normalizer(divisor=4.)),
               Affine(3, init=Gaussian(), bias=Gaussian(), activation=Rectlin())], 4,
              check_inputs=False)


def test_dropout(backend64):
    # the mask is drawn again at each fprop from be.rng; gradcheck replays the rng state
    gradcheck([Affine(6, init=Gaussian(), activation=Tanh()), Dropout(keep=0.6),
               Linear(3, init=Gaussian())], 4)


def test_reshape_between_linear_layers(backend64):
    gradcheck([Affine(6, init=Gaussian(), activation=Tanh()), Reshape((3, 2)),
               Linear(4, init=Gaussian())], 5)


def test_reshape_keep_and_infer_dims(backend64):
    gradcheck([Affine(12, init=Gaussian()), Reshape((0, -1)), Linear(2, init=Gaussian())],
              (4, 2))


def test_skipnode(backend64):
    gradcheck([Linear(3, init=Gaussian()), SkipNode(), Activation(Tanh())], 4)


def test_nested_sequential(backend64):
    inner = Sequential([Affine(5, init=Gaussian(), bias=Gaussian(), activation=Tanh()),
                        Affine(4, init=Gaussian(), activation=Logistic())])
    gradcheck([inner, Affine(3, init=Gaussian(), bias=Gaussian(), activation=Explin())], 6)


def _binary_targets(shape, seed=1):
    return np.random.RandomState(seed).uniform(0.05, 0.95, size=shape)


def _onehot_targets(nclass, ncols, seed=1):
    idx = np.random.RandomState(seed).randint(0, nclass, ncols)
    return np.eye(nclass)[idx].T


@pytest.mark.parametrize('costfunc', [SumSquared(), MeanSquared(), SmoothL1Loss(),
                                      SmoothL1Loss(sigma=2.0)],
                         ids=['SumSquared', 'MeanSquared', 'SmoothL1', 'SmoothL1sigma2'])
def test_regression_costs(backend64, costfunc):
    gradcheck(Affine(3, init=Gaussian(), bias=Gaussian()), 4,
              cost=GeneralizedCost(costfunc), targets=np.random.RandomState(2).normal(
                  size=(3, 3)))


def test_cross_entropy_binary_with_logistic_shortcut(backend64):
    # neon's CrossEntropyBinary delta is (y - t): correct through Logistic(shortcut=True)
    gradcheck(Affine(2, init=Gaussian(), bias=Gaussian(), activation=Logistic(shortcut=True)),
              4, cost=GeneralizedCost(CrossEntropyBinary()), targets=_binary_targets((2, 3)))


def test_cross_entropy_binary_scale(backend64):
    gradcheck(Affine(2, init=Gaussian(), activation=Logistic(shortcut=True)), 3,
              cost=GeneralizedCost(CrossEntropyBinary(scale=1)),
              targets=_binary_targets((2, 3), seed=4))


def test_cross_entropy_multi_with_softmax(backend64):
    gradcheck(Affine(4, init=Gaussian(), bias=Gaussian(), activation=Softmax()), 5,
              cost=GeneralizedCost(CrossEntropyMulti()), targets=_onehot_targets(4, 3))


def test_cross_entropy_multi_in_bits(backend64):
    gradcheck(Affine(3, init=Gaussian(), activation=Softmax()), 4,
              cost=GeneralizedCost(CrossEntropyMulti(usebits=True)),
              targets=_onehot_targets(3, 3, seed=5))


def test_generalized_cost_mask(backend64):
    t = np.random.RandomState(6).normal(size=(3, 3))
    mask = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=np.float64)
    gradcheck(Affine(3, init=Gaussian(), bias=Gaussian()), 4,
              cost=GeneralizedCostMask(SumSquared(), weights=0.7), targets=(t, mask))


def test_practice4_target_network_small(backend64):
    gradcheck([DataTransform(Normalizer(divisor=128.0)),
               Affine(6, init=Gaussian(scale=0.5), bias=Constant(0.1), activation=Tanh()),
               Affine(4, init=Gaussian(scale=0.5), bias=Constant(0), activation=Tanh()),
               Affine(2, init=Gaussian(scale=0.5), bias=Constant(0),
                      activation=Logistic(shortcut=True))],
              (3, 2, 2), cost=GeneralizedCost(CrossEntropyBinary()),
              targets=_binary_targets((2, 3)), check_inputs=False)


# --- the checker must catch wrong gradients ------------------------------------------

class ScaledIdentity(Layer):
    """y = 2x, as a user would write it; `bug` plants a wrong bprop."""

    def __init__(self, bug=None, name=None):
        super(ScaledIdentity, self).__init__(name)
        self.bug = bug
        self.owns_delta = True

    def configure(self, in_obj):
        super(ScaledIdentity, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def fprop(self, inputs, inference=False):
        self.outputs[:] = inputs * 2
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        factor = -2 if self.bug == 'sign' else 2
        self.deltas[:] = error * factor
        return self.deltas


class SquaredWeights(ParameterLayer):
    """y = W² ⊙ x per row; `bug='missing'` drops the factor 2 of the weight gradient."""

    def __init__(self, init, bug=None, name=None):
        super(SquaredWeights, self).__init__(init, name)
        self.bug = bug

    def configure(self, in_obj):
        super(SquaredWeights, self).configure(in_obj)
        self.out_shape = self.in_shape
        self.weight_shape = (self.in_shape, 1)
        return self

    def fprop(self, inputs, inference=False):
        self.inputs = inputs
        self.outputs[:] = self.W * self.W * inputs
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        self.deltas[:] = self.W * self.W * error
        factor = 1 if self.bug == 'missing' else 2
        self.dW[:] = self.be.sum(self.inputs * error, axis=1) * self.W * factor
        return self.deltas


def test_correct_custom_layers_pass(backend64):
    gradcheck([ScaledIdentity(), SquaredWeights(Gaussian())], 4)


def test_wrong_sign_in_bprop_fails(backend64):
    with pytest.raises(GradientCheckError, match='input'):
        gradcheck([Linear(3, init=Gaussian()), ScaledIdentity(bug='sign')], 4)


def test_missing_term_in_weight_gradient_fails(backend64):
    with pytest.raises(GradientCheckError, match='SquaredWeights'):
        gradcheck(SquaredWeights(Gaussian(), bug='missing', name='SquaredWeights_bug'), 4)


def test_report_lists_each_tensor(backend64):
    report = gradcheck(Affine(2, init=Gaussian(), bias=Gaussian(), name='fc'), 3)
    assert report.ok and set(report.entries) == {'input', 'fc', 'fc_bias'}
    assert all(err < 1e-7 for err, _, _ in report.entries.values())


def test_gradcheck_needs_float64():
    from neon_compat.backends import gen_backend
    gen_backend('cpu', batch_size=2)
    with pytest.raises(ValueError, match='float64'):
        gradcheck(Linear(2, init=Gaussian()), 3)
