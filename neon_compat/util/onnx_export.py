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
avg), BatchNorm, Dropout, Reshape (between flat features and images), and sequences:
Recurrent, BiRNN, LSTM, BiLSTM, GRU (ONNX RNN, LSTM, GRU; activations Tanh, Logistic,
Rectlin; GRU with Logistic gates) and RecurrentLast, RecurrentMean, RecurrentSum. A
sequence example (F, T) is a row of F·T features in neon's (f, t) order; the ONNX
graph starts every sequence from a zero state (as reset_cells=True) and must end
with a summary layer or a non-sequence layer after one.
Any other layer stops the export with an error naming it.
"""
import argparse
import sys

import numpy as np

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


class _Exporter(object):
    """Walks the layers, keeping the current tensor either flat (N, F) or image (N, C, H, W)."""

    def __init__(self, graph):
        self.g = graph
        self.image = False
        self.sequence = False  # the current tensor is ONNX's (T, N, F)

    def not_a_sequence(self, layer):
        if self.sequence:
            raise ExportError("layer '%s' (%s) after a sequence is not exported: summarize "
                              "the sequence first (RecurrentLast, RecurrentMean, RecurrentSum)"
                              % (layer.name, type(layer).__name__))

    def to_sequence(self, x, layer):
        """The input of a sequence layer as (T, N, F)."""
        if self.sequence:
            return x
        shape = layer.in_shape
        if not (isinstance(shape, tuple) and len(shape) == 2):
            raise ExportError("layer '%s' (%s) takes (features, time) sequences, but its "
                              "input has shape %r" % (layer.name, type(layer).__name__, shape))
        x = self.to_flat(x)
        x = self.g.op('Reshape', [x, self.g.const((-1,) + shape, 'shape', np.int64)], 'nft')
        self.sequence = True
        return self.g.op('Transpose', [x], 'sequence', perm=[2, 0, 1])

    def to_image(self, x, layer):
        self.not_a_sequence(layer)
        shape = layer.in_shape
        if not (isinstance(shape, tuple) and len(shape) == 3):
            raise ExportError("layer '%s' (%s) takes images, but its input has shape %r"
                              % (layer.name, type(layer).__name__, shape))
        return x if self.image else self.reshape_to_image(x, shape)

    def reshape_to_image(self, x, shape):
        self.image = True
        return self.g.op('Reshape', [x, self.g.const((-1,) + shape, 'shape', np.int64)],
                         'image')

    def to_flat(self, x, layer=None):
        if self.sequence:
            self.not_a_sequence(layer)
        if not self.image:
            return x
        self.image = False
        return self.g.op('Flatten', [x], 'flat', axis=1)

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
        if kind == 'Softmax':
            if self.image or transform.axis != 0:
                raise ExportError("layer '%s': Softmax is exported over the features of flat "
                                  "inputs only (axis 0)" % layer.name)
            return g.op('Softmax', [x], 'softmax', axis=2 if self.sequence else 1)
        if kind == 'PixelwiseSoftmax':
            return g.op('Softmax', [self.to_image(x, layer)], 'softmax', axis=1)
        simple = {'Tanh': 'Tanh', 'Logistic': 'Sigmoid', 'Sign': 'Sign'}
        if kind in simple:
            return g.op(simple[kind], [x], kind.lower())
        raise ExportError("layer '%s': the transform %s has no ONNX export" % (layer.name, kind))

    def layer(self, x, layer):
        kind = type(layer).__name__
        method = getattr(self, 'layer_' + kind, None)
        if method is None:
            raise ExportError("layer '%s' (%s) cannot be exported to ONNX; exported layers: "
                              "see neon_compat.util.onnx_export" % (layer.name, kind))
        return method(x, layer)

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

    def layer_Reshape(self, x, layer):
        # with no (features, time) sequence on either side the buffer stays (features, N):
        # the reshape only regroups the features, in the same C, H, W order
        shapes = (layer.in_shape, layer.out_shape)
        if any(isinstance(shape, tuple) and len(shape) == 2 and shape[1] != 1
               for shape in shapes):
            raise ExportError("layer '%s' (Reshape): reshapes to or from (features, time) "
                              "sequences are not exported" % layer.name)
        x = self.to_flat(x, layer)
        if isinstance(layer.out_shape, tuple) and len(layer.out_shape) == 3:
            x = self.reshape_to_image(x, layer.out_shape)
        return x

    def layer_BatchNorm(self, x, layer):
        self.not_a_sequence(layer)
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
    layers = model.layers.layers
    in_shape = layers[0].in_shape
    in_shape = in_shape if isinstance(in_shape, tuple) else (in_shape,)
    graph = _Graph(helper, numpy_helper)
    exporter = _Exporter(graph)
    x = 'x'
    for layer in layers:
        x = exporter.layer(x, layer)
    if exporter.sequence:
        raise ExportError("the model's output is a sequence: end it with RecurrentLast, "
                          "RecurrentMean or RecurrentSum to export it")
    x = exporter.to_flat(x)
    graph.nodes.append(helper.make_node('Identity', [x], ['y']))
    out_features = int(np.prod(layers[-1].out_shape))
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog='neon-onnx-export',
                                     description='Export a neon model file to ONNX.')
    parser.add_argument('model_file', help='a model file written by neon or neon_compat')
    parser.add_argument('--input_shape', type=_shape, required=True,
                        help='the shape of one example: C,H,W for images, or features')
    parser.add_argument('-o', '--output', required=True, help='the .onnx file to write')
    parser.add_argument('-b', '--backend', default='cpu', choices=('cpu', 'gpu'))
    args = parser.parse_args(argv)
    from neon_compat.backends import gen_backend
    from neon_compat import ModelFileError
    gen_backend(args.backend, batch_size=1)
    try:
        onnx_export(args.model_file, args.output, args.input_shape)
    except (ExportError, ModelFileError, IOError, ValueError) as err:
        parser.exit(1, 'neon-onnx-export: error: %s\n' % err)
    print('ONNX model written to %s' % args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
