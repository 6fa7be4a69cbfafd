"""Practice 3 network description (the course's models/tl_models.py).

VGG-16 with the classifier replaced for the two-class IMDB-WIKI task, as printed in
the Practice 3 document (section 3.1); fixes of print errors are marked "FIX".
Layer names match the Model Zoo VGG-16 (conv%d_%d, conv%d_%d_bias) so that the
convolutional layers can be imported; the new fully-connected layers get new names.
"""
from neon.initializers import Xavier, GlorotUniform, Constant
from neon.layers import Conv, Bias, Activation, Pooling, Affine, Dropout, GeneralizedCost
from neon.models import Model
from neon.transforms import Rectlin, Softmax, CrossEntropyBinary


def generate_vgg_16_transfer_model():
    init1 = Xavier(local=True)
    initfc = GlorotUniform()
    relu = Rectlin()
    conv_params = {'init': init1, 'strides': 1, 'padding': 1}

    layers = []
    for i, nofm in enumerate([64, 128, 256, 512, 512]):
        i = i + 1
        layers.append(Conv((3, 3, nofm), **conv_params, name='conv%d_1' % i))
        layers.append(Bias(init=Constant(0), name='conv%d_1_bias' % i))
        layers.append(Activation(Rectlin()))
        layers.append(Conv((3, 3, nofm), **conv_params, name='conv%d_2' % i))
        layers.append(Bias(init=Constant(0), name='conv%d_2_bias' % i))
        layers.append(Activation(Rectlin()))
        if nofm > 128:
            layers.append(Conv((3, 3, nofm), **conv_params,
                               name='conv%d_3' % i))
            layers.append(Bias(init=Constant(0), name='conv%d_3_bias' % i))
            layers.append(Activation(Rectlin()))
        layers.append(Pooling(2, strides=2))

    layers.append(Affine(nout=4096, init=initfc,
                         bias=Constant(0), activation=Rectlin(), name='fc6_new'))
    layers.append(Dropout(keep=0.5))
    layers.append(Affine(nout=4096, init=initfc,
                         bias=Constant(0), activation=Rectlin(), name='fc7_new'))
    layers.append(Dropout(keep=0.5))
    layers.append(Affine(nout=2, init=initfc,
                         bias=Constant(0), activation=Softmax(), name='cls_imdb_wiki_face'))
    # FIX: a stray "]" closes a list that was never opened here in print
    model = Model(layers)
    cost = GeneralizedCost(costfunc=CrossEntropyBinary())
    return model, cost
