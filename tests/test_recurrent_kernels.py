"""The recurrent cells' fused whole-sequence kernels (backends/recurrent_kernels.py)
agree with the op-tree step path, and both pass float64 gradient checks."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian
from neon_compat.layers import GRU, LSTM, BiLSTM, BiRNN, Recurrent
from neon_compat.layers.recurrent_cells import SimpleCell, fused_name
from neon_compat.models import Model
from neon_compat.transforms import Identity, Logistic, Rectlin, Tanh
from neon_compat.util.gradcheck import gradcheck


class ScaledTanh(Tanh):
    """A user's own transform: the kernels do not know it, the op-tree path runs."""

    def __call__(self, x):
        return self.be.tanh(x * 0.5)

    def bprop(self, x):
        return 0.5 * (1.0 - self.be.square(x))


def G():
    return Gaussian(scale=0.5)


LAYERS = {
    'Recurrent-tanh': lambda: Recurrent(3, G(), activation=Tanh(), reset_cells=True),
    'Recurrent-logistic': lambda: Recurrent(3, G(), activation=Logistic(), reset_cells=True),
    'Recurrent-relu': lambda: Recurrent(3, G(), activation=Rectlin(), reset_cells=True),
    'Recurrent-identity': lambda: Recurrent(3, Gaussian(scale=0.2), activation=Identity(),
                                            reset_cells=True),
    'LSTM': lambda: LSTM(3, G(), activation=Tanh(), gate_activation=Logistic(),
                         reset_cells=True),
    'LSTM-relu-gates-tanh': lambda: LSTM(2, G(), activation=Rectlin(), gate_activation=Tanh(),
                                         reset_cells=True),
    'GRU': lambda: GRU(3, G(), activation=Tanh(), gate_activation=Logistic(), reset_cells=True),
    'BiRNN': lambda: BiRNN(3, G(), activation=Tanh(), reset_cells=True),
    'BiLSTM': lambda: BiLSTM(2, G(), activation=Tanh(), gate_activation=Logistic(),
                             reset_cells=True),
}


def run(be, make, fused, monkeypatch, nin=4, T=5):
    """Outputs and weight gradients (input, recurrent and bias rows) of one fprop/bprop
    of a fresh layer (same seed, every weight and bias nonzero), with the fused kernels
    on or off."""
    monkeypatch.setattr(SimpleCell, 'use_fused_kernels', fused)
    be.rng_reset()
    rng = np.random.RandomState(3)
    layer = make()
    model = Model([layer])
    model.initialize((nin, T))
    layer.W[:] = be.array(rng.uniform(-0.5, 0.5, size=layer.W.shape))  # biases too
    x = be.array(rng.normal(size=(nin, T * be.bsz)))
    out = layer.fprop(x).get()
    layer.bprop(be.array(rng.normal(size=out.shape)))
    return out, layer.dW.get()


@pytest.mark.parametrize('name', list(LAYERS))
@pytest.mark.parametrize('narrow', [True, False], ids=['batched-projection',
                                                       'one-gemm-projection'])
def test_fused_kernels_match_the_op_tree_path(backend64, name, narrow, monkeypatch):
    # the input projection runs one of two ways, picked by the input width (nin = 4)
    monkeypatch.setattr(type(backend64), 'narrow_projection', 4 if narrow else 3)
    fused = run(backend64, LAYERS[name], True, monkeypatch)
    reference = run(backend64, LAYERS[name], False, monkeypatch)
    for got, want in zip(fused, reference):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize('name', ['Recurrent-tanh', 'LSTM', 'GRU', 'BiLSTM'])
@pytest.mark.parametrize('fused', [True, False], ids=['fused', 'op-tree'])
def test_both_paths_pass_gradient_checks(backend64, name, fused, monkeypatch):
    monkeypatch.setattr(SimpleCell, 'use_fused_kernels', fused)
    gradcheck(LAYERS[name](), (4, 3))


def test_which_transforms_take_the_fused_path():
    assert [fused_name(t) for t in (Tanh(), Logistic(), Rectlin(), Identity())] == \
        ['tanh', 'logistic', 'relu', 'identity']
    assert fused_name(Rectlin(slope=0.1)) is None
    assert fused_name(Logistic(shortcut=True)) is None
    assert fused_name(ScaledTanh()) is None


def test_a_transform_of_ones_own_runs_on_the_op_tree_path(backend64):
    layer = LSTM(3, G(), activation=ScaledTanh(), gate_activation=Logistic(),
                 reset_cells=True)
    assert layer.cell.fused() is None
    gradcheck(layer, (4, 3))


@pytest.mark.parametrize('name', ['Recurrent-tanh', 'LSTM', 'GRU', 'BiLSTM'])
def test_bprop_follows_the_latest_fprop(backend64, name, monkeypatch):
    """The backward kernels reuse the step copies of the last fprop: after fprop(x1),
    fprop(x2) (fused or op-tree), bprop gives the gradients of x2."""
    be, nin, T = backend64, 4, 5
    rng = np.random.RandomState(5)
    x1, x2 = (be.array(rng.normal(size=(nin, T * be.bsz))) for _ in range(2))
    err = rng.normal(size=(LAYERS[name]().nout * (2 if name.startswith('Bi') else 1),
                           T * be.bsz))

    def gradients(first, second_fused):
        be.rng_reset()
        layer = LAYERS[name]()
        Model([layer]).initialize((nin, T))
        if first is not None:
            layer.fprop(first)
        monkeypatch.setattr(SimpleCell, 'use_fused_kernels', second_fused)
        layer.fprop(x2)
        monkeypatch.setattr(SimpleCell, 'use_fused_kernels', True)
        layer.bprop(be.array(err))
        return layer.dW.get()

    reference = gradients(None, True)
    np.testing.assert_allclose(gradients(x1, True), reference, rtol=1e-12)
    np.testing.assert_allclose(gradients(x1, False), reference, rtol=1e-12)
