"""Convolutional networks, one training step (fprop, bprop, update), neon_compat vs PyTorch.

* the Practice 5 convolutional feature extractor: BatchNorm, then four blocks of
  Conv 3x3 (dilation 2, padding 2, bias, ReLU) and BatchNorm, with 3x3/2 max pooling
  between them, on 3x64x64 inputs, batch 32;
* VGG-16 (Practice 3's network, 2 classes) on 3x64x64 inputs, batch 8.

Both use GradientDescentMomentum / SGD(momentum 0.9, weight decay 0.0005). The feature
extractor's step backpropagates a fixed random projection of its output.
"""
import argparse
import subprocess
import sys
import time

import neon_compat  # noqa: F401  (first, as a neon script would: it tunes BLAS threads)
import numpy as np

from common import compare, torch_or_none

VGG_CHANNELS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
VGG_POOL_AFTER = {1, 3, 6, 9, 12}


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


def vgg16_step_flops(size, batch):
    """Direct-convolution FLOPs (2 per multiply-add) of one VGG-16 training step: fprop,
    bprop and update of every conv and FC layer (no input gradient for the first conv)."""
    flops, cin, side = 0, 3, size
    for i, cout in enumerate(VGG_CHANNELS):
        passes = 2 if i == 0 else 3
        flops += passes * 2 * batch * cout * cin * 9 * side * side
        cin = cout
        if i in VGG_POOL_AFTER:
            side //= 2
    for fin, fout in ((512 * side * side, 4096), (4096, 4096), (4096, 2)):
        flops += 3 * 2 * batch * fin * fout
    return flops


def sgemm_gflops(n=1024, repeats=10):
    """Median GFLOP/s of an n x n float32 matrix product through NumPy's BLAS."""
    rng = np.random.RandomState(0)
    a, b = rng.rand(n, n).astype(np.float32), rng.rand(n, n).astype(np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def peak_rss_mb(framework, size=64, batch=8, steps=3):
    """Peak resident memory (MiB) of a fresh process that runs `steps` VGG-16 training
    steps, and the part of it above the process's size after its imports."""
    out = subprocess.run([sys.executable, __file__, '--peak-rss', framework, str(size),
                          str(batch), str(steps)], capture_output=True, text=True, check=True)
    base, peak = (float(v) for v in out.stdout.split()[-2:])
    return peak, peak - base


def _memory_mb(field):
    """VmRSS (now) or VmHWM (peak) of this process in MiB, from /proc (getrusage's
    ru_maxrss would carry the parent's peak across exec)."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no {} in /proc/self/status'.format(field))


def _run_for_rss(framework, size, batch, steps):
    torch = torch_or_none() if framework == 'torch' else None
    base = _memory_mb('VmRSS')
    step = (torch_step(torch, 'vgg16', size, batch, 'cpu') if framework == 'torch' else
            neon_step('cpu', 'vgg16', size, batch))
    for _ in range(steps):
        step()
    print(base, _memory_mb('VmHWM'))


def main(backend='cpu'):
    torch = torch_or_none()
    device = 'cuda' if backend == 'gpu' else 'cpu'
    results = []
    for kind, size, batch, label in CASES:
        theirs = torch_step(torch, kind, size, batch, device) if torch is not None else None
        results.append(compare('{} ({})'.format(label, backend),
                               neon_step(backend, kind, size, batch), theirs, warmup=1,
                               iters=3))
    vgg = results[-1]
    lines = ['VGG-16 3x64x64 b8 step: {:.1f} GFLOP/s effective ({:.2f} GFLOP of direct '
             'convolution and FC per step)'.format(
                 vgg16_step_flops(64, 8) / vgg['ours'] / 1e9, vgg16_step_flops(64, 8) / 1e9)]
    if vgg['theirs'] is not None:
        lines[0] += '; PyTorch {:.1f} GFLOP/s'.format(vgg16_step_flops(64, 8) / vgg['theirs'] / 1e9)
    if backend == 'cpu':
        lines.append('sgemm 1024x1024 float32 through NumPy BLAS, same run: {:.1f} GFLOP/s'.format(
            sgemm_gflops()))
        for framework in ('neon', 'torch') if torch is not None else ('neon',):
            peak, above = peak_rss_mb(framework)
            lines.append('VGG-16 3x64x64 b8 peak RSS ({}): {:.0f} MiB ({:.0f} MiB above the '
                         'process after its imports)'.format(
                             'neon_compat' if framework == 'neon' else 'PyTorch', peak, above))
    for line in lines:
        print(line)
    return results, lines


if __name__ == '__main__':
    if sys.argv[1:2] == ['--peak-rss']:
        _run_for_rss(sys.argv[2], *(int(v) for v in sys.argv[3:6]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-b', '--backend', default='cpu', choices=['cpu', 'gpu'])
    main(parser.parse_args().backend)
