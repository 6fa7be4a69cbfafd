"""Practice 5 networks, one training step (fprop, bprop, update), neon_compat vs PyTorch.

* the Practice 5 network (conv feature extractor + two SpatialRNN blocks + classifier)
  on 3x64x64 inputs, batch 8, built by the course's rnn_models.generate_rnn_model;
* one SpatialRNN block alone on its Practice 5 input at 64x64 (256x8x8, blocks 256x2x2,
  BiRNN of 256 units), batch 8.

The PyTorch side is written here: the same layers, with one bidirectional nn.RNN per
column and per row, as the course's block has one BiRNN per sequence. Both use SGD with
momentum 0.9 and weight decay 0.0005.
"""
import argparse
import os
import sys

import neon_compat  # noqa: F401  (first, as a neon script would: it tunes BLAS threads)
import numpy as np

from bench_conv import practice5_features_torch
from common import compare, torch_or_none

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples',
                                'practice5_rnn'))
SIZE, BATCH = 64, 8


def torch_spatial_rnn(torch, C, H, W, block, R):
    nn = torch.nn

    class SpatialRNN(nn.Module):
        def __init__(self):
            super(SpatialRNN, self).__init__()
            self.fH, self.fW = H // block[1], W // block[2]
            feat = C * block[1] * block[2]
            self.vert = nn.ModuleList([nn.RNN(feat, R, bidirectional=True)
                                       for _ in range(self.fW)])
            self.horz = nn.ModuleList([nn.RNN(2 * R, R, bidirectional=True)
                                       for _ in range(self.fH)])

        def forward(self, x):
            n = x.shape[0]
            bH, bW = block[1], block[2]
            blocks = x.reshape(n, C, self.fH, bH, self.fW, bW).permute(4, 2, 0, 1, 3, 5)
            blocks = blocks.reshape(self.fW, self.fH, n, -1)  # column, row, batch, features
            cols = torch.stack([rnn(blocks[j])[0] for j, rnn in enumerate(self.vert)])
            rows = cols.permute(1, 0, 2, 3)  # row, column, batch, 2R
            out = torch.stack([rnn(rows[i])[0] for i, rnn in enumerate(self.horz)])
            return out.permute(2, 3, 0, 1)  # batch, 2R, rows, columns

    return SpatialRNN()


def torch_practice5(torch):
    nn = torch.nn
    layers = list(practice5_features_torch(torch))
    s = SIZE // 8
    layers += [torch_spatial_rnn(torch, 256, s, s, (256, 2, 2), 256), nn.BatchNorm2d(512),
               torch_spatial_rnn(torch, 512, s // 2, s // 2, (512, 2, 2), 512),
               nn.BatchNorm2d(1024), nn.Conv2d(1024, 2, 1, padding=1), nn.ReLU(),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def neon_step(backend, kind):
    from neon_compat.backends import gen_backend
    from neon_compat.layers import DataTransform
    from neon_compat.models import Model
    from neon_compat.optimizers import GradientDescentMomentum
    from neon_compat.transforms import Normalizer
    be = gen_backend(backend, batch_size=BATCH, rng_seed=0)
    rng = np.random.RandomState(0)
    opt = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)
    import rnn_models
    if kind == 'network':
        model, cost = rnn_models.generate_rnn_model(input_shape=(3, SIZE, SIZE))
        model.initialize((3, SIZE, SIZE), cost)
        host = rng.uniform(-128, 128, (3 * SIZE * SIZE, BATCH)).astype(np.float32)
        t = be.array(np.eye(2)[rng.randint(0, 2, BATCH)].T)
    else:
        from neon_compat.layers import BiRNN
        from neon_compat.initializers import GlorotUniform
        from neon_compat.transforms import Tanh
        s = SIZE // 8
        block = rnn_models.SpatialRNN(input_shape=(256, s, s), block_shape=(256, 2, 2),
                                      RNN=BiRNN, RNN_params={'output_size': 256,
                                                             'init': GlorotUniform(),
                                                             'activation': Tanh()})
        model = Model([DataTransform(Normalizer(divisor=1.0))] + block)
        model.initialize((256, s, s))
        host = rng.normal(size=(256 * s * s, BATCH)).astype(np.float32)
        proj = be.array(rng.normal(size=(512 * (s // 2) ** 2, BATCH)))  # the block output
    x = be.array(host)

    def step():
        x.set(host)
        y = model.fprop(x)
        if kind == 'network':
            cost.get_cost(y, t)
            model.bprop(cost.get_errors(y, t))
        else:
            model.bprop(proj.reshape(y.shape))
        opt.optimize(model.layers_to_optimize, epoch=0)
        be.synchronize()
    return step


def torch_step(torch, kind, device):
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    if kind == 'network':
        net = torch_practice5(torch).to(device)
        x = torch.tensor(rng.uniform(-1, 1, (BATCH, 3, SIZE, SIZE)).astype(np.float32),
                         device=device)
        t = torch.tensor(np.eye(2, dtype=np.float32)[rng.randint(0, 2, BATCH)], device=device)
    else:
        s = SIZE // 8
        net = torch_spatial_rnn(torch, 256, s, s, (256, 2, 2), 256).to(device)
        x = torch.tensor(rng.normal(size=(BATCH, 256, s, s)).astype(np.float32), device=device)
        proj = torch.randn(BATCH, 512, s // 2, s // 2, device=device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)

    def step():
        opt.zero_grad(set_to_none=False)
        y = net(x)
        if kind == 'network':
            loss = torch.nn.functional.binary_cross_entropy(y, t, reduction='sum') / BATCH
        else:
            loss = (y * proj).sum()
        loss.backward()
        opt.step()
        if device == 'cuda':
            torch.cuda.synchronize()
    return step


def main(backend='cpu'):
    torch = torch_or_none()
    device = 'cuda' if backend == 'gpu' else 'cpu'
    results = []
    for kind, label in (('network', 'practice5 network 3x64x64, b8'),
                        ('block', 'SpatialRNN block 256x8x8, b8')):
        theirs = torch_step(torch, kind, device) if torch is not None else None
        results.append(compare('{} ({})'.format(label, backend), neon_step(backend, kind),
                               theirs, warmup=1, iters=3))
    return results


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-b', '--backend', default='cpu', choices=['cpu', 'gpu'])
    main(parser.parse_args().backend)
