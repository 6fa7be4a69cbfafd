"""Model: training loop, evaluation, outputs, and model-file round trips."""
import pickle

import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.callbacks.callbacks import Callbacks
from neon_compat.data import ArrayIterator
from neon_compat.initializers import Gaussian, Constant, Xavier
from neon_compat.layers import Affine, DataTransform, Dropout, GeneralizedCost
from neon_compat.models import Model
from neon_compat.optimizers import GradientDescentMomentum, MultiOptimizer, Adam
from neon_compat.transforms import (Tanh, Logistic, Normalizer, CrossEntropyBinary, Accuracy,
                                    Softmax, CrossEntropyMulti, Misclassification)
from neon_compat.util.persist import ModelFileError, load_obj


def two_class_data(n=96, f=48, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = rng.randint(0, 200, (n, f)).astype(np.float32)
    X[y == 1, : f // 2] += 55
    return X, y


def practice4_layers():
    return [DataTransform(transform=Normalizer(divisor=128.0)),
            Affine(nout=16, init=Xavier(), bias=Constant(0), activation=Tanh()),
            Affine(nout=8, init=Xavier(), bias=Constant(0), activation=Tanh()),
            Affine(nout=2, init=Xavier(), bias=Constant(0), activation=Logistic(shortcut=True),
                   name='cls')]


def train(model, data, epochs=4, optimizer=None):
    cost = GeneralizedCost(costfunc=CrossEntropyBinary())
    opt = optimizer or GradientDescentMomentum(0.05, momentum_coef=0.9, wdecay=0.0005)
    model.fit(data, optimizer=opt, num_epochs=epochs, cost=cost,
              callbacks=Callbacks(model, progress_bar=False))
    return cost


def test_fit_learns_and_eval_excludes_padding(backend_name):
    gen_backend(backend_name, batch_size=16, rng_seed=0)
    X, y = two_class_data(n=100)
    data = ArrayIterator(X, y, nclass=2, lshape=(3, 4, 4))
    model = Model(practice4_layers())
    train(model, data, epochs=6)
    assert model.epoch_index == 6
    acc = model.eval(data, metric=Accuracy())
    assert acc.shape == (1,) and acc[0] > 0.9
    outputs = model.get_outputs(data)
    assert outputs.shape == (100, 2)
    manual = np.mean(outputs.argmax(1) == y)
    assert acc[0] == pytest.approx(manual)
    assert model.total_cost.shape == (1, 1) and model.total_cost[0, 0] > 0


def test_fit_continues_from_epoch_index(backend_default):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    train(model, data, epochs=2)
    w = model.layers.layers[1].W.get()
    train(model, data, epochs=2)
    np.testing.assert_array_equal(model.layers.layers[1].W.get(), w)
    train(model, data, epochs=3)
    assert model.epoch_index == 3


def test_save_params_then_load_gives_identical_outputs(backend_default, tmp_path):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2, lshape=(3, 4, 4))
    model = Model(practice4_layers())
    train(model, data, epochs=2)
    path = str(tmp_path / 'model.prm')
    model.save_params(path)
    reloaded = Model(path)
    np.testing.assert_array_equal(reloaded.get_outputs(data), model.get_outputs(data))
    assert reloaded.epoch_index == 3  # neon stores epoch_index + 1
    assert [l.name for l in reloaded.layers.layers] == [l.name for l in model.layers.layers]
    # loading into a freshly built network of the same structure
    same = Model(practice4_layers())
    same.load_params(path)
    np.testing.assert_array_equal(same.get_outputs(data), model.get_outputs(data))


def test_describe_rebuild_describe_is_identical(backend_default):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    train(model, data, epochs=1)
    desc = model.get_description()
    rebuilt = Model(desc)
    rebuilt.initialize(data)
    assert rebuilt.get_description()['model'] == desc['model']


def test_file_layout_matches_neon(backend_name, backend_default, tmp_path):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    train(model, data, epochs=1)
    path = str(tmp_path / 'm.prm')
    model.save_params(path)
    with open(path, 'rb') as f:
        assert f.read(2) == b'\x80\x02', 'pickle protocol 2, as neon writes'
    pdict = load_obj(path)
    assert set(pdict) >= {'neon_version', 'backend', 'cost', 'optimizer', 'model',
                          'epoch_index', 'train_input_shape'}
    assert pdict['backend']['type'] == {'cpu': 'NervanaCPU', 'gpu': 'NervanaGPU'}[backend_name]
    assert pdict['model']['type'] == 'neon.layers.container.Sequential'
    layers = pdict['model']['config']['layers']
    assert layers[1]['type'] == 'neon.layers.layer.Linear'
    assert layers[1]['config']['nout'] == 16
    assert layers[1]['params']['W'].shape == (16, 48)
    assert len(layers[1]['states']) == 1, 'GDM velocity'
    assert pdict['optimizer']['type'] == 'neon.optimizers.optimizer.GradientDescentMomentum'


def test_prm_from_a_different_network_is_refused(backend_default, tmp_path):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    train(model, data, epochs=1)
    path = str(tmp_path / 'm.prm')
    model.save_params(path)
    wider = practice4_layers()
    wider[1] = Affine(nout=32, init=Xavier(), bias=Constant(0), activation=Tanh())
    other = Model(wider)
    other.initialize(data)
    with pytest.raises(ValueError, match='different network'):
        other.load_params(path)
    shorter = Model(practice4_layers()[:2])
    with pytest.raises(ValueError, match='different network'):
        shorter.load_params(path)


def test_weights_only_and_keep_states(backend_default, tmp_path):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    train(model, data, epochs=1)
    path = str(tmp_path / 'm.prm')
    model.save_params(path, keep_states=False)
    assert 'states' not in load_obj(path)['model']['config']['layers'][1]
    m2 = Model(path, weights_only=True)
    np.testing.assert_array_equal(m2.get_outputs(data), model.get_outputs(data))


def test_resumed_optimizer_states_continue_training_identically(tmp_path):
    gen_backend('cpu', batch_size=16, rng_seed=0)
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    a = Model(practice4_layers())
    train(a, data, epochs=2)
    path = str(tmp_path / 'a.prm')
    a.save_params(path)
    train(a, data, epochs=3)
    b = Model(path)
    b.epoch_index = 2
    train(b, data, epochs=3)
    np.testing.assert_allclose(b.get_outputs(data), a.get_outputs(data), rtol=1e-6)


def test_multioptimizer_and_adam_in_fit(backend_default):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    frozen = GradientDescentMomentum(0.0, 0)
    opt = MultiOptimizer({'default': Adam(learning_rate=0.01), 'cls': frozen,
                          'cls_bias': frozen})
    w_cls = None
    train(model, data, epochs=1, optimizer=opt)
    w_cls = model.layers.layers[-3].W.get()
    train(model, data, epochs=3, optimizer=opt)
    np.testing.assert_array_equal(model.layers.layers[-3].W.get(), w_cls)
    assert model.eval(data, Accuracy())[0] > 0.8


def test_softmax_multiclass_and_dropout(backend_default):
    rng = np.random.RandomState(3)
    y = rng.randint(0, 3, 120)
    X = rng.normal(size=(120, 10)).astype(np.float32)
    X[np.arange(120), y] += 3
    data = ArrayIterator(X, y, nclass=3)
    model = Model([Affine(16, init=Gaussian(scale=0.1), bias=Constant(0), activation=Tanh()),
                   Dropout(keep=0.9),
                   Affine(3, init=Gaussian(scale=0.1), bias=Constant(0), activation=Softmax())])
    cost = GeneralizedCost(CrossEntropyMulti())
    model.fit(data, cost=cost, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=8,
              callbacks=Callbacks(model, progress_bar=False, eval_set=data, eval_freq=1,
                                  metric=Misclassification()))
    assert model.eval(data, Misclassification())[0] < 0.1


def test_corrupt_and_missing_model_files(backend_default, tmp_path):
    with pytest.raises(ModelFileError, match='does not exist'):
        Model(str(tmp_path / 'missing.prm'))
    bad = tmp_path / 'bad.prm'
    bad.write_bytes(b'\x80\x02}q\x00(X\x05')
    with pytest.raises(ModelFileError, match='truncated'):
        Model(str(bad))


def test_pickle_with_code_is_refused(backend_default, tmp_path):
    evil = tmp_path / 'evil.prm'

    class Boom(object):
        def __reduce__(self):
            return (print, ('pwned',))

    evil.write_bytes(pickle.dumps({'model': Boom()}, protocol=2))
    with pytest.raises(ModelFileError, match=r'refusing to load .*print'):
        Model(str(evil))


def test_old_layer_params_states_layout_loads(backend_default, tmp_path):
    # neon 1.x files: no 'model' key, weights listed per parameter layer
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    model.initialize(data)
    params = [{'params': {'W': np.full(l.W.shape, 0.01 * i, dtype=np.float32)}}
              for i, l in enumerate(model.layers_to_optimize)]
    path = str(tmp_path / 'old.pkl')
    from neon_compat.util.persist import save_obj
    save_obj({'epoch_index': 4, 'layer_params_states': params}, path)
    model.load_params(path)
    assert model.epoch_index == 4
    for i, layer in enumerate(model.layers_to_optimize):
        np.testing.assert_allclose(layer.W.get(), 0.01 * i)


def test_benchmark_times_each_phase(backend_default):
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2)
    model = Model(practice4_layers())
    stats = model.benchmark(data, cost=GeneralizedCost(CrossEntropyBinary()),
                            optimizer=GradientDescentMomentum(0.01, 0.9), niterations=4,
                            nskip=1)
    assert set(stats) == {'fprop', 'bprop', 'iteration'}
    assert all(0 < stats[k]['min'] <= stats[k]['median'] <= stats[k]['max'] for k in stats)
    assert set(model.benchmark(data, inference=True, niterations=2, nskip=0)) == {'fprop'}
    with pytest.raises(ValueError, match='cost and an optimizer'):
        model.benchmark(data)


def test_nan_in_the_data_stops_training_naming_where(backend_default):
    from neon_compat import DivergenceError
    X, y = two_class_data()
    X[40, 3] = np.nan
    data = ArrayIterator(X, y, nclass=2, lshape=(3, 4, 4))
    model = Model(practice4_layers())
    where = 'epoch 0, minibatch {}: the input data hold NaN'.format(40 // backend_default.bsz)
    with pytest.raises(DivergenceError, match=where):
        train(model, data)
    assert model.first_non_finite_parameters() is None  # the bad step was not applied


def test_divergence_names_the_layer_and_keeps_the_last_good_checkpoint(backend_default,
                                                                       tmp_path):
    from neon_compat import DivergenceError
    from neon_compat.transforms import SumSquared
    X, y = two_class_data()
    data = ArrayIterator(X / 100.0, y, nclass=2, lshape=(3, 4, 4))
    model = Model([Affine(8, init=Xavier()), Affine(2, init=Xavier())])  # nothing saturates
    path = str(tmp_path / 'ckpt.prm')
    cost = GeneralizedCost(costfunc=SumSquared())
    callbacks = Callbacks(model, progress_bar=False, save_path=path, serialize=1)
    model.fit(data, optimizer=GradientDescentMomentum(0.001, 0.9), num_epochs=1, cost=cost,
              callbacks=callbacks)
    good = load_obj(path)
    with np.errstate(all='ignore'), pytest.raises(
            DivergenceError, match=r"training stopped: the cost is \w+ at epoch "
                                              r"\d+, minibatch \d+: the (weights|outputs) of "
                                              r"layer '\w+'"):
        model.fit(data, optimizer=GradientDescentMomentum(1e6, 0.9), num_epochs=20,
                  cost=cost, callbacks=Callbacks(model, progress_bar=False, save_path=path,
                                                 serialize=1))
    kept = load_obj(path)
    assert kept['epoch_index'] == good['epoch_index']
    for layer in kept['model']['config']['layers']:
        for value in layer.get('params', {}).values():
            assert np.isfinite(value).all()
    # and a checkpoint of non-finite weights is refused outright
    model.layers.layers[0].W[:] = np.inf
    from neon_compat.callbacks.callbacks import save_checkpoint
    with pytest.raises(DivergenceError, match="not saving .*: the weights of layer"):
        save_checkpoint(model, path)
    assert load_obj(path)['epoch_index'] == good['epoch_index']


def test_summary_lists_layers_shapes_and_parameter_counts(backend_default, caplog):
    import logging
    X, y = two_class_data()
    data = ArrayIterator(X, y, nclass=2, lshape=(3, 4, 4))
    model = Model(practice4_layers())
    with caplog.at_level(logging.INFO, logger='neon_compat.models.model'):
        train(model, data, epochs=1)
    table = model.summary().splitlines()
    assert table[0].split() == ['layer', 'type', 'output', 'shape', 'parameters']
    rows = {line.split()[0]: line.split() for line in table[2:-2]}
    assert rows['cls'][-1] == '16' and rows['cls_bias'][-1] == '2'  # 2x8 weights, 2 biases
    first = table[2].split()
    assert first[1] == 'DataTransform' and first[2:] == ['(3,', '4,', '4)', '0']
    total = (48 * 16 + 16) + (16 * 8 + 8) + (8 * 2 + 2)
    assert table[-1].split() == ['total', '{:,}'.format(total)]
    assert model.summary() in caplog.text  # fit logs it at INFO (-v)
