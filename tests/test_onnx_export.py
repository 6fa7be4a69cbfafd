"""ONNX export: onnxruntime on the exported graph gives model.get_outputs, for the course
networks and for every exported layer and transform; the rest is refused by name."""
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort  # the test extra installs it
import pytest

from neon_compat.data import ArrayIterator
from neon_compat.initializers import Constant, Gaussian
from neon_compat.layers import (GRU, LSTM, Activation, Affine, BatchNorm, BiBNRNN, Bias,
                                BranchNode, SingleOutputTree, Tree,
                                BiLSTM, BiRNN, Conv, DataTransform, Deconv, Dropout, Layer,
                                MergeBroadcast, MergeSum, Pooling, Recurrent, RecurrentLast,
                                RecurrentMean, RecurrentSum, Reshape, SkipNode)
from neon_compat.models import Model
from neon_compat.transforms import (Explin, Identity, Logistic, Normalizer, PixelwiseSoftmax,
                                    Rectlin, Rectlinclip, Sign, Softmax, Tanh)
from neon_compat.util.onnx_export import ExportError, onnx_export


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for practice in ('practice3_transfer', 'practice4_autoencoders', 'practice5_rnn'):
    sys.path.insert(0, os.path.join(ROOT, 'examples', practice))

pytestmark = pytest.mark.usefixtures('backend_default')


def inputs(shape, n=16, seed=0):
    return np.random.RandomState(seed).uniform(0, 255, (n, int(np.prod(shape)))).astype(
        np.float32)


def assert_onnx_matches(model, shape, path, X=None):
    X = inputs(shape) if X is None else X
    data = ArrayIterator(X, None, make_onehot=False, lshape=shape)
    model.initialize(data)
    expected = model.get_outputs(data)
    onnx_export(model, str(path))
    got = ort.InferenceSession(str(path)).run(None, {'x': X})[0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    return expected


def test_practice4_target_network(tmp_path):
    import ae_models
    model, _ = ae_models.generate_mlp_target_model()
    assert_onnx_matches(model, (3, 16, 16), tmp_path / 'p4.onnx')


def test_practice4_stacked_autoencoder(tmp_path):
    import ae_models
    model, _ = ae_models.generate_mlp_ae_stacked_step1_model((3, 16, 16))
    out = assert_onnx_matches(model, (3, 16, 16), tmp_path / 'ae.onnx')
    assert out.shape == (16, 3 * 16 * 16)


def test_practice3_vgg16_transfer_network(tmp_path):
    import tl_models
    model, _ = tl_models.generate_vgg_16_transfer_model()
    # the softmax of an untrained VGG sits near 0.5: compare the logits as well
    model.layers.layers[-1].transform = Identity()
    logits = assert_onnx_matches(model, (3, 32, 32), tmp_path / 'vgg.onnx')
    assert np.ptp(logits) > 1e-2


def test_practice5_renet(tmp_path):
    """The printed ReNet: its own Split/Reshape/DimShuffle/Extract layers traced into
    Gathers, BiRNN branches merged by MergeBroadcast 'stack'. Its BiRNNs carry their state
    from one minibatch to the next (reset_cells=False), which ONNX does not: one minibatch."""
    import rnn_models
    model, _ = rnn_models.generate_rnn_model((3, 32, 32))
    shape = (3, 32, 32)
    X = inputs(shape, n=8)
    model.initialize(ArrayIterator(X, None, make_onehot=False, lshape=shape))
    model.layers.layers[-1].transform = Identity()  # compare the logits, not a softmax
    logits = assert_onnx_matches(model, shape, tmp_path / 'renet.onnx', X=X)
    assert np.ptp(logits) > 1e-2


def randomize_batchnorm(model, rng):
    for layer in model.layers.layers:
        if isinstance(layer, BatchNorm):
            n = layer.gmean.shape[0]
            layer.gmean[:] = rng.normal(0, 1, (n, 1))
            layer.gvar[:] = rng.uniform(0.5, 2, (n, 1))
            layer.gamma[:] = rng.uniform(0.5, 2, (n, 1))
            layer.beta[:] = rng.normal(0, 1, (n, 1))


def test_every_exported_layer_in_one_convnet(tmp_path):
    init = Gaussian(scale=0.1)
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        Conv((3, 3, 4), init=init, bias=Constant(0.1), padding=1, strides=1,
             activation=Explin(alpha=0.5)),
        BatchNorm(),
        Pooling(3, strides=2, padding=1, op='max'),
        Conv((3, 3, 6), init=init, padding=2, dilation=2, strides=2),
        Bias(init=Gaussian(scale=0.5)),
        Activation(Rectlin(slope=0.1)),
        Pooling(2, strides=1, padding=1, op='avg'),
        Activation(PixelwiseSoftmax(c=6)),
        Affine(nout=12, init=init, bias=Gaussian(scale=0.5), activation=Rectlinclip(xcut=0.3)),
        BatchNorm(),
        Dropout(keep=0.8),
        Affine(nout=10, init=init, activation=Sign()),
        Affine(nout=3, init=init, bias=Constant(0.2), activation=Softmax()),
    ]
    model = Model(layers)
    shape = (3, 11, 11)
    data = ArrayIterator(inputs(shape), None, make_onehot=False, lshape=shape)
    model.initialize(data)
    randomize_batchnorm(model, np.random.RandomState(1))
    assert_onnx_matches(model, shape, tmp_path / 'all.onnx')


def test_deconvolutions_as_in_a_dcgan_generator(tmp_path):
    init = Gaussian(scale=0.1)
    model = Model([
        Affine(nout=4 * 3 * 3, init=init, bias=Constant(0.1), activation=Rectlin()),
        Reshape((4, 3, 3)),
        Deconv((4, 4, 5), init=init, strides=2, padding=1, bias=Constant(0.05),
               activation=Rectlin()),
        Deconv((3, 3, 2), init=init, strides=1, padding=0, dilation=2, activation=Tanh()),
    ])
    out = assert_onnx_matches(model, (6,), tmp_path / 'gen.onnx',
                              X=inputs((6,)) / 255.0)
    assert out.shape == (16, 2 * 10 * 10) and np.ptp(out) > 1e-2


@pytest.mark.parametrize('transform', [Tanh(), Logistic(), Rectlin(), Identity()])
def test_flat_transforms(tmp_path, transform):
    model = Model([Affine(nout=7, init=Gaussian(scale=0.01), bias=Constant(-0.5),
                          activation=transform)])
    out = assert_onnx_matches(model, (5,), tmp_path / 'flat.onnx')
    assert np.ptp(out) > 0


def G():
    return Gaussian(scale=0.4)


SEQUENCE_NETWORKS = {
    'rnn-last': lambda: [Recurrent(6, G(), activation=Tanh(), reset_cells=True),
                         RecurrentLast(), Affine(3, G())],
    'lstm-mean': lambda: [LSTM(5, G(), activation=Tanh(), gate_activation=Logistic(),
                               reset_cells=True), RecurrentMean(), Affine(3, G())],
    'gru-sum': lambda: [GRU(4, G(), activation=Tanh(), gate_activation=Logistic(),
                            reset_cells=True), RecurrentSum(), Affine(2, G())],
    'birnn-relu-last': lambda: [BiRNN(4, G(), activation=Rectlin(), reset_cells=True),
                                RecurrentLast(), Affine(2, G())],
    'bilstm-lstm-stack': lambda: [BiLSTM(3, G(), activation=Tanh(), gate_activation=Logistic(),
                                         reset_cells=True),
                                  LSTM(4, G(), activation=Tanh(), gate_activation=Logistic(),
                                       reset_cells=True), RecurrentLast(),
                                  Affine(2, G(), activation=Softmax())],
}


@pytest.mark.parametrize('name', list(SEQUENCE_NETWORKS))
def test_sequence_networks(tmp_path, name):
    """Rows of F·T features in neon's (f, t) order; the ONNX RNN/LSTM/GRU ops with neon's
    gate blocks reordered (and GRU's update gate negated)."""
    F, T = 3, 5
    X = np.random.RandomState(1).normal(size=(16, F * T)).astype(np.float32)
    out = assert_onnx_matches(Model(SEQUENCE_NETWORKS[name]()), (F, T), tmp_path / 's.onnx',
                              X=X)
    assert np.ptp(out) > 1e-2


@pytest.mark.parametrize('layers, message', [
    (lambda: [LSTM(4, G(), activation=Tanh(), gate_activation=Logistic())],
     r"the model's output is a sequence"),
    (lambda: [LSTM(4, G(), activation=Tanh(), gate_activation=Logistic()), Affine(2, G())],
     r"layer '.*' \(Linear\) after a sequence is not exported"),
    (lambda: [BiRNN(4, G(), activation=Tanh(), split_inputs=True), RecurrentLast()],
     r"split_inputs is not exported"),
    (lambda: [Recurrent(4, G(), activation=Identity()), RecurrentLast()],
     r"the activation Identity of a recurrent layer has no ONNX export"),
    (lambda: [GRU(4, G(), activation=Tanh(), gate_activation=Tanh()), RecurrentLast()],
     r"GRU is exported with Logistic gates only"),
], ids=['sequence-output', 'affine-on-sequence', 'split-inputs', 'identity', 'gru-tanh-gates'])
def test_sequence_networks_that_are_refused(tmp_path, layers, message):
    model = Model(layers())
    model.initialize(ArrayIterator(inputs((4, 5)), None, make_onehot=False, lshape=(4, 5)))
    with pytest.raises(ExportError, match=message):
        onnx_export(model, str(tmp_path / 'refused.onnx'))
    assert not (tmp_path / 'refused.onnx').exists()


CONTAINER_NETWORKS = {
    'residual-mergesum': lambda: [
        Conv((3, 3, 4), G(), padding=1, activation=Rectlin()),
        MergeSum([[Conv((3, 3, 4), G(), padding=1), Activation(Tanh())], SkipNode()]),
        Affine(3, G())],
    'inception-depth': lambda: [
        Conv((3, 3, 4), G(), padding=1, activation=Rectlin()),
        MergeBroadcast([[Conv((1, 1, 3), G())],
                        [Conv((3, 3, 2), G(), padding=1, activation=Rectlin())],
                        [Pooling(3, strides=1, padding=1, op='max')]], merge='depth'),
        Affine(3, G())],
    'single-output-tree': lambda: SingleOutputTree([
        [Conv((3, 3, 4), G(), padding=1, activation=Rectlin()), BranchNode(name='aux'),
         Pooling(2, strides=2, op='avg'), Affine(3, G(), activation=Softmax())],
        [BranchNode(name='aux'), Affine(2, G(), activation=Softmax())]]),
    'stack': lambda: [
        MergeBroadcast([[Affine(4, G())], [Affine(3, G(), activation=Tanh())]],
                       merge='stack'),
        Affine(2, G())],
    'recurrent': lambda: [
        Affine(15, G()), Reshape((3, 5)),
        MergeBroadcast([[Recurrent(4, G(), activation=Tanh(), reset_cells=True)],
                        [LSTM(4, G(), activation=Tanh(), gate_activation=Logistic(),
                              reset_cells=True)]], merge='recurrent'),
        RecurrentLast(), Affine(2, G())],
}


@pytest.mark.parametrize('name', list(CONTAINER_NETWORKS))
def test_containers(tmp_path, name):
    shape = (2, 5, 5)
    out = assert_onnx_matches(Model(CONTAINER_NETWORKS[name]()), shape, tmp_path / 'c.onnx',
                              X=inputs(shape) / 255.0)
    assert np.ptp(out) > 1e-2


class SwapHalves(Layer):
    """A user's layer that only moves values: the two halves of the features swap."""

    def configure(self, in_obj):
        super(SwapHalves, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def fprop(self, inputs, inference=False):
        half = inputs.shape[0] // 2
        self.outputs[:half] = inputs[half:]
        self.outputs[half:] = inputs[:half]
        return self.outputs


class Doubles(SwapHalves):
    def fprop(self, inputs, inference=False):
        self.outputs[:] = inputs * 2
        return self.outputs


class SwapsExamples(SwapHalves):
    def fprop(self, inputs, inference=False):
        self.outputs[:] = inputs.get()[:, ::-1]
        return self.outputs


class Fails(SwapHalves):
    def fprop(self, inputs, inference=False):
        raise RuntimeError('not today')


def test_traced_layers(tmp_path):
    """neon's Reshape into a sequence, and a user's layer, become Gathers."""
    layers = [Affine(12, G()), SwapHalves(), Reshape((4, 3)),
              LSTM(3, G(), activation=Tanh(), gate_activation=Logistic(), reset_cells=True),
              RecurrentMean(), Affine(2, G())]
    out = assert_onnx_matches(Model(layers), (5,), tmp_path / 't.onnx',
                              X=inputs((5,)) / 255.0)
    assert np.ptp(out) > 1e-2


@pytest.mark.parametrize('layer, message', [
    (Doubles, r"does more than move its input's values"),
    (SwapsExamples, r"does more than move its input's values"),
    (Fails, r"running it to trace its values failed \(RuntimeError: not today\)"),
])
def test_traced_layers_that_are_refused(tmp_path, layer, message):
    model = Model([Affine(6, G()), layer(name='mine'), Affine(2, G())])
    model.initialize(ArrayIterator(inputs((5,)), None, make_onehot=False))
    with pytest.raises(ExportError, match=r"layer 'mine' \(%s\) cannot be exported to "
                                          r"ONNX: .*%s" % (layer.__name__, message)):
        onnx_export(model, str(tmp_path / 'refused.onnx'))
    assert not (tmp_path / 'refused.onnx').exists()


def test_unsupported_layers_are_named(tmp_path):
    model = Model([BiBNRNN(4, Gaussian(), activation=Tanh(), name='my_bibnrnn'),
                   RecurrentLast()])
    data = ArrayIterator(inputs((3, 5)), None, make_onehot=False, lshape=(3, 5))
    model.initialize(data)
    with pytest.raises(ExportError, match=r"layer 'my_bibnrnn' \(BiBNRNN\) cannot be "
                                          r"exported"):
        onnx_export(model, str(tmp_path / 'lstm.onnx'))
    assert not (tmp_path / 'lstm.onnx').exists()
    model = Model([Affine(nout=15, init=Gaussian()), Reshape((5, 3)),
                   Affine(nout=2, init=Gaussian())])
    model.initialize(ArrayIterator(inputs((15,)), None, make_onehot=False))
    with pytest.raises(ExportError, match=r"\(Linear\) after a sequence is not exported"):
        onnx_export(model, str(tmp_path / 'reshape.onnx'))


def test_a_tree_of_several_outputs_is_refused(tmp_path):
    model = Model(Tree([[Affine(4, G()), BranchNode(name='b'), Affine(3, G())],
                        [BranchNode(name='b'), Affine(2, G())]], name='two_heads'))
    model.initialize(ArrayIterator(inputs((5,)), None, make_onehot=False))
    with pytest.raises(ExportError, match=r"layer 'two_heads' \(Tree\) has one output per "
                                          r"branch .* SingleOutputTree"):
        onnx_export(model, str(tmp_path / 'tree.onnx'))


def test_an_uninitialized_model_needs_its_input_shape(tmp_path):
    model = Model([Affine(nout=2, init=Gaussian())])
    with pytest.raises(ExportError, match='give input_shape'):
        onnx_export(model, str(tmp_path / 'm.onnx'))


def run_cli(args, cwd):
    return subprocess.run([sys.executable, '-m', 'neon_compat.util.onnx_export'] + args,
                          cwd=str(cwd), capture_output=True, text=True, timeout=300)


def test_cli_exports_a_model_file(tmp_path):
    import ae_models
    model, _ = ae_models.generate_mlp_target_model()
    shape = (3, 8, 8)
    X = inputs(shape)
    data = ArrayIterator(X, None, make_onehot=False, lshape=shape)
    model.initialize(data)
    expected = model.get_outputs(data)
    model.save_params(str(tmp_path / 'model.prm'))
    done = run_cli(['model.prm', '--input_shape', '3,8,8', '-o', 'model.onnx'], tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'ONNX model written to model.onnx' in done.stdout
    got = ort.InferenceSession(str(tmp_path / 'model.onnx')).run(None, {'x': X})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def test_cli_exports_practice5_with_its_own_layers(tmp_path):
    import rnn_models
    model, _ = rnn_models.generate_rnn_model((3, 32, 32))
    shape = (3, 32, 32)
    X = inputs(shape, n=8)
    data = ArrayIterator(X, None, make_onehot=False, lshape=shape)
    model.initialize(data)
    expected = model.get_outputs(data)
    model.save_params(str(tmp_path / 'renet.prm'))
    args = ['renet.prm', '--input_shape', '3,32,32', '-o', 'renet.onnx']
    done = run_cli(args, tmp_path)
    assert done.returncode == 1 and "import that module" in done.stderr
    layers_py = os.path.join(ROOT, 'examples', 'practice5_rnn', 'layers.py')
    done = run_cli(args + ['--layers_from', layers_py], tmp_path)
    assert done.returncode == 0, done.stderr
    got = ort.InferenceSession(str(tmp_path / 'renet.onnx')).run(None, {'x': X})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize('args, code, message', [
    (['missing.prm', '--input_shape', '3,8,8', '-o', 'm.onnx'], 1, 'missing.prm'),
    (['model.prm', '--input_shape', '3,x,8', '-o', 'm.onnx'], 2, "'3,x,8' is not a shape"),
    (['model.prm', '--input_shape', '3,8', '-o', 'm.onnx'], 1, 'holds loaded weights'),
    (['model.prm', '--input_shape', '3,8,8', '-o', 'm.onnx', '--layers_from', 'no.py'], 1,
     '--layers_from no.py: no such file'),
    (['model.prm', '--input_shape', '3,8,8', '-o', 'm.onnx', '--layers_from', 'no_such_mod'],
     1, "--layers_from no_such_mod: No module named 'no_such_mod'"),
])
def test_cli_bad_input_is_one_line(tmp_path, args, code, message):
    model = Model([Affine(nout=2, init=Gaussian())])
    model.initialize(ArrayIterator(inputs((3, 8, 8)), None, make_onehot=False,
                                   lshape=(3, 8, 8)))
    model.save_params(str(tmp_path / 'model.prm'))
    done = run_cli(args, tmp_path)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert 'Traceback' not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith('neon-onnx-export: error: ')
    assert message in last
    assert not (tmp_path / 'm.onnx').exists()
