"""The code paths of seven of neon's own example scripts, written here in our own words
and small (CI cannot fetch neon): rnn_copy, char_rnn, char_lstm, imdb_lstm, deep_dream,
gan/mnist_dcgan and convnet-benchmarks/alexnet. Each test builds what the script
builds, with the same classes and arguments, and checks that it trains or runs.
(examples/data/run_neon_examples.py runs the real scripts, unchanged, from a checkout.)
"""
import pickle

import h5py
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.callbacks.callbacks import Callbacks, GANCostCallback
from neon_compat.initializers import Constant, Gaussian, GlorotUniform, Uniform
from neon_compat.layers import (GRU, LSTM, Activation, Affine, Conv, Deconv, DeepBiLSTM,
                                DeepBiRNN, Dropout, GeneralizedCost, GeneralizedCostMask,
                                GeneralizedGANCost, GenerativeAdversarial, LookupTable,
                                Pooling, Recurrent, RecurrentSum, Sequential)
from neon_compat.models import GAN, Model
from neon_compat.optimizers import (Adagrad, Adam, GradientDescentMomentum, MultiOptimizer,
                                    RMSProp, Schedule)
from neon_compat.transforms import (Accuracy, CrossEntropyBinary, CrossEntropyMulti,
                                    GANCost, Identity, Logistic, Rectlin, Softmax, Tanh)
from neon_compat.transforms.cost import Cost


def train_costs(path):
    """The cost of every minibatch, as Callbacks recorded it in its -o file."""
    with h5py.File(str(path), 'r') as f:
        return np.array(f['cost/train'][:])


def first_and_last(costs, n=10):
    return costs[:n].mean(), costs[-n:].mean()


def test_rnn_copy_gru_learns_the_copy_task(tmp_path):
    from neon_compat.data import CopyTask, Ticker
    gen_backend('cpu', batch_size=32, rng_seed=0)
    train = Ticker(CopyTask(seq_len_max=3, vec_size=4))
    train.nbatches = 20
    init = Uniform(low=-0.08, high=0.08)
    model = Model([GRU(32, init, activation=Tanh(), gate_activation=Logistic()),
                   Affine(train.nout, init, bias=init, activation=Logistic())])
    callbacks = Callbacks(model, progress_bar=False, output_file=str(tmp_path / 'cb.h5'))
    callbacks.add_watch_ticker_callback(train)
    model.fit(train, optimizer=RMSProp(gradient_clip_value=5), num_epochs=4,
              cost=GeneralizedCostMask(costfunc=CrossEntropyBinary()), callbacks=callbacks)
    first, last = first_and_last(train_costs(tmp_path / 'cb.h5'))
    assert last < 0.8 * first, (first, last)


def write_ptb(folder, rng):
    words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran']
    for phase, n in (('train', 400), ('valid', 80), ('test', 80)):
        lines = [' '.join(words[i] for i in rng.randint(0, 9, 5)) for _ in range(n)]
        (folder / ('ptb.%s.txt' % phase)).write_text('\n'.join(lines) + '\n')


@pytest.mark.parametrize('rlayer', ['rnn', 'lstm', 'gru'])
def test_char_rnn_and_char_lstm_on_ptb(tmp_path, rlayer):
    """char_rnn: one Recurrent layer; char_lstm: two LSTM or GRU layers; then the scripts'
    own misclassification from get_outputs over the validation minibatches."""
    from neon_compat.data import PTB
    write_ptb(tmp_path, np.random.RandomState(0))
    be = gen_backend('cpu', batch_size=8, rng_seed=0)
    time_steps = 10
    dataset = PTB(time_steps, path=str(tmp_path))
    train, valid = dataset.train_iter, dataset.valid_iter
    init = Uniform(low=-0.08, high=0.08)
    if rlayer == 'rnn':
        recurrent = [Recurrent(32, init, activation=Tanh())]
    else:
        kind = LSTM if rlayer == 'lstm' else GRU
        recurrent = [kind(32, init, activation=Tanh(), gate_activation=Logistic())
                     for _ in range(2)]
    model = Model(recurrent + [Affine(len(train.vocab), init, bias=init,
                                      activation=Softmax())])
    callbacks = Callbacks(model, eval_set=valid, progress_bar=False,
                          output_file=str(tmp_path / 'cb.h5'))
    model.fit(train, optimizer=RMSProp(gradient_clip_value=5,
                                       schedule=Schedule(list(range(10, 12)), .97)),
              num_epochs=3, cost=GeneralizedCost(costfunc=CrossEntropyMulti(usebits=True)),
              callbacks=callbacks)
    ypred = model.get_outputs(valid)
    prediction = ypred.argmax(2).reshape((valid.nbatches, be.bsz, time_steps)).transpose(
        1, 0, 2)
    error = 1 - (prediction == valid.y).mean()
    first, last = first_and_last(train_costs(tmp_path / 'cb.h5'), 5)
    assert last < first
    assert error < 0.85  # characters of 9 words: better than the most frequent guess


@pytest.mark.parametrize('rlayer', ['lstm', 'bilstm', 'rnn', 'birnn', 'bibnrnn'])
def test_imdb_lstm_every_recurrent_choice(tmp_path, rlayer):
    from neon_compat.data import IMDB
    rng = np.random.RandomState(0)
    X, y = [], []
    for _ in range(240):
        label = rng.randint(2)
        words = rng.randint(10, 200, 30)
        words[rng.rand(30) < 0.4] = 4 + label  # a word that gives the label away
        X.append(words.tolist())
        y.append(label)
    with open(str(tmp_path / 'imdb.pkl'), 'wb') as f:
        pickle.dump((X, y), f)
    gen_backend('cpu', batch_size=16, rng_seed=0)
    dataset = IMDB(200, 20, path=str(tmp_path))
    train, valid = dataset.train_iter, dataset.test_iter
    assert train.Xdev[0].shape[0] + valid.Xdev[0].shape[0] == 240
    g_uni = GlorotUniform()
    recurrent = {
        'lstm': lambda: LSTM(16, g_uni, activation=Tanh(), gate_activation=Logistic(),
                             reset_cells=True),
        'bilstm': lambda: DeepBiLSTM(16, g_uni, activation=Tanh(), depth=1,
                                     gate_activation=Logistic(), reset_cells=True),
        'rnn': lambda: Recurrent(16, g_uni, activation=Tanh(), reset_cells=True),
        'birnn': lambda: DeepBiRNN(16, g_uni, activation=Tanh(), depth=1, reset_cells=True,
                                   batch_norm=False),
        'bibnrnn': lambda: DeepBiRNN(16, g_uni, activation=Tanh(), depth=1,
                                     reset_cells=True, batch_norm=True)}[rlayer]()
    model = Model([LookupTable(vocab_size=200, embedding_dim=8,
                               init=Uniform(low=-0.1 / 8, high=0.1 / 8)),
                   recurrent, RecurrentSum(), Dropout(keep=0.5),
                   Affine(2, g_uni, bias=g_uni, activation=Softmax())])
    callbacks = Callbacks(model, eval_set=valid, progress_bar=False)
    model.fit(train, optimizer=Adagrad(learning_rate=0.05, gradient_clip_value=15),
              num_epochs=4, cost=GeneralizedCost(costfunc=CrossEntropyMulti(usebits=True)),
              callbacks=callbacks)
    assert float(model.eval(train, metric=Accuracy())) > 0.75


class MaximizeActivations(Cost):
    """deep_dream's cost: minus half the squared activations; no targets."""

    def __init__(self):
        self.func = lambda y, t: self.be.sum(self.be.square(y), axis=0) / -2.
        self.funcgrad = lambda y, t: -y


class Dream(Activation):
    """deep_dream's first layer: hands its input on, and the error back."""

    def __init__(self, name=None):
        super(Dream, self).__init__(Identity(), name)
        self.owns_output = True

    def fprop(self, inputs, inference=False):
        return inputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        return error


def test_deep_dream_from_a_model_zoo_style_file(tmp_path):
    """A convolution trunk saved as the Model Zoo's (fused conv+bias), loaded with
    weights_only, a Dream layer put first, initialized again for each image size, and
    steps up the gradient of the squared activations (which they increase)."""
    gen_backend('cpu', batch_size=1, rng_seed=0)
    trunk = Model([Conv((5, 5, 8), init=Gaussian(scale=0.1), bias=Constant(0.1), padding=2,
                        strides=2, activation=Rectlin()), Pooling(3, strides=2),
                   Conv((3, 3, 16), init=Gaussian(scale=0.1), bias=Constant(0.1), padding=1,
                        activation=Rectlin())])
    trunk.initialize((3, 32, 32))
    trunk.save_params(str(tmp_path / 'zoo.p'), keep_states=False)

    model = Model(layers=str(tmp_path / 'zoo.p'), weights_only=True)
    model.layers.layers.insert(0, Dream())
    rng = np.random.RandomState(0)
    for side in (24, 33, 40):  # deep_dream's octaves: the same model, new sizes
        model.initialized = False
        for layer in model.layers.layers:
            layer.outputs = None
            if hasattr(layer, 'nglayer'):
                layer.nglayer = None
        model.initialize((3, side, side), cost=GeneralizedCost(costfunc=MaximizeActivations()))
        image = rng.uniform(-50, 50, (3, side, side)).astype(np.float32)

        def energy(img):
            out = model.fprop(model.be.array(img)).get()
            return float((out ** 2).sum())

        before = energy(image)
        delta = model.cost.get_errors(model.fprop(model.be.array(image)), None)
        grad = model.bprop(delta).get().reshape(image.shape)
        stepped = image - 1.5 * grad / np.abs(grad).mean()
        assert energy(stepped) > before


def test_mnist_dcgan_trains_both_networks(tmp_path):
    from neon_compat.data import ArrayIterator
    gen_backend('cpu', batch_size=8, rng_seed=0)
    np.random.seed(0)
    rng = np.random.RandomState(0)
    images = np.clip(rng.normal(0.5, 0.2, (64, 1, 7, 7)), 0, 1).reshape(64, -1) * 2 - 1
    train = ArrayIterator(images, np.zeros(64), nclass=1, lshape=(1, 7, 7))
    init = Gaussian(scale=0.05)
    relu, lrelu = Rectlin(), Rectlin(slope=0.1)
    generator = Sequential([
        Deconv((1, 1, 8), init=init, batch_norm=True, activation=relu, name='G1'),
        Deconv((3, 3, 8), init=init, batch_norm=True, activation=relu, padding=1, name='G2'),
        Deconv((3, 3, 1), init=init, padding=1, activation=Logistic(shortcut=False),
               name='G_out')], name='Generator')
    discriminator = Sequential([
        Conv((3, 3, 8), init=init, batch_norm=True, activation=lrelu, padding=1, name='D1'),
        Conv((3, 3, 8), init=init, batch_norm=True, activation=lrelu, padding=1, strides=2,
             name='D2'),
        Conv((4, 4, 1), init=init, activation=Logistic(shortcut=False), name='D_out')],
        name='Discriminator')
    gan = GAN(layers=GenerativeAdversarial(generator=generator, discriminator=discriminator),
              noise_dim=(2, 7, 7), k=1)
    path = str(tmp_path / 'gan.h5')
    callbacks = Callbacks(gan, output_file=path, progress_bar=False)
    callbacks.add_callback(GANCostCallback())
    cost = GeneralizedGANCost(costfunc=GANCost(func='modified'))
    gan.initialize(train, cost)
    noise = gan.be.iobuf((2, 7, 7))
    noise.set(rng.normal(size=noise.shape))
    before = gan.fprop_gen(noise).get()
    discriminator_weights = discriminator.layers[0].W.get()
    gan.fit(train, optimizer=Adam(learning_rate=0.0005, beta_1=0.5), num_epochs=2,
            cost=cost, callbacks=callbacks)
    assert gan.gen_iter > 0  # both networks were updated
    assert np.abs(gan.fprop_gen(noise).get() - before).max() > 1e-3
    assert np.abs(discriminator.layers[0].W.get() - discriminator_weights).max() > 1e-4
    with h5py.File(path, 'r') as f:
        dis = f['gan/cost_dis'][:]
    assert np.isfinite(dis).all() and dis.std() > 0  # the discriminator's cost moves


def test_alexnet_benchmark_with_a_multi_optimizer(caplog):
    from neon_compat.benchmark import Benchmark
    from neon_compat.data import ArrayIterator
    gen_backend('cpu', batch_size=4, rng_seed=0)
    rng = np.random.RandomState(0)
    train = ArrayIterator(rng.uniform(0, 1, (8, 3 * 32 * 32)), rng.randint(0, 10, 8),
                          nclass=10, lshape=(3, 32, 32))
    layers = [Conv((5, 5, 8), init=Gaussian(scale=0.01), activation=Rectlin(), padding=2,
                   strides=2),
              Pooling(3, strides=2),
              Conv((3, 3, 16), init=Gaussian(scale=0.03), activation=Rectlin(), padding=1),
              Pooling(3, strides=2),
              Affine(nout=32, init=Gaussian(scale=0.01), activation=Rectlin()),
              Affine(nout=10, init=Gaussian(scale=0.01), activation=Softmax())]
    schedule = Schedule([22, 44, 65], (1 / 250.) ** (1 / 3.))
    optimizer = MultiOptimizer({'default': GradientDescentMomentum(0.01, 0.0, wdecay=0.0005,
                                                                   schedule=schedule)})
    model = Model(layers=layers, optimizer=optimizer)
    model.initialize(train, cost=GeneralizedCost(costfunc=CrossEntropyMulti()))
    bench = Benchmark(model)
    result = bench.time(train, niterations=3)
    with caplog.at_level('INFO'):
        bench.print_stats(result, nskip=1)
    assert set(result) >= {'fprop', 'bprop', 'iteration'}
    assert all(len(times) == 3 for times in result.values())
    assert 'Mean' in caplog.text and 'fprop' in caplog.text


def test_the_stand_in_data_read_as_neon_read_its_downloads(tmp_path):
    """examples/data/make_neon_example_data.py writes what the data set classes read."""
    import os
    import subprocess
    import sys
    from neon_compat.data import CIFAR10, IMDB, MNIST, PTB
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'examples', 'data', 'make_neon_example_data.py')
    done = subprocess.run([sys.executable, tool, '--out', str(tmp_path), '--synthetic_mnist'],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    gen_backend('cpu', batch_size=32, rng_seed=0)
    (X, y), (Xt, yt), nclass = MNIST(path=str(tmp_path)).load_data()
    assert X.shape == (4000, 784) and Xt.shape == (1000, 784) and nclass == 10
    (X, y), (Xt, yt), _ = CIFAR10(path=str(tmp_path)).load_data()
    assert X.shape == (2000, 3072) and Xt.shape == (400, 3072) and set(y.ravel()) <= set(range(10))
    assert len(PTB(20, path=str(tmp_path)).train_iter.vocab) > 10
    assert IMDB(3000, 50, path=str(tmp_path)).train_iter.ndata > 1000
    model = Model(layers=str(tmp_path / 'alexnet_conv_ns_fused_conv_bias.p'), weights_only=True)
    assert [type(layer).__name__ for layer in model.layers.layers][:3] == [
        'Convolution_bias', 'Activation', 'Pooling']
    assert (tmp_path / 'dream.png').is_file()
