"""Data-parallel training: samples per second of 1 process and of 2 (mpiexec -n 2) on
this machine, and the share of a step spent reducing gradients.

Cases: the Practice 4 target network (3x128x128, batch 32 per process) and VGG-16
(Practice 3's network, 3x64x64, batch 8 per process), trained through `Model.fit` on
synthetic data, cpu backend. Every process gets one BLAS thread (OMP_NUM_THREADS=1):
the 2-process job uses the 2 cores, as does the third line, 1 process with 2 threads.
Runs alternate between the three set-ups; each figure is the median of the rounds.
Each run times `--steps` global minibatches after one untimed epoch.

    python benchmarks/bench_mpi.py [--rounds 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {'p4': ('Practice 4 target net 3x128x128', 32, 12),
         'vgg16': ('VGG-16 3x64x64', 8, 3)}  # label, batch per process, timed steps
SETUPS = (('1 process x 1 thread', 1, 1), ('2 processes x 1 thread', 2, 1),
          ('1 process x 2 threads', 1, 2))


def worker(case, steps):
    """Two epochs of `steps` global minibatches; print one JSON line of the second."""
    import neon_compat  # noqa: F401  (first: it tunes BLAS threads)
    import numpy as np
    from neon_compat.backends import gen_backend
    from neon_compat.callbacks.callbacks import Callbacks
    from neon_compat.data import ArrayIterator
    from neon_compat.optimizers import GradientDescentMomentum
    EpochTimer = _epoch_timer_class()
    sys.path.insert(0, os.path.join(HERE, '..', 'examples', 'practice4_autoencoders'))
    _, batch, _ = CASES[case]
    be = gen_backend('cpu', batch_size=batch, rng_seed=0)
    if case == 'p4':
        import ae_models
        model, cost = ae_models.generate_mlp_target_model()
        shape = (3, 128, 128)
    else:
        from bench_conv import vgg16_neon
        model, cost = vgg16_neon()
        shape = (3, 64, 64)
    n = steps * be.global_bsz
    rng = np.random.RandomState(0)
    data = ArrayIterator(rng.uniform(0, 255, (n, int(np.prod(shape)))).astype(np.float32),
                         rng.randint(0, 2, n), nclass=2, lshape=shape)
    optimizer = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)
    callbacks = Callbacks(model, progress_bar=False)
    timer = EpochTimer(be.data_parallel)
    callbacks.add_callback(timer)
    model.fit(data, optimizer=optimizer, num_epochs=2, cost=cost, callbacks=callbacks)
    elapsed, reduced = timer.last
    if be.data_parallel is None or be.data_parallel.is_root:
        sys.__stdout__.write(json.dumps({'samples_per_s': n / elapsed,
                                         'allreduce_share': reduced / elapsed}) + '\n')
        sys.__stdout__.flush()


def _epoch_timer_class():
    from neon_compat.callbacks.callbacks import Callback

    class EpochTimer(Callback):
        """(seconds, of which reducing gradients) of the last epoch."""

        def __init__(self, dist):
            super(EpochTimer, self).__init__()
            self.dist, self.last = dist, None

        def reduced(self):
            return 0.0 if self.dist is None else self.dist.allreduce_seconds

        def on_epoch_begin(self, callback_data, model, epoch):
            self.start = (time.perf_counter(), self.reduced())

        def on_epoch_end(self, callback_data, model, epoch):
            self.last = (time.perf_counter() - self.start[0], self.reduced() - self.start[1])
    return EpochTimer


def run(case, processes, threads, launcher):
    command = [sys.executable, os.path.abspath(__file__), '--worker', case]
    if processes > 1:
        command = launcher + ['-n', str(processes)] + command
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError('%s on %d process(es) failed:\n%s' % (case, processes, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(rounds=3):
    from neon_compat.backends.distributed import mpiexec_command
    launcher = mpiexec_command()
    if launcher is None:
        print('bench_mpi: no mpiexec (pip install -e .[mpi]); skipped')
        return []
    lines = []
    for case, (label, batch, steps) in CASES.items():
        results = {setup: [] for setup in SETUPS}
        for _ in range(rounds):
            for setup in SETUPS:
                results[setup].append(run(case, setup[1], setup[2], launcher))
        base = statistics.median(r['samples_per_s'] for r in results[SETUPS[0]])
        print('%s, batch %d per process, %d timed steps, median of %d rounds:'
              % (label, batch, steps, rounds))
        for setup in SETUPS:
            rate = statistics.median(r['samples_per_s'] for r in results[setup])
            share = statistics.median(r['allreduce_share'] for r in results[setup])
            line = '  %-24s %8.1f samples/s  x%.2f' % (setup[0], rate, rate / base)
            if setup[1] > 1:
                line += '   Allreduce %.0f%% of the time' % (100 * share)
            print(line)
            lines.append((label, setup[0], rate, share))
    return lines


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--worker', choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, HERE)
        worker(args.worker, CASES[args.worker][2])
    else:
        main(args.rounds)
