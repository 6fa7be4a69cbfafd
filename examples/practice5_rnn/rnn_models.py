"""Practice 5 network description (the course's models/rnn_models.py).

As printed in the Practice 5 document (sections 3.1.3-3.1.4); fixes of print errors
(identifiers printed with spaces, brackets printed as "1") are marked "FIX".
"""
from neon.initializers import Kaiming, Constant, GlorotUniform
from neon.layers import (DataTransform, BatchNorm, Conv, Pooling, BiRNN, MergeBroadcast,
                         Activation, GeneralizedCost)
from neon.models import Model
from neon.transforms import Normalizer, Rectlin, Tanh, Softmax, CrossEntropyMulti

from layers import Split, Reshape, DimShuffle, Extract


def SpatialRNN(input_shape, block_shape, RNN, RNN_params):
    front_shape = [input_shape[d] // block_shape[d]
                   for d in range(len(input_shape))]
    fC = front_shape[0]
    fH = front_shape[1]
    fW = front_shape[2]
    bC = block_shape[0]
    bH = block_shape[1]
    bW = block_shape[2]
    RNN_size = RNN_params['output_size']
    block_layers = [
        Split(block_shape=(bC, bH, bW), shuffle_dim=(4, 0, 1, 3, 5, 2, 6)),
        Reshape((fW, (fC * bC) * bH * bW, fH, -1))
    ]
    layers_vertical = []
    for i in range(fW):
        layers_vertical.append([
            Extract(dim=0, indices=[i]),
            RNN(**RNN_params),
            Reshape((2 * RNN_size, -1))  # workaround for MergeBroadcast
                                         # incompatibility with RNN shape
            # vertical image traversal
        ])
    block_layers.append(MergeBroadcast(layers_vertical, 'stack'))
    block_layers.extend([
        Reshape((fW, 2 * RNN_size, fH, -1)),  # vertical block output shape
        DimShuffle((2, 1, 0, 3)),
        Reshape((fH, 2 * RNN_size, fW, -1)),
    ])
    layers_horizontal = []
    for i in range(fH):
        layers_horizontal.append([
            Extract(dim=0, indices=[i]),
            RNN(**RNN_params),
            Reshape((2 * RNN_size, -1))  # workaround for MergeBroadcast
                                         # incompatibility with RNN shape
            # horizontal image traversal
        ])
    block_layers.append(MergeBroadcast(layers_horizontal, 'stack'))
    block_layers.extend([
        Reshape((fH, 2 * RNN_size, fW, -1)),  # horizontal block output shape
        DimShuffle((1, 0, 2, 3))
    ])
    return block_layers


def generate_rnn_model(input_shape=(3, 128, 128)):
    iC = input_shape[0]  # noqa: F841  (as printed)
    iH = input_shape[1]
    iW = input_shape[2]
    class_count = 2
    layers = [
        DataTransform(transform=Normalizer(divisor=128.0)),
        # convolutional encoder / feature extractor
        # resolution 1
        BatchNorm(),
        Conv(fshape=(3, 3, 32), padding=2, strides=1, dilation=2,
             init=Kaiming(), bias=Constant(0), activation=Rectlin()),
        BatchNorm(),
        Pooling(fshape=(3, 3), padding=1, strides=2, op='max'),
        # resolution 1/2
        Conv(fshape=(3, 3, 64), padding=2, strides=1, dilation=2,
             init=Kaiming(), bias=Constant(0), activation=Rectlin()),
        BatchNorm(),
        Pooling(fshape=(3, 3), padding=1, strides=2, op='max'),
        # resolution 1/4
        Conv(fshape=(3, 3, 128), padding=2, strides=1, dilation=2,
             init=Kaiming(), bias=Constant(0), activation=Rectlin()),
        BatchNorm(),
        Pooling(fshape=(3, 3), padding=1, strides=2, op='max'),
        # resolution 1/8
        Conv(fshape=(3, 3, 256), padding=2, strides=1, dilation=2,
             init=Kaiming(), bias=Constant(0), activation=Rectlin()),
        BatchNorm(),
        SpatialRNN(input_shape=(256, iH // 8, iW // 8),
                   block_shape=(256, 2, 2),
                   RNN=BiRNN,
                   RNN_params={'output_size': 256,
                               'init': GlorotUniform(),
                               'activation': Tanh()}
                   ),  # outputs: (2 * 256, iH // 16, iW // 16)
        # resolution 1/16
        BatchNorm(),
        SpatialRNN(input_shape=(512, iH // 16, iW // 16),
                   block_shape=(512, 2, 2),
                   RNN=BiRNN,
                   RNN_params={'output_size': 512,
                               'init': GlorotUniform(),
                               'activation': Tanh()}
                   ),  # outputs: (2 * 512, iH // 32, iW // 32)
        # resolution 1/32
        # classifier
        BatchNorm(),
        Conv(fshape=(1, 1, class_count), padding=1, strides=1, dilation=1,
             init=Kaiming(), bias=Constant(0), activation=Rectlin()),
        Pooling(fshape='all', padding=0, strides=1, op='avg'),
        Activation(Softmax())
    ]  # FIX: the closing bracket is missing in print
    model = Model(layers=layers)
    cost = GeneralizedCost(costfunc=CrossEntropyMulti())
    return (model, cost)
