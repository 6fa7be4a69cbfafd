"""One training step of the Practice 4 target network, neon_compat vs PyTorch.

DataTransform(Normalizer 128) -> Affine 128 tanh -> Affine 64 tanh -> Affine 2 Logistic,
inputs 3x128x128, batch 32, CrossEntropyBinary, GradientDescentMomentum(0.01, 0.9,
wdecay=0.0005). The step is fprop, cost, bprop and the optimizer update.
"""
import argparse

import neon_compat  # noqa: F401  (first, as a neon script would: it tunes BLAS threads)
import numpy as np

from common import compare, torch_or_none

C, H, W = 3, 128, 128
BATCH = 32


def neon_step(backend):
    from neon_compat.backends import gen_backend
    from neon_compat.initializers import Xavier, Constant
    from neon_compat.layers import Affine, DataTransform, GeneralizedCost
    from neon_compat.models import Model
    from neon_compat.optimizers import GradientDescentMomentum
    from neon_compat.transforms import Normalizer, Tanh, Logistic, CrossEntropyBinary

    be = gen_backend(backend, batch_size=BATCH, rng_seed=0)
    layers = [DataTransform(transform=Normalizer(divisor=128.0)),
              Affine(nout=128, init=Xavier(), bias=Constant(0), activation=Tanh()),
              Affine(nout=64, init=Xavier(), bias=Constant(0), activation=Tanh()),
              Affine(nout=2, init=Xavier(), bias=Constant(0),
                     activation=Logistic(shortcut=True), name='cls')]
    model = Model(layers)
    cost = GeneralizedCost(costfunc=CrossEntropyBinary())
    opt = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)
    model.initialize((C, H, W), cost)
    rng = np.random.RandomState(0)
    host = rng.randint(0, 255, (C * H * W, BATCH)).astype(np.float32)
    x = be.array(host)
    t = be.array(np.eye(2)[rng.randint(0, 2, BATCH)].T)

    def step():
        x.set(host)  # DataTransform normalizes the batch buffer in place, as neon does
        y = model.fprop(x)
        cost.get_cost(y, t)
        model.bprop(cost.get_errors(y, t))
        opt.optimize(model.layers_to_optimize, epoch=0)
        if backend == 'gpu':
            be.synchronize()
    return step


def torch_step(torch, device='cpu'):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(C * H * W, 128), torch.nn.Tanh(),
                              torch.nn.Linear(128, 64), torch.nn.Tanh(),
                              torch.nn.Linear(64, 2), torch.nn.Sigmoid()).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)
    loss_fn = torch.nn.BCELoss(reduction='sum')
    rng = np.random.RandomState(0)
    x = torch.tensor(rng.randint(0, 255, (BATCH, C * H * W)).astype(np.float32), device=device)
    t = torch.tensor(np.eye(2, dtype=np.float32)[rng.randint(0, 2, BATCH)], device=device)

    def step():
        opt.zero_grad(set_to_none=False)
        y = net(x / 128.0)
        loss = loss_fn(y, t) / BATCH
        loss.backward()
        opt.step()
        if device == 'cuda':
            torch.cuda.synchronize()
    return step


def main(backend='cpu'):
    torch = torch_or_none()
    device = 'cuda' if backend == 'gpu' else 'cpu'
    theirs = torch_step(torch, device) if torch is not None else None
    return compare('practice4 target net, 1 train step, b32 ({})'.format(backend),
                   neon_step(backend), theirs)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-b', '--backend', default='cpu', choices=['cpu', 'gpu'])
    main(parser.parse_args().backend)
