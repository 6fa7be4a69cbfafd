"""Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions (backends/winograd.py): the 1-D
algorithms, fprop/bprop/update against the im2col path, gradient checks, float32
error, and the automatic choice."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend, cleanup_backend
from neon_compat.backends.winograd import TRANSFORMS
from neon_compat.initializers import Gaussian
from neon_compat.layers import Convolution
from neon_compat.models import Model
from neon_compat.util.gradcheck import gradcheck

PATHS = ['winograd2', 'winograd4']


@pytest.mark.parametrize('m', [2, 4])
def test_one_dimensional_minimal_algorithm(m):
    """Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation y_i = Σ_r d_{i+r} g_r of m outputs."""
    BT, G, AT = TRANSFORMS[m]
    rng = np.random.RandomState(m)
    d, g = rng.normal(size=m + 2), rng.normal(size=3)
    direct = np.array([d[i:i + 3] @ g for i in range(m)])
    np.testing.assert_allclose(AT @ ((G @ g) * (BT @ d)), direct, rtol=1e-12, atol=1e-12)


def conv_pass(be, algo, C, K, H, pad, x, e, layer_out=None):
    """Outputs, input deltas and filter gradients of a 3×3 Convolution (after a 1×1
    one, so that it computes its deltas) with the given path."""
    be.conv_algorithm = algo
    be.rng_reset()
    layer = Convolution((3, 3, K), init=Gaussian(), padding=pad)
    model = Model([Convolution((1, 1, C), init=Gaussian()), layer])
    model.initialize((C, H, H))
    first = model.layers.layers[0]
    first.fprop(be.array(x))
    y = layer.fprop(first.outputs).get()
    deltas = layer.bprop(be.array(e[:y.shape[0]])).get()
    if layer_out is not None:
        layer_out.append(layer)
    return y, deltas, layer.dW.get()


@pytest.mark.parametrize('pad', [0, 1, 2])
@pytest.mark.parametrize('H', [5, 8])
@pytest.mark.parametrize('algo', PATHS)
def test_fprop_bprop_update_match_im2col(backend64, algo, pad, H):
    be, C, K = backend64, 2, 3
    rng = np.random.RandomState(pad + H)
    x = rng.normal(size=(C * H * H, be.bsz))
    e = rng.normal(size=(K * (H + 2 * pad) ** 2, be.bsz))
    reference = conv_pass(be, 'im2col', C, K, H, pad, x, e)
    for got, want in zip(conv_pass(be, algo, C, K, H, pad, x, e), reference):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize('algo', PATHS)
def test_gradient_check(backend64, algo):
    backend64.conv_algorithm = algo
    gradcheck([Convolution((3, 3, 3), init=Gaussian(), padding=1)], (2, 6, 6))


@pytest.mark.parametrize('algo', PATHS)
def test_float32_error_against_float64(algo):
    """A VGG-like layer (64 → 64 channels, 16×16, N(0, 1) data, Kaiming-scale filters):
    relative max error of the float32 Winograd output against float64 im2col."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=(64 * 16 * 16, 4))
    e = rng.normal(size=(64 * 16 * 16, 4))
    results = {}
    for dtype, path in ((np.float64, 'im2col'), (np.float32, algo)):
        be = gen_backend('cpu', batch_size=4, rng_seed=0, datatype=dtype)
        results[dtype] = conv_pass(be, path, 64, 64, 16, 1, x, e)
    cleanup_backend()
    for got, want in zip(results[np.float32], results[np.float64]):
        error = np.abs(got - want).max() / np.abs(want).max()
        assert error < (2e-6 if algo == 'winograd2' else 2e-5), error


def test_auto_tunes_fitting_layers_only(backend_default):
    be = backend_default
    assert be.conv_algorithm == 'auto'
    fits = Convolution((3, 3, 4), init=Gaussian(), padding=1)
    strided = Convolution((3, 3, 4), init=Gaussian(), padding=1, strides=2)
    model = Model([fits, strided])
    model.initialize((3, 8, 8))
    model.fprop(be.array(np.random.RandomState(0).normal(size=(3 * 64, be.bsz))))
    assert fits.nglayer.cache[('conv_algorithm', 'fprop')] in ('im2col', 'winograd2',
                                                                'winograd4')
    assert ('conv_algorithm', 'fprop') not in strided.nglayer.cache


def test_winograd_fprop_leaves_no_stale_columns_for_im2col_update(backend64):
    """A layer whose fprop runs Winograd and whose update runs im2col: the update must
    not reuse the columns an earlier im2col fprop left for the same input tensor."""
    be, C, K, H = backend64, 2, 3, 6
    rng = np.random.RandomState(1)
    layer = Convolution((3, 3, K), init=Gaussian(), padding=1)
    model = Model([Convolution((1, 1, C), init=Gaussian()), layer])
    model.initialize((C, H, H))
    first, x = model.layers.layers[0], be.array(rng.normal(size=(C * H * H, be.bsz)))
    e = be.array(rng.normal(size=(K * H * H, be.bsz)))
    for kind in ('fprop', 'bprop', 'update'):
        layer.nglayer.cache[('conv_algorithm', kind)] = 'im2col'
    first.fprop(x)
    layer.fprop(first.outputs)        # im2col columns of the first data
    layer.nglayer.cache[('conv_algorithm', 'fprop')] = 'winograd4'
    x[:] = rng.normal(size=(C * H * H, be.bsz))
    first.fprop(x)                    # new data in the same tensor
    layer.fprop(first.outputs)
    layer.bprop(e)
    got = layer.dW.get()
    layer.nglayer.cache[('conv_algorithm', 'fprop')] = 'im2col'
    layer.fprop(first.outputs)
    layer.bprop(e)
    np.testing.assert_allclose(got, layer.dW.get(), rtol=1e-10)


@pytest.mark.parametrize('winner', ['im2col', 'winograd2', 'winograd4'])
def test_tuning_frees_the_input_tiles_of_the_variants_not_chosen(backend64, monkeypatch,
                                                                  winner):
    """The auto-tuner's Winograd trials keep their input tiles in the layer for update;
    once fprop's variant is chosen only its tiles stay, and the chosen path's training
    step still matches im2col's."""
    be, C, K, H = backend64, 2, 3, 6
    rng = np.random.RandomState(2)
    x = rng.normal(size=(C * H * H, be.bsz))
    e = rng.normal(size=(K * H * H, be.bsz))
    reference = conv_pass(be, 'im2col', C, K, H, 1, x, e)
    monkeypatch.setattr(be, '_tune_conv', lambda out, im2col, winograd, tune=be._tune_conv:
                        tune(out, im2col, winograd) and winner)  # trials run, winner wins
    layers = []
    got = conv_pass(be, 'auto', C, K, H, 1, x, e, layer_out=layers)
    tiles = {key[0] for key in layers[0].nglayer.cache if isinstance(key, tuple) and
             isinstance(key[0], tuple) and key[0][0] == 'wino_tiles'}
    assert tiles == (set() if winner == 'im2col' else {('wino_tiles', int(winner[-1]))})
    for g, w in zip(got, reference):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
