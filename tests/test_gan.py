"""GAN pieces: GANCost values and gradients, GeneralizedGANCost, GenerativeAdversarial."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian
from neon_compat.layers import (Affine, Sequential, GenerativeAdversarial, GeneralizedGANCost)
from neon_compat.models import Model
from neon_compat.transforms import GANCost

Y_DATA = np.array([[0.9, 0.6, 0.3]])
Y_NOISE = np.array([[0.2, 0.5, 0.7]])


def _value(be, cost, y_data, y_noise, cost_type):
    out = be.zeros((1, y_data.shape[1]))
    out[:] = cost(be.array(y_data), be.array(y_noise), cost_type)
    return out.get()


@pytest.mark.parametrize('func', ['original', 'modified', 'wasserstein'])
def test_gan_cost_gradients_are_those_of_its_values(backend64, func):
    be = backend64
    cost = GANCost(func=func, scale=1.0)
    eps = 1e-6

    def numeric(cost_type, wrt):
        plus, minus = [[Y_DATA.copy(), Y_NOISE.copy()] for _ in range(2)]
        plus[wrt] += eps
        minus[wrt] -= eps
        # cost is the mean over one row; per column it is the term itself
        return (_value(be, cost, *plus, cost_type) - _value(be, cost, *minus, cost_type)) / (
            2 * eps)

    def analytic(fn, y):
        out = be.zeros((1, 3))
        out[:] = fn(be.array(y))
        return out.get()

    np.testing.assert_allclose(analytic(cost.bprop_data, Y_DATA), numeric('dis', 0), rtol=1e-6)
    np.testing.assert_allclose(analytic(cost.bprop_noise, Y_NOISE), numeric('dis', 1),
                               rtol=1e-6)
    np.testing.assert_allclose(analytic(cost.bprop_generator, Y_NOISE), numeric('gen', 1),
                               rtol=1e-6)


def test_gan_cost_values(backend64):
    be = backend64
    modified = GANCost(func='modified')
    np.testing.assert_allclose(_value(be, modified, Y_DATA, Y_NOISE, 'dis'),
                               -np.log(Y_DATA) - np.log(1 - Y_NOISE))
    np.testing.assert_allclose(_value(be, modified, Y_DATA, Y_NOISE, 'dis_data'),
                               -np.log(Y_DATA))
    np.testing.assert_allclose(_value(be, modified, Y_DATA, Y_NOISE, 'gen'), -np.log(Y_NOISE))
    original = GANCost(func='original')
    np.testing.assert_allclose(_value(be, original, Y_DATA, Y_NOISE, 'gen'), np.log(1 - Y_NOISE))
    wgan = GANCost(func='wasserstein')
    np.testing.assert_allclose(_value(be, wgan, Y_DATA, Y_NOISE, 'dis'), Y_DATA - Y_NOISE)
    with pytest.raises(ValueError, match='func'):
        GANCost(func='hinge')
    with pytest.raises(ValueError, match='cost_type'):
        modified(be.array(Y_DATA), be.array(Y_NOISE), 'both')
    layer = GeneralizedGANCost(GANCost(func='wasserstein'))
    net = Model([Affine(1, Gaussian())])
    net.initialize(3)
    layer.initialize(net.layers)
    assert float(layer.get_cost(be.array(Y_DATA), be.array(Y_NOISE), 'dis')) == \
        pytest.approx(np.mean(Y_DATA - Y_NOISE))


def test_generative_adversarial_stacks_the_two_networks(backend64, tmp_path):
    be = backend64
    generator = Sequential([Affine(4, Gaussian(), name='g1'), Affine(6, Gaussian(), name='g2')])
    discriminator = Sequential([Affine(3, Gaussian(), name='d1'),
                                Affine(1, Gaussian(), name='d2')])
    gan = GenerativeAdversarial(generator, discriminator)
    assert [layer.name for layer in gan.layers] == ['g1', 'g2', 'd1', 'd2']
    assert gan.generator.layers == gan.layers[:2] and gan.discriminator.layers == gan.layers[2:]
    model = Model(gan)
    model.initialize(2)
    assert 'Generator:' in gan.nested_str() and 'Discriminator:' in gan.nested_str()
    z = be.array(np.random.RandomState(0).normal(size=(2, be.bsz)))
    out = model.fprop(z).get()
    assert out.shape == (1, be.bsz)
    path = str(tmp_path / 'gan.prm')
    model.save_params(path)
    again = Model(path)
    again.initialize(2)
    assert isinstance(again.layers, GenerativeAdversarial)
    assert [layer.name for layer in again.layers.discriminator.layers] == ['d1', 'd2']
    np.testing.assert_allclose(again.fprop(z).get(), out)


def test_gan_training_moves_the_generator_towards_the_data(tmp_path):
    import h5py
    from neon_compat.backends import gen_backend
    from neon_compat.callbacks.callbacks import Callbacks, GANCostCallback
    from neon_compat.data import ArrayIterator
    from neon_compat.models import GAN
    from neon_compat.optimizers import Adam
    from neon_compat.transforms import Tanh, Logistic
    be = gen_backend('cpu', batch_size=16, rng_seed=1)
    np.random.seed(1)  # fill_normal draws from NumPy's generator, as neon's did
    data = ArrayIterator(np.random.RandomState(1).normal(3.0, 0.3, size=(320, 1)))
    g = Gaussian(scale=0.3)
    gan = GenerativeAdversarial(
        Sequential([Affine(8, g, bias=g, activation=Tanh()), Affine(1, g, bias=g)]),
        Sequential([Affine(8, g, bias=g, activation=Tanh()),
                    Affine(1, g, bias=g, activation=Logistic())]))
    model = GAN(gan, noise_dim=2)
    cost = GeneralizedGANCost(GANCost(func='modified'))
    path = str(tmp_path / 'gan.h5')
    callbacks = Callbacks(model, output_file=path, progress_bar=False)
    callbacks.add_callback(GANCostCallback())
    model.initialize(data, cost)
    z = be.iobuf(2)
    z.set(np.random.RandomState(2).normal(size=(2, 16)))
    before = float(model.fprop_gen(z).get().mean())
    model.fit(data, cost=cost, optimizer=Adam(learning_rate=0.02), num_epochs=10,
              callbacks=callbacks)
    after = float(model.fprop_gen(z).get().mean())
    # samples start near 0; the data are near 3: the generator is pulled up (GAN training
    # oscillates about the data, so only the direction and size of the move are checked)
    assert abs(before) < 0.5 and after - before > 2.0, (before, after)
    assert model.gen_iter == 10 * 20 - 1  # one generator update per minibatch but the first
    callbacks.callback_data.close()
    with h5py.File(path, 'r') as f:
        iters, costs = f['gan/gen_iter'][:], f['gan/cost_dis'][:]
    assert iters.max() == model.gen_iter and np.isfinite(costs).all() and costs.std() > 0


@pytest.mark.parametrize('func', ['modified', 'wasserstein'])
def test_gan_plot_callback_draws_sample_grids(tmp_path, func):
    from PIL import Image
    from neon_compat.backends import gen_backend
    from neon_compat.callbacks.callbacks import Callbacks, GANCostCallback
    from neon_compat.callbacks.plotting_callbacks import GANPlotCallback
    from neon_compat.data import ArrayIterator
    from neon_compat.models import GAN
    from neon_compat.optimizers import RMSProp
    from neon_compat.transforms import Logistic
    gen_backend('cpu', batch_size=8, rng_seed=0)
    data = ArrayIterator(np.random.RandomState(0).uniform(size=(32, 16)))  # 4x4 images
    g = Gaussian(scale=0.3)
    last = Logistic() if func == 'modified' else None
    model = GAN(GenerativeAdversarial(Sequential([Affine(16, g, activation=Logistic())]),
                                      Sequential([Affine(1, g, activation=last)])),
                noise_dim=3, wgan_param_clamp=0.1 if func == 'wasserstein' else None)
    callbacks = Callbacks(model, progress_bar=False)
    callbacks.add_callback(GANCostCallback())
    stem = str(tmp_path / 'run')
    callbacks.add_callback(GANPlotCallback(filename=stem, hw=4, num_samples=6))
    model.fit(data, cost=GeneralizedGANCost(GANCost(func=func)),
              optimizer=RMSProp(learning_rate=1e-3), num_epochs=2, callbacks=callbacks)
    for kind in ('data', 'noise'):
        for epoch in (0, 1):
            image = Image.open('{}_{}_{:03d}.png'.format(stem, kind, epoch))
            assert image.size == (2 * 6 - 2, 3 * 6 - 2)  # 3 rows x 2 columns of 4x4, gap 2
    assert (tmp_path / 'run_training.png').exists() == (func == 'wasserstein')


def test_an_epoch_shorter_than_k_leaves_the_generator_for_later():
    from neon_compat.backends import gen_backend
    from neon_compat.callbacks.callbacks import Callbacks
    from neon_compat.data import ArrayIterator
    from neon_compat.models import GAN
    from neon_compat.optimizers import RMSProp
    gen_backend('cpu', batch_size=8, rng_seed=0)
    data = ArrayIterator(np.random.RandomState(0).uniform(size=(16, 4)))  # 2 minibatches
    g = Gaussian(scale=0.3)
    model = GAN(GenerativeAdversarial(Sequential([Affine(4, g)]), Sequential([Affine(1, g)])),
                noise_dim=2, k=3, wgan_param_clamp=0.1)
    model.fit(data, cost=GeneralizedGANCost(GANCost(func='wasserstein')),
              optimizer=RMSProp(learning_rate=1e-3), num_epochs=2,
              callbacks=Callbacks(model, progress_bar=False))
    # batches 0..3 over two epochs; the generator's first turn is batch 3, in epoch 1
    assert model.gen_iter == 1 and model.last_gen_batch == 3
    assert np.isfinite(model.total_cost).all()
