"""Whole training epochs, neon_compat vs PyTorch: 4000 synthetic MNIST-shaped samples,
batch 32 (125 minibatches), GradientDescentMomentum / SGD(0.01, momentum 0.9).

Ours goes through `Model.fit` with `Callbacks(model)` and an ArrayIterator, exactly as
a neon script does (progress bar included, its output sent to /dev/null); PyTorch runs
a plain loop over the same batches, already in tensors. Cases:

* MLP 784-200-10 (ReLU, softmax);
* CNN: Conv 5x5x16, max pool 2, Conv 5x5x32, max pool 2, Affine 100, Dropout 0.5,
  Affine 10 (ReLU, softmax), on 1x28x28;
* the same CNN with batch norm after each convolution (no conv bias);
* LSTM(64) over 28 steps of 28 features, last output, Affine 10;
* BiRNN(64) over 25 steps of 25 features, mean over time, Affine 10.
"""
import argparse
import contextlib
import os

import neon_compat  # noqa: F401  (first, as a neon script would: it tunes BLAS threads)
import numpy as np

from common import compare, torch_or_none

NDATA, BATCH, NCLASS = 4000, 32, 10
CASES = ('mlp', 'cnn', 'cnn_bn', 'lstm', 'birnn')
LABELS = {'mlp': 'epoch MLP 784-200-10', 'cnn': 'epoch CNN 2 conv 5x5',
          'cnn_bn': 'epoch CNN + BatchNorm', 'lstm': 'epoch LSTM(64) 28x28',
          'birnn': 'epoch BiRNN(64) 25x25'}


def synthetic(kind):
    """(inputs (NDATA, features), labels, neon lshape)."""
    rng = np.random.RandomState(0)
    side = 25 if kind == 'birnn' else 28
    X = rng.uniform(0, 1, (NDATA, side * side)).astype(np.float32)
    y = rng.randint(0, NCLASS, NDATA)
    lshape = {'mlp': None, 'cnn': (1, 28, 28), 'cnn_bn': (1, 28, 28)}.get(kind, (side, side))
    return X, y, lshape


def neon_layers(kind):
    from neon_compat.initializers import Gaussian, GlorotUniform
    from neon_compat.layers import (Affine, BiRNN, Conv, Dropout, LSTM, Pooling,
                                    RecurrentLast, RecurrentMean)
    from neon_compat.transforms import Logistic, Rectlin, Softmax, Tanh
    init = Gaussian(scale=0.05)
    head = Affine(NCLASS, init=init, activation=Softmax())
    if kind == 'mlp':
        return [Affine(200, init=init, activation=Rectlin()), head]
    if kind in ('cnn', 'cnn_bn'):
        bn = kind == 'cnn_bn'
        return [Conv((5, 5, 16), init=init, activation=Rectlin(), batch_norm=bn),
                Pooling(2), Conv((5, 5, 32), init=init, activation=Rectlin(), batch_norm=bn),
                Pooling(2), Affine(100, init=init, activation=Rectlin()), Dropout(0.5), head]
    if kind == 'lstm':
        return [LSTM(64, GlorotUniform(), activation=Tanh(), gate_activation=Logistic()),
                RecurrentLast(), head]
    return [BiRNN(64, GlorotUniform(), activation=Tanh()), RecurrentMean(), head]


def neon_epoch(backend, kind):
    from neon_compat.backends import gen_backend
    from neon_compat.callbacks.callbacks import Callbacks
    from neon_compat.data import ArrayIterator
    from neon_compat.layers import GeneralizedCost
    from neon_compat.models import Model
    from neon_compat.optimizers import GradientDescentMomentum
    from neon_compat.transforms import CrossEntropyMulti
    gen_backend(backend, batch_size=BATCH, rng_seed=0)
    X, y, lshape = synthetic(kind)
    data = ArrayIterator(X, y, nclass=NCLASS, lshape=lshape)
    model = Model(neon_layers(kind))
    cost = GeneralizedCost(costfunc=CrossEntropyMulti())
    opt = GradientDescentMomentum(0.01, momentum_coef=0.9)
    devnull = open(os.devnull, 'w')

    def epoch():
        with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
            model.fit(data, optimizer=opt, num_epochs=model.epoch_index + 1, cost=cost,
                      callbacks=Callbacks(model))
    return epoch


def torch_net(torch, kind):
    nn = torch.nn
    if kind == 'mlp':
        return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, NCLASS))
    if kind in ('cnn', 'cnn_bn'):
        bn = kind == 'cnn_bn'

        def conv(cin, cout):
            return [nn.Conv2d(cin, cout, 5, bias=not bn)] + ([nn.BatchNorm2d(cout)] if bn else [])
        return nn.Sequential(*conv(1, 16), nn.ReLU(), nn.MaxPool2d(2), *conv(16, 32), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 100), nn.ReLU(),
                             nn.Dropout(0.5), nn.Linear(100, NCLASS))
    side = 25 if kind == 'birnn' else 28

    class Sequence(nn.Module):
        def __init__(self):
            super(Sequence, self).__init__()
            if kind == 'lstm':
                self.rnn, width = nn.LSTM(side, 64), 64
            else:
                self.rnn, width = nn.RNN(side, 64, bidirectional=True), 128
            self.head = nn.Linear(width, NCLASS)

        def forward(self, x):  # x: batch, time, features
            out = self.rnn(x.permute(1, 0, 2))[0]
            return self.head(out[-1] if kind == 'lstm' else out.mean(0))
    return Sequence()


def torch_epoch(torch, kind, device='cpu'):
    torch.manual_seed(0)
    X, y, _ = synthetic(kind)
    side = 25 if kind == 'birnn' else 28
    shape = {'mlp': (-1, 784), 'cnn': (-1, 1, 28, 28), 'cnn_bn': (-1, 1, 28, 28)}.get(
        kind, (-1, side, side))
    batches = [(torch.tensor(X[i:i + BATCH].reshape(shape), device=device),
                torch.tensor(y[i:i + BATCH], device=device)) for i in range(0, NDATA, BATCH)]
    net = torch_net(torch, kind).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        net.train()
        for x, t in batches:
            opt.zero_grad(set_to_none=False)
            loss = loss_fn(net(x), t)
            loss.backward()
            opt.step()
        if device == 'cuda':
            torch.cuda.synchronize()
    return epoch


def main(backend='cpu', cases=CASES):
    torch = torch_or_none()
    device = 'cuda' if backend == 'gpu' else 'cpu'
    results = []
    for kind in cases:
        theirs = torch_epoch(torch, kind, device) if torch is not None else None
        results.append(compare('{} ({})'.format(LABELS[kind], backend), neon_epoch(backend, kind),
                               theirs, warmup=0, iters=1, unit='epoch'))
    return results


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-b', '--backend', default='cpu', choices=['cpu', 'gpu'])
    parser.add_argument('cases', nargs='*', help='some of ' + ' '.join(CASES) + ' (default all)')
    args = parser.parse_args()
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error('unknown case {}: choose from {}'.format(unknown[0], ' '.join(CASES)))
    main(args.backend, args.cases or CASES)
