"""Initializers: neon's formulas, fan-in rules and seeding."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.initializers import (Constant, Array, Uniform, Gaussian, GlorotUniform,
                                      Xavier, Kaiming, IdentityInit, Orthonormal)


def fill(init, shape, seed=0, backend='cpu'):
    be = gen_backend(backend, rng_seed=seed, batch_size=1, datatype=np.float64)
    param = be.empty(shape)
    init.fill(param)
    return param.get()


def test_constant_and_array(backend_name):
    assert (fill(Constant(0.5), (3, 4), backend=backend_name) == 0.5).all()
    vals = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(fill(Array(vals), (3, 4), backend=backend_name), vals)


def test_random_initializers_draw_from_be_rng():
    rng = np.random.RandomState(7)
    np.testing.assert_array_equal(fill(Uniform(-2, 3), (4, 5), seed=7),
                                  rng.uniform(-2, 3, (4, 5)))
    rng = np.random.RandomState(7)
    np.testing.assert_array_equal(fill(Gaussian(1.0, 0.5), (4, 5), seed=7),
                                  rng.normal(1.0, 0.5, (4, 5)))
    rng = np.random.RandomState(7)
    k = np.sqrt(6.0 / 9)
    np.testing.assert_array_equal(fill(GlorotUniform(), (4, 5), seed=7), rng.uniform(-k, k, (4, 5)))


@pytest.mark.parametrize('local,fan_in', [(True, 40), (False, 60)])
def test_xavier_and_kaiming_fan_in(local, fan_in):
    w = fill(Xavier(local=local), (40, 60), seed=1)
    rng = np.random.RandomState(1)
    s = np.sqrt(3.0 / fan_in)
    np.testing.assert_array_equal(w, rng.uniform(-s, s, (40, 60)))
    w = fill(Kaiming(local=local), (40, 60), seed=1)
    rng = np.random.RandomState(1)
    np.testing.assert_array_equal(w, rng.normal(0, np.sqrt(2.0 / fan_in), (40, 60)))


def test_identity_and_orthonormal():
    w = fill(IdentityInit(), (3, 5))
    np.testing.assert_array_equal(w, np.hstack([np.eye(3), np.zeros((3, 2))]))
    with pytest.raises(ValueError, match='nout >= nin'):
        fill(IdentityInit(), (5, 3))
    q = fill(Orthonormal(scale=1.0), (6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    q = fill(Orthonormal(scale=2.0), (3, 7))
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-12)


def test_default_names_and_descriptions():
    assert Gaussian().name == 'gaussianInit' and Xavier().name == 'xavier'
    desc = Gaussian(scale=0.01).get_description()
    assert desc == {'type': 'neon.initializers.initializer.Gaussian', 'config': {'scale': 0.01}}
    assert Xavier(local=False).get_description()['config'] == {'local': False}
