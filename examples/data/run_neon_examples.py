#!/usr/bin/env python
"""Run 17 of neon's own example scripts, unchanged from a checkout of
NervanaSystems/neon, on local data (make_neon_example_data.py), and print a table:
script | exit code | last accuracy/cost line | seconds per epoch.

    python examples/data/make_neon_example_data.py --out neon_data
    python examples/data/run_neon_examples.py --neon ~/neon --data neon_data

Each script runs with `-b cpu -r 0` in a scratch folder of its own (under --work),
with this Python (neon here is the alias of neon_compat).
"""
import argparse
import os
import re
import subprocess
import sys
import time

EPOCHS = 2
SCRIPTS = [  # (script under examples/, extra arguments, epochs)
    ('mnist_mlp.py', [], EPOCHS), ('mnist_branch.py', [], EPOCHS),
    ('mnist_merge.py', [], EPOCHS), ('mnist_hdf5.py', [], EPOCHS),
    ('conv_autoencoder.py', [], EPOCHS), ('multi_optimizer.py', [], EPOCHS),
    ('early_stopping.py', [], EPOCHS), ('cifar10.py', [], EPOCHS),
    ('cifar10_conv.py', [], EPOCHS), ('cifar10_allcnn.py', ['--deconv'], 1),
    ('rnn_copy.py', [], EPOCHS), ('char_rnn.py', [], 1), ('char_lstm.py', [], 1),
    ('imdb_lstm.py', [], 1), ('deep_dream.py', ['{data}/dream.png', '-o', '.'], None),
    ('gan/mnist_dcgan.py', [], EPOCHS), ('convnet-benchmarks/alexnet.py', ['-z', '16'], None),
]
RESULT = re.compile(r'(accuracy|misclassification|cost|error|saving|fprop)', re.I)
PER_EPOCH = re.compile(r'\(([\d.]+)s per epoch\)')


def last_result(output):
    lines = [line.strip() for line in output.replace('\r', '\n').splitlines()
             if RESULT.search(line) and line.strip()]
    return lines[-1][:110] if lines else ''


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--neon', required=True, help='a checkout of NervanaSystems/neon')
    parser.add_argument('--data', required=True, help='make_neon_example_data.py\'s folder')
    parser.add_argument('--work', default='neon_examples_run', help='scratch folders')
    parser.add_argument('--only', nargs='*', help='run only these scripts')
    args = parser.parse_args()
    data = os.path.abspath(args.data)
    print('| script | exit code | last accuracy/cost line | seconds per epoch |')
    print('| --- | --- | --- | --- |')
    for script, extra, epochs in SCRIPTS:
        if args.only and script not in args.only:
            continue
        work = os.path.join(os.path.abspath(args.work), script.replace('/', '_')[:-3])
        os.makedirs(work, exist_ok=True)
        command = [sys.executable, os.path.join(args.neon, 'examples', script), '-b', 'cpu',
                   '-r', '0', '-w', data] + [a.format(data=data) for a in extra]
        if epochs:
            command += ['-e', str(epochs)]
        start = time.time()
        done = subprocess.run(command, cwd=work, capture_output=True, text=True,
                              timeout=3600, env=dict(os.environ, MPLBACKEND='Agg'))
        elapsed = time.time() - start
        with open(os.path.join(work, 'output.txt'), 'w') as f:
            f.write(done.stdout + '\n--- stderr ---\n' + done.stderr)
        timing = PER_EPOCH.findall(done.stdout)
        per_epoch = timing[-1] if timing else ('%.1f (whole run)' % elapsed)
        line = last_result(done.stdout + '\n' + done.stderr)
        print('| %s | %d | %s | %s |' % (script, done.returncode, line.replace('|', '/'),
                                         per_epoch))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
