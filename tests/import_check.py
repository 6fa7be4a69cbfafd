"""Run by test_imports.py in a fresh interpreter: imports each module of the package
first (in a forked child that has imported nothing of neon_compat), then checks that
every public layer class describes itself under neon's module path.

Usage: python import_check.py MODULE [MODULE ...]; prints one line per failure and
exits 1 if any.
"""
import importlib
import os
import sys
import traceback

# third-party packages only: each child then imports neon_compat from nothing
import numpy as np  # noqa: F401
import h5py  # noqa: F401
import scipy.linalg  # noqa: F401

# neon 2.6's module of every public class of neon.layers
NEON_MODULES = {
    'neon.layers.layer': [
        'Layer', 'ParameterLayer', 'Linear', 'Bias', 'Activation', 'DataTransform', 'Dropout',
        'Reshape', 'GeneralizedCost', 'GeneralizedCostMask', 'GeneralizedGANCost', 'BranchNode',
        'SkipNode',
        'BatchNorm', 'LRN', 'Convolution', 'Convolution_bias', 'Deconvolution', 'Pooling',
        'RoiPooling', 'BatchNormAutodiff',
        'LookupTable'],
    'neon.layers.container': [
        'Sequential', 'DeltasTree', 'LayerContainer', 'Tree', 'SingleOutputTree', 'Broadcast',
        'MergeSum', 'MergeBroadcast', 'MergeMultistream', 'Multicost', 'GenerativeAdversarial',
        'Seq2Seq'],
    'neon.layers.recurrent': [
        'Recurrent', 'LSTM', 'GRU', 'BiRNN', 'BiLSTM', 'BiSum', 'BiBNRNN', 'RecurrentSum',
        'RecurrentMean', 'RecurrentLast'],
}


def instances():
    """One instance of every public NervanaObject class of neon_compat.layers."""
    from neon_compat.backends import gen_backend
    from neon_compat import layers as L
    from neon_compat.initializers import Gaussian
    from neon_compat.transforms import Tanh, Logistic, SumSquared, GANCost
    gen_backend('cpu', batch_size=2)
    g = Gaussian()
    cost = L.GeneralizedCost(SumSquared())
    rnn = dict(init=g, activation=Tanh())
    gated = dict(rnn, gate_activation=Logistic())
    made = {
        'Layer': L.Layer(), 'ParameterLayer': L.ParameterLayer(g), 'Linear': L.Linear(2, g),
        'Bias': L.Bias(g), 'Activation': L.Activation(Tanh()),
        'DataTransform': L.DataTransform(Tanh()), 'Dropout': L.Dropout(),
        'Reshape': L.Reshape((2, 1)), 'GeneralizedCost': cost,
        'GeneralizedCostMask': L.GeneralizedCostMask(SumSquared()),
        'GeneralizedGANCost': L.GeneralizedGANCost(GANCost()),
        'BranchNode': L.BranchNode(name='import_check'), 'SkipNode': L.SkipNode(),
        'BatchNorm': L.BatchNorm(), 'BatchNormAutodiff': L.BatchNormAutodiff(),
        'LRN': L.LRN(3), 'Convolution': L.Convolution((3, 3, 2)),
        'Convolution_bias': L.Convolution_bias((3, 3, 2), bias=g),
        'Deconvolution': L.Deconvolution((3, 3, 2)), 'Pooling': L.Pooling(2),
        'LookupTable': L.LookupTable(5, 3, g), 'RoiPooling': L.RoiPooling(),
        'Sequential': L.Sequential([L.Linear(2, g)]), 'DeltasTree': L.DeltasTree(),
        'LayerContainer': L.LayerContainer(),  # abstract: given an empty layer list below
        'Tree': L.Tree([[L.Linear(2, g)]]),
        'SingleOutputTree': L.SingleOutputTree([[L.Linear(2, g)]]),
        'Broadcast': L.Broadcast([[L.Linear(2, g)]]),
        'MergeSum': L.MergeSum([[L.Linear(2, g)], [L.Linear(2, g)]]),
        'MergeBroadcast': L.MergeBroadcast([[L.Linear(2, g)]], 'stack'),
        'MergeMultistream': L.MergeMultistream([[L.Linear(2, g)]], 'stack'),
        'Multicost': L.Multicost([cost]),
        'GenerativeAdversarial': L.GenerativeAdversarial(L.Sequential([L.Linear(2, g)]),
                                                         L.Sequential([L.Linear(1, g)])),
        'Seq2Seq': L.Seq2Seq([[L.Recurrent(2, **rnn)], [L.Recurrent(2, **rnn)]]),
        'Recurrent': L.Recurrent(2, **rnn), 'LSTM': L.LSTM(2, **gated), 'GRU': L.GRU(2, **gated),
        'BiRNN': L.BiRNN(2, **rnn), 'BiLSTM': L.BiLSTM(2, **gated), 'BiSum': L.BiSum(),
        'BiBNRNN': L.BiBNRNN(2, **rnn),
        'RecurrentSum': L.RecurrentSum(), 'RecurrentMean': L.RecurrentMean(),
        'RecurrentLast': L.RecurrentLast(),
    }
    made['LayerContainer'].layers = []
    return made


def check_class_paths():
    """Failures: public classes missing from NEON_MODULES, or described elsewhere."""
    from neon_compat import NervanaObject
    from neon_compat import layers as L
    expected = {name: module for module, names in NEON_MODULES.items() for name in names}
    public = {name for name, value in vars(L).items()
              if isinstance(value, type) and issubclass(value, NervanaObject)}
    failures = ['neon_compat.layers.{} has no neon module in NEON_MODULES'.format(name)
                for name in sorted(public - set(expected))]
    for name, obj in sorted(instances().items()):
        desc_type = obj.get_description()['type']
        want = expected[name] + '.' + name
        if desc_type != want:
            failures.append('{} is described as {}, neon wrote {}'.format(name, desc_type, want))
    return failures


def check_first(module):
    """In a forked child: import `module` first, then check the class paths."""
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            assert not any(m.split('.')[0] in ('neon', 'neon_compat') for m in sys.modules)
            importlib.import_module(module)
            for line in check_class_paths():
                print('{} first: {}'.format(module, line))
                status = 1
        except BaseException:
            print('{} first: {}'.format(module, traceback.format_exc().strip().splitlines()[-1]))
            status = 1
        sys.stdout.flush()
        os._exit(status)
    return os.waitpid(pid, 0)[1] == 0


if __name__ == '__main__':
    results = [check_first(module) for module in sys.argv[1:]]
    sys.exit(0 if all(results) else 1)
