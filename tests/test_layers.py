"""Layer protocol, shapes, naming and forward values."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.initializers import Gaussian, Constant, Array
from neon_compat.layers import (Affine, Linear, Bias, Activation, DataTransform, Dropout,
                                Reshape, Sequential, GeneralizedCost, Layer)
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Rectlin, Normalizer, SumSquared


def build(layers, in_shape):
    model = Model(layers)
    model.initialize(in_shape)
    return model


def test_linear_fprop_and_shapes(backend_default):
    be = backend_default
    W = np.random.RandomState(0).normal(size=(3, 5))
    lin = Linear(3, init=Array(W))
    model = build([lin], 5)
    assert lin.in_shape == 5 and lin.out_shape == (3, 1) and lin.W.shape == (3, 5)
    x = np.random.RandomState(1).normal(size=(5, be.bsz)).astype(np.float32)
    out = model.fprop(be.array(x))
    np.testing.assert_allclose(out.get(), W @ x, rtol=1e-5)
    assert lin.deltas is None, 'the first layer computes no input deltas'


def test_linear_actual_batch_size(backend_default):
    be = backend_default
    lin = Linear(2, init=Gaussian())
    model = build([lin], 4)
    model.set_batch_size(3)
    x = be.array(np.ones((4, be.bsz)))
    out = model.fprop(x).get()
    assert (out[:, 3:] == 0).all() and (out[:, :3] != 0).any()


def test_affine_expands_with_neon_names(backend_default):
    layers = Affine(4, init=Gaussian(), bias=Constant(0), activation=Tanh(), name='fc')
    assert [type(l).__name__ for l in layers] == ['Linear', 'Bias', 'Activation']
    assert [l.name for l in layers] == ['fc', 'fc_bias', 'fc_Tanh']
    auto = Affine(4, init=Gaussian(), activation=Rectlin())
    assert auto[1].name == auto[0].name + '_Rectlin'
    with pytest.raises(AttributeError):
        Affine(4, init=Gaussian(), bias=Constant(0), batch_norm=True)


def test_bias_and_activation_work_in_place(backend_default):
    be = backend_default
    model = build([Linear(3, init=Constant(1.0)), Bias(init=Constant(0.5)),
                   Activation(Rectlin())], 2)
    x = be.array(np.array([[1.0] * be.bsz, [-3.0] * be.bsz]))
    out = model.fprop(x)
    lin, bias, act = model.layers.layers
    assert out is lin.outputs and bias.outputs is lin.outputs and act.outputs is lin.outputs
    np.testing.assert_allclose(out.get(), np.zeros((3, be.bsz)))  # relu(1 - 3 + 0.5) = 0


def test_data_transform_modifies_the_input_buffer(backend_default):
    be = backend_default
    model = build([DataTransform(Normalizer(divisor=4.0)), Linear(1, init=Constant(1.0))], 2)
    x = be.array(np.full((2, be.bsz), 8.0))
    model.fprop(x)
    assert (x.get() == 2.0).all()


def test_dropout_neon_and_caffe_modes(backend_name):
    be = gen_backend(backend_name, batch_size=50, rng_seed=0)
    drop = Dropout(keep=0.8)
    model = build([Linear(20, init=Constant(1.0)), drop], 1)
    x = be.array(np.ones((1, be.bsz)))
    train = model.fprop(x).get()
    assert set(np.unique(train)) <= {0.0, 1.0} and 0.7 < train.mean() < 0.9
    np.testing.assert_allclose(model.fprop(x, inference=True).get(), 0.8)
    be = gen_backend(backend_name, batch_size=50, rng_seed=0, compat_mode='caffe')
    drop = Dropout(keep=0.8)
    model = build([Linear(20, init=Constant(1.0)), drop], 1)
    x = be.array(np.ones((1, be.bsz)))
    assert set(np.unique(model.fprop(x).get())) <= {0.0, 1.25}
    np.testing.assert_allclose(model.fprop(x, inference=True).get(), 1.0)


def test_reshape_configure_rules(backend_default):
    r = Reshape((0, -1))
    r.configure((4, 3, 2))
    assert r.out_shape == (4, 6)
    r = Reshape((2, -1, 3))
    r.configure((4, 3, 2))
    assert r.out_shape == (2, 4, 3)
    with pytest.raises(ValueError, match='cannot reshape'):
        Reshape((5, 5)).configure((4, 3))


def test_sequential_flattens_and_checks(backend_default):
    seq = Sequential([Affine(3, init=Gaussian(), activation=Tanh()),
                      [Linear(2, init=Gaussian()), Bias(init=Constant(0))]])
    assert len(seq.layers) == 4
    with pytest.raises(ValueError, match='own its outputs'):
        Sequential([Activation(Tanh()), Linear(2, init=Gaussian())])
    with pytest.raises(TypeError, match='layer was expected'):
        Sequential([Linear(2, init=Gaussian()), 'relu'])


def test_delta_buffers_alternate(backend_default):
    model = build([Linear(4, init=Gaussian()), Activation(Tanh()), Linear(3, init=Gaussian()),
                   Activation(Tanh())], 5)
    lin1, act1, lin2, act2 = model.layers.layers
    assert lin1.deltas is None
    assert act1.deltas is not None and lin2.deltas is not None and act2.deltas is not None
    def base(t):
        return t.base if t.base is not None else t
    assert base(act1.deltas) is not base(lin2.deltas)
    assert base(act1.deltas) is base(act2.deltas)


def test_layer_after_leading_datatransform_skips_input_deltas(backend_default):
    model = build([DataTransform(Normalizer()), Linear(3, init=Gaussian()),
                   Activation(Tanh())], 4)
    assert model.layers.layers[1].deltas is None
    assert model.layers.layers[2].deltas is not None


def test_custom_layer_without_return_self_is_reported(backend_default):
    class Forgetful(Layer):
        def configure(self, in_obj):
            super(Forgetful, self).configure(in_obj)
            self.out_shape = self.in_shape

    with pytest.raises(TypeError, match='must return self'):
        build([Linear(2, init=Gaussian()), Forgetful()], 3)


def test_generalized_cost_mean_over_columns(backend_default):
    be = backend_default
    cost = GeneralizedCost(SumSquared())
    model = build([Linear(2, init=Constant(0.0))], 3)
    cost.initialize(model.layers)
    y = be.array(np.ones((2, be.bsz)))
    t = be.zeros((2, be.bsz))
    value = cost.get_cost(y, t)
    assert value.shape == (1, 1) and value[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(cost.get_errors(y, t).get(), 1.0)


def test_layer_names_count_per_class(backend_default):
    a, b = Linear(2, init=Gaussian()), Linear(2, init=Gaussian())
    na, nb = int(a.name.split('_')[-1]), int(b.name.split('_')[-1])
    assert a.name.startswith('Linear_') and nb == na + 1
    assert Linear(2, init=Gaussian(), name='mine').name == 'mine'


def test_accumulated_gradients_are_the_sum_of_two_bprops(backend64):
    """With accumulation on (set_acc_on), a bprop adds its gradients onto the previous
    ones instead of overwriting them, for every kind of parameter layer."""
    from neon_compat.layers import Conv, Deconv, BatchNorm
    be, rng = backend64, np.random.RandomState(7)
    layers = [Conv((3, 3, 2), Gaussian(), bias=Constant(0.1), padding=1),
              Conv((1, 1, 3), Gaussian(), batch_norm=True, activation=Tanh()),
              Deconv((3, 3, 2), Gaussian(), bias=Gaussian()),
              Affine(3, Gaussian(), bias=Gaussian(), activation=Tanh())]
    net = Sequential(layers)
    net.configure((2, 4, 4))
    net.allocate(accumulate_updates=True)
    net.allocate_deltas()
    x = be.array(rng.normal(size=(32, be.bsz)))
    errors = [be.array(rng.normal(size=(3, be.bsz))) for _ in range(2)]
    grads = [g for layer in net.layers_to_optimize for ((_, g), _) in
             (layer.get_params() if isinstance(layer.get_params(), list)
              else [layer.get_params()])]
    assert any(isinstance(layer, BatchNorm) for layer in net.layers_to_optimize)
    # fused conv W and bias; conv W, BatchNorm beta and gamma; deconv W, Bias; Linear, Bias
    assert len(grads) == 9

    def bprop(error):
        net.fprop(x)
        net.bprop(error)
        return [g.get() for g in grads]

    # the accumulation buffers, under neon's names
    bn = next(layer for layer in net.layers_to_optimize if isinstance(layer, BatchNorm))
    assert bn.acc_grad_beta.shape == bn.grad_beta.shape == bn.acc_grad_gamma.shape
    assert net.layers[0].acc_grad_bias.shape == net.layers[0].grad_bias.shape
    assert net.layers[-2].acc_dW.shape == net.layers[-2].dW.shape
    first, second = bprop(errors[0]), bprop(errors[1])
    bprop(errors[0])
    net.set_acc_on(True)
    summed = bprop(errors[1])
    for k, (a, b, got) in enumerate(zip(first, second, summed)):
        np.testing.assert_allclose(got, a + b, rtol=1e-10, atol=1e-12, err_msg='grad %d' % k)
    net.set_acc_on(False)
    np.testing.assert_allclose(bprop(errors[1])[0], second[0], rtol=1e-12)


@pytest.mark.parametrize('nout', [0, -3, 2.5, None])
def test_a_bad_number_of_outputs_is_refused_at_construction(backend_default, nout):
    with pytest.raises(ValueError, match=r"Linear 'fc_bad': nout must be a whole number"):
        Affine(nout=nout, init=Gaussian(), name='fc_bad')
    from neon_compat.layers import LSTM
    with pytest.raises(ValueError, match='output_size must be a whole number'):
        LSTM(nout, Gaussian(), activation=Tanh(), gate_activation=Tanh())


def test_a_model_prints_before_it_is_initialized(backend_default):
    model = Model([Affine(nout=3, init=Gaussian(), name='fc'), Dropout(keep=0.5)])
    text = str(model)
    assert "Linear Layer 'fc' (not configured yet)" in text and 'Dropout' in text
    model.initialize(4)
    assert "Linear Layer 'fc': 4 inputs, 3 outputs" in str(model)
