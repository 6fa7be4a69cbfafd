"""Optimizers and schedules, as neon.optimizers."""
from neon_compat.optimizers.optimizer import (
    Optimizer, GradientDescentMomentum, RMSProp, Adagrad, Adadelta, Adam, ShiftAdaMax,
    MultiOptimizer, Schedule, StepSchedule, PowerSchedule, ExpSchedule, PolySchedule,
    ShiftSchedule, get_param_list)
