"""Optimizer steps against neon's update equations, computed by hand in NumPy."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.layers import Linear, Bias
from neon_compat.initializers import Constant
from neon_compat.optimizers import (GradientDescentMomentum, RMSProp, Adagrad, Adadelta, Adam,
                                    ShiftAdaMax, MultiOptimizer, Schedule, StepSchedule,
                                    PowerSchedule, ExpSchedule, PolySchedule, ShiftSchedule)

BSZ = 4
W0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.7]])
GRADS = [np.array([[1.0, -2.0, 0.5], [3.0, 0.2, -1.0]]) * (k + 1) + k for k in range(3)]


class FakeLayer(object):
    """Just W, dW and states, as a parameter layer exposes them."""

    def __init__(self, be, w=W0, name='fake'):
        self.W = be.array(w)
        self.dW = be.zeros_like(self.W)
        self.states = []
        self.name = name

    def get_params(self):
        return ((self.W, self.dW), self.states)


@pytest.fixture
def be(backend_name):
    return gen_backend(backend_name, batch_size=BSZ, datatype=np.float64, rng_seed=0)


def run(be, opt, steps=3, epochs=None):
    layer = FakeLayer(be)
    out = []
    for k in range(steps):
        layer.dW.set(GRADS[k])
        opt.optimize([layer], epoch=0 if epochs is None else epochs[k])
        out.append(layer.W.get())
    return out


def check(got, expected):
    for k, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg='step %d' % (k + 1))


def test_gdm_momentum_and_weight_decay(be):
    lr, mu, wd = 0.1, 0.9, 0.01
    W, v, expected = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g / BSZ + wd * W
        v = mu * v - lr * g
        W = W + v
        expected.append(W)
    check(run(be, GradientDescentMomentum(lr, momentum_coef=mu, wdecay=wd)), expected)


def test_gdm_without_momentum(be):
    lr, wd = 0.1, 0.01
    W, expected = W0.copy(), []
    for g in GRADS:
        W = -lr * g / BSZ + (1 - lr * wd) * W
        expected.append(W)
    opt = GradientDescentMomentum(lr, momentum_coef=0, wdecay=wd)
    check(run(be, opt), expected)


def test_gdm_nesterov_and_clipping(be):
    lr, mu, wd, gclip, pclip = 0.2, 0.8, 0.001, 0.4, 1.5
    W, v, expected = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = np.clip(g / BSZ, -gclip, gclip) + wd * W
        v = mu * v - lr * g
        W = np.clip(W + mu * v - lr * g, -pclip, pclip)
        expected.append(W)
    opt = GradientDescentMomentum(lr, mu, wdecay=wd, nesterov=True, gradient_clip_value=gclip,
                                  param_clip_value=pclip)
    check(run(be, opt), expected)
    with pytest.raises(ValueError, match='nesterov'):
        GradientDescentMomentum(0.1, 0, nesterov=True)


def test_gdm_param_clip_applies_without_momentum(be):
    # neon computed and discarded the clipped value here; we apply it (docs/differences)
    lr, pclip = 1.0, 0.6
    W, expected = W0.copy(), []
    for g in GRADS:
        W = np.clip(-lr * g / BSZ + W, -pclip, pclip)
        expected.append(W)
    check(run(be, GradientDescentMomentum(lr, 0, param_clip_value=pclip)), expected)


def test_gradient_norm_clipping(be):
    lr, mu, clip_norm = 0.1, 0.5, 1.0
    W, v, expected = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        norm = np.sqrt((g ** 2).sum()) / BSZ
        scale = clip_norm / max(norm, clip_norm)
        v = mu * v - lr * (scale * g / BSZ)
        W = W + v
        expected.append(W)
    check(run(be, GradientDescentMomentum(lr, mu, gradient_clip_norm=clip_norm)), expected)


def test_rmsprop(be):
    lr, rho, eps = 0.01, 0.9, 1e-6
    W, a, expected = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g / BSZ
        a = rho * a + (1 - rho) * g * g
        W = W - lr * g / (np.sqrt(a + eps) + eps)
        expected.append(W)
    check(run(be, RMSProp(decay_rate=rho, learning_rate=lr, epsilon=eps)), expected)


def test_adagrad(be):
    lr, eps = 0.05, 1e-6
    W, a, expected = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g / BSZ
        a = a + g * g
        W = W - lr * g / np.sqrt(a + eps)
        expected.append(W)
    check(run(be, Adagrad(learning_rate=lr, epsilon=eps)), expected)


def test_adadelta(be):
    rho, eps = 0.9, 1e-6
    W, eg, edx, expected = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        g = g / BSZ
        eg = rho * eg + (1 - rho) * g * g
        dx = np.sqrt((edx + eps) / (eg + eps)) * g
        edx = rho * edx + (1 - rho) * dx * dx
        W = W - dx
        expected.append(W)
    check(run(be, Adadelta(decay=rho, epsilon=eps)), expected)


def test_adam_counts_steps_per_minibatch(be):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    W, m, v, expected = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, start=1):
        g = g / BSZ
        step = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        W = W - step * m / (np.sqrt(v) + eps)
        expected.append(W)
    check(run(be, Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)), expected)


def _power_of_two(x):
    """x rounded to a signed power of two in the log domain (neon's shift)."""
    return np.sign(x) * np.exp2(np.rint(np.log(np.maximum(np.abs(x), np.exp(-50.))) /
                                        np.log(2.)))


def test_shift_adamax_counts_epochs_and_shifts(be):
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    W, m, v, expected = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    epochs = [0, 0, 1]
    for epoch, g in zip(epochs, GRADS):
        g = g / BSZ
        step = lr / (1 - b1 ** (epoch + 1))
        m = b1 * m + (1 - b1) * g
        v = np.maximum(b2 * v, np.abs(g))
        update = m * _power_of_two(1.0 / (v + eps)) * _power_of_two(step)
        W = np.clip(W - update, -1, 1)
        expected.append(W)
    got = run(be, ShiftAdaMax(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps),
              epochs=epochs)
    check(got, expected)
    assert got[0][0, 2] == 1.0  # W0's 2.0 is clipped into [-1, 1] at the first step


def test_shift_of_numbers_and_tensors(be):
    assert float(be.shift(0.1, -3, value=False).get()[0, 0]) == pytest.approx(0.0125)
    x = be.array([[3.0, -5.0, 2.0]])
    got = be.shift(x, be.array([[0.3, -6.0, 0.0]])).get()
    np.testing.assert_allclose(got, [[0.75, 40.0, 2.0 * _power_of_two(0.0)]])
    np.testing.assert_allclose(be.shift(x, 0.3).get(), [[0.75, -1.25, 0.5]])


def test_optimizer_states_are_created_in_neon_order(be):
    layer = FakeLayer(be)
    layer.dW.set(GRADS[0])
    Adam().optimize([layer], 0)
    assert len(layer.states) == 2
    layer2 = FakeLayer(be)
    Adadelta().optimize([layer2], 0)
    assert len(layer2.states) == 3
    layer3 = FakeLayer(be)
    GradientDescentMomentum(0.1, 0).optimize([layer3], 0)
    assert layer3.states == []


def test_schedules():
    assert Schedule().get_learning_rate(0.1, 5) == 0.1
    assert Schedule(step_config=2, change=0.5).get_learning_rate(1.0, 5) == 0.25
    assert Schedule(step_config=[2, 4], change=0.1).get_learning_rate(1.0, 4) == pytest.approx(0.01)
    step = StepSchedule(step_config=[1, 3], change=[0.5, 0.2])
    assert [step.get_learning_rate(1.0, e) for e in range(5)] == [1.0, 0.5, 0.5, 0.2, 0.2]
    assert PowerSchedule(step_config=2, change=0.5).get_learning_rate(2.0, 3) == 1.0
    assert ExpSchedule(decay=0.5).get_learning_rate(1.0, 2) == 0.5
    poly = PolySchedule(total_epochs=10, power=2)
    assert poly.get_learning_rate(1.0, 9) == 1.0 and poly.get_learning_rate(1.0, 10) == 0.0
    with pytest.raises(ValueError):
        StepSchedule(step_config=[1, 2], change=[0.1])


def test_shift_schedule(be):
    sched = ShiftSchedule(2)
    assert [sched.get_learning_rate(0.8, e) for e in range(5)] == [0.8, 0.8, 0.4, 0.4, 0.2]
    assert ShiftSchedule(1, shift_size=2).get_learning_rate(1.0, 2) == 1.0 / 16


def test_gdm_uses_schedule(be):
    opt = GradientDescentMomentum(1.0, 0, schedule=StepSchedule([1], [0.5]))
    got = run(be, opt, epochs=[0, 1, 2])
    W = W0 - GRADS[0] / BSZ
    W = W - 0.5 * GRADS[1] / BSZ
    W = W - 0.5 * GRADS[2] / BSZ
    np.testing.assert_allclose(got[-1], W, rtol=1e-12)


def test_description_rebuilds_the_optimizer(be):
    opt = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005, name='sgd')
    config = opt.get_description()['config']
    assert config == {'learning_rate': 0.01, 'momentum_coef': 0.9, 'wdecay': 0.0005,
                      'name': 'sgd'}
    config['learning_rate'] = 0.001
    rebuilt = GradientDescentMomentum(**config)
    assert rebuilt.learning_rate == 0.001 and rebuilt.wdecay == 0.0005
    desc = GradientDescentMomentum(0.1, 0.5, schedule=StepSchedule([2], [0.01])).get_description()
    again = GradientDescentMomentum.gen_class(desc['config'])
    assert isinstance(again.schedule, StepSchedule) and again.schedule.change == [0.01]
    assert again.get_description() == desc


def test_multioptimizer_maps_by_name_then_class_then_default(be):
    lin = Linear(2, init=Constant(0.0), name='fc')
    lin2 = Linear(2, init=Constant(0.0), name='other')
    bias = Bias(init=Constant(0.0), name='fc_bias')
    slow = GradientDescentMomentum(0.001, 0)
    fast = GradientDescentMomentum(1.0, 0)
    frozen = GradientDescentMomentum(0.0, 0)
    mo = MultiOptimizer({'default': fast, 'fc': slow, 'Bias': frozen})
    mapping = mo._map_optimizers([lin, lin2, bias])
    assert mapping[slow] == [lin] and mapping[fast] == [lin2] and mapping[frozen] == [bias]
    with pytest.raises(ValueError, match='default'):
        MultiOptimizer({'fc': slow})
    desc = mo.get_description()
    rebuilt = MultiOptimizer.gen_class(desc['config'])
    assert rebuilt.optimizer_mapping['fc'].learning_rate == 0.001
    assert rebuilt.get_description() == desc


def test_multioptimizer_updates_each_group(be):
    a, b = FakeLayer(be, name='a'), FakeLayer(be, name='b')
    for layer in (a, b):
        layer.dW.set(GRADS[0])
    mo = MultiOptimizer({'default': GradientDescentMomentum(1.0, 0),
                         'b': GradientDescentMomentum(0.0, 0)})
    mo.optimize([a, b], 0)
    np.testing.assert_allclose(a.W.get(), W0 - GRADS[0] / BSZ)
    np.testing.assert_allclose(b.W.get(), W0)
