"""Optimizers and schedules, as neon.optimizers."""
from neon_compat.optimizers.optimizer import (  # noqa: F401
    Optimizer, GradientDescentMomentum, RMSProp, Adagrad, Adadelta, Adam, MultiOptimizer,
    Schedule, StepSchedule, PowerSchedule, ExpSchedule, PolySchedule, get_param_list)
