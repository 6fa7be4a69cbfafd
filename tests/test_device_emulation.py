"""The CuPy emulation keeps CuPy's rules, and the gpu backend keeps data on the device."""
import numpy as np
import pytest

import device_emulation
from device_emulation import xp as cp
from conftest import EmulatedGPU
from write_device_names import listed_names
from neon_compat.backends import BACKENDS, gen_backend, cleanup_backend
from neon_compat.backends import cuda


@pytest.mark.skipif(not cuda.cupy_importable, reason='CuPy is not installed: the checked-in '
                    'tests/cupy_names.json is used as it is')
def test_names_list_matches_installed_cupy():
    listed = {k: v for k, v in device_emulation.NAMES.items() if k != 'version'}
    assert listed_names(cuda.cupy) == listed, (
        'tests/cupy_names.json (CuPy {}) differs from CuPy {}: run python '
        'tests/write_device_names.py'.format(device_emulation.NAMES['version'],
                                           cuda.cupy.__version__))


def test_offers_only_cupy_names():
    offered = {n for n in dir(cp) if not n.startswith('_')}
    assert offered <= set(device_emulation.NAMES['cupy'])
    numpy_only = {n for n in dir(np) if not n.startswith('_')} - set(device_emulation.NAMES['cupy'])
    assert numpy_only, 'NumPy has names CuPy lacks (e.g. datetime helpers)'
    assert not offered & numpy_only
    assert not hasattr(cp.random.RandomState(0), 'get_state'), 'CuPy generators have no state'
    assert not hasattr(cp.ones(2), '__index__'), 'a CuPy 0-d array is not an index'


def test_no_implicit_conversion_or_mixing_with_host_arrays():
    a = cp.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(TypeError, match='Implicit conversion'):
        np.asarray(a)
    with pytest.raises(TypeError, match='Implicit conversion'):
        np.array(a, dtype=np.float64)
    with pytest.raises(TypeError):
        a + np.ones((2, 3))
    with pytest.raises(TypeError):
        cp.dot(a, np.ones((3, 2)))
    with pytest.raises(TypeError):
        np.linalg.norm(a)  # a NumPy function CuPy does not dispatch
    np.testing.assert_array_equal((a * 2 + 1).get(), np.arange(6).reshape(2, 3) * 2 + 1)
    assert isinstance(np.add(a, a), cp.ndarray), 'ufuncs stay on the device'


def test_reductions_return_device_arrays_and_reads_are_counted():
    a = cp.asarray(np.arange(6, dtype=np.float32))
    total = a.sum()
    assert isinstance(total, cp.ndarray) and total.shape == ()
    assert isinstance(a[2], cp.ndarray), 'an element read is a 0-d device array'
    before = device_emulation.TRANSFERS.to_host
    assert float(total) == 15.0 and int(a[2]) == 2
    assert device_emulation.TRANSFERS.to_host == before + 2
    with pytest.raises(TypeError):
        float(a)


def test_out_of_range_indices_wrap_around():
    a = cp.asarray(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(a[cp.asarray([4, 0])].get(), a[cp.asarray([1, 0])].get())
    np.testing.assert_array_equal(cp.take(a, cp.asarray([5]), axis=1).get(), [[1.], [5.], [9.]])


def test_out_arguments_and_in_place_operators_keep_the_array():
    a, b = cp.ones((2, 2)), cp.full((2, 2), 3.0)
    out = cp.empty((2, 2))
    assert cp.matmul(a, b, out=out) is out
    alias = a
    a += b
    assert a is alias and float(a[0, 0]) == 4.0


def test_gpu_backend_builds_on_the_emulation(monkeypatch):
    monkeypatch.setitem(BACKENDS, 'gpu', EmulatedGPU)
    be = gen_backend('gpu', batch_size=4, rng_seed=0)
    try:
        assert be.xp is cp and be.backend_name == 'gpu'
        assert isinstance(be.zeros((2, 3))._tensor, cp.ndarray)
        assert isinstance(be.array(np.ones((2, 3)))._tensor, cp.ndarray)
        np.testing.assert_array_equal(be.array(np.eye(2)).get(), np.eye(2))
    finally:
        cleanup_backend()


def _train_a_small_cnn(epochs):
    """A Conv-Pool-Dropout-Affine network over an ArrayIterator, trained through fit."""
    from neon_compat.callbacks.callbacks import Callbacks
    from neon_compat.data import ArrayIterator
    from neon_compat.initializers import Gaussian
    from neon_compat.layers import Affine, Conv, Dropout, GeneralizedCost, Pooling
    from neon_compat.models import Model
    from neon_compat.optimizers import GradientDescentMomentum
    from neon_compat.transforms import CrossEntropyMulti, Rectlin, Softmax
    rng = np.random.RandomState(0)
    data = ArrayIterator(rng.rand(80, 64).astype(np.float32), rng.randint(0, 4, 80),
                         nclass=4, lshape=(1, 8, 8))
    model = Model([Conv((3, 3, 4), init=Gaussian(0.1), activation=Rectlin()), Pooling(2),
                   Dropout(0.5), Affine(4, init=Gaussian(0.1), activation=Softmax())])
    cost = GeneralizedCost(CrossEntropyMulti())
    optimizer = GradientDescentMomentum(0.1, 0.9)
    model.fit(data, optimizer=optimizer, num_epochs=1, cost=cost, callbacks=Callbacks(model))
    start = (device_emulation.TRANSFERS.to_host, device_emulation.TRANSFERS.to_device)
    model.fit(data, optimizer=optimizer, num_epochs=1 + epochs, cost=cost,
              callbacks=Callbacks(model))
    return (device_emulation.TRANSFERS.to_host - start[0],
            device_emulation.TRANSFERS.to_device - start[1], data.nbatches * epochs)


def test_fit_reads_only_the_cost_and_uploads_nothing_per_minibatch(monkeypatch):
    """After the first epoch (buffers built), a minibatch reads back only its cost, and
    draws its dropout mask on the device."""
    monkeypatch.setitem(BACKENDS, 'gpu', EmulatedGPU)
    gen_backend('gpu', batch_size=16, rng_seed=0)
    try:
        reads, writes, minibatches = _train_a_small_cnn(epochs=2)
    finally:
        cleanup_backend()
    assert minibatches == 10
    assert reads == minibatches, 'one host read (the cost) per minibatch'
    assert writes == 0, 'nothing copied from the host during training'
