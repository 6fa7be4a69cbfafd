"""Export a trained network to ONNX, to run it outside neon (onnxruntime, PyTorch ...).

    python -m neon_compat.util.onnx_export model.prm --input_shape 3,32,32 -o model.onnx
    neon-onnx-export model.prm --input_shape 3,32,32 -o model.onnx

or in Python: ``onnx_export(model, 'model.onnx')`` for a `Model` already initialized
(trained, or loaded and given its input shape).

The ONNX graph takes what ``model.get_outputs`` takes, one example per row: input
``x`` of shape (N, features), the features in neon's (C, H, W) order, and returns
``y`` of shape (N, outputs), the rows of ``model.get_outputs``. It is the inference
network: BatchNorm uses its running statistics, Dropout scales by `keep`.

Exported: DataTransform, Activation (Identity, Rectlin, Rectlinclip, Explin, Normalizer,
Softmax, PixelwiseSoftmax, Tanh, Logistic, Sign), Linear and Bias (so Affine),
Convolution (so Conv, with or without bias), Deconvolution (so Deconv), Pooling (max,
avg), BatchNorm, Dropout, sequences: Recurrent, BiRNN, LSTM, BiLSTM, GRU (ONNX RNN,
LSTM, GRU; activations Tanh, Logistic, Rectlin; GRU with Logistic gates) and
RecurrentLast, RecurrentMean, RecurrentSum, and the containers Sequential, MergeSum
(with SkipNode), MergeBroadcast ('stack', 'depth', 'recurrent') and SingleOutputTree (its
trunk, with BranchNodes).
A sequence example (F, T) is a row of F·T features in neon's (f, t) order; the ONNX
graph starts every sequence from a zero state (as reset_cells=True) and must end
with a summary layer or a non-sequence layer after one.

Reshape, and any layer without parameters that only moves values of its input (a
reshape, a transpose, a slice: Practice 5's own Split, Reshape, DimShuffle, Extract),
is exported as one Gather of each example's features. Its indices are found by running
the layer on an input that holds each value's feature number, and the result is checked
on random data. Any other layer stops the export with an error naming it.
"""
import argparse
import sys

import numpy as np

from neon_compat.backends.backend import buffer_shape
from neon_compat.layers.branching import SingleOutputTree
from neon_compat.layers.sequential import LayerContainer, Sequential

OPSET = 17
IR_VERSION = 8  # what onnxruntime releases of the last years load (opset 17 needs 8)


class ExportError(ValueError):
    """A layer or transform that has no ONNX translation here."""


def _import_onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ExportError("the onnx package is not installed: pip install "
                          "'neon-compat[onnx]' (or pip install onnx)") from None
    return onnx, helper, numpy_helper


class _Graph(object):
    """Nodes and constants (initializers) of the graph being built."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return '%s_%d' % (hint, self.count)

    def const(self, array, hint, dtype=np.float32):
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(
            np.array(array, dtype=dtype, order="C"), name))  # (0-d stays 0-d)
        return name

    def op(self, op_type, inputs, hint, **attrs):
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _host(tensor):
    return np.asarray(tensor.get(), dtype=np.float32)


def _is_sequence(shape):
    """A (features, time) layer shape of more than one step."""
    return isinstance(shape, tuple) and len(shape) == 2 and shape[1] != 1


def _values(shape):
    """How many values one example has in a layer shape (F·T for a sequence)."""
    return int(np.prod(shape))


def _kind(layer):
    return "layer '%s' (%s)" % (layer.name, type(layer).__name__)


def trace_rearrangement(layer, given_shape):
    """The feature each output value of `layer` copies, if the layer only moves values.

    The layer's buffers hold example n's feature k (neon's (f, t) order) at row k, column
    n of a (features, N) view, whatever shape the tensor has (the backend's buffers are
    C-ordered, batch last). The layer is run on an input holding each value's feature
    number, then on one holding its example number: every output value must come from
    its own example, the same feature for every example. The indices found are then
    checked on random data. given_shape: the shape of the tensor the layer is given.
    Returns (indices, the output tensor's shape).
    """
    be, N = layer.be, layer.be.bsz
    nin, nout = _values(layer.in_shape), _values(layer.out_shape)
    if _values(given_shape) != nin * N:
        given_shape = (nin, N)
    if nin >= 2 ** np.finfo(be.default_dtype).nmant:
        raise ExportError("%s: too many features (%d) to trace its values in %s"
                          % (_kind(layer), nin, np.dtype(be.default_dtype).name))

    def run(values):
        try:
            out = layer.fprop(be.array(values.reshape(given_shape)), inference=True)
            host = np.array(out.get(), dtype=np.float64)
        except Exception as err:  # a user's layer may fail on any input: name it
            raise ExportError("%s cannot be exported to ONNX: it has no ONNX translation, "
                              "and running it to trace its values failed (%s: %s)"
                              % (_kind(layer), type(err).__name__, err)) from None
        if host.size != nout * N:
            raise ExportError("%s cannot be exported to ONNX: its output has %d values, not "
                              "the %d of its out_shape %r" % (_kind(layer), host.size,
                                                              nout * N, layer.out_shape))
        return host.reshape(nout, N), tuple(out.shape)

    feature, out_shape = run(np.repeat(np.arange(nin, dtype=np.float64), N))
    example, _ = run(np.tile(np.arange(N, dtype=np.float64), nin))
    indices = feature[:, 0].astype(np.int64)
    moved = (np.array_equal(example, np.tile(np.arange(N), (nout, 1))) and
             np.array_equal(feature, np.repeat(indices[:, None], N, axis=1)) and
             indices.min() >= 0 and indices.max() < nin)
    if moved:
        x = np.random.RandomState(0).uniform(-1, 1, (nin, N)).astype(be.default_dtype)
        moved = np.array_equal(run(x.reshape(-1))[0], x[indices].astype(np.float64))
    if not moved:
        raise ExportError("%s cannot be exported to ONNX: it has no ONNX translation and "
                          "does more than move its input's values (as reshapes, transposes "
                          "and slices do); exported layers: see neon_compat.util.onnx_export"
                          % _kind(layer))
    return indices, out_shape


class _Exporter(object):
    """Walks the layers, keeping the current tensor flat (N, F), image (N, C, H, W) or
    sequence (T, N, F), and the shape of the tensor neon would hand the next layer."""

    def __init__(self, graph, buffer_shape):
        self.g = graph
        self.image = False
        self.sequence = False  # the current tensor is ONNX's (T, N, F)
        self.buffer_shape = buffer_shape

    def state(self):
        return self.image, self.sequence, self.buffer_shape

    def restore(self, state):
        self.image, self.sequence, self.buffer_shape = state

    def not_a_sequence(self, layer):
        if self.sequence or _is_sequence(layer.in_shape):
            raise ExportError("%s after a sequence is not exported: summarize the sequence "
                              "first (RecurrentLast, RecurrentMean, RecurrentSum)"
                              % _kind(layer))

    def to_sequence(self, x, layer, shape=None):
        """The input of a sequence layer (or a value of `shape`) as (T, N, F)."""
        if self.sequence:
            return x
        shape = layer.in_shape if shape is None else shape
        if not (isinstance(shape, tuple) and len(shape) >= 2):
            raise ExportError("%s takes (features, time) sequences, but its input has shape "
                              "%r" % (_kind(layer), shape))
        shape = (int(np.prod(shape[:-1])), int(shape[-1]))  # as the recurrent layers read it
        x = self.to_rows(x)
        x = self.g.op('Reshape', [x, self.g.const((-1,) + shape, 'shape', np.int64)], 'nft')
        self.sequence = True
        return self.g.op('Transpose', [x], 'sequence', perm=[2, 0, 1])

    def to_image(self, x, layer, shape=None):
        """An image input of `layer` (or a value of `shape`) as (N, C, H, W)."""
        if shape is None:
            self.not_a_sequence(layer)
            shape = layer.in_shape
        if not (isinstance(shape, tuple) and len(shape) == 3):
            raise ExportError("%s takes images, but its input has shape %r"
                              % (_kind(layer), shape))
        return x if self.image else self.reshape_to_image(self.to_rows(x), shape)

    def reshape_to_image(self, x, shape):
        self.image = True
        return self.g.op('Reshape', [x, self.g.const((-1,) + shape, 'shape', np.int64)],
                         'image')

    def to_flat(self, x, layer=None):
        """(N, features) for a layer that takes features (not a sequence)."""
        if layer is not None:
            self.not_a_sequence(layer)
        return self.to_rows(x)

    def to_rows(self, x):
        """Each example's values in one row, in neon's order ((C, H, W) or (f, t))."""
        if self.sequence:
            self.sequence = False
            x = self.g.op('Transpose', [x], 'nft', perm=[1, 2, 0])
            return self.g.op('Flatten', [x], 'rows', axis=1)
        if self.image:
            self.image = False
            return self.g.op('Flatten', [x], 'flat', axis=1)
        return x

    def transform(self, x, transform, layer):
        g, kind = self.g, type(transform).__name__
        if kind == 'Identity':
            return x
        if kind in ('Rectlin', 'Rectlinclip'):
            x = g.op('LeakyRelu', [x], 'relu', alpha=float(transform.slope)) \
                if transform.slope else g.op('Relu', [x], 'relu')
            if kind == 'Rectlinclip':
                x = g.op('Min', [x, g.const(transform.xcut, 'xcut')], 'clip')
            return x
        if kind == 'Explin':
            return g.op('Elu', [x], 'elu', alpha=float(transform.alpha))
        if kind == 'Normalizer':
            return g.op('Div', [x, g.const(transform.divisor, 'divisor')], 'normalized')
        if kind == 'Softmax':  # over the rows of neon's buffer: all of an image's values
            if transform.axis != 0:
                raise ExportError("layer '%s': Softmax is exported over the features "
                                  "(axis 0) only" % layer.name)
            if _is_sequence(layer.in_shape):
                return g.op('Softmax', [self.to_sequence(x, layer)], 'softmax', axis=2)
            return g.op('Softmax', [self.to_rows(x)], 'softmax', axis=1)
        if kind == 'PixelwiseSoftmax':
            return g.op('Softmax', [self.to_image(x, layer)], 'softmax', axis=1)
        simple = {'Tanh': 'Tanh', 'Logistic': 'Sigmoid', 'Sign': 'Sign'}
        if kind in simple:
            return g.op(simple[kind], [x], kind.lower())
        raise ExportError("layer '%s': the transform %s has no ONNX export" % (layer.name, kind))

    def layer(self, x, layer):
        """Export one layer (translated by name if it is one of neon's own classes, traced
        if it has no parameters) and note the shape of the tensor it hands on."""
        cls = type(layer)
        if cls is Sequential:  # a branch: its last layer's tensor is handed on
            return self.layers(x, layer.layers)
        method = getattr(self, 'layer_' + cls.__name__, None) \
            if cls.__module__.startswith('neon_compat.') else None
        if method is not None:
            x = method(x, layer)
            if not isinstance(layer.out_shape, list):  # (a tree: its trunk's was noted)
                shape = tuple(getattr(getattr(layer, 'outputs', None), 'shape', ()))
                canonical = buffer_shape(layer.out_shape, layer.be.bsz)
                self.buffer_shape = shape if _values(shape) == _values(canonical) else canonical
            return x
        if getattr(layer, 'has_params', False) or isinstance(layer, LayerContainer):
            raise ExportError("%s cannot be exported to ONNX; exported layers: see "
                              "neon_compat.util.onnx_export" % _kind(layer))
        return self.rearrangement(x, layer)

    def layers(self, x, layers):
        for layer in layers:
            x = self.layer(x, layer)
        return x

    def rearrangement(self, x, layer):
        indices, self.buffer_shape = trace_rearrangement(layer, self.buffer_shape)
        x = self.to_rows(x)
        if np.array_equal(indices, np.arange(_values(layer.in_shape))):
            return x  # moves nothing
        return self.g.op('Gather', [x, self.g.const(indices, 'moved', np.int64)], 'moved',
                         axis=1)

    layer_Reshape = rearrangement

    # --- containers -----------------------------------------------------------------
    def branches(self, x, container):
        """Each branch's output from the container's input, and the state after it."""
        start, outputs = self.state(), []
        for branch in container.layers:
            self.restore(start)
            outputs.append((self.layer(x, branch), self.state()))
        return outputs

    def layer_SkipNode(self, x, layer):
        return x

    layer_BranchNode = layer_SkipNode

    def layer_SingleOutputTree(self, x, layer):
        """Its inference output: the trunk's (the other branches train it only)."""
        return self.layer(x, layer.layers[0])

    def layer_Tree(self, x, layer):
        raise ExportError("%s has one output per branch and is not exported: build it as a "
                          "SingleOutputTree to export its trunk" % _kind(layer))

    def layer_MergeSum(self, x, layer):
        rows = []
        for out, state in self.branches(x, layer):
            self.restore(state)
            rows.append(self.to_rows(out))
        return self.g.op('Sum', rows, 'merge_sum')

    def layer_MergeBroadcast(self, x, layer):
        """'stack' and 'depth': the branches' rows one after another (an image's channels
        come first in its rows); 'recurrent': the branches' time steps."""
        merged = []
        for branch, (out, state) in zip(layer.layers, self.branches(x, layer)):
            self.restore(state)
            if layer.merge == 'recurrent':
                merged.append(self.to_sequence(out, layer, branch.out_shape))
            else:
                merged.append(self.to_rows(out))
        axis = 0 if layer.merge == 'recurrent' else 1
        return self.g.op('Concat', merged, 'merge_' + layer.merge, axis=axis)

    def layer_DataTransform(self, x, layer):
        return self.transform(x, layer.transform, layer)

    def layer_Activation(self, x, layer):
        return self.transform(x, layer.transform, layer)

    def layer_Linear(self, x, layer):
        x = self.to_flat(x, layer)
        return self.g.op('Gemm', [x, self.g.const(_host(layer.W), layer.name + '_W')],
                         'linear', transB=1)

    def layer_Bias(self, x, layer):
        self.not_a_sequence(layer)
        b = _host(layer.W).reshape(-1)
        shape = (1, -1, 1, 1) if self.image else (1, -1)
        return self.g.op('Add', [x, self.g.const(b.reshape(shape), layer.name + '_b')], 'bias')

    def filtering(self, x, layer, op_type):
        """Conv or ConvTranspose of `layer`. nglayer is always the convolution C -> K (for
        a deconvolution, the one whose input gradient it computes); both ONNX ops take
        that convolution's filters as (K, C, R, S)."""
        x = self.to_image(x, layer)
        p = layer.nglayer
        if p.T != 1 or p.D != 1:
            raise ExportError("layer '%s': %s of volumes are not exported"
                              % (layer.name, type(layer).__name__))
        weights = _host(layer.W).reshape(p.C, p.R, p.S, p.K).transpose(3, 0, 1, 2)
        inputs = [x, self.g.const(weights, layer.name + '_W')]
        if getattr(layer, 'weight_bias', None) is not None:
            inputs.append(self.g.const(_host(layer.weight_bias).reshape(-1),
                                       layer.name + '_b'))
        _, pad_h, pad_w = p.padding
        return self.g.op(op_type, inputs, op_type.lower(), kernel_shape=[p.R, p.S],
                         strides=list(p.strides[1:]), dilations=list(p.dilation[1:]),
                         pads=[pad_h, pad_w, pad_h, pad_w])

    def layer_Convolution(self, x, layer):
        return self.filtering(x, layer, 'Conv')

    layer_Convolution_bias = layer_Convolution

    def layer_Deconvolution(self, x, layer):
        return self.filtering(x, layer, 'ConvTranspose')

    def layer_Pooling(self, x, layer):
        x = self.to_image(x, layer)
        p = layer.nglayer
        _, _, pad_h, pad_w = p.padding
        if layer.be.check_caffe_compat():
            raise ExportError("layer '%s': pooling in caffe compatibility mode is not "
                              "exported" % layer.name)
        attrs = dict(kernel_shape=[p.R, p.S], strides=list(p.strides[2:]),
                     pads=[pad_h, pad_w, pad_h, pad_w])
        if layer.op == 'max':
            return self.g.op('MaxPool', [x], 'maxpool', **attrs)
        if layer.op == 'avg':
            return self.g.op('AveragePool', [x], 'avgpool', count_include_pad=0, **attrs)
        raise ExportError("layer '%s': pooling op %r is not exported" % (layer.name, layer.op))

    def layer_BatchNorm(self, x, layer):
        """Per channel of images, per feature otherwise."""
        self.not_a_sequence(layer)
        if isinstance(layer.in_shape, tuple) and len(layer.in_shape) == 3:
            x = self.to_image(x, layer)
        g, n = self.g, layer.name
        inputs = [x] + [g.const(_host(t).reshape(-1), n + '_' + what) for t, what in
                        ((layer.gamma, 'gamma'), (layer.beta, 'beta'),
                         (layer.gmean, 'mean'), (layer.gvar, 'var'))]
        return g.op('BatchNormalization', inputs, 'batchnorm', epsilon=float(layer.eps))

    def layer_Dropout(self, x, layer):
        self.not_a_sequence(layer)
        if layer.be.check_caffe_compat():
            return x
        return self.g.op('Mul', [x, self.g.const(layer.keep, layer.name + '_keep')], 'dropout')

    # --- sequences ------------------------------------------------------------------
    # neon's gate blocks in ONNX's order: LSTM i, f, o, g -> i, o, f, c; GRU r, z, c -> z, r, h
    GATE_ORDER = {'RNN': [0], 'LSTM': [0, 2, 1, 3], 'GRU': [1, 0, 2]}
    ACTIVATIONS = {'Tanh': 'Tanh', 'Logistic': 'Sigmoid', 'Rectlin': 'Relu'}

    def activation_name(self, transform, layer):
        kind = type(transform).__name__
        if kind not in self.ACTIVATIONS or getattr(transform, 'slope', 0) or \
                getattr(transform, 'shortcut', False):
            raise ExportError("layer '%s': the activation %s of a recurrent layer has no ONNX "
                              "export (Tanh, Logistic, Rectlin)" % (layer.name, kind))
        return self.ACTIVATIONS[kind]

    def recurrent(self, x, layer, op_type):
        if layer.split_inputs:
            raise ExportError("layer '%s': split_inputs is not exported (ONNX gives both "
                              "directions the same input)" % layer.name)
        x = self.to_sequence(x, layer)
        cell, H, order = layer.cell, layer.nout, self.GATE_ORDER[op_type]
        act = self.activation_name(cell.activation, layer)
        if op_type == 'RNN':
            activations = [act]
        else:
            gate = self.activation_name(cell.gate_activation, layer)
            activations = [gate, act, act] if op_type == 'LSTM' else [gate, act]
            if op_type == 'GRU' and gate != 'Sigmoid':
                raise ExportError("layer '%s': GRU is exported with Logistic gates only "
                                  "(ONNX's update gate is neon's 1 − z)" % layer.name)
        weights = {'W': [], 'R': [], 'B': []}
        for d in layer.dirs:
            W, R, b = _host(d.W_input), _host(d.W_recur), _host(d.b).reshape(-1, 1)
            W, R, b = (np.concatenate([m[k * H:(k + 1) * H] for k in order]) for m in (W, R, b))
            if op_type == 'GRU':  # ONNX keeps (1 − z)·h̃ + z·h_prev: negate z, σ(−a) = 1 − σ(a)
                W[:H], R[:H], b[:H] = -W[:H], -R[:H], -b[:H]
            weights['W'].append(W)
            weights['R'].append(R)
            weights['B'].append(np.concatenate([b.reshape(-1), np.zeros(b.size, np.float32)]))
        inputs = [x] + [self.g.const(np.stack(weights[k]), layer.name + '_' + k) for k in 'WRB']
        attrs = dict(hidden_size=H, activations=activations * layer.ndirections,
                     direction='bidirectional' if layer.ndirections == 2 else 'forward')
        if op_type == 'GRU':
            attrs['linear_before_reset'] = 0
        y = self.g.op(op_type, inputs, op_type.lower(), **attrs)  # (T, dirs, N, H)
        y = self.g.op('Transpose', [y], 'steps', perm=[0, 2, 1, 3])
        return self.g.op('Reshape', [y, self.g.const((0, 0, -1), 'shape', np.int64)], 'hidden')

    def layer_Recurrent(self, x, layer):
        return self.recurrent(x, layer, 'RNN')

    layer_BiRNN = layer_Recurrent

    def layer_LSTM(self, x, layer):
        return self.recurrent(x, layer, 'LSTM')

    layer_BiLSTM = layer_LSTM

    def layer_GRU(self, x, layer):
        return self.recurrent(x, layer, 'GRU')

    def summary(self, x, layer, op_type, **attrs):
        x = self.to_sequence(x, layer)
        self.sequence = False
        if op_type == 'Gather':
            index = self.g.const(np.array(layer.nsteps - 1, dtype=np.int64), 'last', np.int64)
            return self.g.op('Gather', [x, index], 'last_step', axis=0)
        if op_type == 'ReduceSum':
            return self.g.op('ReduceSum', [x, self.g.const([0], 'axes', np.int64)], 'sum',
                             keepdims=0)
        return self.g.op(op_type, [x], 'summary', **attrs)

    def layer_RecurrentLast(self, x, layer):
        return self.summary(x, layer, 'Gather')

    def layer_RecurrentMean(self, x, layer):
        return self.summary(x, layer, 'ReduceMean', axes=[0], keepdims=0)

    def layer_RecurrentSum(self, x, layer):
        return self.summary(x, layer, 'ReduceSum')


def onnx_export(model, path, input_shape=None):
    """Write `model` (a Model, or a model file) as an ONNX file at `path`.

    input_shape: the shape of one example, (C, H, W) or features; needed when the model
    is not initialized yet (a model file). Returns the onnx ModelProto.
    """
    onnx, helper, numpy_helper = _import_onnx()
    from neon_compat.models import Model
    from neon_compat.util.persist import atomic_write
    if isinstance(model, str):
        model = Model(model)
    if not model.initialized:
        if input_shape is None:
            raise ExportError("the model is not initialized: give input_shape, the shape "
                              "of one example, e.g. (3, 32, 32)")
        model.initialize(tuple(input_shape) if not isinstance(input_shape, int)
                         else input_shape)
    in_shape = model.layers.in_shape
    graph = _Graph(helper, numpy_helper)
    exporter = _Exporter(graph, buffer_shape(in_shape, model.be.bsz))
    in_shape = in_shape if isinstance(in_shape, tuple) else (in_shape,)
    x = exporter.layer('x', model.layers)
    if exporter.sequence:
        raise ExportError("the model's output is a sequence: end it with RecurrentLast, "
                          "RecurrentMean or RecurrentSum to export it")
    x = exporter.to_flat(x)
    graph.nodes.append(helper.make_node('Identity', [x], ['y']))
    out_shape = model.layers.out_shape
    if isinstance(model.layers, SingleOutputTree):
        out_shape = out_shape[0]
    out_features = int(np.prod(out_shape))
    onnx_graph = helper.make_graph(
        graph.nodes, 'neon_compat_model',
        [helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT,
                                       ['N', int(np.prod(in_shape))])],
        [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, ['N', out_features])],
        graph.initializers)
    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid('', OPSET)],
                              producer_name='neon_compat', ir_version=IR_VERSION)
    onnx.checker.check_model(proto)
    # atomic as the model files: an existing .onnx survives a crash mid-write
    atomic_write(path, lambda f: f.write(proto.SerializeToString()))
    return proto


def _shape(text):
    try:
        dims = tuple(int(d) for d in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a shape: give whole numbers separated by "
                                         "commas, e.g. 3,32,32" % text) from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError("%r is not a shape: each size must be at least 1"
                                         % text)
    return dims if len(dims) > 1 else dims[0]


def _import_layers(source):
    """Import a user's layer module, by file (under its file name, as a script next to it
    imports it) or by module name."""
    import importlib
    import os
    if source.endswith('.py'):
        if not os.path.isfile(source):
            raise ExportError("--layers_from %s: no such file" % source)
        folder, name = os.path.split(os.path.abspath(source[:-3]))
        sys.path.insert(0, folder)
        source = name
    try:
        importlib.import_module(source)
    except (ImportError, SyntaxError) as err:
        raise ExportError("--layers_from %s: %s" % (source, err)) from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog='neon-onnx-export',
                                     description='Export a neon model file to ONNX.')
    parser.add_argument('model_file', help='a model file written by neon or neon_compat')
    parser.add_argument('--input_shape', type=_shape, required=True,
                        help='the shape of one example: C,H,W for images, or features')
    parser.add_argument('-o', '--output', required=True, help='the .onnx file to write')
    parser.add_argument('--layers_from', action='append', default=[], metavar='FILE.py',
                        help='a Python file (or module) holding your own layer classes, '
                             'e.g. examples/practice5_rnn/layers.py: imported, as your script '
                             'imports it, before the model file is read (repeatable)')
    parser.add_argument('-b', '--backend', default='cpu', choices=('cpu', 'gpu'))
    args = parser.parse_args(argv)
    from neon_compat.backends import gen_backend
    from neon_compat import ModelFileError
    # a few examples per minibatch, so that tracing a layer sees whether it mixes them
    gen_backend(args.backend, batch_size=4)
    try:
        for source in args.layers_from:
            _import_layers(source)
        onnx_export(args.model_file, args.output, args.input_shape)
    except (ExportError, ModelFileError, IOError, ValueError) as err:
        parser.exit(1, 'neon-onnx-export: error: %s\n' % err)
    print('ONNX model written to %s' % args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
