"""Model (neon.models.model): training loop, evaluation, outputs and model files."""
import logging

import numpy as np

from neon_compat import NervanaObject, DivergenceError, __neon_version__
from neon_compat.backends.distributed import parts_of
from neon_compat.backends.tensor import Tensor
from neon_compat.layers.container import Sequential
from neon_compat.layers.layer import Activation
from neon_compat.optimizers.optimizer import get_param_list
from neon_compat.transforms.activation import Logistic
from neon_compat.transforms.cost import CrossEntropyBinary
from neon_compat.util.compat import scalar_array
from neon_compat.util.persist import load_obj, save_obj, load_class, ModelFileError

logger = logging.getLogger(__name__)


def _finite(value):
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return bool(np.isfinite(value.get() if hasattr(value, 'get') else value).all())


class Model(NervanaObject):
    """A network: layers, cost and optimizer, with neon's training loop.

    Arguments:
        layers (list, container, dict or str): a list of layers (wrapped in a
            Sequential), a container, a model description dict, or the path of a
            model file (the network is rebuilt from it).
        dataset: deprecated, ignored.
        weights_only (bool): when loading from a file/dict, skip optimizer states.
        name (str): default "model".
        optimizer (Optimizer, optional)
    """

    def __init__(self, layers, dataset=None, weights_only=False, name="model", optimizer=None):
        super(Model, self).__init__(name)
        self.optimizer = optimizer
        self.epoch_index = 0
        self.epoch_in_progress = False
        self.finished = False
        self.initialized = False
        self.cost = None
        self.nbatches = 0
        self.ndata = 0
        self.total_cost = scalar_array(np.zeros((1, 1), dtype=np.float32))
        if dataset is not None:
            logger.warning('dataset is a deprecated argument and will be ignored')
        if isinstance(layers, dict):
            self.deserialize(layers, load_states=not weights_only)
        elif isinstance(layers, (str, bytes)):
            self.load_params(layers, load_states=not weights_only)
        elif isinstance(layers, list):
            self.layers = Sequential(layers)
        else:
            self.layers = layers
        self.layers.propagate_parallelism("Data")

    @property
    def layers_to_optimize(self):
        return self.layers.layers_to_optimize

    def set_shortcut(self):
        """Use Logistic's shortcut derivative when the cost is CrossEntropyBinary."""
        last = self.layers.layers[-1]
        if self.cost is not None and type(self.cost.costfunc) is CrossEntropyBinary and \
                type(last) is Activation and type(last.transform) is Logistic:
            last.transform.set_shortcut(True)

    def initialize(self, dataset, cost=None):
        """Configure and allocate the network once; attach the cost if given."""
        if self.initialized:
            if cost is not None and self.cost is not cost:
                cost.initialize(self.layers)
                self.cost = cost
            return
        self.layers.configure(dataset)
        if cost is not None:
            cost.initialize(self.layers)
            self.cost = cost
        self.layers.allocate()
        self.layers.allocate_deltas()
        self.initialized = True

    def __str__(self):
        return "Network Layers:\n" + self.layers.nested_str()

    def fit(self, dataset, cost, optimizer, num_epochs, callbacks):
        """Train for epochs epoch_index .. num_epochs - 1.

        Arguments:
            dataset (NervanaDataIterator): training data.
            cost (GeneralizedCost): the cost.
            optimizer (Optimizer): the optimizer.
            num_epochs (int): the epoch count to reach.
            callbacks (Callbacks): hooks run around epochs and minibatches.
        """
        with parts_of(self.be.data_parallel, dataset):  # each process reads its part
            self.nbatches = dataset.nbatches
            self.ndata = dataset.ndata
            self.total_cost = scalar_array(np.zeros((1, 1), dtype=np.float32))
            self.optimizer = optimizer
            self.initialize(dataset, cost)
            if logger.isEnabledFor(logging.INFO):  # -v
                logger.info('%s', self.summary())
            dist = self.be.data_parallel
            if dist is not None:  # every rank starts from rank 0's weights
                dist.broadcast([p for (p, _), _ in get_param_list(self.layers_to_optimize)])
            callbacks.on_train_begin(num_epochs)
            while self.epoch_index < num_epochs and not self.finished:
                self.nbatches = dataset.nbatches
                callbacks.on_epoch_begin(self.epoch_index)
                self._epoch_fit(dataset, callbacks)
                callbacks.on_epoch_end(self.epoch_index)
                self.epoch_index += 1
            callbacks.on_train_end()

    def _epoch_fit(self, dataset, callbacks):
        self.epoch_in_progress = True
        epoch = self.epoch_index
        self.total_cost[:] = 0
        nbatches = 0
        dist = self.be.data_parallel
        for mb_idx, (inputs, t) in enumerate(dataset):
            callbacks.on_minibatch_begin(epoch, mb_idx)
            x = self.fprop(inputs)
            cost = self.cost.get_cost(x, t)
            if dist is not None:  # the global minibatch's cost (the same on every rank)
                cost = dist.mean(cost)
            if not np.isfinite(cost).all():  # a host value already: no extra device sync
                raise DivergenceError(self._divergence_message(cost, inputs, epoch, mb_idx))
            self.total_cost[:] = self.total_cost + cost
            delta = self.cost.get_errors(x, t)
            self.bprop(delta)
            self.optimizer.optimize(self.layers_to_optimize, epoch=epoch)
            callbacks.on_minibatch_end(epoch, mb_idx)
            nbatches += 1
        self.total_cost[:] = self.total_cost / max(nbatches, 1)
        self.epoch_in_progress = False

    def summary(self):
        """A table of the initialized network: each layer, its output shape (batch
        excluded) and parameter count, and the total."""
        rows = [('layer', 'type', 'output shape', 'parameters')]
        total = 0
        for layer in self._leaf_layers():
            count = sum(int(np.prod(p.shape)) for (p, _), _ in self._params_of(layer)) \
                if layer.has_params else 0
            total += count
            rows.append((layer.name, layer.classnm, str(getattr(layer, 'out_shape', '?')),
                         '{:,}'.format(count)))
        rows.append(('total', '', '', '{:,}'.format(total)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = ['  '.join(cell.ljust(w) if i < 3 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
        lines.insert(1, '-' * len(lines[0]))
        lines.insert(len(lines) - 1, '-' * len(lines[0]))
        return '\n'.join(lines)

    def _leaf_layers(self):
        return [layer for layer in self.layers.layers_fprop()
                if not hasattr(layer, 'layers_fprop')]

    def _weights_finite(self, layer):
        return not layer.has_params or _finite([p for (p, _), _ in self._params_of(layer)])

    def first_non_finite_parameters(self):
        """The name of the first layer whose weights are not all finite, or None."""
        for layer in self._leaf_layers():
            if not self._weights_finite(layer):
                return layer.name
        return None

    @staticmethod
    def _params_of(layer):
        params = layer.get_params()
        return params if isinstance(params, list) else [params]

    def _divergence_message(self, cost, inputs, epoch, minibatch):
        """Which went non-finite first: the data, a layer's outputs or its weights."""
        where = 'the cost is {} at epoch {}, minibatch {}'.format(
            float(np.asarray(cost).reshape(-1)[0]), epoch, minibatch)
        if not _finite(inputs):
            return ('training stopped: {}: the input data hold NaN or inf values; clean the '
                    'data set'.format(where))
        for layer in self._leaf_layers():
            if not self._weights_finite(layer):
                return ("training stopped: {}: the weights of layer '{}' are not finite; "
                        "lower the learning rate".format(where, layer.name))
            if not _finite(getattr(layer, 'outputs', None)):
                return ("training stopped: {}: the outputs of layer '{}' are not finite (its "
                        "weights are); lower the learning rate or check that layer".format(
                            where, layer.name))
        return 'training stopped: {}: the targets or the cost are not finite'.format(where)

    def fprop(self, x, inference=False):
        return self.layers.fprop(x, inference)

    def bprop(self, delta):
        return self.layers.bprop(delta)

    def eval(self, dataset, metric):
        """Metric values over the whole dataset, padding columns excluded.

        Returns:
            ndarray: one value per name in metric.metric_names (float() works on a
            single value, so '%.1f' % accuracy formats as in neon).
        """
        self.initialize(dataset)
        running_error = np.zeros((len(metric.metric_names)), dtype=np.float32)
        nprocessed = 0  # this process's examples
        nseen = 0  # every process's
        dataset.reset()
        ndata = dataset.ndata * getattr(dataset, 'seq_length', 1)
        with parts_of(self.be.data_parallel, dataset) as dist:
            rank, nranks = (0, 1) if dist is None else (dist.rank, dist.size)
            for x, t in dataset:
                x = self.fprop(x, inference=True)
                first = x[0] if isinstance(x, list) else x
                nsteps = first.shape[1] // self.be.bsz
                in_batch = min(ndata - nseen, self.be.bsz * nranks)
                bsz = min(max(in_batch - rank * self.be.bsz, 0), self.be.bsz)  # padding: 0
                if bsz:
                    running_error += metric(x, t, calcrange=slice(0, nsteps * bsz)) * \
                        nsteps * bsz
                nprocessed += bsz * nsteps
                nseen += in_batch * nsteps
        if dist is not None:  # the whole set's: sums and counts of every rank
            total = dist.sum_host(np.append(running_error, nprocessed).astype(np.float64))
            running_error, nprocessed = total[:-1].astype(np.float32), total[-1]
        running_error /= nprocessed
        return scalar_array(running_error)

    def get_outputs(self, dataset):
        """Network outputs for every example, (ndata, F) (or (ndata, T, F) for sequences)."""
        self.initialize(dataset)
        dataset.reset()
        n = dataset.nbatches
        if isinstance(self.layers.layers[-1].outputs, list):
            raise ValueError('get_outputs needs a network with a single output')
        ypred = None
        for idx, (x, _) in enumerate(dataset):
            x = self.fprop(x, inference=True)
            if ypred is None:
                dim0, dim1 = x.shape
                ypred = np.empty((n * dim1, dim0), dtype=x.dtype)
                nsteps = dim1 // self.be.bsz
            ypred[idx * dim1:(idx + 1) * dim1] = x.get().T
        if nsteps != 1:
            b, s = self.be.bsz, nsteps
            ypred = ypred.reshape((n, s, b, -1)).transpose(0, 2, 1, 3).copy().reshape(
                n * b, s, -1)
        return ypred[:dataset.ndata]

    def get_description(self, get_weights=False, keep_states=False):
        """neon's model dictionary: version, backend, cost, optimizer and layers."""
        pdict = dict()
        pdict['neon_version'] = __neon_version__
        compat_mode = self.be.compat_mode if self.be.compat_mode is not None else 'neon'
        # the library's own class (NervanaCPU, NervanaGPU ...), even for a subclass
        backend_class = next(c for c in type(self.be).__mro__
                             if c.__module__.startswith('neon_compat.backends'))
        pdict['backend'] = {'type': backend_class.__name__, 'compat_mode': compat_mode,
                            'rng_seed': self.be.rng_seed,
                            'rng_state': self.be.rng_get_state()}
        if self.cost:
            pdict['cost'] = self.cost.get_description()
        if self.optimizer:
            pdict['optimizer'] = self.optimizer.get_description()
        pdict['model'] = self.layers.get_description(get_weights=get_weights,
                                                     keep_states=keep_states)
        return pdict

    def save_params(self, param_path, keep_states=True):
        """Write the model file (atomically)."""
        self.serialize(keep_states=keep_states, fn=param_path)

    def load_params(self, param_path, load_states=True):
        """Load weights (and states) from a model file; rebuilds layers if there are none."""
        self.deserialize(load_obj(param_path), load_states=load_states)
        logger.info('Model weights loaded from %s', param_path)

    def load_weights(self, weight_path):
        """Deprecated alias of load_params."""
        logger.warning('load_weights is deprecated: use load_params')
        self.load_params(weight_path)

    def deserialize(self, model_dict, data=None, load_states=True):
        """Load a model dictionary (neon 2.x or the older layer_params_states layout)."""
        if not isinstance(model_dict, dict):
            raise ModelFileError('a model description must be a dict, not {}'.format(
                type(model_dict).__name__))
        if data is not None:
            logger.warning('data is a deprecated argument and will be ignored')
        if 'epoch_index' in model_dict:
            self.epoch_index = model_dict['epoch_index']
        if 'model' not in model_dict:
            if 'layer_params_states' not in model_dict or not hasattr(self, 'layers'):
                raise ModelFileError('the model file has neither a network description nor '
                                     'weights this model can use')
            logger.warning('reading the old (neon 1.x) model file layout')
            for layer, ps in zip(self.layers_to_optimize, model_dict['layer_params_states']):
                layer.set_params(ps)
                if 'states' in ps and load_states:
                    layer.set_states(ps)
            return
        backend = model_dict.get('backend', {})
        if 'compat_mode' in backend:
            self.be.compat_mode = None if backend['compat_mode'] == 'neon' \
                else backend['compat_mode']
        if not hasattr(self, 'layers'):
            main_container = load_class(model_dict['model']['type'])
            self.layers = main_container.gen_class(model_dict['model']['config'])
        self.layers.load_weights(model_dict['model'], load_states)
        if load_states and 'rng_state' in backend:
            try:
                self.be.rng_set_state(backend['rng_state'])
            except (ValueError, TypeError) as err:
                logger.warning("Problems restoring existing RNG state: %s", err)

    def serialize(self, fn=None, keep_states=True):
        """The model dictionary (with weights); written to `fn` if given."""
        pdict = self.get_description(get_weights=True, keep_states=keep_states)
        # the epoch to start from on resume: the next one, or this one if it is unfinished
        pdict['epoch_index'] = self.epoch_index + (0 if self.epoch_in_progress else 1)
        if self.initialized:
            pdict['train_input_shape'] = self.layers.in_shape
        if fn is not None:
            dist = self.be.data_parallel
            if dist is None or dist.writes(fn):  # several processes: rank 0 writes it
                save_obj(pdict, fn)
            if dist is not None:  # written before any rank goes on (and may read it)
                dist.barrier()
            return
        return pdict

    def benchmark(self, dataset, inference=False, cost=None, optimizer=None, niterations=20,
                  nskip=2):
        """Time fprop (and bprop with the update) over minibatches; shows a table and
        returns {'fprop'|'bprop'|'iteration': {'mean', 'median', 'min', 'max'}} in ms.

        Arguments:
            dataset: the data.
            inference (bool): time fprop only.
            cost, optimizer: needed unless inference.
            niterations (int): timed minibatches.
            nskip (int): untimed warm-up minibatches.
        """
        import time
        if not inference and (cost is None or optimizer is None):
            raise ValueError('benchmarking bprop needs a cost and an optimizer')
        self.initialize(dataset, cost)
        self.optimizer = optimizer
        keys = ['fprop'] if inference else ['fprop', 'bprop', 'iteration']
        times = {key: [] for key in keys}
        count = 0
        while count < niterations + nskip:
            dataset.reset()
            for x, t in dataset:
                start = time.perf_counter()
                x = self.fprop(x, inference)
                if not inference:
                    self.cost.get_cost(x, t)
                self.be.synchronize()
                mid = time.perf_counter()
                if not inference:
                    self.bprop(self.cost.get_errors(x, t))
                    self.optimizer.optimize(self.layers_to_optimize, epoch=0)
                    self.be.synchronize()
                end = time.perf_counter()
                if count >= nskip:
                    times['fprop'].append((mid - start) * 1e3)
                    if not inference:
                        times['bprop'].append((end - mid) * 1e3)
                        times['iteration'].append((end - start) * 1e3)
                count += 1
                if count >= niterations + nskip:
                    break
        stats = {key: {name: float(getattr(np, name)(values))
                       for name in ('mean', 'median', 'min', 'max')}
                 for key, values in times.items()}
        fmt = '| {:<11} |' + ' {:>10.3f} |' * 4 + ' msec |'
        logger.display('| Func        |       Mean |     Median |        Min |        Max |')
        for key in keys:
            logger.display(fmt.format(key, *[stats[key][n] for n in
                                             ('mean', 'median', 'min', 'max')]))
        return stats

    def set_batch_size(self, N):
        return self.layers.set_batch_size(N)

    def set_seq_len(self, S):
        return self.layers.set_seq_len(S)


class GAN(Model):
    """A generative adversarial network: a GenerativeAdversarial container trained by
    alternating discriminator and generator updates (neon's schedule).

    Arguments:
        layers (GenerativeAdversarial): the generator and the discriminator.
        noise_dim (int or tuple): the shape of the generator's input noise.
        noise_type (str): 'normal' (default) or 'uniform' (in [-1, 1]).
        weights_only (bool), name (str), optimizer: as Model.
        k (int): discriminator updates per generator update, default 1.
        wgan_param_clamp (float, optional): clip the discriminator's weights to ±this
            before each update (Wasserstein GAN).
        wgan_train_sched (bool): 100 discriminator updates per generator update for the
            first 25 generator updates and every 500th (Arjovsky et al.).

    Each minibatch: the discriminator is trained on generated samples, then (gradients
    accumulated) on the data; every k minibatches the generator is trained through the
    discriminator. `cost_dis` holds the discriminator cost of the minibatch.
    """

    def __init__(self, layers, noise_dim, noise_type='normal', weights_only=False,
                 name="model", optimizer=None, k=1, wgan_param_clamp=None,
                 wgan_train_sched=False):
        if noise_type not in ('normal', 'uniform'):
            raise ValueError("GAN noise_type must be 'normal' or 'uniform', not {!r}".format(
                noise_type))
        self.noise_dim = noise_dim
        self.noise_type = noise_type
        self.k = k
        self.wgan_param_clamp = wgan_param_clamp
        self.wgan_train_sched = wgan_train_sched
        super(GAN, self).__init__(layers, weights_only=weights_only, name=name,
                                  optimizer=optimizer)

    @staticmethod
    def clip_param_in_layers(layer_list, abs_bound=None):
        """Clip every parameter of the layers to ±abs_bound, in place."""
        if not abs_bound:
            return
        for (param, _), _ in get_param_list(layer_list):
            param[:] = param.backend.clip(param, -abs(abs_bound), abs(abs_bound))

    def fill_noise(self, z, normal=True):
        """Fill z with N(0, 1) noise, or uniform noise in [-1, 1]."""
        if normal:
            self.be.fill_normal(z)
        else:
            z.set(self.be.rng.uniform(-1.0, 1.0, z.shape))

    def initialize(self, dataset, cost=None):
        if self.initialized:
            return
        self.layers.configure(self.noise_dim)
        if cost is not None:
            cost.initialize(self.layers)
            self.cost = cost
        self.layers.generator.allocate(accumulate_updates=False)
        self.layers.discriminator.allocate(accumulate_updates=True)
        self.layers.allocate_deltas()
        self.initialized = True
        self.zbuf = self.be.iobuf(self.noise_dim)
        self.ybuf = self.be.iobuf((1,))
        self.z0 = self.be.iobuf(self.noise_dim)  # fixed noise, for pictures of progress
        self.fill_noise(self.z0, normal=(self.noise_type == 'normal'))
        self.cost_dis = np.empty((1,), dtype=np.float32)
        self.current_batch = self.gen_iter = self.last_gen_batch = 0

    def get_k(self, giter):
        """Discriminator updates before the next generator update."""
        if self.wgan_train_sched and (giter < 25 or giter % 500 == 0):
            return 100
        return self.k

    def _epoch_fit(self, dataset, callbacks):
        self.epoch_in_progress = True
        epoch = self.epoch_index
        self.total_cost[:] = 0
        last_gen_iter = self.gen_iter
        z, y_temp = self.zbuf, self.ybuf
        dis, gen = self.layers.discriminator, self.layers.generator
        normal = self.noise_type == 'normal'
        for mb_idx, (x, _) in enumerate(dataset):
            callbacks.on_minibatch_begin(epoch, mb_idx)
            self.clip_param_in_layers(dis.layers_to_optimize, self.wgan_param_clamp)
            # the discriminator: generated samples, then (accumulating) the data
            self.fill_noise(z, normal=normal)
            y_noise = self.fprop_dis(self.fprop_gen(z))
            y_temp[:] = y_noise
            self.bprop_dis(self._delta(self.cost.costfunc.bprop_noise(y_noise)))
            dis.set_acc_on(True)
            y_data = self.fprop_dis(x)
            self.bprop_dis(self._delta(self.cost.costfunc.bprop_data(y_data)))
            self.optimizer.optimize(dis.layers_to_optimize, epoch=epoch)
            dis.set_acc_on(False)
            self.cost_dis[:] = self.cost.get_cost(y_data, y_temp, cost_type='dis')
            # the generator, through the discriminator, every k minibatches
            if self.current_batch == self.last_gen_batch + self.get_k(self.gen_iter):
                self.fill_noise(z, normal=normal)
                y_temp[:] = y_data
                y_noise = self.fprop_dis(self.fprop_gen(z))
                delta = self.bprop_dis(self._delta(self.cost.costfunc.bprop_generator(y_noise)))
                self.bprop_gen(delta)
                self.optimizer.optimize(gen.layers_to_optimize, epoch=epoch)
                self.cost_dis[:] = self.cost.get_cost(y_temp, y_noise, cost_type='dis')
                self.total_cost[:] = self.total_cost + self.cost_dis
                self.last_gen_batch = self.current_batch
                self.gen_iter += 1
            callbacks.on_minibatch_end(epoch, mb_idx)
            self.current_batch += 1
        # the mean discriminator cost over this epoch's generator updates (an epoch shorter
        # than k minibatches has none, and the generator's turn comes in a later epoch:
        # neon stopped with an assertion)
        if self.gen_iter > last_gen_iter:
            self.total_cost[:] = self.total_cost / (self.gen_iter - last_gen_iter)
        else:
            self.total_cost[:] = self.cost_dis
        self.data_batch, self.noise_batch = x, self.fprop_gen(self.z0)
        self.epoch_in_progress = False

    def _delta(self, value):
        """A cost gradient as a tensor (GANCost's are op-trees; layers take tensors)."""
        if isinstance(value, Tensor):
            return value
        if getattr(self, '_delta_buf', None) is None:
            self._delta_buf = self.be.iobuf((1,))
        self._delta_buf[:] = value
        return self._delta_buf

    def fprop_gen(self, x, inference=False):
        return self.layers.generator.fprop(x, inference)

    def fprop_dis(self, x, inference=False):
        return self.layers.discriminator.fprop(x, inference)

    def bprop_dis(self, delta):
        return self.layers.discriminator.bprop(delta)

    def bprop_gen(self, delta):
        return self.layers.generator.bprop(delta)
