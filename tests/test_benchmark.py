"""neon.benchmark.Benchmark: minibatch and per-layer times, and the statistics table."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.benchmark import Benchmark
from neon_compat.data import ArrayIterator
from neon_compat.initializers import Gaussian
from neon_compat.layers import Affine, GeneralizedCost
from neon_compat.models import Model
from neon_compat.optimizers import GradientDescentMomentum
from neon_compat.transforms import SumSquared, Tanh


class Console(object):
    def display(self, text):
        self.text = text


@pytest.fixture
def model_and_data():
    gen_backend('cpu', batch_size=4, rng_seed=0)
    data = ArrayIterator(np.random.RandomState(0).normal(size=(10, 3)),
                         np.random.RandomState(1).normal(size=(10, 2)), make_onehot=False)
    model = Model([Affine(5, Gaussian(), activation=Tanh(), name='fc1'),
                   Affine(2, Gaussian(), name='fc2')])
    return model, data


def test_time_reports_each_minibatch_and_layer(model_and_data):
    model, data = model_and_data
    model.initialize(data, GeneralizedCost(SumSquared()))
    model.optimizer = GradientDescentMomentum(0.1, 0.9)
    before = model.layers.layers[0].W.get()
    times = Benchmark(model).time(data, niterations=5)
    assert list(times)[:4] == ['fprop', 'bprop', 'iteration', 'data_loading']
    for key in ('fprop', 'bprop', 'iteration'):
        assert times[key].shape == (5,) and (times[key] >= 0).all()
    np.testing.assert_allclose(times['iteration'], times['fprop'] + times['bprop'])
    # every layer of the compound Affines, timed at each of the 5 minibatches
    names = [layer.name for layer in model.layers.layers]
    assert names == ['fc1', 'fc1_Tanh', 'fc2']
    for name in names:
        assert len(times['fprop ' + name]) == len(times['bprop ' + name]) == 5
    assert not np.allclose(model.layers.layers[0].W.get(), before)  # it trained
    inference = Benchmark(model, time_layers=False).time(data, inference=True, niterations=3)
    assert list(inference) == ['fprop'] and inference['fprop'].shape == (3,)


def test_time_refuses_what_it_cannot_time(model_and_data):
    model, data = model_and_data
    model.initialize(data)
    bench = Benchmark(model, time_layers=False)
    with pytest.raises(ValueError, match='dataset'):
        bench.time([], inference=True)
    with pytest.raises(ValueError, match='niterations'):
        bench.time(data, inference=True, niterations=0)
    with pytest.raises(RuntimeError, match='cost'):
        bench.time(data)


def test_print_stats_table():
    console = Console()
    Benchmark.print_stats({'fprop': [1.0, 2.0, 3.0, 10.0], 'unused': []}, output=console)
    assert all(name in console.text for name in ('Mean', 'Median', 'Amin', 'Amax', 'fprop'))
    assert 'unused' not in console.text and '4' in console.text  # the mean of 1, 2, 3, 10
    Benchmark.print_stats({'fprop': [9.0, 1.0, 3.0]}, functions=[np.max], output=console,
                          nskip=1)
    assert 'Max' in console.text and '3' in console.text and 'Mean' not in console.text
    with pytest.raises(ValueError):
        Benchmark.print_stats({})
    with pytest.raises(TypeError, match='display'):
        Benchmark.print_stats({'fprop': [1.0]}, output=object())
