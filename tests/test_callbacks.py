"""Callbacks: eval loss, metrics, checkpoints, resume, recorded history, user callbacks."""
import os

import h5py
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.callbacks.callbacks import Callbacks, Callback
from neon_compat.data import ArrayIterator
from neon_compat.initializers import Gaussian, Constant
from neon_compat.layers import Affine, GeneralizedCost
from neon_compat.models import Model
from neon_compat.optimizers import GradientDescentMomentum
from neon_compat.transforms import Tanh, Softmax, CrossEntropyMulti, Misclassification
from neon_compat.util.persist import load_obj


def setup(n=50, seed=0):
    gen_backend('cpu', batch_size=8, rng_seed=seed)
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    X[np.arange(n), y] += 2
    data = ArrayIterator(X, y, nclass=3)
    model = Model([Affine(8, init=Gaussian(scale=0.3), bias=Constant(0), activation=Tanh()),
                   Affine(3, init=Gaussian(scale=0.3), bias=Constant(0), activation=Softmax())])
    return model, data, GeneralizedCost(CrossEntropyMulti())


def fit(model, data, cost, epochs, **cb_args):
    cb_args.setdefault('progress_bar', False)
    callbacks = Callbacks(model, **cb_args)
    model.fit(data, cost=cost, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=epochs,
              callbacks=callbacks)
    return callbacks


def test_eval_loss_and_metric_are_recorded(tmp_path):
    model, data, cost = setup()
    out = str(tmp_path / 'history.h5')
    fit(model, data, cost, 4, eval_set=data, eval_freq=2, metric=Misclassification(),
        output_file=out)
    with h5py.File(out, 'r') as f:
        assert f['cost/train'].shape == (4 * 7,)  # ceil(50 / 8) minibatches per epoch
        loss = f['cost/loss'][:]
        assert loss.shape == (2,) and f['cost/loss'].attrs['epoch_freq'] == 2
        assert f['metrics/Top1Misclass'].shape == (2,)
        assert f['time_markers'].attrs['epochs_complete'] == 4
        assert f['config'].attrs['total_epochs'] == 4
        misclass = f['metrics/Top1Misclass'][-1]
    # the last eval loss equals the mean per-sample cost over the data (padding excluded)
    outputs = model.get_outputs(data)
    onehot = np.eye(3)[data.ydev.get().ravel().astype(int)]
    expected = np.mean(-np.sum(onehot * np.log(np.maximum(outputs, np.exp(-50))), axis=1))
    assert loss[-1] == pytest.approx(expected, rel=1e-4)
    assert misclass == pytest.approx(model.eval(data, Misclassification())[0], rel=1e-6)


def test_eval_freq_without_eval_set_is_refused():
    model, data, cost = setup()
    with pytest.raises(ValueError, match='eval_set'):
        Callbacks(model, eval_freq=1)


def test_serialize_every_n_epochs_and_history(tmp_path):
    model, data, cost = setup()
    path = str(tmp_path / 'ckpt.prm')
    fit(model, data, cost, 4, save_path=path, serialize=2)
    assert load_obj(path)['epoch_index'] == 4, 'saved after epoch index 3'
    model2, data2, cost2 = setup()
    hist = str(tmp_path / 'h.prm')
    fit(model2, data2, cost2, 4, save_path=hist, serialize=1, history=2)
    files = sorted(f for f in os.listdir(str(tmp_path)) if f.startswith('h_'))
    assert files == ['h_2.prm', 'h_3.prm']
    assert os.path.islink(hist) and os.readlink(hist) == 'h_3.prm'


def test_resume_from_model_file_continues_at_the_right_epoch(tmp_path):
    path = str(tmp_path / 'ckpt.prm')
    model, data, cost = setup()
    fit(model, data, cost, 2, save_path=path, serialize=1)
    fit(model, data, cost, 5)  # reference: 5 epochs in one go
    expected = model.get_outputs(data)

    resumed, data2, cost2 = setup()
    seen = []

    class EpochLog(Callback):
        def on_epoch_begin(self, callback_data, model, epoch):
            seen.append(epoch)

    callbacks = Callbacks(resumed, progress_bar=False, model_file=path)
    callbacks.add_callback(EpochLog())
    # ArrayIterator rotates its start across epochs: replay the first two epochs' positions
    for _ in range(2):
        for _ in data2:
            pass
    resumed.fit(data2, cost=cost2, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=5,
                callbacks=callbacks)
    assert seen == [2, 3, 4]
    assert resumed.epoch_index == 5
    np.testing.assert_allclose(resumed.get_outputs(data2), expected, rtol=1e-5, atol=1e-6)


def test_user_callback_hooks_and_frequencies():
    model, data, cost = setup()
    calls = []

    class Recorder(Callback):
        def __init__(self):
            super(Recorder, self).__init__(epoch_freq=2, minibatch_freq=[0])

        def on_train_begin(self, callback_data, model, epochs):
            calls.append(('train_begin', epochs))

        def on_epoch_end(self, callback_data, model, epoch):
            calls.append(('epoch_end', epoch))

        def on_minibatch_end(self, callback_data, model, epoch, minibatch):
            calls.append(('mb_end', epoch, minibatch))

        def on_train_end(self, callback_data, model):
            calls.append(('train_end',))

    callbacks = Callbacks(model, progress_bar=False)
    callbacks.add_callback(Recorder())
    model.fit(data, cost=cost, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=4,
              callbacks=callbacks)
    assert calls == [('train_begin', 4), ('mb_end', 0, 0), ('mb_end', 1, 0), ('epoch_end', 1),
                     ('mb_end', 2, 0), ('mb_end', 3, 0), ('epoch_end', 3), ('train_end',)]


def test_early_stop_and_save_best(tmp_path):
    model, data, cost = setup()
    best = str(tmp_path / 'best.prm')
    callbacks = Callbacks(model, progress_bar=False, eval_set=data, eval_freq=1)
    callbacks.add_save_best_state_callback(best)
    callbacks.add_early_stop_callback(lambda state, loss: (loss, state is not None))
    model.fit(data, cost=cost, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=10,
              callbacks=callbacks)
    assert model.epoch_index == 2, 'stopped after the second evaluation'
    assert os.path.isfile(best)


def test_progress_bar_prints_neon_line(capsys):
    model, data, cost = setup()
    fit(model, data, cost, 2, progress_bar=True, eval_set=data, eval_freq=1)
    out = capsys.readouterr().out
    assert 'Epoch 0   [Train |' in out and 'batches, ' in out and ' cost, ' in out
    assert '[CrossEntropyMulti Loss ' in out


def test_progress_line_shows_the_epoch_metric_and_the_run_ends_with_its_time(capsys):
    from neon_compat.transforms import Misclassification
    model, data, cost = setup()
    fit(model, data, cost, 3, progress_bar=True, eval_set=data, eval_freq=1,
        metric=Misclassification())
    out = capsys.readouterr().out
    last_lines = [line.split('\r')[-1] for line in out.strip().splitlines()]
    shown = [line for line in last_lines if '[Top1Misclass ' in line]
    assert len(shown) == 3  # every epoch: its loss, then its metric
    value = float(shown[-1].rsplit('[Top1Misclass ', 1)[1].rstrip(']'))
    assert value == pytest.approx(float(model.eval(data, metric=Misclassification())[0]),
                                  abs=1e-4)
    assert last_lines[-1].startswith('Trained 3 epochs in ') and 's per epoch)' in last_lines[-1]


def test_multicost_records_each_branch(tmp_path):
    import h5py
    from neon_compat.layers import Tree, BranchNode, Multicost
    from neon_compat.transforms import SumSquared
    gen_backend('cpu', batch_size=8, rng_seed=0)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 4))
    node = BranchNode(name='mc_node')
    tree = Tree([[Affine(3, Gaussian(), activation=Tanh()), node, Affine(2, Gaussian())],
                 [node, Affine(2, Gaussian())]])
    model = Model(tree)
    cost = Multicost([GeneralizedCost(SumSquared()), GeneralizedCost(SumSquared())],
                     weights=[1.0, 0.5])

    class TwoTargets(object):  # (inputs, [targets of branch 0, targets of branch 1])
        def __init__(self):
            self.ndata, self.nbatches, self.shape = 32, 4, 4
            self.x = model.be.array(X[:8].T)
            self.t = [model.be.array(X[:8, :2].T), model.be.array(X[:8, 2:].T * 3)]

        def reset(self):
            pass

        def __iter__(self):
            for _ in range(self.nbatches):
                yield self.x, self.t

    path = str(tmp_path / 'mc.h5')
    callbacks = Callbacks(model, multicost=True, output_file=path, progress_bar=False)
    model.fit(TwoTargets(), cost=cost, optimizer=GradientDescentMomentum(0.01, 0.9),
              num_epochs=2, callbacks=callbacks)
    callbacks.callback_data.close()
    with h5py.File(path, 'r') as f:
        per_cost, branches = f['multicost/train'][:], f['multicost/train_allbranches'][:]
        trunk = f['cost/train'][:]
    assert per_cost.shape == (8, 2) and branches.shape == (8, 2)
    # the last minibatch's own branch costs; the running means over the window of 8
    assert branches[-1, 1] == pytest.approx(float(cost.costs[1].cost), rel=1e-5)
    np.testing.assert_allclose(per_cost[-1], branches.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(trunk, per_cost[:, 0], rtol=1e-5)
    with pytest.raises(ValueError, match='needs a Multicost'):
        model2, data2, cost2 = setup()
        fit(model2, data2, cost2, 1, multicost=True)


def test_train_cost_is_the_running_mean_of_every_minibatch(tmp_path):
    """'cost/train' holds, for each minibatch of every epoch, the mean of the last 10
    minibatch costs (written once per epoch), and the progress bar shows the latest."""
    from neon_compat.callbacks.callbacks import Callback, ProgressBarCallback

    class Record(Callback):
        def __init__(self):
            super(Record, self).__init__()
            self.costs = []

        def on_minibatch_end(self, callback_data, model, epoch, minibatch):
            self.costs.append(float(model.cost.cost))

    model, data, cost = setup()
    out = str(tmp_path / 'costs.h5')
    record = Record()
    callbacks = Callbacks(model, output_file=out, progress_bar=True)
    callbacks.add_callback(record)
    bar = next(c for c in callbacks.callbacks if isinstance(c, ProgressBarCallback))
    model.fit(data, cost=cost, optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=3,
              callbacks=callbacks)
    with h5py.File(out, 'r') as f:
        recorded = f['cost/train'][:]
    expected = [np.mean(record.costs[max(0, i - 9):i + 1]) for i in range(len(record.costs))]
    n = len(record.costs)
    assert n == 7 + 6 + 6  # ArrayIterator wraps around: later epochs start mid-batch
    np.testing.assert_allclose(recorded[:n], expected, rtol=1e-5)
    assert not recorded[n:].any()
    assert bar._cost == pytest.approx(expected[-1], rel=1e-6)


def test_deconv_callback_projects_the_strongest_activations(tmp_path):
    """The first convolution's strongest activation per map, found over the whole
    validation set, and its guided projection: the filter, scaled by the activation,
    at the place it looked, where the input was positive; checked against NumPy."""
    from neon_compat.layers import Conv
    from neon_compat.transforms import Rectlin
    gen_backend('cpu', batch_size=4, rng_seed=0)
    rng = np.random.RandomState(0)
    C, H, W = 2, 6, 6
    X = rng.uniform(-1, 1, (12, C * H * W)).astype(np.float32)
    data = ArrayIterator(X, rng.randint(0, 2, 12), nclass=2, lshape=(C, H, W))
    model = Model([Conv((3, 3, 3), init=Gaussian(scale=0.5), bias=Constant(0.1), padding=1,
                        activation=Rectlin()),
                   Conv((3, 3, 2), init=Gaussian(scale=0.5), padding=1, strides=2,
                        activation=Rectlin()),
                   Affine(2, init=Gaussian(scale=0.3), activation=Softmax())])
    callbacks = Callbacks(model, progress_bar=False, output_file=str(tmp_path / 'out.h5'))
    callbacks.add_deconv_callback(data, data, max_fm=2, dataset_pct=100)
    model.fit(data, cost=GeneralizedCost(CrossEntropyMulti()),
              optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=1, callbacks=callbacks)
    conv = model.layers.layers[0]
    weights = conv.W.get().reshape(C, 3, 3, 3)
    bias = conv.weight_bias.get().reshape(-1)
    images = X.reshape(12, C, H, W)
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    acts = np.zeros((3, 12, H, W))
    for k in range(3):
        for y in range(H):
            for x in range(W):
                acts[k, :, y, x] = np.einsum('ncrs,crs->n', padded[:, :, y:y + 3, x:x + 3],
                                             weights[..., k]) + bias[k]
    with h5py.File(str(tmp_path / 'out.h5'), 'r') as f:
        first, second = f['deconv/max_act/0000'], f['deconv/max_act/0002']
        assert second['vis'].shape == (2, H, W, C) and np.ptp(second['vis'][:]) > 0
        for k in range(2):
            n, y, x = np.unravel_index(np.argmax(acts[k]), acts[k].shape)
            value = acts[k, n, y, x]
            assert first['activation'][k, 0] == pytest.approx(value, rel=1e-5)
            assert tuple(first['batch_img'][k]) == (n // 4, n % 4)
            assert first['fm_loc'][k, 0] == y * W + x
            projection = np.zeros((C, H + 2, W + 2))
            projection[:, y:y + 3, x:x + 3] = value * weights[..., k]
            projection = projection[:, 1:-1, 1:-1] * (images[n] > 0)
            expected = projection.transpose(1, 2, 0)
            expected = (expected - expected.min()) * 255. / np.ptp(expected)
            np.testing.assert_allclose(first['vis'][k], expected, atol=1.01)
        stored = f['deconv/img/batch_%d' % (n // 4)]
        assert stored['HWC_uint8'].shape[:3] == (H, W, C)


def test_deconv_callback_refuses_a_pooling_between_convolutions_before_training():
    from neon_compat.layers import Conv, Pooling
    gen_backend('cpu', batch_size=4, rng_seed=0)
    X = np.random.RandomState(0).uniform(-1, 1, (8, 2 * 6 * 6)).astype(np.float32)
    data = ArrayIterator(X, np.arange(8) % 2, nclass=2, lshape=(2, 6, 6))
    model = Model([Conv((3, 3, 3), init=Gaussian(), padding=1), Pooling(2, strides=2),
                   Conv((3, 3, 2), init=Gaussian(), padding=1, name='conv_b'),
                   Affine(2, init=Gaussian(), activation=Softmax())])
    callbacks = Callbacks(model, progress_bar=False)
    callbacks.add_deconv_callback(data, data)
    with pytest.raises(ValueError, match=r"layer 'conv_b' takes \(3, 3, 3\) but the "
                                         r"convolution before it gives \(3, 6, 6\)"):
        model.fit(data, cost=GeneralizedCost(CrossEntropyMulti()),
                  optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=1,
                  callbacks=callbacks)
    assert model.epoch_index == 0
