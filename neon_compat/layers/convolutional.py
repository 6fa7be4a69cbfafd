"""Convolution, deconvolution and pooling layers.

Data are (C, H, W) images with the batch last; the kernels are the backend's
(`be.fprop_conv`, `be.bprop_conv`, `be.update_conv`, `be.fprop_pool`, ...).
"""
import copy
import logging

import numpy as np

from neon_compat.backends.tensor import Tensor
from neon_compat.layers.base import (Layer, ParameterLayer, describe_params,
                                     load_state_groups)
from neon_compat.layers.compound import CompoundLayer

logger = logging.getLogger(__name__)


def _dims(value, prefix, keys=('h', 'w')):
    """An int applies to height and width; a dict is used as given (neon's rule)."""
    if isinstance(value, int):
        return {prefix + k: value for k in keys}
    return dict(value)


def _conv_params(fshape, channels_key, strides, padding, dilation, **extra):
    """neon's convolution parameter dict: fshape (R, S, <channels_key>) (or with T first),
    strides/padding/dilation as ints (height and width) or dicts."""
    params = {'str_h': 1, 'str_w': 1, 'str_d': 1, 'pad_h': 0, 'pad_w': 0, 'pad_d': 0,
              'dil_h': 1, 'dil_w': 1, 'dil_d': 1, 'T': 1}
    params.update(extra)
    if isinstance(fshape, (tuple, list)):
        keys = ('R', 'S') if len(fshape) == 3 else ('T', 'R', 'S')
        fshape = dict(zip(keys + (channels_key,), fshape))
    for d in (fshape, _dims(strides, 'str_'), _dims(padding, 'pad_'), _dims(dilation, 'dil_')):
        params.update(d)
    return params


def _image_shape(layer, in_shape, volumes=False):
    """(C, H, W) of an image input; with volumes, (C, D, H, W) of an image or volume."""
    sizes = (3, 4) if volumes else (3,)
    if not isinstance(in_shape, tuple) or len(in_shape) not in sizes:
        raise ValueError("{} '{}' needs (C, H, W) inputs{}, got {}: give the data an lshape "
                         "or put a Reshape before it".format(
                             layer.classnm, layer.name,
                             ' (or (C, D, H, W) volumes)' if volumes else '', in_shape))
    if volumes and len(in_shape) == 3:
        return (in_shape[0], 1) + tuple(in_shape[1:])
    return in_shape


class _ConvolutionBase(ParameterLayer):
    """What Convolution and Deconvolution share: their arguments, and a configure that
    builds the backend's layer object (shapes computed once) from the input image.

    Subclasses say which backend layer to build (`_backend_layer`), which of its
    dimensions make the output shape (`_out_dims`), and their printed kind (neon prints
    Convolution_bias as a Convolution).
    """
    _out_dims = ()
    _kind = None

    def __init__(self, fshape, strides, padding, dilation, init, bsum, name, parallelism):
        super(_ConvolutionBase, self).__init__(init, name, parallelism)
        self.nglayer = None
        self.bsum = bsum
        self.fshape = fshape
        self.strides = strides
        self.padding = padding
        self.dilation = dilation

    def __str__(self):
        return "{} Layer '{}': {} inputs, {} outputs".format(
            self._kind, self.name, self.in_shape, self.out_shape)

    def _backend_layer(self, image_shape):
        raise NotImplementedError

    def configure(self, in_obj):
        super(_ConvolutionBase, self).configure(in_obj)
        if self.nglayer is None:
            self.nglayer = self._backend_layer(_image_shape(self, self.in_shape, volumes=True))
            dims = [getattr(self.nglayer, dim) for dim in self._out_dims]
            # (C, H, W) images, or (C, D, H, W) volumes convolved slice by slice
            self.out_shape = tuple(dims if dims[1] > 1 else dims[:1] + dims[2:])
        if self.weight_shape is None:
            self.weight_shape = self.nglayer.dimF2
        if self.bsum:
            self.batch_sum_shape = (self.out_shape[0], 1)
        return self


class Convolution(_ConvolutionBase):
    """2-D convolution (cross-correlation), no bias.

    Arguments:
        fshape (tuple or dict): (R, S, K) filter height, width and output channels.
        strides (int or dict): int for both axes, or {'str_h', 'str_w'}; default 1.
        padding (int or dict): zero padding, int or {'pad_h', 'pad_w'}; default 0.
        dilation (int or dict): int or {'dil_h', 'dil_w'}; default 1.
        init (Initializer): filter initializer; W has shape (C·R·S, K).
        bsum (bool): also compute per-channel output sums.
        name (str, optional)
        parallelism (str): default "Data".

    Shapes: input (C, H, W) -> output (K, P, Q).
    """
    _out_dims = ('K', 'M', 'P', 'Q')
    _kind = 'Convolution'

    def __init__(self, fshape, strides={}, padding={}, dilation={}, init=None, bsum=False,
                 name=None, parallelism="Data"):
        super(Convolution, self).__init__(fshape, strides, padding, dilation, init, bsum, name,
                                          parallelism)
        self.convparams = _conv_params(fshape, 'K', strides, padding, dilation, D=1)

    def _backend_layer(self, image_shape):
        C, D, H, W = image_shape
        return self.be.conv_layer(self.be.default_dtype, **dict(self.convparams, C=C, D=D, H=H,
                                                                W=W, N=self.be.bsz))

    def fprop(self, inputs, inference=False, beta=0.0):
        self.inputs = inputs
        self.be.fprop_conv(self.nglayer, inputs, self.W, self.outputs, beta=beta,
                           bsum=self.batch_sum)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.bprop_conv(self.nglayer, self.W, error, self.deltas, alpha=alpha, beta=beta)
        self.be.update_conv(self.nglayer, self.inputs, error, self.dW)
        return self.deltas


class Convolution_bias(Convolution):
    """Convolution with a fused per-channel bias (what Conv(..., bias=init) builds).

    Arguments: those of Convolution, plus
        bias (Initializer): bias initializer; weight_bias has shape (K, 1).

    Parameters W and weight_bias; get_params() lists both, with states
    [[W states], [bias states]].
    """

    def __init__(self, fshape, strides={}, padding={}, dilation={}, init=None, bsum=False,
                 name=None, bias=None, parallelism="Data"):
        super(Convolution_bias, self).__init__(fshape, strides=strides, padding=padding,
                                               dilation=dilation, init=init, bsum=bsum,
                                               name=name, parallelism=parallelism)
        self.bias = bias
        self.weight_bias = None
        self.grad_bias = None
        self.states = [[] for _ in range(2)]

    def init_params(self, shape):
        super(Convolution_bias, self).init_params(shape)
        self.states = [[] for _ in range(2)]
        self.weight_bias = self.be.zeros((self.out_shape[0], 1))
        self.grad_bias = self.be.empty_like(self.weight_bias)
        if isinstance(self.bias, (Tensor, np.ndarray)):
            self.weight_bias[:] = self.bias
        else:
            self.bias.fill(self.weight_bias)
        if self.accumulate_updates:
            self.acc_grad_bias = self.be.empty_like(self.grad_bias)
            self.acc_params.append((self.acc_grad_bias, self.grad_bias))

    def get_params(self):
        return [((self.W, self.dW), self.states[0]),
                ((self.weight_bias, self.grad_bias), self.states[1])]

    def get_description(self, get_weights=False, keep_states=True, **kwargs):
        serial_dict = Layer.get_description(self)
        if get_weights:
            describe_params(self, serial_dict, ('W', 'weight_bias'), keep_states)
        return serial_dict

    @staticmethod
    def convert_format(pdict):
        """Fuse a legacy [Convolution dict, Bias dict] pair (neon < 2.3 files) into one."""
        if not (isinstance(pdict, list) and len(pdict) == 2):
            raise ValueError('expected a [Convolution, Bias] pair of layer descriptions')
        conv, bias = pdict
        fused = copy.deepcopy(conv)
        fused['config']['bias'] = bias['config'].get('init')
        if 'states' in conv and 'states' in bias:
            fused['states'] = [conv['states'], bias['states']]
        fused.setdefault('params', {})['weight_bias'] = bias['params']['W']
        fused['type'] = 'neon.layers.layer.Convolution_bias'
        return fused

    def set_params(self, pdict):
        if isinstance(pdict, list):
            logger.info("%s: fusing the Convolution and Bias layers of a neon < 2.3 file",
                        self.name)
            pdict = self.convert_format(pdict)
        super(Convolution_bias, self).set_params(pdict)
        if self.weight_bias is not None and self.grad_bias is None:
            self.grad_bias = self.be.empty_like(self.weight_bias)

    def set_states(self, pdict):
        if isinstance(pdict, list):
            pdict = self.convert_format(pdict)
        load_state_groups(self, pdict, 2)

    def fprop(self, inputs, inference=False, beta=0.0):
        self.inputs = inputs
        self.be.fprop_conv(self.nglayer, inputs, self.W, self.outputs, beta=beta,
                           bias=self.weight_bias, bsum=self.batch_sum)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.bprop_conv(self.nglayer, self.W, error, self.deltas, alpha=alpha, beta=beta)
        self.be.update_conv(self.nglayer, self.inputs, error, self.dW, grad_bias=self.grad_bias)
        return self.deltas


class Deconvolution(_ConvolutionBase):
    """Transposed convolution: fprop is a convolution's bprop and vice versa.

    Arguments:
        fshape (tuple or dict): (R, S, C) with C the number of *output* channels.
        strides, padding, dilation (int or dict): as Convolution.
        init (Initializer): W has shape (C·R·S, K), K the input channels.
        bsum (bool): also compute per-channel output sums.
        name (str, optional)

    Shapes: input (K, P, Q) -> output (C, H, W), H = (P − 1)·stride − 2·pad + dil·(R − 1) + 1.
    """
    _out_dims = ('C', 'D', 'H', 'W')
    _kind = 'Deconvolution'

    def __init__(self, fshape, strides={}, padding={}, dilation={}, init=None, bsum=False,
                 name=None):
        super(Deconvolution, self).__init__(fshape, strides, padding, dilation, init, bsum, name,
                                            "Unknown")
        self.deconvparams = _conv_params(fshape, 'C', strides, padding, dilation, M=1)

    def _backend_layer(self, image_shape):
        K, M, P, Q = image_shape
        return self.be.deconv_layer(self.be.default_dtype, **dict(self.deconvparams, K=K, M=M,
                                                                  P=P, Q=Q, N=self.be.bsz))

    def fprop(self, inputs, inference=False):
        self.inputs = inputs
        self.be.bprop_conv(self.nglayer, self.W, inputs, self.outputs, bsum=self.batch_sum)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.fprop_conv(self.nglayer, error, self.W, self.deltas, alpha=alpha, beta=beta)
        self.be.update_conv(self.nglayer, error, self.inputs, self.dW)
        return self.deltas


class Pooling(Layer):
    """Max or average pooling over spatial windows.

    Arguments:
        fshape (int, tuple or 'all'): window R×S (int for square, (R, S) tuple), or
            'all' for one window over the whole image.
        op (str): 'max' (default) or 'avg'.
        strides (int or dict): default the window size.
        padding (int or dict): default 0; padding never enters a window's value.
        name (str, optional)

    Shapes: input (C, H, W) -> output (C, P, Q).
    """

    def __init__(self, fshape, op="max", strides={}, padding={}, name=None):
        super(Pooling, self).__init__(name)
        self.op = op
        self.fshape = fshape
        self.strides = strides
        self.padding = padding
        self.owns_delta = True
        self.nglayer = None
        self.argmax = None
        self.poolparams = {'str_h': None, 'str_w': None, 'str_d': None, 'str_c': None,
                           'pad_h': 0, 'pad_w': 0, 'pad_d': 0, 'pad_c': 0,
                           'J': 1, 'T': 1, 'D': 1, 'op': op}
        if isinstance(fshape, int):
            fshape = {'R': fshape, 'S': fshape}
        elif isinstance(fshape, tuple):
            fshape = dict(zip(('R', 'S') if len(fshape) == 2 else ('T', 'R', 'S'), fshape))
        elif fshape == 'all':
            fshape = {'R': None, 'S': None}
        else:
            raise ValueError("Pooling fshape must be an int, a tuple or 'all', not "
                             "{!r}".format(fshape))
        for d in (fshape, _dims(strides, 'str_'), _dims(padding, 'pad_')):
            self.poolparams.update(d)

    def __str__(self):
        return "Pooling Layer '{}': {} inputs, {} outputs".format(
            self.name, self.in_shape, self.out_shape)

    def configure(self, in_obj):
        super(Pooling, self).configure(in_obj)
        if self.nglayer is None:
            C, H, W = _image_shape(self, self.in_shape)
            params = dict(self.poolparams, C=C, H=H, W=W, N=self.be.bsz)
            if params['R'] is None:
                params['R'], params['S'] = H, W
            self.nglayer = self.be.pool_layer(self.be.default_dtype, **params)
            self.out_shape = (C, self.nglayer.P, self.nglayer.Q)
        return self

    def allocate(self, shared_outputs=None):
        super(Pooling, self).allocate(shared_outputs)
        if self.op == 'max' and (self.argmax is None or  # (again for a new input size)
                                 tuple(self.argmax.shape) != tuple(self.outputs.shape)):
            taps = self.nglayer.R * self.nglayer.S
            self.argmax = self.be.zeros(self.outputs.shape,
                                        dtype=np.uint8 if taps <= 256 else np.int32)

    def fprop(self, inputs, inference=False, beta=0.0):
        self.inputs = inputs
        self.be.fprop_pool(self.nglayer, inputs, self.outputs, self.argmax, beta=beta)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.bprop_pool(self.nglayer, error, self.deltas, self.argmax, alpha, beta)
        return self.deltas


class Conv(CompoundLayer):
    """Convolution (with fused bias if given), then optional BatchNorm and Activation.

    Arguments:
        fshape (tuple): (R, S, K).
        init (Initializer): filter initializer.
        strides, padding, dilation (int or dict): as Convolution.
        bias (Initializer, optional): fused bias (Convolution_bias).
        batch_norm (bool): default False (not with bias).
        activation (Transform, optional)
        name (str, optional): base name; parts are named <base>_bnorm, <base>_<Transform>.
    """

    def __init__(self, fshape, init, strides={}, padding={}, dilation={}, bias=None,
                 batch_norm=False, activation=None, name=None):
        super(Conv, self).__init__(bias=bias, batch_norm=batch_norm, activation=activation,
                                   name=name)
        if bias is not None:
            self.append(Convolution_bias(fshape=fshape, strides=strides, padding=padding,
                                         dilation=dilation, init=init, bsum=batch_norm,
                                         bias=bias, name=name))
        else:
            self.append(Convolution(fshape=fshape, strides=strides, padding=padding,
                                    dilation=dilation, init=init, bsum=batch_norm, name=name))
        self.add_postfilter_layers()

    def add_postfilter_layers(self):
        bias, self.bias = self.bias, None  # the bias is fused into the convolution
        super(Conv, self).add_postfilter_layers()
        self.bias = bias


class Deconv(CompoundLayer):
    """Deconvolution, then optional Bias, BatchNorm and Activation.

    Arguments: as Conv; fshape is (R, S, C) with C output channels. As in neon, the
    name is not passed to the Deconvolution itself.
    """

    def __init__(self, fshape, init, strides={}, padding={}, dilation={}, bias=None,
                 batch_norm=False, activation=None, name=None):
        super(Deconv, self).__init__(bias=bias, batch_norm=batch_norm, activation=activation,
                                     name=name)
        self.append(Deconvolution(fshape=fshape, strides=strides, padding=padding,
                                  dilation=dilation, init=init, bsum=batch_norm))
        self.add_postfilter_layers()




class RoiPooling(Layer):
    """Region-of-interest max pooling (Fast R-CNN): the features inside each ROI are
    max-pooled into HW bins, whatever the ROI's size.

    Arguments:
        HW (tuple): (bins high, bins wide), default (7, 7).
        bprop_enabled (bool): backpropagate into the feature maps, default True.
        spatial_scale (float): feature-map pixels per image pixel, default 1/16.
        name (str, optional)

    configure() takes [feature-map layer (out_shape (C, H, W)), ROI layer (out_shape
    (5, rois_per_img))]; fprop() takes (feature maps, ROIs (5, rois_per_img)), each ROI
    a column (image index in the minibatch, x1, y1, x2, y2) in image coordinates.
    Output (C·H_bins·W_bins, rois_per_img). One image per minibatch (batch size 1), as
    neon's Faster R-CNN ran it.
    """

    def __init__(self, HW=(7, 7), bprop_enabled=True, spatial_scale=0.0625, name=None):
        super(RoiPooling, self).__init__(name)
        self.HW = HW
        self.roi_H, self.roi_W = HW
        self.spatial_scale = spatial_scale
        self.bprop_enabled = bprop_enabled
        self.owns_output = self.owns_delta = True
        self.img = self.rois = None

    def configure(self, in_obj):
        if not (isinstance(in_obj, (list, tuple)) and len(in_obj) == 2):
            raise ValueError("RoiPooling '{}' is configured with [feature-map layer, ROI "
                             "layer]".format(self.name))
        img_fm, rois = in_obj
        self.prev_layer = in_obj
        if rois.out_shape[0] != 5:
            raise ValueError("RoiPooling '{}': ROIs are 5 rows (image, x1, y1, x2, y2), got "
                             "{}".format(self.name, rois.out_shape))
        if self.be.bsz != 1:
            raise ValueError("RoiPooling '{}' pools one image per minibatch: use batch size 1, "
                             "not {}".format(self.name, self.be.bsz))
        self.rois_per_img = rois.out_shape[1]
        self.in_shape = img_fm.out_shape
        self.fm_channel, self.fm_height, self.fm_width = _image_shape(self, self.in_shape)
        self.out_shape = (self.fm_channel * self.roi_H * self.roi_W, self.rois_per_img)
        return self

    def allocate(self, shared_outputs=None):
        self.outputs = self.be.iobuf(self.out_shape, shared=shared_outputs)
        self.error = self.be.iobuf(self.in_shape)
        self.max_idx = self.be.iobuf(self.out_shape, dtype=np.int32)

    def _kernel_args(self):
        return (self.rois_per_img, self.fm_channel, self.fm_height, self.fm_width, self.roi_H,
                self.roi_W, self.spatial_scale)

    def fprop(self, inputs, inference=False):
        self.img, self.rois = inputs[0], inputs[1].T
        self.be.roipooling_fprop(self.img, self.rois, self.outputs, self.max_idx,
                                 *self._kernel_args())
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        self.error[:] = 0
        if self.bprop_enabled:
            self.be.roipooling_bprop(error, self.rois, self.error, self.max_idx,
                                     *self._kernel_args())
        return self.error
