"""Compound layers: one call that builds a list of layers (CompoundLayer, Affine;
Conv and Deconv build on it in convolutional.py)."""
from neon_compat.layers.linear import Linear, Bias
from neon_compat.layers.normalization import BatchNorm
from neon_compat.layers.simple_layers import Activation


class CompoundLayer(list):
    """A list of layers built from one call (flattened by containers).

    Arguments:
        bias (Initializer, optional): adds a Bias layer named <base>_bias.
        batch_norm (bool): adds a BatchNorm layer named <base>_bnorm.
        activation (Transform, optional): adds an Activation named <base>_<Transform>.
        name (str, optional): base name (default: the first layer's name).
    """

    def __init__(self, bias=None, batch_norm=False, activation=None, name=None):
        super(CompoundLayer, self).__init__()
        if batch_norm and (bias is not None):
            raise AttributeError('Batchnorm and bias cannot be combined')
        self.activation = activation
        self.batch_norm = batch_norm
        self.bias = bias
        self.base_name = name

    def init_base_name(self):
        if self.base_name is None:
            self.base_name = self[-1].name

    def add_postfilter_layers(self):
        self.init_base_name()
        if self.bias is not None:
            self.append(Bias(init=self.bias, name=self.base_name + '_bias'))
        if self.batch_norm:
            self.append(BatchNorm(name=self.base_name + '_bnorm'))
        if self.activation is not None:
            self.append(Activation(transform=self.activation,
                                   name=self.base_name + '_' + self.activation.classnm))


class Affine(CompoundLayer):
    """Linear, then optional Bias, BatchNorm and Activation.

    Arguments:
        nout (int): number of outputs.
        init (Initializer): weight initializer.
        bias (Initializer, optional): bias initializer.
        batch_norm (bool): default False.
        activation (Transform, optional)
        name (str, optional)
        parallelism (str): default "Disabled".
    """

    def __init__(self, nout, init, bias=None, batch_norm=False, activation=None, name=None,
                 parallelism="Disabled"):
        super(Affine, self).__init__(bias=bias, batch_norm=batch_norm,
                                     activation=activation, name=name)
        self.append(Linear(nout, init, bsum=batch_norm, name=name, parallelism=parallelism))
        self.add_postfilter_layers()

