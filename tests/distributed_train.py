"""Train a small network for a few minibatches, alone or under mpiexec, and save what
tests/test_distributed.py compares: the weights, the epoch's cost and an evaluation.

    python tests/distributed_train.py --network p4 -z 8 --steps 5 --out one.npz
    mpiexec -n 2 python tests/distributed_train.py --network p4 -z 4 --steps 5 --out two.npz

The data are the same for any number of processes: `steps` global minibatches (and
`extra` examples).
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'examples', 'practice4_autoencoders'))

from neon_compat.backends import gen_backend  # noqa: E402
from neon_compat.callbacks.callbacks import Callbacks  # noqa: E402
from neon_compat.data import ArrayIterator  # noqa: E402
from neon_compat.initializers import Gaussian  # noqa: E402
from neon_compat.layers import Affine, Conv, GeneralizedCost, Pooling  # noqa: E402
from neon_compat.models import Model  # noqa: E402
from neon_compat.optimizers import GradientDescentMomentum  # noqa: E402
from neon_compat.optimizers.optimizer import get_param_list  # noqa: E402
from neon_compat.transforms import (CrossEntropyMulti, Misclassification, Rectlin,  # noqa: E402
                                    Softmax)


def small_cnn():
    init = Gaussian(scale=0.1)
    layers = [Conv((3, 3, 4), init=init, bias=init, padding=1, activation=Rectlin()),
              Pooling(2, strides=2),
              Conv((3, 3, 6), init=init, padding=1, activation=Rectlin()),
              Affine(nout=2, init=init, bias=init, activation=Softmax())]
    return Model(layers), GeneralizedCost(costfunc=CrossEntropyMulti())


def p4_target():
    import ae_models
    return ae_models.generate_mlp_target_model()


NETWORKS = {'p4': (p4_target, (3, 8, 8)), 'cnn': (small_cnn, (3, 8, 8))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--network', choices=sorted(NETWORKS), required=True)
    parser.add_argument('-z', '--batch_size', type=int, required=True)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--extra', type=int, default=0,
                        help='examples beyond the steps: a last minibatch that wraps around')
    parser.add_argument('--out', required=True)
    parser.add_argument('--save_path', help='checkpoint every epoch there')
    parser.add_argument('--model_file', help='resume from this checkpoint')
    parser.add_argument('--pid_dir', help='write pid.<rank> files there')
    parser.add_argument('--fail_rank', type=int, help='this rank raises an error')
    args = parser.parse_args()
    be = gen_backend('cpu', batch_size=args.batch_size, rng_seed=0, datatype=np.float64)
    rank = 0 if be.data_parallel is None else be.data_parallel.rank
    if args.pid_dir:
        with open(os.path.join(args.pid_dir, 'pid.%d' % rank), 'w') as f:
            f.write(str(os.getpid()))
    build, shape = NETWORKS[args.network]
    n = args.steps * be.global_bsz + args.extra
    rng = np.random.RandomState(1)
    X = rng.uniform(0, 255, (n, int(np.prod(shape))))
    y = rng.randint(0, 2, n)
    train = ArrayIterator(X, y, nclass=2, lshape=shape)
    # an odd number of examples: the last global minibatch is partly padding
    n_eval = 3 * be.global_bsz + 3
    evaluation = ArrayIterator(rng.uniform(0, 255, (n_eval, X.shape[1])),
                               rng.randint(0, 2, n_eval), nclass=2, lshape=shape)
    model, cost = build()
    if args.fail_rank == rank:
        raise ValueError('rank %d fails on purpose' % rank)
    optimizer = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)
    model.fit(train, optimizer=optimizer, num_epochs=args.epochs, cost=cost,
              callbacks=Callbacks(model, progress_bar=False, save_path=args.save_path,
                                  serialize=1 if args.save_path else 0,
                                  model_file=args.model_file))
    error = model.eval(evaluation, metric=Misclassification())
    weights = [p.get() for (p, _), _ in get_param_list(model.layers_to_optimize)]
    model.save_params(args.out + '.prm')  # rank 0 writes it
    if rank == 0:
        np.savez(args.out, *weights, cost=np.asarray(model.total_cost).reshape(-1)[0],
                 error=np.asarray(error))
    print('trained %d minibatches on %d process(es); misclassification %.4f'
          % (model.nbatches * args.epochs, be.global_bsz // be.bsz, float(error)))


if __name__ == '__main__':
    main()
