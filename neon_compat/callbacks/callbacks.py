"""Callbacks (neon.callbacks.callbacks): hooks around the training loop.

`Callbacks` holds a list of `Callback`s and a shared store `callback_data`
(an h5py file: in memory, or `output_file` on disk) where they record the
training cost, evaluation losses and metrics, as neon does.
"""
import logging
import math
import os
import signal
import sys
import time
import weakref
from collections import deque
from timeit import default_timer

import h5py
import numpy as np

from neon_compat import NervanaObject, DivergenceError, publish_here
from neon_compat.callbacks.callback import Callback
from neon_compat.callbacks.deconv_callback import DeconvCallback, scale_to_rgb  # noqa: F401
from neon_compat.layers.container import Multicost
from neon_compat.transforms.cost import Metric
from neon_compat.util.persist import save_obj

logger = logging.getLogger(__name__)


class Callbacks(NervanaObject):
    """The callbacks of one `Model.fit` run.

    Arguments:
        model (Model): the model being trained.
        train_set: deprecated, ignored.
        output_file (str, optional): HDF5 file for the recorded history.
        eval_freq (int, optional): evaluate the cost on eval_set every eval_freq epochs.
        progress_bar (bool): show a progress bar per epoch, default True.
        save_path (str, optional): checkpoint file.
        serialize (int): checkpoint every `serialize` epochs (with save_path).
        history (int): number of checkpoints to keep, default 1.
        model_file (str, optional): model file to load before training (resume).
        eval_set (NervanaDataIterator, optional): evaluation data.
        metric (Metric, optional): metric computed on eval_set every eval_freq epochs.
        log_token (str, optional): unused.
        multicost (bool): also record each cost of a Multicost (TrainMulticostCallback);
            the trunk's cost stays in 'cost/train' (neon replaced it).
    """

    def __init__(self, model, train_set=None, output_file=None, eval_freq=None,
                 progress_bar=True, save_path=None, serialize=0, history=1, model_file=None,
                 eval_set=None, metric=None, log_token=None, multicost=False):
        if train_set is not None:
            logger.warning('Callbacks no longer takes train_set; it is ignored')
        super(Callbacks, self).__init__(name=None)
        self.callbacks = list()
        self._minibatch_hooks = None
        self.epoch_marker = 0
        self.epoch_minibatches = 0
        self.output_file = output_file
        dist = self.be.data_parallel
        if output_file is None or (dist is not None and not dist.is_root):
            self.callback_data = h5py.File(self.name, 'w', driver='core', backing_store=False)
        else:
            if os.path.isfile(output_file):
                logger.warning('Overwriting output file %s', output_file)
                os.remove(output_file)
            self.callback_data = h5py.File(output_file, 'w')
        self.model = weakref.ref(model)
        self.model_file = model_file
        self.add_callback(TrainCostCallback())
        if multicost:
            self.add_callback(TrainMulticostCallback())
        if progress_bar:
            self.add_callback(ProgressBarCallback())
        if eval_freq:
            if not eval_set:
                raise ValueError('eval_freq was given but no eval_set to evaluate on')
            self.add_callback(LossCallback(eval_set, eval_freq), insert_pos=0)
            if metric:  # (before the progress bar, which shows its value)
                self.add_callback(MetricCallback(eval_set, metric, eval_freq), insert_pos=1)
        self.save_path = save_path
        if save_path:
            self.add_callback(SerializeModelCallback(save_path, max(serialize, 1), history))
        self.add_callback(TrainLoggerCallback())
        self.add_callback(RunTimerCallback())

    def __del__(self):
        try:
            self.callback_data.close()
        except Exception:
            pass

    def add_callback(self, callback, insert_pos=None):
        """Append a callback (or insert it at `insert_pos`)."""
        if insert_pos is None:
            self.callbacks.append(callback)
        else:
            self.callbacks.insert(insert_pos, callback)
        if isinstance(callback, ProgressBarCallback) and callback.cost_source is None:
            callback.cost_source = next(
                (c for c in self.callbacks if isinstance(c, TrainCostCallback)), None)
        self._minibatch_hooks = None

    def _with_hook(self, index):
        """The callbacks that define on_minibatch_begin (0) or on_minibatch_end (1): the
        base class's hooks do nothing, and most callbacks have none."""
        if self._minibatch_hooks is None:
            self._minibatch_hooks = tuple(
                [c for c in self.callbacks if getattr(type(c), hook) is not getattr(Callback, hook)]
                for hook in ('on_minibatch_begin', 'on_minibatch_end'))
        return self._minibatch_hooks[index]

    def add_save_best_state_callback(self, path):
        self.add_callback(SaveBestStateCallback(path))

    def add_watch_ticker_callback(self, valid):
        """Show one sequence of a Ticker task each epoch (WatchTickerCallback)."""
        self.add_callback(WatchTickerCallback(self.model(), valid))

    def add_early_stop_callback(self, stop_func):
        self.add_callback(EarlyStopCallback(stop_func))

    def add_deconv_callback(self, train_set, valid_set, max_fm=16, dataset_pct=25):
        """Guided-backpropagation images at the end of training (DeconvCallback)."""
        self.add_callback(DeconvCallback(train_set, valid_set, max_fm=max_fm,
                                         dataset_pct=dataset_pct))

    def on_train_begin(self, epochs):
        model = self.model()
        config = self.callback_data.create_group('config')
        config.attrs['total_minibatches'] = math.ceil(model.ndata / self.be.global_bsz) * \
            epochs
        config.attrs['total_epochs'] = epochs
        time_markers = self.callback_data.create_group("time_markers")
        time_markers.create_dataset("minibatch", (epochs,), dtype='f4')
        if self.model_file:
            model.load_params(self.model_file)
        try:
            signal.signal(signal.SIGINT, self.on_sigint_catch)
        except ValueError:  # not in the main thread
            pass
        for c in self.callbacks:
            c.on_train_begin(self.callback_data, model, epochs)

    def on_train_end(self):
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        except ValueError:
            pass
        for c in self.callbacks:
            c.on_train_end(self.callback_data, self.model())
        self.callback_data.close()

    def on_epoch_begin(self, epoch):
        for c in self.callbacks:
            if c.should_fire(self.callback_data, self.model(), epoch, c.epoch_freq):
                c.on_epoch_begin(self.callback_data, self.model(), epoch)

    def on_epoch_end(self, epoch):
        for c in self.callbacks:
            if c.should_fire(self.callback_data, self.model(), epoch, c.epoch_freq):
                c.on_epoch_end(self.callback_data, self.model(), epoch)
        self.epoch_marker += self.epoch_minibatches
        markers = self.callback_data['time_markers/minibatch']
        if epoch < markers.shape[0]:
            markers[epoch] = self.epoch_marker
        self.callback_data['time_markers'].attrs['epochs_complete'] = epoch + 1
        self.callback_data['time_markers'].attrs['minibatches_complete'] = self.epoch_marker
        self.callback_data.flush()

    def on_minibatch_begin(self, epoch, minibatch):
        model = self.model()
        for c in self._with_hook(0):
            if c.should_fire(self.callback_data, model, minibatch, c.minibatch_freq):
                c.on_minibatch_begin(self.callback_data, model, epoch, minibatch)

    def on_minibatch_end(self, epoch, minibatch):
        model = self.model()
        for c in self._with_hook(1):
            if c.should_fire(self.callback_data, model, minibatch, c.minibatch_freq):
                c.on_minibatch_end(self.callback_data, model, epoch, minibatch)
        self.epoch_minibatches = minibatch + 1

    def on_sigint_catch(self, signum, frame):
        """Ctrl-C: save a checkpoint (when there is a save_path) that resumes the epoch it
        interrupted, then stop (KeyboardInterrupt; scripts print it as one line)."""
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if self.save_path is not None:
            save_checkpoint(self.model(), self.save_path)
            raise KeyboardInterrupt('checkpoint saved to {0}; --model_file {0} resumes '
                                    'epoch {1}'.format(self.save_path,
                                                       self.model().epoch_index))
        raise KeyboardInterrupt


def save_checkpoint(model, path):
    """Write the model (with optimizer states) to `path`, atomically; refuse to replace a
    checkpoint with non-finite weights."""
    bad = model.first_non_finite_parameters()
    if bad is not None:
        raise DivergenceError(
            "not saving '{}': the weights of layer '{}' are not finite (the previous "
            "checkpoint is kept); lower the learning rate".format(path, bad))
    dist = model.be.data_parallel
    if dist is None or dist.is_root:  # several processes: rank 0 writes checkpoints
        save_obj(model.serialize(keep_states=True), path)


class SerializeModelCallback(Callback):
    """Save the model (with optimizer states) every `epoch_freq` epochs.

    Arguments:
        save_path (str): checkpoint file.
        epoch_freq (int): default 1.
        history (int): with history > 1, files <root>_<epoch><ext> are kept
            (the newest `history`) and `save_path` links to the latest.
    """

    def __init__(self, save_path, epoch_freq=1, history=1):
        super(SerializeModelCallback, self).__init__(epoch_freq=epoch_freq)
        self.save_path = save_path
        self.history = history
        self.checkpoint_files = deque()

    def on_epoch_end(self, callback_data, model, epoch):
        if self.history > 1:
            self.save_history(epoch, model)
        else:
            save_checkpoint(model, self.save_path)

    def save_history(self, epoch, model):
        if len(self.checkpoint_files) >= self.history:
            old = self.checkpoint_files.popleft()
            try:
                os.remove(old)
            except OSError:
                logger.warning('could not delete old checkpoint file %s', old)
        root, ext = os.path.splitext(self.save_path)
        save_path = '%s_%d%s' % (root, epoch, ext)
        self.checkpoint_files.append(save_path)
        save_checkpoint(model, save_path)
        try:
            if os.path.islink(self.save_path) or os.path.exists(self.save_path):
                os.remove(self.save_path)
            os.symlink(os.path.split(save_path)[-1], self.save_path)
        except OSError:
            logger.warning('could not link %s -> %s', self.save_path, save_path)


class RunTimerCallback(Callback):
    """Records the start and end time of training."""

    def __init__(self):
        super(RunTimerCallback, self).__init__()

    def on_train_begin(self, callback_data, model, epochs):
        timing = callback_data.require_group("time/train")
        timing.create_dataset("start_time", (1,), dtype='float64')
        timing.create_dataset("end_time", (1,), dtype='float64')
        timing['start_time'][0] = time.time()
        timing['start_time'].attrs['units'] = 'seconds'

    def on_train_end(self, callback_data, model):
        callback_data['time/train/end_time'][0] = time.time()
        callback_data['time/train/end_time'].attrs['units'] = 'seconds'


class TrainCostCallback(Callback):
    """Records the running mean of the last `wsz` minibatch costs in 'cost/train'.

    The values of an epoch are kept in memory and written at its end (one HDF5 write
    per epoch, not per minibatch); `running_cost` is the latest value.

    Arguments:
        wsz (int): window, default 10.
    """

    def __init__(self, wsz=10):
        super(TrainCostCallback, self).__init__(epoch_freq=1)
        self.wsz = wsz
        self.running_cost = 0.0

    def on_train_begin(self, callback_data, model, epochs):
        points = max(int(callback_data['config'].attrs['total_minibatches']), 1)
        callback_data.create_dataset("cost/train", (points,), dtype='f4')
        self.wsz = min(points, self.wsz)
        self.cost_history = deque([], maxlen=int(self.wsz))
        callback_data['cost/train'].attrs['time_markers'] = 'minibatch'
        self._start, self._epoch_costs = 0, []

    def on_epoch_begin(self, callback_data, model, epoch):
        self._start = int(callback_data['time_markers/minibatch'][epoch - 1]) if epoch > 0 else 0
        self._epoch_costs = []

    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        self.cost_history.append(_cost_value(model.cost))
        self.running_cost = sum(self.cost_history) / len(self.cost_history)
        self._epoch_costs.append(self.running_cost)

    def on_epoch_end(self, callback_data, model, epoch):
        self._flush(callback_data)

    def on_train_end(self, callback_data, model):
        self._flush(callback_data)  # an epoch cut short keeps its minibatches

    def _flush(self, callback_data):
        costs = callback_data['cost/train']
        values = self._epoch_costs[:max(costs.shape[0] - self._start, 0)]
        if values:
            costs[self._start:self._start + len(values)] = values
        self._epoch_costs = []


def _cost_value(cost):
    return float(np.asarray(cost.cost).reshape(-1)[0])


def _all_branch_costs(cost):
    """The values of a cost and of every cost nested in it (Multicosts), flattened."""
    if isinstance(cost, Multicost):
        return [v for c in cost.costs for v in _all_branch_costs(c)]
    return [_cost_value(cost)]


class TrainMulticostCallback(Callback):
    """With a Multicost: the running mean of the last `wsz` minibatches of each of its
    costs in 'multicost/train' (minibatches, costs), and the costs of every branch
    (nested Multicosts flattened) in 'multicost/train_allbranches'.

    Arguments:
        wsz (int): window, default 10.
    """

    def __init__(self, wsz=10):
        super(TrainMulticostCallback, self).__init__(epoch_freq=1)
        self.wsz = wsz

    def on_train_begin(self, callback_data, model, epochs):
        if not isinstance(model.cost, Multicost):
            raise ValueError('multicost=True needs a Multicost cost, not {}'.format(
                type(model.cost).__name__))
        points = max(int(callback_data['config'].attrs['total_minibatches']), 1)
        ncosts = len(model.cost.costs)
        nall = len(_all_branch_costs(model.cost))
        for name, width in (('multicost/train', ncosts), ('multicost/train_allbranches', nall)):
            callback_data.create_dataset(name, (points, width), dtype='float64')
            callback_data[name].attrs['time_markers'] = 'minibatch'
        self.cost_history = deque([], maxlen=int(min(points, self.wsz)))

    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        self.cost_history.append(np.array([_cost_value(c) for c in model.cost.costs]))
        mbstart = callback_data['time_markers/minibatch'][epoch - 1] if epoch > 0 else 0
        index = int(mbstart) + minibatch
        if index < callback_data['multicost/train'].shape[0]:
            callback_data['multicost/train'][index] = np.mean(self.cost_history, axis=0)
            callback_data['multicost/train_allbranches'][index] = _all_branch_costs(model.cost)


class WatchTickerCallback(Callback):
    """Each epoch, show the inputs, outputs and targets of the first sequence of one
    minibatch of a Ticker task (its time steps only).

    Arguments:
        model (Model): the model.
        valid_set (Ticker): the task's iterator.
        epoch_freq (int): default 1.
    """

    def __init__(self, model, valid_set, epoch_freq=1):
        super(WatchTickerCallback, self).__init__(epoch_freq=epoch_freq)
        from neon_compat.data.ticker import Ticker
        if not isinstance(valid_set, Ticker):
            raise ValueError('WatchTickerCallback needs a Ticker data set, not {}'.format(
                type(valid_set).__name__))
        self.model = model
        self.valid_set = valid_set

    def on_epoch_end(self, callback_data, model, epoch):
        x, (targets, mask) = next(iter(self.valid_set))
        y = model.fprop(x, inference=True)
        steps = 1 + int(np.max(np.nonzero(mask.get())[1])) // self.be.bsz
        with np.printoptions(formatter={'float': '{: 0.1f}'.format}, linewidth=150):
            for name, item in (('Inputs', x), ('Outputs', y), ('Targets', targets)):
                logger.display(name)
                logger.display(str(item.get()[:, ::self.be.bsz][:, :steps]))


class GANCostCallback(Callback):
    """For a GAN: after each generator update, the generator iteration ('gan/gen_iter')
    and the discriminator cost ('gan/cost_dis') at that minibatch."""

    def __init__(self):
        super(GANCostCallback, self).__init__(epoch_freq=1)

    def on_train_begin(self, callback_data, model, epochs):
        points = max(int(callback_data['config'].attrs['total_minibatches']), 1)
        for name in ('gan/gen_iter', 'gan/cost_dis'):
            callback_data.create_dataset(name, (points,), dtype='f4')
            callback_data[name].attrs['time_markers'] = 'minibatch'

    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        if model.current_batch == model.last_gen_batch and model.last_gen_batch > 0:
            mbstart = callback_data['time_markers/minibatch'][epoch - 1] if epoch > 0 else 0
            index = int(mbstart) + minibatch
            if index < callback_data['gan/cost_dis'].shape[0]:
                callback_data['gan/gen_iter'][index] = model.gen_iter
                callback_data['gan/cost_dis'][index] = model.cost_dis[0]


class LossCallback(Callback):
    """Mean cost on `eval_set` every `epoch_freq` epochs (padding columns excluded).

    Arguments:
        eval_set (NervanaDataIterator): evaluation data.
        epoch_freq (int): default 1.
    """

    def __init__(self, eval_set, epoch_freq=1):
        super(LossCallback, self).__init__(epoch_freq=epoch_freq)
        self.eval_set = eval_set
        self.loss = self.be.zeros((1, 1))

    def on_train_begin(self, callback_data, model, epochs):
        n = max(epochs // self.epoch_freq, 1)
        callback_data.create_dataset("cost/loss", (n,), dtype='f4')
        callback_data.create_dataset("time/loss", (n,), dtype='f4')
        callback_data["cost/loss"].attrs['time_markers'] = 'epoch_freq'
        callback_data["cost/loss"].attrs['epoch_freq'] = self.epoch_freq

    def on_epoch_end(self, callback_data, model, epoch):
        start = default_timer()
        nprocessed = 0
        self.loss[:] = 0
        self.eval_set.reset()
        for x, t in self.eval_set:
            x = model.fprop(x, inference=True)
            bsz = min(self.eval_set.ndata - nprocessed, self.be.bsz)
            model.cost.get_cost(x, t)
            first = x[0] if isinstance(x, list) else x
            nsteps = first.shape[1] // self.be.bsz
            costbuf = model.cost.outputs[:, :bsz * nsteps]
            nprocessed += bsz
            self.loss[:] = self.loss + self.be.sum(costbuf, axis=1) / nsteps
        mean_cost = float(self.loss.get()[0, 0] / max(nprocessed, 1))
        slot = epoch // self.epoch_freq
        if slot < callback_data["cost/loss"].shape[0]:
            callback_data["time/loss"][slot] = default_timer() - start
            callback_data["cost/loss"][slot] = mean_cost


class MetricCallback(Callback):
    """Evaluates `metric` on `eval_set` every `epoch_freq` epochs.

    Arguments:
        eval_set (NervanaDataIterator): evaluation data.
        metric (Metric): an instance, e.g. Misclassification().
        epoch_freq (int): default 1.
    """

    def __init__(self, eval_set, metric, epoch_freq=1):
        super(MetricCallback, self).__init__(epoch_freq=epoch_freq)
        if isinstance(metric, type) and issubclass(metric, Metric):
            raise ValueError('metric {} is a class: pass an instance, e.g. {}()'.format(
                metric.__name__, metric.__name__))
        self.eval_set = eval_set
        self.metric = metric
        self.metric_cnt = len(self.metric.metric_names)
        self.metric_desc = ", ".join(self.metric.metric_names)

    def on_train_begin(self, callback_data, model, epochs):
        if 'metrics' not in callback_data:
            callback_data.create_group("metrics")
        for met in self.metric.metric_names:
            group_name = "metrics/%s" % met
            callback_data.create_dataset(group_name, (max(epochs // self.epoch_freq, 1),),
                                         dtype='f4')
            callback_data[group_name].attrs['time_markers'] = 'epoch_freq'
            callback_data[group_name].attrs['epoch_freq'] = self.epoch_freq

    def on_epoch_end(self, callback_data, model, epoch):
        self.eval_set.reset()
        stats = model.eval(self.eval_set, metric=self.metric)
        logger.info('%s: %s', self.metric_desc, ", ".join(map(str, stats.flatten())))
        slot = epoch // self.epoch_freq
        for ind, met in enumerate(self.metric.metric_names):
            if slot < callback_data["metrics/%s" % met].shape[0]:
                callback_data["metrics/%s" % met][slot] = stats[ind]


def _zero_size_terminal():
    """A size for tqdm where the standard output is a terminal of 0 by 0 (mpiexec gives
    its processes one, and tqdm would draw nothing there); else tqdm's own choice."""
    try:
        if sys.stdout.isatty() and os.get_terminal_size(sys.stdout.fileno())[0] == 0:
            return {'ncols': 250, 'nrows': 50}
    except (AttributeError, OSError, ValueError):
        pass
    return {}


class ProgressBarCallback(Callback):
    """neon's per-epoch progress line, drawn with tqdm:

    ``Epoch 0   [Train |██████████          |   12/25   batches, 0.52 cost, 1.20s]``

    with the running training cost; at the end of an epoch with an evaluation, the
    eval loss is appended: ``[CrossEntropyBinary Loss 0.25, 0.81s]``.

    Arguments:
        epoch_freq (int): default 1.
        minibatch_freq (int): default 1.
        update_thresh_s (float): minimum seconds between redraws, default 0.1.
    """
    # tqdm adds ', ' before the postfix
    BAR_FORMAT = 'Epoch {desc:<3} [Train |{bar:20}| {n:4d}/{total:<4d} batches{postfix}'

    def __init__(self, epoch_freq=1, minibatch_freq=1, update_thresh_s=0.1):
        super(ProgressBarCallback, self).__init__(epoch_freq=epoch_freq,
                                                  minibatch_freq=minibatch_freq)
        self.update_thresh_s = update_thresh_s
        self._bar = None
        self._cost = 0.0
        self.cost_source = None  # the TrainCostCallback whose running cost is shown

    def on_epoch_begin(self, callback_data, model, epoch):
        from tqdm import tqdm
        self._start = default_timer()
        self._cost = 0.0
        self._bar = tqdm(total=model.nbatches, desc=str(epoch), bar_format=self.BAR_FORMAT,
                         mininterval=self.update_thresh_s, file=sys.stdout, ascii=False,
                         leave=True, postfix=self._status(), **_zero_size_terminal())

    def _status(self):
        return '{:.2f} cost, {:.2f}s]'.format(self._cost, default_timer() - self._start)

    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        if self._bar is None:
            return
        if self.cost_source is not None:
            self._cost = self.cost_source.running_cost
        else:  # a bar outside Callbacks: the minibatch's own cost
            self._cost = _cost_value(model.cost)
        self._bar.set_postfix_str(self._status(), refresh=False)
        self._bar.update(1)

    def on_epoch_end(self, callback_data, model, epoch):
        if self._bar is None:
            return
        status = self._status()
        loss = self._get_cached_epoch_loss(callback_data, model, epoch, 'loss')
        if loss:
            status += ' [{} {:.2f}, {:.2f}s]'.format(loss['costnm'], float(loss['cost']),
                                                      float(loss['time']))
        metrics = self._epoch_metrics(callback_data, epoch)
        if metrics:
            status += ' [{}]'.format(', '.join('{} {:.4g}'.format(k, v) for k, v in metrics))
        self._bar.set_postfix_str(status, refresh=False)
        self._bar.close()
        self._bar = None
        self._epochs_run = getattr(self, '_epochs_run', 0) + 1

    @staticmethod
    def _epoch_metrics(callback_data, epoch):
        """[(name, value)] of the metrics evaluated at the end of this epoch."""
        found = []
        for name in sorted(callback_data['metrics']) if 'metrics' in callback_data else []:
            values = callback_data['metrics'][name]
            freq = int(values.attrs.get('epoch_freq', 1))
            if (epoch + 1) % freq == 0 and epoch // freq < values.shape[0]:
                found.append((name, float(values[epoch // freq])))
        return found

    def on_train_begin(self, callback_data, model, epochs):
        self._train_start = default_timer()
        self._epochs_run = 0

    def on_train_end(self, callback_data, model):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._epochs_run:
            total = default_timer() - self._train_start
            print('Trained {} epoch{} in {:.1f}s ({:.2f}s per epoch)'.format(
                self._epochs_run, '' if self._epochs_run == 1 else 's', total,
                total / self._epochs_run))


class TrainLoggerCallback(Callback):
    """Logs the training cost (INFO level) every `epoch_freq` epochs.

    Arguments:
        epoch_freq (int): default 1.
        minibatch_freq (int): default None (no minibatch logging).
    """

    def __init__(self, epoch_freq=1, minibatch_freq=None):
        super(TrainLoggerCallback, self).__init__(epoch_freq=epoch_freq,
                                                  minibatch_freq=minibatch_freq)
        self.epoch_freq = epoch_freq
        self.minibatch_freq = minibatch_freq

    def on_epoch_end(self, callback_data, model, epoch):
        logger.info('Epoch %d complete.  Train Cost %f.', epoch,
                    float(np.asarray(model.total_cost).reshape(-1)[0]))


class SaveBestStateCallback(Callback):
    """Saves the model whenever the evaluation loss improves (needs eval_freq).

    Arguments:
        path (str): file for the best model.
    """

    def __init__(self, path):
        super(SaveBestStateCallback, self).__init__(epoch_freq=1)
        self.best_path = path
        self.best_cost = None

    def on_epoch_end(self, callback_data, model, epoch):
        loss = self._get_cached_epoch_loss(callback_data, model, epoch, 'loss')
        if loss:
            if self.best_cost is None or loss['cost'] < self.best_cost:
                save_checkpoint(model, self.best_path)
                self.best_cost = loss['cost']


class EarlyStopCallback(Callback):
    """Stops training when stop_func(state, val_loss) -> (state, True).

    Arguments:
        stop_func (callable): the stopping rule.
    """

    def __init__(self, stop_func):
        super(EarlyStopCallback, self).__init__(epoch_freq=1)
        self.stop_func = stop_func
        self.stop_state = None

    def on_epoch_end(self, callback_data, model, epoch):
        loss = self._get_cached_epoch_loss(callback_data, model, epoch, 'loss')
        if loss:
            self.stop_state, finished = self.stop_func(self.stop_state, loss['cost'])
            if finished:
                model.finished = True
                logger.warning('Early stopping function triggered: mean_cost %f.', loss['cost'])


# defined in their own files, published here as neon had them
publish_here(__name__, [Callback, DeconvCallback])
