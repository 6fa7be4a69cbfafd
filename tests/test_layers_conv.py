"""Convolution, deconvolution, pooling, batch norm and LRN: values against slow, obviously
correct references, and float64 gradient checks."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian, Array, Constant
from neon_compat.layers import (Conv, Convolution, Deconv, Pooling, BatchNorm, LRN, Affine,
                                Bias, Activation, Linear)
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Rectlin, Softmax
from neon_compat.util.gradcheck import gradcheck


def ref_conv(x, w, R, S, K, stride=(1, 1), pad=(0, 0), dil=(1, 1)):
    """x (C, H, W, N), w (C·R·S, K) -> (K, P, Q, N), one output value at a time."""
    C, H, W, N = x.shape
    f = w.reshape(C, R, S, K)
    P = (H + 2 * pad[0] - dil[0] * (R - 1) - 1) // stride[0] + 1
    Q = (W + 2 * pad[1] - dil[1] * (S - 1) - 1) // stride[1] + 1
    out = np.zeros((K, P, Q, N))
    for k in range(K):
        for p in range(P):
            for q in range(Q):
                for c in range(C):
                    for r in range(R):
                        for s in range(S):
                            h = p * stride[0] - pad[0] + r * dil[0]
                            v = q * stride[1] - pad[1] + s * dil[1]
                            if 0 <= h < H and 0 <= v < W:
                                out[k, p, q] += f[c, r, s, k] * x[c, h, v]
    return out


def ref_pool(x, R, S, op, stride, pad):
    C, H, W, N = x.shape
    P = (H + 2 * pad[0] - R) // stride[0] + 1
    Q = (W + 2 * pad[1] - S) // stride[1] + 1
    out = np.zeros((C, P, Q, N))
    for p in range(P):
        for q in range(Q):
            h0, v0 = p * stride[0] - pad[0], q * stride[1] - pad[1]
            window = x[:, max(h0, 0):min(h0 + R, H), max(v0, 0):min(v0 + S, W)]
            window = window.reshape(C, -1, N)
            out[:, p, q] = window.max(axis=1) if op == 'max' else window.mean(axis=1)
    return out


def run_layer(be, layers, in_shape, x):
    model = Model(layers if isinstance(layers, list) else [layers])
    model.initialize(in_shape)
    return model.fprop(be.array(x.reshape(-1, x.shape[-1]))).get()


CONV_CASES = [
    dict(fshape=(3, 3, 4), strides=1, padding=1, dilation=1),
    dict(fshape=(3, 2, 3), strides=2, padding=0, dilation=1),
    dict(fshape=(2, 3, 2), strides={'str_h': 1, 'str_w': 2}, padding={'pad_h': 2, 'pad_w': 1},
         dilation=1),
    dict(fshape=(3, 3, 2), strides=1, padding=2, dilation=2),
    dict(fshape=(1, 1, 5), strides=1, padding=0, dilation=1),
]


def _pair(value, key):
    if isinstance(value, int):
        return (value, value)
    return (value[key + 'h'], value[key + 'w'])


@pytest.mark.parametrize('case', CONV_CASES, ids=[str(c['fshape']) + str(i)
                                                  for i, c in enumerate(CONV_CASES)])
def test_conv_matches_direct_reference(backend64, case):
    be = backend64
    C, H, W = 2, 7, 6
    R, S, K = case['fshape']
    rng = np.random.RandomState(0)
    w = rng.normal(size=(C * R * S, K))
    x = rng.normal(size=(C, H, W, be.bsz))
    out = run_layer(be, Convolution(init=Array(w), **case), (C, H, W), x)
    expect = ref_conv(x, w, R, S, K, _pair(case['strides'], 'str_'),
                      _pair(case['padding'], 'pad_'), _pair(case['dilation'], 'dil_'))
    np.testing.assert_allclose(out, expect.reshape(-1, be.bsz), rtol=1e-10, atol=1e-12)


POOL_CASES = [(2, 'max', 2, 0), (3, 'max', 1, 1), ((2, 3), 'avg', 2, 1), (3, 'avg', 2, 1),
              (2, 'max', 1, 0), ('all', 'avg', 1, 0), ('all', 'max', 1, 0)]


@pytest.mark.parametrize('fshape,op,stride,pad', POOL_CASES)
def test_pooling_matches_direct_reference(backend64, fshape, op, stride, pad):
    be = backend64
    C, H, W = 3, 6, 5
    x = np.random.RandomState(1).normal(size=(C, H, W, be.bsz))
    layer = Pooling(fshape, op=op, strides=stride, padding=pad)
    out = run_layer(be, layer, (C, H, W), x)
    R, S = (H, W) if fshape == 'all' else ((fshape, fshape) if isinstance(fshape, int)
                                           else fshape)
    expect = ref_pool(x, R, S, op, (stride, stride), (pad, pad))
    assert layer.out_shape == expect.shape[:3]
    np.testing.assert_allclose(out, expect.reshape(-1, be.bsz), rtol=1e-12)


def test_conv_names_and_fused_bias(backend64):
    layers = Conv((3, 3, 4), init=Gaussian(), bias=Constant(0), activation=Rectlin(),
                  name='conv1_1')
    assert [type(l).__name__ for l in layers] == ['Convolution_bias', 'Activation']
    assert [l.name for l in layers] == ['conv1_1', 'conv1_1_Rectlin']
    layers = Conv((3, 3, 4), init=Gaussian(), batch_norm=True, name='c')
    assert [l.name for l in layers] == ['c', 'c_bnorm']
    deconv = Deconv((3, 3, 2), init=Gaussian(), bias=Constant(0), name='d')
    assert deconv[0].name != 'd' and deconv[1].name == 'd_bias'


def test_batchnorm_running_statistics_and_inference(backend64):
    be = backend64
    bn = BatchNorm(rho=0.5)
    model = Model([Linear(3, init=Array(np.eye(3))), bn])
    model.initialize(3)
    x = np.random.RandomState(2).normal(size=(3, be.bsz)) * 3 + 1
    out = model.fprop(be.array(x)).get()
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3))
    np.testing.assert_allclose(bn.gmean.get(), 0.5 * mean)
    np.testing.assert_allclose(bn.gvar.get(), 0.5 * var)
    inf = model.fprop(be.array(x), inference=True).get()
    np.testing.assert_allclose(inf, (x - 0.5 * mean) / np.sqrt(0.5 * var + 1e-3))


def test_lrn_values(backend64):
    be = backend64
    x = np.random.RandomState(3).normal(size=(5, 2, 2, be.bsz))
    layer = LRN(3, ascale=0.7, bpower=0.75)
    out = run_layer(be, [Convolution((1, 1, 5), init=Array(np.eye(5))), layer], (5, 2, 2), x)
    sq = np.pad(x ** 2, ((1, 1), (0, 0), (0, 0), (0, 0)))
    window = sq[:-2] + sq[1:-1] + sq[2:]
    expect = x / (1 + 0.7 / 3 * window) ** 0.75
    np.testing.assert_allclose(out, expect.reshape(-1, be.bsz), rtol=1e-12)


@pytest.mark.parametrize('case', CONV_CASES, ids=[str(c['fshape']) + str(i)
                                                  for i, c in enumerate(CONV_CASES)])
def test_conv_gradients(backend64, case):
    gradcheck(Convolution(init=Gaussian(), **case), (2, 7, 6))


def test_conv_bias_batchnorm_activation_gradients(backend64):
    gradcheck(Conv((3, 3, 3), init=Gaussian(), padding=1, bias=Gaussian(), activation=Tanh()),
              (2, 4, 5))
    gradcheck(Conv((3, 3, 3), init=Gaussian(), padding=1, batch_norm=True,
                   activation=Rectlin()), (2, 4, 4))


def test_deconv_gradients(backend64):
    gradcheck(Deconv((3, 3, 2), init=Gaussian(), strides=2, padding=1, bias=Gaussian()),
              (3, 3, 3))
    gradcheck(Deconv((2, 3, 3), init=Gaussian(), strides=1, padding=0, dilation=2), (2, 3, 4))


@pytest.mark.parametrize('fshape,op,stride,pad', POOL_CASES)
def test_pooling_gradients(backend64, fshape, op, stride, pad):
    gradcheck([Convolution((1, 1, 3), init=Gaussian()),
               Pooling(fshape, op=op, strides=stride, padding=pad)], (2, 6, 5))


@pytest.mark.parametrize('fshape,strides', [(2, 2), ((2, 3), {'str_h': 2, 'str_w': 3})])
def test_max_pooling_gradients_when_windows_tile_the_input(backend64, fshape, strides):
    # 6x6 cut exactly into 2x2 or 2x3 windows: bprop writes the input deltas in place
    gradcheck([Convolution((1, 1, 3), init=Gaussian()),
               Pooling(fshape, op='max', strides=strides)], (2, 6, 6))


@pytest.mark.parametrize('R,stride,pad', [(3, 2, 1), (2, 2, 0), (2, 1, 0)])
def test_max_pooling_sends_the_error_of_a_tied_window_to_its_first_maximum(backend64, R,
                                                                           stride, pad):
    # neon's argmax: the first maximum in the window's row-major order takes the error
    be = backend64
    C, H, W = 2, 6, 6
    x = np.random.RandomState(8).randint(0, 2, size=(C, H, W, be.bsz)).astype(float)
    layer = be.pool_layer(be.default_dtype, 'max', be.bsz, C, H=H, W=W, R=R, S=R,
                          pad_h=pad, pad_w=pad, str_h=stride, str_w=stride)
    P, Q = layer.P, layer.Q
    err = np.random.RandomState(9).uniform(1, 2, size=(C, P, Q, be.bsz))
    out, grad = be.empty((C * P * Q, be.bsz)), be.empty((C * H * W, be.bsz))
    be.fprop_pool(layer, be.array(x.reshape(-1, be.bsz)), out)
    be.bprop_pool(layer, be.array(err.reshape(-1, be.bsz)), grad)
    expect = np.zeros_like(x)
    for c, p, q, n in np.ndindex(C, P, Q, be.bsz):
        h0, w0 = p * stride - pad, q * stride - pad
        taps = [(h, w) for h in range(h0, h0 + R) for w in range(w0, w0 + R)
                if 0 <= h < H and 0 <= w < W]
        h, w = max(taps, key=lambda hw: (x[c, hw[0], hw[1], n], -taps.index(hw)))
        expect[c, h, w, n] += err[c, p, q, n]
    np.testing.assert_allclose(grad.get().reshape(x.shape), expect, rtol=1e-12)


def test_batchnorm_gradients_after_affine_and_conv(backend64):
    gradcheck(Affine(4, init=Gaussian(), batch_norm=True, activation=Tanh()), 5)
    gradcheck([Convolution((3, 3, 3), init=Gaussian(), padding=1), BatchNorm(),
               Activation(Tanh())], (2, 4, 4))


def test_lrn_gradients(backend64):
    gradcheck([Convolution((1, 1, 5), init=Gaussian()), LRN(3, ascale=0.5, bpower=0.75)],
              (2, 3, 3))


def test_per_channel_bias_on_conv_outputs(backend64):
    gradcheck([Convolution((3, 3, 4), init=Gaussian(), padding=1), Bias(init=Gaussian())],
              (2, 4, 4))


def test_softmax_over_channels_of_conv_outputs(backend64):
    from neon_compat.layers import GeneralizedCost
    from neon_compat.transforms import CrossEntropyMulti
    be = backend64
    t = np.eye(4)[np.random.RandomState(4).randint(0, 4, be.bsz)].T
    gradcheck([Convolution((2, 2, 4), init=Gaussian()), Activation(Softmax())], (2, 2, 2),
              cost=GeneralizedCost(CrossEntropyMulti()), targets=t)


def test_non_image_input_is_a_clear_error(backend64):
    with pytest.raises(ValueError, match=r'needs \(C, H, W\) inputs'):
        Model([Convolution((3, 3, 2), init=Gaussian())]).initialize(12)


def test_pixelwise_softmax(backend64):
    from neon_compat.layers import GeneralizedCost
    from neon_compat.transforms import PixelwiseSoftmax, CrossEntropyMulti
    be = backend64
    x = np.random.RandomState(6).normal(size=(3, 2, 2, be.bsz))
    out = run_layer(be, [Convolution((1, 1, 3), init=Array(np.eye(3))),
                         Activation(PixelwiseSoftmax(3))], (3, 2, 2), x)
    e = np.exp(x - x.max(axis=0))
    np.testing.assert_allclose(out, (e / e.sum(axis=0)).reshape(-1, be.bsz), rtol=1e-12)
    labels = np.random.RandomState(7).randint(0, 3, size=(2, 2, be.bsz))
    t = np.moveaxis(np.eye(3)[labels], -1, 0).reshape(-1, be.bsz)
    gradcheck([Convolution((1, 1, 3), init=Gaussian()), Activation(PixelwiseSoftmax(3))],
              (2, 2, 2), cost=GeneralizedCost(CrossEntropyMulti()), targets=t)


def test_a_pooling_window_larger_than_its_input_fails_when_run(backend_default, caplog):
    from neon_compat import ShapeError
    pool = Pooling(3, strides=2)
    model = Model([pool])
    model.initialize((2, 2, 2))  # builds, as neon's did: an empty output, and a warning
    assert pool.out_shape == (2, 0, 0) and 'does not fit' in caplog.text
    with pytest.raises(ShapeError, match='3x3 pooling window .* does not fit a 2x2 input'):
        model.fprop(backend_default.zeros((8, backend_default.bsz)))


def _roi_reference(maps, rois, bins, scale):
    """Plain loops: each ROI's bins, their maxima (maps (C, H, W, N))."""
    C, H, W, _ = maps.shape
    out = np.zeros((C, bins, bins, len(rois)))
    for r, (n, x1, y1, x2, y2) in enumerate(rois):
        x1, y1, x2, y2 = (int(round(v * scale)) for v in (x1, y1, x2, y2))
        bh, bw = max(y2 - y1 + 1, 1) / bins, max(x2 - x1 + 1, 1) / bins
        for i in range(bins):
            h0 = min(max(int(np.floor(i * bh)) + y1, 0), H)
            h1 = min(max(int(np.ceil((i + 1) * bh)) + y1, 0), H)
            for j in range(bins):
                w0 = min(max(int(np.floor(j * bw)) + x1, 0), W)
                w1 = min(max(int(np.ceil((j + 1) * bw)) + x1, 0), W)
                if h1 > h0 and w1 > w0:
                    out[:, i, j, r] = maps[:, h0:h1, w0:w1, int(n)].max(axis=(1, 2))
    return out


def test_roi_pooling_against_loops_and_its_gradient():
    from neon_compat.backends import gen_backend
    from neon_compat.layers import RoiPooling
    from helpers import numeric_grad
    be = gen_backend('cpu', batch_size=1, rng_seed=0, datatype=np.float64)
    C, H, W, bins, scale = 2, 9, 11, 3, 0.5
    rng = np.random.RandomState(0)
    maps = rng.normal(size=(C, H, W, 1))
    rois = np.array([[0, 0, 0, 20, 16], [0, 4, 2, 9, 13], [0, 6, 6, 7, 6], [0, 30, 30, 40, 40]],
                    dtype=float)  # whole map, inner box, a sliver, outside the map

    class Shape(object):
        def __init__(self, shape):
            self.out_shape = shape

    layer = RoiPooling(HW=(bins, bins), spatial_scale=scale)
    layer.configure([Shape((C, H, W)), Shape((5, len(rois)))])
    layer.allocate()
    x, r = be.array(maps.reshape(-1, 1)), be.array(rois.T)
    out = layer.fprop((x, r)).get().reshape(C, bins, bins, len(rois))
    np.testing.assert_allclose(out, _roi_reference(maps, rois, bins, scale))
    assert (out[..., 3] == 0).all() and (layer.max_idx.get().reshape(out.shape)[..., 3] == -1).all()
    proj = rng.normal(size=layer.outputs.shape)
    grad = layer.bprop(be.array(proj)).get()

    def objective():
        return float(np.sum(layer.fprop((x, r)).get() * proj))

    np.testing.assert_allclose(grad, numeric_grad(objective, x), rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match='batch size 1'):
        gen_backend('cpu', batch_size=2)
        RoiPooling().configure([Shape((C, H, W)), Shape((5, 2))])


def test_batchnorm_autodiff_gradients_and_agreement_with_batchnorm(backend64):
    from neon_compat.layers import BatchNormAutodiff
    gradcheck([Convolution((3, 3, 3), init=Gaussian(), padding=1), BatchNormAutodiff(),
               Activation(Tanh())], (2, 4, 4))
    gradcheck([Affine(4, init=Gaussian()), BatchNormAutodiff()], 3)
    be, rng = backend64, np.random.RandomState(5)
    nets = []
    for cls in (BatchNorm, BatchNormAutodiff):
        model = Model([Affine(4, init=Constant(0.3)), cls()])
        model.initialize(3)
        nets.append(model)
    x = be.array(rng.normal(size=(3, be.bsz)))
    err = be.array(rng.normal(size=(4, be.bsz)))
    results = []
    for model in nets:
        model.fprop(x)
        model.bprop(err)
        bn = model.layers.layers[-1]
        results.append([bn.grad_gamma.get(), bn.grad_beta.get(), model.layers.layers[0].dW.get()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_volumes_are_convolved_slice_by_slice(backend64):
    from neon_compat.layers import Deconvolution
    be, rng = backend64, np.random.RandomState(6)
    C, D, H, W = 2, 3, 5, 4
    volume = rng.normal(size=(C, D, H, W, be.bsz))
    for make in (lambda: Convolution((3, 3, 4), init=Gaussian(), padding=1),
                 lambda: Deconvolution((2, 2, 3), init=Gaussian(), strides=2)):
        layer3d = make()
        model3d = Model([layer3d])
        model3d.initialize((C, D, H, W))
        out = model3d.fprop(be.array(volume.reshape(-1, be.bsz))).get()
        assert len(layer3d.out_shape) == 4 and layer3d.out_shape[1] == D
        out = out.reshape(layer3d.out_shape + (be.bsz,))
        layer2d = make()
        model2d = Model([layer2d])
        model2d.initialize((C, H, W))
        layer2d.W[:] = layer3d.W
        for d in range(D):  # each depth slice is the 2-D layer on that slice
            slice_out = model2d.fprop(be.array(volume[:, d].reshape(-1, be.bsz))).get()
            np.testing.assert_allclose(out[:, d], slice_out.reshape(out[:, d].shape),
                                       rtol=1e-10, atol=1e-12)
        gradcheck(make(), (C, D, H, W))
    with pytest.raises(NotImplementedError, match='3-D filters'):
        Model([Convolution((2, 3, 3, 4), init=Gaussian())]).initialize((C, D, H, W))
