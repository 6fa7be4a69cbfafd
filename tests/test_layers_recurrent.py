"""Recurrent layers: outputs against plain step-by-step references (neon's weight
layout and gate order), float64 gradient checks, and state across minibatches."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian, Uniform
from neon_compat.layers import (Recurrent, LSTM, GRU, BiRNN, BiLSTM, BiSum, BiBNRNN,
                                RecurrentSum, RecurrentMean, RecurrentLast, DeepBiRNN,
                                DeepBiLSTM, Affine)
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Logistic, Rectlin
from neon_compat.util.gradcheck import gradcheck

from helpers import numeric_grad


def sig(x):
    return 1 / (1 + np.exp(-x))


def blocks(W, nin, nout, ngates):
    """neon's layout: W_input/W_recur are reinterpretations of row blocks of W."""
    g = ngates * nout
    return (W[:nin].reshape(g, nin), W[nin:nin + nout].reshape(g, nout),
            W[-1:].reshape(g, 1))


def bi_blocks(W, nin, nout, ngates, d):
    """neon's bidirectional layout: rows [W_input_f, W_input_b, W_recur_f, W_recur_b, b_f,
    b_b]; direction d's (W_input, W_recur, b)."""
    g = ngates * nout
    recur = 2 * nin + d * nout
    return (W[d * nin:(d + 1) * nin].reshape(g, nin), W[recur:recur + nout].reshape(g, nout),
            W[2 * (nin + nout) + d].reshape(g, 1))


def ref_rnn(x_steps, Wi, Wr, b, nout, reverse=False):
    h = np.zeros((nout, x_steps[0].shape[1]))
    out = [None] * len(x_steps)
    order = range(len(x_steps) - 1, -1, -1) if reverse else range(len(x_steps))
    for t in order:
        h = np.tanh(Wi @ x_steps[t] + Wr @ h + b)
        out[t] = h
    return out


def ref_lstm(x_steps, Wi, Wr, b, nout, reverse=False):
    N = x_steps[0].shape[1]
    h, c = np.zeros((nout, N)), np.zeros((nout, N))
    out = [None] * len(x_steps)
    order = range(len(x_steps) - 1, -1, -1) if reverse else range(len(x_steps))
    for t in order:
        z = Wi @ x_steps[t] + Wr @ h + b
        i, f, o = sig(z[:nout]), sig(z[nout:2 * nout]), sig(z[2 * nout:3 * nout])
        g = np.tanh(z[3 * nout:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out[t] = h
    return out


def ref_gru(x_steps, Wi, Wr, b, nout):
    h = np.zeros((nout, x_steps[0].shape[1]))
    out = []
    for x in x_steps:
        zx = Wi @ x + b
        r = sig(zx[:nout] + Wr[:nout] @ h)
        z = sig(zx[nout:2 * nout] + Wr[nout:2 * nout] @ h)
        cand = np.tanh(zx[2 * nout:] + Wr[2 * nout:] @ (r * h))
        h = (1 - z) * h + z * cand
        out.append(h)
    return out


def run(be, layer, nin, T, seed=0):
    model = Model([layer])
    model.initialize((nin, T))
    x = np.random.RandomState(seed).normal(size=(nin, T * be.bsz))
    out = model.fprop(be.array(x)).get()
    steps = [x[:, t * be.bsz:(t + 1) * be.bsz] for t in range(T)]
    return out, steps, layer.W.get()


def stack(steps):
    return np.hstack(steps)


@pytest.mark.parametrize('T', [1, 3, 5])
def test_recurrent_matches_reference(backend64, T):
    be, nin, nout = backend64, 4, 3
    out, steps, W = run(be, Recurrent(nout, Gaussian(scale=0.5), activation=Tanh()), nin, T)
    np.testing.assert_allclose(out, stack(ref_rnn(steps, *blocks(W, nin, nout, 1), nout)),
                               rtol=1e-12)


@pytest.mark.parametrize('T', [1, 4])
def test_lstm_matches_reference(backend64, T):
    be, nin, nout = backend64, 3, 4
    layer = LSTM(nout, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())
    out, steps, W = run(be, layer, nin, T)
    assert W.shape == (nin + nout + 1, 4 * nout)
    np.testing.assert_allclose(out, stack(ref_lstm(steps, *blocks(W, nin, nout, 4), nout)),
                               rtol=1e-12)


def test_gru_matches_reference(backend64):
    be, nin, nout, T = backend64, 3, 4, 4
    layer = GRU(nout, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())
    out, steps, W = run(be, layer, nin, T)
    np.testing.assert_allclose(out, stack(ref_gru(steps, *blocks(W, nin, nout, 3), nout)),
                               rtol=1e-12)


@pytest.mark.parametrize('split', [False, True])
def test_birnn_output_order(backend64, split):
    be, nin, nout, T = backend64, 4, 3, 4
    layer = BiRNN(nout, Gaussian(scale=0.5), activation=Tanh(), split_inputs=split)
    out, steps, W = run(be, layer, nin, T)
    nd = nin // 2 if split else nin
    rows = nd + nout + 1
    assert W.shape == (2 * rows, nout)
    xf = [s[:nd] for s in steps] if split else steps
    xb = [s[nd:] for s in steps] if split else steps
    fwd = ref_rnn(xf, *bi_blocks(W, nd, nout, 1, 0), nout)
    bwd = ref_rnn(xb, *bi_blocks(W, nd, nout, 1, 1), nout, reverse=True)
    np.testing.assert_allclose(out[:nout], stack(fwd), rtol=1e-12)
    np.testing.assert_allclose(out[nout:], stack(bwd), rtol=1e-12)


def test_bilstm_output_order(backend64):
    be, nin, nout, T = backend64, 3, 2, 3
    layer = BiLSTM(nout, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())
    out, steps, W = run(be, layer, nin, T)
    np.testing.assert_allclose(out[:nout], stack(ref_lstm(steps, *bi_blocks(W, nin, nout, 4, 0),
                                                          nout)), rtol=1e-12)
    np.testing.assert_allclose(out[nout:], stack(ref_lstm(steps, *bi_blocks(W, nin, nout, 4, 1),
                                                          nout, reverse=True)), rtol=1e-12)
    # neon's names of the views
    for d, suffix in enumerate(('_f', '_b')):
        for name, block in zip(('W_input', 'W_recur', 'b'), bi_blocks(W, nin, nout, 4, d)):
            np.testing.assert_array_equal(getattr(layer, name + suffix).get(), block)
    layer.b_b[:] = 7.0
    assert (layer.W.get()[-1] == 7.0).all() and (layer.W.get()[-2] != 7.0).all()


def test_neon_attribute_views_of_lstm_and_gru(backend64):
    be, nin, nout, T = backend64, 3, 2, 3
    lstm = LSTM(nout, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())
    assert lstm.W_input is None  # before allocate, as neon
    out, steps, W = run(be, lstm, nin, T)
    for name, block in zip(('W_input', 'W_recur', 'b'), blocks(W, nin, nout, 4)):
        np.testing.assert_array_equal(getattr(lstm, name).get(), block)
    lstm.W_recur[:] = 0.25  # a view: writes go to W
    assert (lstm.W.get()[nin:nin + nout] == 0.25).all()
    # ifog_buffer: gate activations i, f, o (logistic) and g (tanh) of every step
    ifog = lstm.ifog_buffer.get()
    assert ifog.shape == (4 * nout, T * be.bsz)
    assert (ifog[:3 * nout] > 0).all() and (ifog[:3 * nout] < 1).all()
    np.testing.assert_allclose(lstm.outputs.get(), ifog[2 * nout:3 * nout] *
                               lstm.c_act_buffer.get(), rtol=1e-12)
    np.testing.assert_allclose(lstm.c_act_buffer.get(), np.tanh(lstm.c_buffer.get()))
    gru = GRU(nout, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())
    run(be, gru, nin, T)
    assert gru.rzhcan_buffer.shape == gru.rzhcan_delta_buffer.shape == (3 * nout, T * be.bsz)
    assert gru.h_buffer is gru.outputs and gru.out_deltas_buffer is gru.deltas
    assert isinstance(lstm, Recurrent) and isinstance(gru, Recurrent)


def test_init_fills_each_gate_block_and_zero_bias(backend64):
    layer = LSTM(3, Uniform(1, 2), init_inner=Uniform(-2, -1), activation=Tanh(),
                 gate_activation=Logistic())
    Model([layer]).initialize((2, 2))
    Wi, Wr, b = blocks(layer.W.get(), 2, 3, 4)
    assert (Wi >= 1).all() and (Wr <= -1).all() and (b == 0).all()


def test_state_carries_over_minibatches_unless_reset(backend64):
    be = backend64
    x = be.array(np.random.RandomState(1).normal(size=(3, 2 * be.bsz)))
    for reset, same in ((False, False), (True, True)):
        layer = Recurrent(2, Gaussian(scale=0.5), activation=Tanh(), reset_cells=reset)
        model = Model([layer])
        model.initialize((3, 2))
        first = model.fprop(x).get()
        second = model.fprop(x).get()
        assert np.allclose(first, second) == same


@pytest.mark.parametrize('make', [
    lambda: LSTM(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic()),
    lambda: GRU(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic())])
def test_carried_state_continues_the_sequence(backend64, make):
    # two minibatches of T steps with the state carried over = one walk of 2T steps
    be, nin, T = backend64, 2, 3
    xs = np.random.RandomState(2).normal(size=(nin, 2 * T, be.bsz))
    short, long = make(), make()
    Model([short]).initialize((nin, T))
    Model([long]).initialize((nin, 2 * T))
    long.W[:] = short.W.get()

    # the state carries over while the same input buffer comes in (neon's rule)
    x = be.array(np.ascontiguousarray(xs[:, :T]).reshape(nin, -1))  # neon's (nin, T·N)
    short.fprop(x)
    x.set(np.ascontiguousarray(xs[:, T:]).reshape(nin, -1))
    second = short.fprop(x).get()
    whole = long.fprop(be.array(xs.reshape(nin, -1))).get()
    np.testing.assert_allclose(second, whole[:, T * be.bsz:], rtol=1e-10)


RECURRENT_LAYERS = [
    lambda: Recurrent(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True),
    lambda: Recurrent(3, Gaussian(scale=0.5), init_inner=Gaussian(scale=0.3),
                      activation=Rectlin(), reset_cells=True),
    lambda: LSTM(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                 reset_cells=True),
    lambda: GRU(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                reset_cells=True),
    lambda: BiRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True),
    lambda: BiRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True,
                  split_inputs=True),
    lambda: BiLSTM(2, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                   reset_cells=True),
    lambda: BiBNRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True),
    lambda: BiBNRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True,
                    split_inputs=True),
]
IDS = ['Recurrent', 'RecurrentRelu', 'LSTM', 'GRU', 'BiRNN', 'BiRNNsplit', 'BiLSTM', 'BiBNRNN',
       'BiBNRNNsplit']


@pytest.mark.parametrize('T', [1, 2, 4])
@pytest.mark.parametrize('make', RECURRENT_LAYERS, ids=IDS)
def test_recurrent_gradients(backend64, make, T):
    gradcheck(make(), (4, T))


@pytest.mark.parametrize('summary', [RecurrentSum, RecurrentMean, RecurrentLast])
def test_sequence_summary_gradients(backend64, summary):
    gradcheck([LSTM(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                    reset_cells=True), summary(), Affine(2, Gaussian())], (4, 3))


def test_deep_stacks(backend64):
    layers = DeepBiRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True, depth=2)
    assert [l.split_inputs for l in layers] == [False, True]
    gradcheck(layers, (4, 3))
    gradcheck(DeepBiLSTM(2, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                         reset_cells=True, depth=2), (3, 2))


def test_deep_birnn_with_bisum_and_batch_norm(backend64):
    layers = DeepBiRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True, depth=2,
                       bi_sum=True, batch_norm=True)
    assert [type(l).__name__ for l in layers] == ['BiBNRNN', 'BiSum', 'BiBNRNN', 'BiSum']
    assert [l.split_inputs for l in layers[::2]] == [False, False]
    assert isinstance(layers, DeepBiRNN) and isinstance(layers, list)
    gradcheck(layers, (4, 2))


def test_bisum_adds_the_directions(backend64):
    be = backend64
    layer = BiSum()
    model = Model([layer])
    model.initialize((6, 2))
    x = np.random.RandomState(0).normal(size=(6, 2 * be.bsz))
    np.testing.assert_allclose(model.fprop(be.array(x)).get(), x[:3] + x[3:])
    gradcheck([BiRNN(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True), BiSum(),
               Affine(2, Gaussian())], (4, 3))


def test_bibnrnn_normalizes_the_projections_and_keeps_its_statistics(backend64, tmp_path):
    be, nin, nout, T = backend64, 3, 2, 4
    layer = BiBNRNN(nout, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True)
    model = Model([layer])
    model.initialize((nin, T))
    x = np.random.RandomState(2).normal(size=(nin, T * be.bsz)) * 3 + 1
    out = model.fprop(be.array(x)).get()
    W = layer.W.get()
    proj = np.vstack([bi_blocks(W, nin, nout, 1, d)[0] @ x for d in range(2)])
    xhat = (proj - proj.mean(1, keepdims=True)) / np.sqrt(proj.var(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(layer.h_ff_buffer.get(), xhat, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.gmean.get(), 0.1 * proj.mean(1, keepdims=True))
    # the recurrence runs on the normalized projections (gamma 1, beta 0 at first)
    steps = [xhat[:nout, t * be.bsz:(t + 1) * be.bsz] for t in range(T)]
    h, fwd = np.zeros((nout, be.bsz)), []
    Wr, b = bi_blocks(W, nin, nout, 1, 0)[1:]
    for xs in steps:
        h = np.tanh(xs + Wr @ h + b)
        fwd.append(h)
    np.testing.assert_allclose(out[:nout], np.hstack(fwd), rtol=1e-10)
    # inference normalizes with the running statistics
    layer.gamma[:] = 2.0
    inferred = model.fprop(be.array(x), inference=True)
    assert inferred is not None
    gm, gv = layer.gmean.get(), layer.gvar.get()
    np.testing.assert_allclose(layer.h_ff_buffer.get(), 2.0 * (proj - gm) / np.sqrt(gv + 1e-3),
                               rtol=1e-10)
    # beta, gamma and the running statistics survive a save and load (neon lost beta, gamma)
    path = str(tmp_path / 'bibn.prm')
    model.save_params(path)
    again = Model(path)
    again.initialize((nin, T))
    bn = again.layers.layers[0]
    for key in ('beta', 'gamma', 'gmean', 'gvar'):
        np.testing.assert_allclose(getattr(bn, key).get(), getattr(layer, key).get())


def test_conv_features_feed_an_rnn_as_channel_rows_by_width(backend64):
    from neon_compat.layers import Conv
    layers = [Conv((2, 2, 3), init=Gaussian(), padding=0),
              BiRNN(2, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True)]
    model = Model(layers)
    model.initialize((2, 3, 4))
    assert layers[1].nin == 3 * 2 and layers[1].nsteps == 3
    gradcheck(layers, (2, 3, 4))


def test_missing_activations_are_reported():
    with pytest.raises(ValueError, match='activation'):
        Recurrent(3, Gaussian())
    with pytest.raises(ValueError, match='gate_activation'):
        LSTM(3, Gaussian(), activation=Tanh())


def test_lookuptable_values_and_gradients(backend64):
    from neon_compat.layers import LookupTable
    be = backend64
    T = 4
    ids = np.random.RandomState(5).randint(0, 6, size=(T, be.bsz))
    ids[0, 0] = 2  # the padding id, used at least once
    lut = LookupTable(vocab_size=6, embedding_dim=3, init=Gaussian(), pad_idx=2)
    model = Model([lut])
    model.initialize(T)
    W = lut.W.get()
    assert (W[2] == 0).all()
    out = model.fprop(be.array(ids.astype(float))).get()
    np.testing.assert_allclose(out, W[ids.reshape(-1)].T)
    assert lut.out_shape == (3, T)
    lut.bprop(be.array(np.ones((3, T * be.bsz))))
    assert (lut.dW.get()[2] == 0).all() and lut.dW.get().sum() > 0  # the pad row never learns
    report = gradcheck([LookupTable(6, 3, Gaussian()),
                        LSTM(2, Gaussian(scale=0.5), activation=Tanh(),
                             gate_activation=Logistic(), reset_cells=True)],
                       T, inputs=ids.astype(float), check_inputs=False)
    assert report.ok


@pytest.mark.parametrize('make', [
    lambda: Recurrent(3, Gaussian(scale=0.5), activation=Tanh(), reset_cells=True),
    lambda: LSTM(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                 reset_cells=True),
    lambda: GRU(3, Gaussian(scale=0.5), activation=Tanh(), gate_activation=Logistic(),
                reset_cells=True)],
    ids=['Recurrent', 'LSTM', 'GRU'])
def test_weight_gradients_with_an_initial_state(backend64, make):
    """Given init_state, the first step's recurrent product enters dW_recur too (neon);
    the gradient is that of L = Σ proj·outputs, by central differences."""
    be, nin, T = backend64, 2, 3
    rng = np.random.RandomState(4)
    layer = make()
    model = Model([layer])
    model.initialize((nin, T))
    x = be.array(rng.normal(size=(nin, T * be.bsz)))
    h0 = be.array(rng.normal(size=(3, be.bsz)))
    proj = rng.normal(size=(3, T * be.bsz))
    layer.fprop(x, init_state=h0)
    layer.bprop(be.array(proj))
    analytic = layer.dW.get()

    def objective():
        return float(np.sum(layer.fprop(x, init_state=h0).get() * proj))

    np.testing.assert_allclose(analytic, numeric_grad(objective, layer.W), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize('summary', [RecurrentSum, RecurrentMean, RecurrentLast])
def test_sequence_summary_bprop_alpha_beta(backend64, summary):
    """deltas = alpha·(dL/dx) + beta·deltas, for every step."""
    be, nin, T = backend64, 3, 4
    rng = np.random.RandomState(0)
    layer = summary()
    model = Model([Recurrent(nin, Gaussian(), activation=Tanh()), layer])
    model.initialize((2, T))
    layer.fprop(be.array(rng.normal(size=(nin, T * be.bsz))))
    old = rng.normal(size=(nin, T * be.bsz))
    layer.deltas[:] = old
    error = rng.normal(size=(nin, be.bsz))
    layer.bprop(be.array(error), alpha=2.0, beta=0.5)
    weights = {RecurrentSum: [1.0] * T, RecurrentMean: [1.0 / T] * T,
               RecurrentLast: [0.0] * (T - 1) + [1.0]}[summary]
    expected = np.hstack([2.0 * w * error for w in weights]) + 0.5 * old
    np.testing.assert_allclose(layer.deltas.get().reshape(nin, -1), expected, rtol=1e-12)


@pytest.mark.parametrize('T', [1, 3])
@pytest.mark.parametrize('make', RECURRENT_LAYERS, ids=IDS)
def test_bprop_writes_every_weight_gradient(backend64, make, T):
    """bprop overwrites all of dW (no zero fill first): a layer whose dW holds garbage
    gets the gradients of a fresh one, the recurrent block's zero when T = 1 included."""
    be, nin = backend64, 4
    rng = np.random.RandomState(T)
    x, err = rng.normal(size=(nin, T * be.bsz)), None
    grads = []
    for garbage in (False, True):
        be.rng_reset()
        layer = make()
        model = Model([layer])
        model.initialize((nin, T))
        out = model.fprop(be.array(x))
        err = rng.normal(size=out.shape) if err is None else err
        if garbage:
            layer.dW[:] = 7.0
        model.bprop(be.array(err))
        grads.append(layer.dW.get())
    np.testing.assert_array_equal(grads[1], grads[0])
    assert np.abs(grads[0]).max() > 0
