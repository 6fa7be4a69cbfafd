"""Benchmark (neon.benchmark.benchmark): minibatch and per-layer run times of a model,
measured with the backend's timing marks, and a table of their statistics."""
from collections import OrderedDict
from functools import wraps

import numpy as np

from neon_compat import NervanaObject, logger, __neon_version__
from neon_compat.layers.container import LayerContainer


def _leaf_layers(container):
    """The layers of a container, nested containers expanded, in order."""
    leaves = []
    for layer in container.layers:
        leaves += _leaf_layers(layer) if isinstance(layer, LayerContainer) else [layer]
    return leaves


class Benchmark(object):
    """Times a model's minibatches and, with time_layers, each layer's fprop and bprop.

    Arguments:
        model (Model): the model (its layers' fprop/bprop are wrapped to time them).
        time_layers (bool): also time every layer, default True.

    `time(dataset)` returns an OrderedDict of per-minibatch times in milliseconds:
    'fprop', 'bprop', 'iteration' (fprop only with inference), 'data_loading', and with
    time_layers 'fprop <layer name>' / 'bprop <layer name>' lists.
    """

    def __init__(self, model, time_layers=True):
        self.model = model
        self.time_layers = time_layers
        self.layer_times = OrderedDict()
        if not time_layers:
            return
        be = model.be
        self.start, self.end = be.init_mark(), be.init_mark()
        for layer in _leaf_layers(model.layers):
            for kind in ('fprop', 'bprop'):
                times = self.layer_times.setdefault('{} {}'.format(kind, layer.name), [])
                setattr(layer, kind, self.benchmarked(getattr(layer, kind), self.start,
                                                      self.end, times))

    @staticmethod
    def benchmarked(func, start, end, output):
        """func wrapped so that each call appends its run time (ms) to `output`."""
        be = NervanaObject.be

        @wraps(func)
        def timed(*args, **kwargs):
            be.record_mark(start)
            result = func(*args, **kwargs)
            be.record_mark(end)
            be.synchronize_mark(end)
            output.append(be.get_time(start, end))
            return result
        return timed

    def time(self, dataset, inference=False, niterations=20):
        """Run `niterations` minibatches (passing over the data again as needed).

        Arguments:
            dataset (NervanaDataIterator): the data.
            inference (bool): time fprop only (no cost or optimizer needed).
            niterations (int): minibatches to time, at least 1.
        """
        model, be = self.model, self.model.be
        if not dataset:
            raise ValueError('Benchmark.time needs a dataset with minibatches')
        if niterations < 1:
            raise ValueError('Benchmark.time: niterations must be at least 1, not '
                             '{}'.format(niterations))
        if not inference and (model.cost is None or model.optimizer is None):
            raise RuntimeError('timing bprop needs the model\'s cost and optimizer: '
                               'initialize it with a cost and set model.optimizer, or pass '
                               'inference=True')
        keys = ['fprop'] if inference else ['fprop', 'bprop', 'iteration']
        if self.time_layers:
            keys.append('data_loading')
        times = OrderedDict((key, np.full(niterations, -1.0)) for key in keys)
        loaded, fprop_start, fprop_end, bprop_end = (be.init_mark() for _ in range(4))
        count = 0
        while count < niterations:
            dataset.reset()
            be.record_mark(loaded)
            for x, t in dataset:
                be.record_mark(fprop_start)
                y = model.fprop(x, inference)
                be.record_mark(fprop_end)
                if inference:
                    be.synchronize_mark(fprop_end)
                else:
                    model.cost.get_cost(y, t)
                    model.bprop(model.cost.get_errors(y, t))
                    model.optimizer.optimize(model.layers_to_optimize, epoch=0)
                    be.record_mark(bprop_end)
                    be.synchronize_mark(bprop_end)
                loading = be.get_time(loaded, fprop_start)
                if self.time_layers:
                    times['data_loading'][count] = loading
                times['fprop'][count] = be.get_time(fprop_start, fprop_end) + loading
                if not inference:
                    times['bprop'][count] = be.get_time(fprop_end, bprop_end)
                    times['iteration'][count] = times['fprop'][count] + times['bprop'][count]
                be.record_mark(loaded)
                count += 1
                if count >= niterations:
                    break
        times.update(self.layer_times)
        return times

    @staticmethod
    def print_stats(stats, functions=None, output=None, nskip=0):
        """Show a table of functions (default mean, median, min, max) of each timing.

        Arguments:
            stats (dict): name -> sequence of times in ms (as `time` returns).
            functions (list of callables, optional): statistics, named by __name__.
            output (object, optional): has a display(str) method; default the logger.
            nskip (int): leading measurements left out (warm-up).
        """
        if not stats:
            raise ValueError('print_stats needs statistics (a dict of timings)')
        if output is None:
            output = logger
        elif not hasattr(output, 'display'):
            raise TypeError('print_stats: output must have a display(text) method')
        functions = functions or (np.mean, np.median, np.amin, np.amax)  # as neon titled them
        names = [f.__name__.title() for f in functions]
        header = '| {:^33} '.format('Func') + ''.join('| {:^11} '.format(n) for n in names) + \
            '|    Units    |'
        rule = '+' + '-' * (len(header) - 2) + '+'
        title = '  neon_compat benchmark, neon {}  '.format(__neon_version__)
        lines = [rule, '|{}|'.format(title.center(len(header) - 2, '-')), rule, header, rule]
        for step, values in stats.items():
            if not any(values):
                continue
            timed = np.asarray(values[nskip:], dtype=float)
            cells = ''.join('|  {:<10.5g} '.format(f(timed)) for f in functions)
            lines.append('| {:<33} {}| {:^11} |'.format(step, cells, 'msec'))
        lines.append(rule)
        output.display('\n' + '\n'.join(lines))
