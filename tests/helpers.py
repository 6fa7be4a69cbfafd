"""Helpers shared by the tests (not a test module)."""
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_p4_data(work, photos=160, size=16):
    """A synthetic IMDB-WIKI release of `photos` photos, prepared at size x size as
    Practice 4 reads it; returns the folder holding train.h5 and test.h5."""
    tools = os.path.join(ROOT, 'examples', 'data')
    for args in ([os.path.join(tools, 'make_synthetic_imdb_wiki.py'), '--out', 'release',
                  '-n', str(photos), '--seed', '1'],
                 [os.path.join(tools, 'prepare_imdb_wiki.py'), '--mat', 'release/wiki.mat',
                  '--out', 'data_wiki', '--size', str(size)]):
        done = subprocess.run([sys.executable] + args, cwd=str(work), capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    return work / 'data_wiki'


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
