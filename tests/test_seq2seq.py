"""Seq2Seq: the encoder's final states start the decoder, and their gradients come back;
inference one step at a time; model files; BeamSearch."""
import numpy as np
import pytest

from neon_compat import NervanaObject
from neon_compat.initializers import Gaussian
from neon_compat.layers import LSTM, Recurrent, Affine, Seq2Seq
from neon_compat.layers.container import Encoder, Decoder
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Logistic, Softmax
from neon_compat.util.beamsearch import BeamSearch

from helpers import numeric_grad

NIN, NOUT, T = 3, 4, 3


class Shapes(NervanaObject):
    """What a text dataset tells a Seq2Seq: source and (shifted) target shapes."""

    def __init__(self, nin=NIN, nout=NOUT, steps=T):
        self.shape = (nin, steps)
        self.decoder_shape = (nout, steps)


def _network():
    g = Gaussian(scale=0.4)
    return Seq2Seq([[Recurrent(5, g, activation=Tanh(), reset_cells=True),
                     LSTM(6, g, activation=Tanh(), gate_activation=Logistic(),
                          reset_cells=True)],
                    [LSTM(6, g, activation=Tanh(), gate_activation=Logistic(),
                          reset_cells=True),
                     Affine(NOUT, g, activation=Tanh())]], decoder_connections=[1])


def test_gradients_flow_from_the_decoder_into_the_encoder(backend64):
    be = backend64
    net = _network()
    assert isinstance(net.encoder, Encoder) and isinstance(net.decoder, Decoder)
    net.configure(Shapes())
    net.allocate()
    net.allocate_deltas()
    rng = np.random.RandomState(0)
    x = be.array(rng.normal(size=(NIN, T * be.bsz)))
    z = be.array(rng.normal(size=(NOUT, T * be.bsz)))
    proj = rng.normal(size=(NOUT, T * be.bsz))
    net.fprop((x, z))
    net.bprop(be.array(proj))
    layers = [l for l in net.layers if l.has_params]
    analytic = [l.dW.get() for l in layers]

    def objective():
        return float(np.sum(net.fprop((x, z)).get() * proj))

    # the encoder's weights get gradient only through the decoder's initial state
    assert np.abs(analytic[1]).max() > 0
    for layer, grad in zip(layers, analytic):
        np.testing.assert_allclose(grad, numeric_grad(objective, layer.W), rtol=1e-5,
                                   atol=1e-8, err_msg=layer.name)


def test_inference_generates_step_by_step_and_training_resumes(backend64):
    be = backend64
    net = _network()
    net.configure(Shapes())
    net.allocate()
    net.allocate_deltas()
    x = be.array(np.random.RandomState(1).normal(size=(NIN, T * be.bsz)))
    z = be.array(np.random.RandomState(2).normal(size=(NOUT, T * be.bsz)))
    out = net.fprop(x, inference=True).get()
    assert out.shape == (NOUT, T * be.bsz) and net.decoder.layers[0].nsteps == 1
    # step t+1 is the decoder run once more on step t's output, from its state
    assert not np.allclose(out[:, :be.bsz], out[:, be.bsz:2 * be.bsz])
    trained = net.fprop((x, z)).get()
    assert trained.shape == (NOUT, T * be.bsz) and net.decoder.layers[0].nsteps == T


def test_description_round_trip(backend64, tmp_path):
    be = backend64
    model = Model(_network())
    model.initialize(Shapes())
    x = be.array(np.random.RandomState(3).normal(size=(NIN, T * be.bsz)))
    z = be.array(np.random.RandomState(4).normal(size=(NOUT, T * be.bsz)))
    out = model.fprop((x, z)).get()
    path = str(tmp_path / 's2s.prm')
    model.save_params(path)
    desc = model.get_description()['model']['config']
    assert desc['num_encoder_layers'] == 2 and desc['decoder_connections'] == [1]
    again = Model(path)
    again.initialize(Shapes())
    assert isinstance(again.layers, Seq2Seq) and len(again.layers.encoder.layers) == 2
    np.testing.assert_allclose(again.fprop((x, z)).get(), out)
    with pytest.raises(ValueError, match='decoder_connections'):
        Seq2Seq([[LSTM(2, Gaussian(), activation=Tanh(), gate_activation=Logistic())],
                 [Affine(2, Gaussian())]])


def test_beam_search_keeps_the_most_likely_sequences(backend64):
    be = backend64
    g = Gaussian(scale=0.4)
    net = Seq2Seq([[LSTM(NOUT, g, activation=Tanh(), gate_activation=Logistic())],
                   [LSTM(NOUT, g, activation=Tanh(), gate_activation=Logistic(),
                         reset_cells=True),  # each call starts from the state it is given
                    Affine(NOUT, g, activation=Softmax())]])
    net.configure(Shapes(nin=NOUT))
    net.allocate()
    net.allocate_deltas()
    search = BeamSearch(net)
    x = be.array(np.random.RandomState(5).normal(size=(NOUT, T * be.bsz)))
    best = search.beamsearch(x, num_beams=3).get()
    assert best.shape == (T, be.bsz) and len(search.candidates) == 3
    # the best beam's score is the log probability of its tokens under the decoder,
    # fed its own choices (a greedy re-run of the same tokens must reproduce it)
    states = net.encoder.get_final_states(net.decoder_connections)
    z = be.iobuf((NOUT, 1))
    logp = np.zeros(be.bsz)
    for t in range(T):
        probs = net.decoder.fprop(z, inference=True, init_state_list=states).get()
        states = [layer.final_state() for layer in net.decoder._recurrent]
        tokens = best[t].astype(int)
        logp += np.log(probs[tokens, np.arange(be.bsz)])
        z[:] = np.eye(NOUT)[tokens].T
    np.testing.assert_allclose(search.scores[-1], logp, rtol=1e-6)
    assert (search.scores[-1] >= search.scores[0] - 1e-12).all()
