"""Convolutional networks, one training step (fprop, bprop, update), neon_compat vs PyTorch.

* the Practice 5 convolutional feature extractor: BatchNorm, then four blocks of
  Conv 3x3 (dilation 2, padding 2, bias, ReLU) and BatchNorm, with 3x3/2 max pooling
  between them, on 3x64x64 inputs, batch 32;
* VGG-16 (Practice 3's network, 2 classes) on 3x64x64 inputs, batch 8.

Both use GradientDescentMomentum / SGD(momentum 0.9, weight decay 0.0005). The feature
extractor's step backpropagates a fixed random projection of its output.
"""
import argparse

import neon_compat  # noqa: F401  (first, as a neon script would: it tunes BLAS threads)
import numpy as np

from common import compare, torch_or_none


def practice5_features_neon():
    from neon_compat.initializers import Kaiming, Constant
    from neon_compat.layers import Conv, BatchNorm, Pooling
    from neon_compat.transforms import Rectlin
    layers = [BatchNorm()]
    for i, nofm in enumerate([32, 64, 128, 256]):
        layers += [Conv(fshape=(3, 3, nofm), padding=2, strides=1, dilation=2, init=Kaiming(),
                        bias=Constant(0), activation=Rectlin()), BatchNorm()]
        if i < 3:
            layers.append(Pooling(fshape=(3, 3), padding=1, strides=2, op='max'))
    return layers


def practice5_features_torch(torch):
    nn = torch.nn
    layers, cin = [nn.BatchNorm2d(3)], 3
    for i, nofm in enumerate([32, 64, 128, 256]):
        layers += [nn.Conv2d(cin, nofm, 3, padding=2, dilation=2), nn.ReLU(),
                   nn.BatchNorm2d(nofm)]
        if i < 3:
            layers.append(nn.MaxPool2d(3, stride=2, padding=1))
        cin = nofm
    return nn.Sequential(*layers)


def vgg16_neon():
    import sys
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                    'examples', 'practice3_transfer'))
    import tl_models
    model, cost = tl_models.generate_vgg_16_transfer_model()
    return model, cost


def vgg16_torch(torch, size):
    nn = torch.nn
    layers, cin = [], 3
    for nofm in [64, 128, 256, 512, 512]:
        for _ in range(3 if nofm > 128 else 2):
            layers += [nn.Conv2d(cin, nofm, 3, padding=1), nn.ReLU()]
            cin = nofm
        layers.append(nn.MaxPool2d(2, 2))
    side = size // 32
    layers += [nn.Flatten(), nn.Linear(512 * side * side, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 2),
               nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def neon_step(backend, kind, size, batch):
    from neon_compat.backends import gen_backend
    from neon_compat.models import Model
    from neon_compat.optimizers import GradientDescentMomentum
    be = gen_backend(backend, batch_size=batch, rng_seed=0)
    rng = np.random.RandomState(0)
    x = be.array(rng.uniform(-1, 1, (3 * size * size, batch)))
    opt = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)
    if kind == 'features':
        model = Model(practice5_features_neon())
        model.initialize((3, size, size))
        proj = be.array(rng.normal(size=model.layers.layers[-1].outputs.shape))

        def step():
            model.fprop(x)
            model.bprop(proj)
            opt.optimize(model.layers_to_optimize, epoch=0)
            be.synchronize()
    else:
        model, cost = vgg16_neon()
        model.initialize((3, size, size), cost)
        t = be.array(np.eye(2)[rng.randint(0, 2, batch)].T)

        def step():
            y = model.fprop(x)
            cost.get_cost(y, t)
            model.bprop(cost.get_errors(y, t))
            opt.optimize(model.layers_to_optimize, epoch=0)
            be.synchronize()
    return step


def torch_step(torch, kind, size, batch, device):
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x = torch.tensor(rng.uniform(-1, 1, (batch, 3, size, size)).astype(np.float32),
                     device=device)
    if kind == 'features':
        net = practice5_features_torch(torch).to(device)
        proj = None
    else:
        net = vgg16_torch(torch, size).to(device)
        t = torch.tensor(np.eye(2, dtype=np.float32)[rng.randint(0, 2, batch)], device=device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)

    def step():
        nonlocal proj
        opt.zero_grad(set_to_none=False)
        y = net(x)
        if kind == 'features':
            if proj is None:
                proj = torch.randn(y.shape, device=device)
            loss = (y * proj).sum()
        else:
            loss = torch.nn.functional.binary_cross_entropy(y, t, reduction='sum') / batch
        loss.backward()
        opt.step()
        if device == 'cuda':
            torch.cuda.synchronize()
    return step


CASES = [('features', 64, 32, 'practice5 conv features 3x64x64, b32'),
         ('vgg16', 64, 8, 'VGG-16 3x64x64, b8')]


def main(backend='cpu'):
    torch = torch_or_none()
    device = 'cuda' if backend == 'gpu' else 'cpu'
    results = []
    for kind, size, batch, label in CASES:
        theirs = torch_step(torch, kind, size, batch, device) if torch is not None else None
        results.append(compare('{} ({})'.format(label, backend),
                               neon_step(backend, kind, size, batch), theirs, rounds=3,
                               warmup=1, iters=3))
    return results


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-b', '--backend', default='cpu', choices=['cpu', 'gpu'])
    main(parser.parse_args().backend)
