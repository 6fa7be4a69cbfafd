"""Convert VGG-16 weights in torchvision's layout into a neon Model Zoo style model file.

The course's source model, the Model Zoo's `VGG_D.p`, can no longer be downloaded.
This writes an equivalent neon model file from weights a user can still get:
torchvision's VGG-16 `state_dict` saved as a `.pth` (read with torch, if installed)
or an `.npz` of the same keys (`features.0.weight`, ..., `classifier.6.bias`).

The file uses the Model Zoo's layer names and its pre-2.3 layout: each convolution
is a `Convolution` named conv<block>_<n> followed by a `Bias` conv<block>_<n>_bias and
a ReLU; then fc6, fc7 (with Dropout) and fc8 with Softmax. Practice 3's network
imports the convolutional layers by these names; `Model(path)` rebuilds the whole
network; loading it into a network built with Conv(..., bias=...) fuses each pair.

    python -m neon_compat.util.convert --input vgg16.pth --output VGG_D.p

torchvision's weights expect RGB inputs scaled as (x/255 − mean)/std; by default the
1/(255·std) scaling is folded into conv1_1 so that the model takes mean-subtracted
0–255 pixels, as the Model Zoo model did (--no_fold keeps the weights as they are).
"""
import argparse
import os
import sys

import numpy as np

from neon_compat import __neon_version__, NeonCompatError
from neon_compat.util.persist import save_obj

VGG16_BLOCKS = [64, 128, 256, 512, 512]
TORCHVISION_STD = np.array([0.229, 0.224, 0.225])


class ConversionError(NeonCompatError, ValueError):
    """Weights that are not a VGG-16 state dict in torchvision's layout."""


def read_state_dict(path):
    """{key: ndarray} from a torchvision-layout .pth (needs torch) or .npz file."""
    if not os.path.isfile(path):
        raise ConversionError("weights file '{}' not found".format(path))
    if path.endswith('.npz'):
        with np.load(path, allow_pickle=False) as data:
            return {k: np.asarray(data[k]) for k in data.files}
    try:
        import torch
    except ImportError:
        raise ConversionError("reading '{}' needs torch (pip install torch); or save the "
                              "state dict as .npz: np.savez(path, **{{k: v.numpy() for k, v in "
                              "sd.items()}})".format(path)) from None
    state = torch.load(path, map_location='cpu', weights_only=True)
    if hasattr(state, 'state_dict'):
        state = state.state_dict()
    return {k: v.detach().cpu().numpy() for k, v in state.items()}


def _conv_keys(state):
    """The feature-extractor convolution weight keys, in network order."""
    keys = sorted((k for k in state if k.startswith('features.') and k.endswith('.weight')),
                  key=lambda k: int(k.split('.')[1]))
    if len(keys) != 13:
        raise ConversionError('expected the 13 convolutions of VGG-16 (features.N.weight), '
                              'found {}'.format(len(keys)))
    return keys


def _layer(cls_path, config, params=None):
    desc = {'type': cls_path, 'config': config}
    if params is not None:
        desc['params'] = params
    return desc


def _described(obj):
    return obj.get_description()


def vgg16_description(state, fold_input_scale=True):
    """The neon model dictionary (old, unfused layout) for a VGG-16 state dict."""
    from neon_compat.initializers import Xavier, GlorotUniform, Constant
    from neon_compat.transforms import Rectlin, Softmax
    conv_keys = iter(_conv_keys(state))
    layers = []
    for block, nofm in enumerate(VGG16_BLOCKS, start=1):
        for n in range(1, 4 if nofm > 128 else 3):
            key = next(conv_keys)
            w, b = state[key], state[key[:-len('weight')] + 'bias']
            if w.shape[0] != nofm or w.shape[2:] != (3, 3):
                raise ConversionError('{} has shape {}; VGG-16 needs ({}, C, 3, 3)'.format(
                    key, w.shape, nofm))
            w = w.astype(np.float64)
            if fold_input_scale and block == 1 and n == 1:
                w = w / (255.0 * TORCHVISION_STD.reshape(1, 3, 1, 1))
            K, C = w.shape[:2]
            name = 'conv%d_%d' % (block, n)
            layers.append(_layer('neon.layers.layer.Convolution',
                                 {'fshape': (3, 3, nofm), 'strides': 1, 'padding': 1,
                                  'init': _described(Xavier(local=True)), 'name': name},
                                 {'W': w.transpose(1, 2, 3, 0).reshape(C * 9, K)
                                  .astype(np.float32)}))
            layers.append(_layer('neon.layers.layer.Bias',
                                 {'init': _described(Constant(0)), 'name': name + '_bias'},
                                 {'W': b.reshape(-1, 1).astype(np.float32)}))
            layers.append(_layer('neon.layers.layer.Activation',
                                 {'transform': _described(Rectlin()),
                                  'name': name + '_Rectlin'}))
        layers.append(_layer('neon.layers.layer.Pooling',
                             {'fshape': 2, 'strides': 2, 'name': 'pool%d' % block}))
    for index, name in ((0, 'fc6'), (3, 'fc7'), (6, 'fc8')):
        w = state['classifier.%d.weight' % index]
        b = state['classifier.%d.bias' % index]
        layers.append(_layer('neon.layers.layer.Linear',
                             {'nout': int(w.shape[0]), 'init': _described(GlorotUniform()),
                              'name': name}, {'W': w.astype(np.float32)}))
        layers.append(_layer('neon.layers.layer.Bias',
                             {'init': _described(Constant(0)), 'name': name + '_bias'},
                             {'W': b.reshape(-1, 1).astype(np.float32)}))
        transform = Softmax() if name == 'fc8' else Rectlin()
        layers.append(_layer('neon.layers.layer.Activation',
                             {'transform': _described(transform),
                              'name': name + '_' + type(transform).__name__}))
        if name != 'fc8':
            layers.append(_layer('neon.layers.layer.Dropout',
                                 {'keep': 0.5, 'name': name + '_dropout'}))
    return {'neon_version': __neon_version__, 'epoch_index': 0,
            'model': {'type': 'neon.layers.container.Sequential', 'container': True,
                      'config': {'name': 'VGG_D', 'layers': layers}}}


def convert_vgg16(input_path, output_path, fold_input_scale=True):
    """Read a torchvision VGG-16 state dict and write the neon model file."""
    state = read_state_dict(input_path)
    _conv_keys(state)
    missing = [k for k in ('classifier.0.weight', 'classifier.3.weight', 'classifier.6.weight')
               if k not in state]
    if missing:
        raise ConversionError('{} lacks {}: not a torchvision VGG-16 state dict'.format(
            input_path, missing))
    save_obj(vgg16_description(state, fold_input_scale), output_path)
    return output_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--input', required=True, help='torchvision VGG-16 .pth or .npz')
    parser.add_argument('--output', default='VGG_D.p', help='neon model file to write')
    parser.add_argument('--no_fold', action='store_true',
                        help="keep conv1_1 as is (inputs scaled as torchvision's)")
    args = parser.parse_args(argv)
    try:
        convert_vgg16(args.input, args.output, fold_input_scale=not args.no_fold)
    except NeonCompatError as err:
        sys.exit('convert: error: {}'.format(err))
    print('wrote {}'.format(args.output))


if __name__ == '__main__':
    main()
