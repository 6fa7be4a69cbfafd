"""Helpers shared by the tests (not a test module)."""
import numpy as np


def numeric_grad(objective, tensor, eps=1e-6):
    """Central differences of objective() (a float) for every element of `tensor`."""
    base = tensor.get()
    grad = np.empty(base.size)
    for i in range(base.size):
        values = []
        for step in (eps, -eps):
            pert = base.copy().reshape(-1)
            pert[i] += step
            tensor.set(pert.reshape(base.shape))
            values.append(objective())
        grad[i] = (values[0] - values[1]) / (2 * eps)
    tensor.set(base)
    return grad.reshape(base.shape)
