"""Optimizers and learning-rate schedules (neon.optimizers.optimizer).

Update equations are neon's: gradients in `dW` are sums over the batch and are
divided by `be.bsz` here (`be.global_bsz`: summed over the processes of a
data-parallel job); weight decay is added to the gradient (times the
learning rate) in GradientDescentMomentum.
"""
import logging

import numpy as np

from neon_compat import NervanaObject, load_class

logger = logging.getLogger(__name__)


def get_param_list(layer_list):
    """Flatten `layer.get_params()` of each layer into [((W, dW), states), ...]."""
    plist = []
    for layer in layer_list:
        ptuple = layer.get_params()
        if isinstance(ptuple, list):
            plist.extend(ptuple)
        else:
            plist.append(ptuple)
    return plist


class Optimizer(NervanaObject):
    """Base optimizer: `optimize(layer_list, epoch)` updates the layers' parameters.

    The base class owns the loop: the step's learning rate (`begin_step`), the global
    gradient-norm clip factor, optimizer states created on first use (`nstates` zero
    tensors shaped like the gradient, kept in the layer's state list), then
    `update_param` for each parameter. An optimizer writes only `update_param` (and
    `begin_step` if its rate is not the schedule's).
    """
    # defaults for the arguments an optimizer does not take
    learning_rate = None
    schedule = None
    gradient_clip_norm = None
    gradient_clip_value = None
    param_clip_value = None
    nstates = 0

    def __init__(self, name=None):
        super(Optimizer, self).__init__(name=name)

    def optimize(self, layer_list, epoch):
        lrate = self.begin_step(epoch)
        param_list = get_param_list(layer_list)
        dist = self.be.data_parallel
        if dist is not None:  # several processes: the gradients of every rank's examples
            dist.reduce_gradients([grad for (_, grad), _ in param_list])
        scale_factor = self.clip_gradient_norm(param_list, self.gradient_clip_norm)
        for (param, grad), states in param_list:
            if len(states) == 0 and self.nstates:
                states.extend(self.be.zeros_like(grad) for _ in range(self.nstates))
            self.update_param(param, grad, states, lrate, scale_factor)

    def begin_step(self, epoch):
        """Called once per optimize(): the learning rate of this step."""
        if self.schedule is None:
            return self.learning_rate
        return self.schedule.get_learning_rate(self.learning_rate, epoch)

    def update_param(self, param, grad, states, lrate, scale_factor):
        """Update one parameter in place from its summed gradient `grad` (dW).

        Arguments:
            param, grad (Tensor): the parameter and its gradient summed over the batch.
            states (list of Tensor): this optimizer's `nstates` states of the parameter.
            lrate (float): the step's learning rate (`begin_step`).
            scale_factor (float): the gradient-norm clip factor (1 without clipping).
        """
        raise NotImplementedError()

    def set_clipping(self, gradient_clip_norm, gradient_clip_value, param_clip_value):
        """Keep the clipping arguments (None: no clipping of that kind)."""
        self.gradient_clip_norm = gradient_clip_norm
        self.gradient_clip_value = gradient_clip_value
        self.param_clip_value = param_clip_value

    def batch_gradient(self, grad):
        """clip(dW / bsz) to ±gradient_clip_value (an op-tree)."""
        return self.clip_value(grad / self.be.global_bsz, self.gradient_clip_value)

    def clip_gradient_norm(self, param_list, clip_norm):
        """clip_norm / max(‖all dW‖ / bsz, clip_norm), or 1 without clip_norm."""
        if not clip_norm:
            return 1
        total = 0.0
        for (_, grad), _ in param_list:
            total += float(self.be.sum(self.be.square(grad)).asnumpyarray()[0, 0])
        grad_norm = np.sqrt(total) / self.be.global_bsz
        return clip_norm / max(grad_norm, float(clip_norm))

    def clip_value(self, v, abs_bound=None):
        """v clipped elementwise to ±|abs_bound| (an op-tree), or v unchanged."""
        if abs_bound:
            return self.be.clip(v, -abs(abs_bound), abs(abs_bound))
        return v


class Schedule(NervanaObject):
    """Learning-rate schedule; the base class keeps the rate constant by default.

    Arguments:
        step_config (None, int or list): None: constant; int k: multiply by `change`
            every k epochs; list of epochs: multiply by `change` at each of them;
            list with a list `change`: StepSchedule behaviour (deprecated).
        change (float or list): the factor (or rates).
    """

    def __init__(self, step_config=None, change=1.):
        if isinstance(step_config, list) and isinstance(change, list):
            if len(step_config) != len(change):
                raise ValueError('Schedule: step_config and change must have the same length')
            logger.warning('Schedule with two lists is deprecated: use StepSchedule')
        if isinstance(step_config, int):
            logger.warning('Schedule with an int step_config is deprecated: use PowerSchedule')
        self.step_config = step_config
        self.change = change
        self.steps = 0

    def get_learning_rate(self, learning_rate, epoch):
        if isinstance(self.step_config, list) and isinstance(self.change, list):
            if epoch in self.step_config:
                self.steps = self.change[self.step_config.index(epoch)]
            return learning_rate if self.steps == 0 else self.steps
        if isinstance(self.step_config, int):
            self.steps = np.floor(epoch / self.step_config)
        elif isinstance(self.step_config, list):
            self.steps = np.sum(epoch >= np.array(self.step_config))
        return float(learning_rate * self.change ** self.steps)


class StepSchedule(Schedule):
    """At each epoch in `step_config` the rate becomes the matching `change` value.

    Stateful: query it every epoch in order, as neon does.

    Arguments:
        step_config (list of int): epochs.
        change (list of float): the new learning rates.
    """

    def __init__(self, step_config, change):
        if not (isinstance(step_config, list) and isinstance(change, list)):
            raise TypeError('StepSchedule: step_config and change must be lists')
        if len(step_config) != len(change):
            raise ValueError('StepSchedule: step_config and change must have the same length')
        self.step_config = step_config
        self.change = change
        self.steps = 0

    def get_learning_rate(self, learning_rate, epoch):
        if epoch in self.step_config:
            self.steps = self.change[self.step_config.index(epoch)]
        return learning_rate if self.steps == 0 else self.steps


class PowerSchedule(Schedule):
    """lr · change ^ floor(epoch / step_config).

    Arguments:
        step_config (int): epochs per step.
        change (float): factor per step.
    """

    def __init__(self, step_config, change):
        if not isinstance(step_config, int):
            raise TypeError('PowerSchedule: step_config must be an int')
        if isinstance(change, list):
            raise TypeError('PowerSchedule: change must be a number')
        self.step_config = step_config
        self.change = change
        self.steps = 0

    def get_learning_rate(self, learning_rate, epoch):
        self.steps = np.floor(epoch / self.step_config)
        return float(learning_rate * self.change ** self.steps)


class ExpSchedule(Schedule):
    """lr / (1 + decay · epoch).

    Arguments:
        decay (float): decay rate.
    """

    def __init__(self, decay):
        self.decay = decay

    def get_learning_rate(self, learning_rate, epoch):
        return float(learning_rate / (1. + self.decay * epoch))


class PolySchedule(Schedule):
    """lr · (1 − epoch // total_epochs) ^ power (neon's floor division kept: the rate
    stays constant until total_epochs, then drops to 0).

    Arguments:
        total_epochs (int): total epochs.
        power (float): exponent.
    """

    def __init__(self, total_epochs, power):
        self.total_epochs = total_epochs
        self.power = power

    def get_learning_rate(self, learning_rate, epoch):
        return float(learning_rate * (1. - epoch // float(self.total_epochs)) ** self.power)


class ShiftSchedule(Schedule):
    """Halve the rate `shift_size` times every `interval` epochs, as a binary shift:
    lr · 2^(−shift_size·floor(epoch / interval)).

    Arguments:
        interval (int): epochs between shifts.
        shift_size (int): bits per shift, default 1.
    """

    def __init__(self, interval, shift_size=1):
        self.interval = interval
        self.shift_size = shift_size

    def get_learning_rate(self, learning_rate, epoch):
        total_shift = -1 * self.shift_size * int(epoch / self.interval)
        return float(self.be.shift(learning_rate, total_shift, value=False).get()[0, 0])


_CONSTANT_SCHEDULE = Schedule()  # stateless: shared as neon's default schedule


class GradientDescentMomentum(Optimizer):
    """SGD with momentum, Nesterov momentum, weight decay and clipping.

    Arguments:
        learning_rate (float): base rate.
        momentum_coef (float): momentum μ (0: plain SGD, no state).
        stochastic_round (bool): accepted, ignored (no low-precision rounding).
        wdecay (float): weight decay, default 0.
        gradient_clip_norm (float, optional): clip the global gradient norm.
        gradient_clip_value (float, optional): clip each gradient element.
        param_clip_value (float, optional): clip each parameter after the update.
        name (str, optional)
        schedule (Schedule): default constant.
        nesterov (bool): default False.

    Per parameter, g = clip(dW / bsz): with μ = 0, W = −lr·s·g + (1 − lr·wdecay)·W;
    else g' = s·g + wdecay·W, v = μ·v − lr·g', W = clip(W + v) (Nesterov:
    W = clip(W + μ·v − lr·g')).
    """

    def __init__(self, learning_rate, momentum_coef, stochastic_round=False, wdecay=0.0,
                 gradient_clip_norm=None, gradient_clip_value=None, param_clip_value=None,
                 name=None, schedule=_CONSTANT_SCHEDULE, nesterov=False):
        super(GradientDescentMomentum, self).__init__(name=name)
        self.learning_rate, self.momentum_coef = learning_rate, momentum_coef
        self.set_clipping(gradient_clip_norm, gradient_clip_value, param_clip_value)
        self.wdecay = wdecay
        self.schedule = schedule
        self.stochastic_round = stochastic_round
        self.nesterov = nesterov
        if self.momentum_coef == 0 and self.nesterov:
            raise ValueError("nesterov requires non-zero momentum")

    @property
    def nstates(self):
        return 0 if self.momentum_coef == 0 else 1

    def update_param(self, param, grad, states, lrate, scale_factor):
        be = self.be
        if (self.gradient_clip_value is None and self.param_clip_value is None and
                not self.nesterov):  # the fused in-place step
            velocity = states[0] if self.momentum_coef != 0 else None
            be.momentum_update(param, grad, velocity, lrate, self.momentum_coef,
                               self.wdecay, scale_factor / be.global_bsz)
            return
        grad = self.batch_gradient(grad)
        if self.momentum_coef == 0:
            param[:] = self.clip_value((-lrate * scale_factor) * grad +
                                       (1 - lrate * self.wdecay) * param,
                                       self.param_clip_value)
            return
        grad = scale_factor * grad + self.wdecay * param
        velocity = states[0]
        velocity[:] = self.momentum_coef * velocity - lrate * grad
        if self.nesterov:
            param[:] = self.clip_value(param + self.momentum_coef * velocity - lrate * grad,
                                       self.param_clip_value)
        else:
            param[:] = self.clip_value(param + velocity, self.param_clip_value)


class RMSProp(Optimizer):
    """RMSProp: a = ρ·a + (1 − ρ)·g²; W = clip(W − s·lr·g / (sqrt(a + ε) + ε)).

    Arguments:
        stochastic_round (bool): ignored.
        decay_rate (float): ρ, default 0.95.
        learning_rate (float): default 2e-3.
        epsilon (float): default 1e-6.
        gradient_clip_norm, gradient_clip_value, param_clip_value (float, optional)
        name (str, optional)
        schedule (Schedule): default constant.
    """
    nstates = 1

    def __init__(self, stochastic_round=False, decay_rate=0.95, learning_rate=2e-3,
                 epsilon=1e-6, gradient_clip_norm=None, gradient_clip_value=None,
                 param_clip_value=None, name=None, schedule=_CONSTANT_SCHEDULE):
        super(RMSProp, self).__init__(name=name)
        self.epsilon = epsilon
        self.decay_rate = decay_rate
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.set_clipping(gradient_clip_norm, gradient_clip_value, param_clip_value)
        self.stochastic_round = stochastic_round

    def update_param(self, param, grad, states, lrate, scale_factor):
        be, epsilon, decay = self.be, self.epsilon, self.decay_rate
        grad = self.batch_gradient(grad)
        state = states[0]
        state[:] = decay * state + be.square(grad) * (1.0 - decay)
        param[:] = self.clip_value(param - (scale_factor * grad * lrate) /
                                   (be.sqrt(state + epsilon) + epsilon), self.param_clip_value)


class Adagrad(Optimizer):
    """Adagrad: a += g²; W = clip(W − s·lr·g / sqrt(a + ε)).

    Arguments:
        stochastic_round (bool): ignored.
        learning_rate (float): default 0.01.
        epsilon (float): default 1e-6.
        gradient_clip_norm, gradient_clip_value, param_clip_value (float, optional)
        name (str, optional)
    """
    nstates = 1

    def __init__(self, stochastic_round=False, learning_rate=0.01, epsilon=1e-6,
                 gradient_clip_norm=None, gradient_clip_value=None, param_clip_value=None,
                 name=None):
        super(Adagrad, self).__init__(name=name)
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.set_clipping(gradient_clip_norm, gradient_clip_value, param_clip_value)
        self.stochastic_round = stochastic_round

    def update_param(self, param, grad, states, lrate, scale_factor):
        be = self.be
        grad = self.batch_gradient(grad)
        state = states[0]
        state[:] = state + be.square(grad)
        param[:] = self.clip_value(param - (scale_factor * grad * lrate) /
                                   be.sqrt(state + self.epsilon), self.param_clip_value)


class Adadelta(Optimizer):
    """Adadelta: Eg = ρEg + (1−ρ)g²; dx = sqrt((Edx + ε)/(Eg + ε))·g;
    Edx = ρEdx + (1−ρ)dx²; W = clip(W − dx).

    Arguments:
        stochastic_round (bool): ignored.
        decay (float): ρ, default 0.95.
        epsilon (float): default 1e-6.
        param_clip_value (float, optional)
        name (str, optional)
    """
    nstates = 3

    def __init__(self, stochastic_round=False, decay=0.95, epsilon=1e-6, param_clip_value=None,
                 name=None):
        super(Adadelta, self).__init__(name=name)
        self.decay = decay
        self.epsilon = epsilon
        self.stochastic_round = stochastic_round
        self.param_clip_value = param_clip_value


    def update_param(self, param, grad, states, lrate, scale_factor):
        be, epsilon, decay = self.be, self.epsilon, self.decay
        grad = self.batch_gradient(grad)
        states[0][:] = states[0] * decay + (1. - decay) * grad * grad
        states[2][:] = be.sqrt((states[1] + epsilon) / (states[0] + epsilon)) * grad
        states[1][:] = states[1] * decay + (1. - decay) * states[2] * states[2]
        param[:] = self.clip_value(param - states[2], self.param_clip_value)


class Adam(Optimizer):
    """Adam with neon's step count t (one per optimize() call, i.e. per minibatch).

    l = lr·sqrt(1 − β2^t)/(1 − β1^t); m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
    W = clip(W − s·l·m / (sqrt(v) + ε)).

    Arguments:
        stochastic_round (bool): ignored.
        learning_rate (float): default 0.001.
        beta_1 (float): default 0.9.
        beta_2 (float): default 0.999.
        epsilon (float): default 1e-8.
        gradient_clip_norm, gradient_clip_value, param_clip_value (float, optional)
        name (str): default "adam".
    """
    nstates = 2

    def __init__(self, stochastic_round=False, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, gradient_clip_norm=None, gradient_clip_value=None,
                 param_clip_value=None, name="adam"):
        super(Adam, self).__init__(name=name)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.set_clipping(gradient_clip_norm, gradient_clip_value, param_clip_value)
        self.stochastic_round = stochastic_round
        self.t = 0


    def begin_step(self, epoch):
        """Count the step; its rate is lr·sqrt(1 − β2^t)/(1 − β1^t)."""
        self.t = self.t + 1
        return self.learning_rate * np.sqrt(1 - self.beta_2 ** self.t) / \
            (1 - self.beta_1 ** self.t)

    def update_param(self, param, grad, states, lrate, scale_factor):
        grad = self.batch_gradient(grad)
        m, v = states
        m[:] = m * self.beta_1 + (1. - self.beta_1) * grad
        v[:] = v * self.beta_2 + (1. - self.beta_2) * grad * grad
        param[:] = self.clip_value(param - (scale_factor * lrate * m) /
                                   (self.be.sqrt(v) + self.epsilon), self.param_clip_value)


class ShiftAdaMax(Optimizer):
    """AdaMax with power-of-two steps (Courbariaux et al. 2016), parameters kept in
    [−1, 1].

    t = epoch + 1 (neon counts epochs here, not minibatches); l = lr / (1 − β1^t);
    m = β1·m + (1 − β1)·g; v = max(β2·v, |g|); W = clip(W − m ≪ (1/(v + ε)) ≪ l, −1, 1),
    where a ≪ b multiplies a by b rounded to a signed power of two (`be.shift`).

    Arguments:
        stochastic_round (bool): ignored.
        learning_rate (float): default 0.002.
        beta_1 (float): default 0.9.
        beta_2 (float): default 0.999.
        epsilon (float): default 1e-8.
        schedule (Schedule): default constant.
        name (str): default "ShiftAdaMax".
    """
    nstates = 3

    def __init__(self, stochastic_round=False, learning_rate=0.002, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, schedule=_CONSTANT_SCHEDULE, name="ShiftAdaMax"):
        super(ShiftAdaMax, self).__init__(name=name)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.stochastic_round = stochastic_round
        self.schedule = schedule

    def begin_step(self, epoch):
        lrate = super(ShiftAdaMax, self).begin_step(epoch)
        return lrate / (1 - self.beta_1 ** (epoch + 1))

    def update_param(self, param, grad, states, lrate, scale_factor):
        be = self.be
        grad = self.batch_gradient(grad)
        m, v, inv_v = states
        m[:] = m * self.beta_1 + (1. - self.beta_1) * grad
        v[:] = be.maximum(v * self.beta_2, be.absolute(grad))
        inv_v[:] = 1.0 / (v + self.epsilon)
        param[:] = param - be.shift(be.shift(m, inv_v), lrate)
        be.clip(param, -1, 1, out=param)


class MultiOptimizer(Optimizer):
    """Different optimizers for different layers.

    Arguments:
        optimizer_mapping (dict): keys are layer names (checked first), exact class
            names (e.g. 'Linear', 'Bias') or 'default' (required); values optimizers.
        name (str, optional)
    """

    def __init__(self, optimizer_mapping, name=None):
        super(MultiOptimizer, self).__init__(name=name)
        if 'default' not in optimizer_mapping:
            raise ValueError("MultiOptimizer needs a 'default' optimizer in its mapping")
        self.optimizer_mapping = optimizer_mapping
        self.map_list = None
        self.map_list_cache = dict()

    @classmethod
    def gen_class(cls, pdict):
        mapping = {}
        for key, desc in pdict['optimizer_mapping'].items():
            if isinstance(desc, Optimizer):
                mapping[key] = desc
            else:
                mapping[key] = load_class(desc['type']).gen_class(desc.get('config', {}))
        config = dict(pdict)
        config['optimizer_mapping'] = mapping
        return cls(**config)

    def get_description(self, **kwargs):
        desc = {'type': self.modulenm, 'config': {'optimizer_mapping': {}}}
        for key, opt in self.optimizer_mapping.items():
            desc['config']['optimizer_mapping'][key] = opt.get_description()
        return desc

    def _map_optimizers(self, layer_list):
        map_list = dict()
        for layer in layer_list:
            if layer.name in self.optimizer_mapping:
                opt = self.optimizer_mapping[layer.name]
            elif layer.__class__.__name__ in self.optimizer_mapping:
                opt = self.optimizer_mapping[layer.__class__.__name__]
            else:
                opt = self.optimizer_mapping['default']
            map_list.setdefault(opt, []).append(layer)
        return map_list

    def _reset_mapping(self, new_mapping):
        self.optimizer_mapping = new_mapping
        self.map_list = None
        self.map_list_cache = dict()

    def optimize(self, layer_list, epoch):
        # cached by the layers themselves (neon cached by id(list), which a new
        # list can reuse after the old one is freed)
        key = tuple(id(layer) for layer in layer_list)
        if key not in self.map_list_cache:
            self.map_list_cache[key] = self._map_optimizers(layer_list)
        self.map_list = self.map_list_cache[key]
        for opt, layers in self.map_list.items():
            opt.optimize(layers, epoch)
