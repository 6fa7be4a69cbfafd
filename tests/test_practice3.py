"""Practice 3: the VGG-16 converter, Model Zoo style files, and the transfer script's
three experiments on a small data set."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.util.convert import convert_vgg16, ConversionError, TORCHVISION_STD
from neon_compat.util.persist import load_obj

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
P3 = os.path.join(ROOT, 'examples', 'practice3_transfer')
DATA_TOOLS = os.path.join(ROOT, 'examples', 'data')
sys.path.insert(0, P3)

CONV_IDS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
CONV_OUT = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]


def random_state_dict(seed=0, fc=(16, 16, 10), fc_in=512):
    """torchvision VGG-16 keys and conv shapes (small classifier to keep it light)."""
    rng = np.random.RandomState(seed)
    state, cin = {}, 3
    for idx, k in zip(CONV_IDS, CONV_OUT):
        state['features.%d.weight' % idx] = (rng.normal(size=(k, cin, 3, 3)) *
                                             np.sqrt(2.0 / (9 * cin))).astype(np.float32)
        state['features.%d.bias' % idx] = (rng.normal(size=k) * 0.1).astype(np.float32)
        cin = k
    for idx, nout, nin in zip((0, 3, 6), fc, (fc_in, fc[0], fc[1])):
        state['classifier.%d.weight' % idx] = rng.normal(size=(nout, nin)).astype(np.float32)
        state['classifier.%d.bias' % idx] = rng.normal(size=nout).astype(np.float32)
    return state


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    work = tmp_path_factory.mktemp('vgg')
    state = random_state_dict()
    np.savez(str(work / 'vgg16.npz'), **state)
    path = convert_vgg16(str(work / 'vgg16.npz'), str(work / 'VGG_D.p'))
    return state, path


def ref_conv_relu(x, w, b):
    """relu(conv3x3(x, w) + b), x (C, H, W, N), w torch layout (K, C, 3, 3), padding 1."""
    C, H, W, N = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((w.shape[0], H, W, N))
    for r in range(3):
        for s in range(3):
            out += np.einsum('kc,chwn->khwn', w[:, :, r, s], xp[:, r:r + H, s:s + W])
    return np.maximum(out + b.reshape(-1, 1, 1, 1), 0)


def ref_pool(x):
    C, H, W, N = x.shape
    return x.reshape(C, H // 2, 2, W // 2, 2, N).max(axis=(2, 4))


def test_converted_file_layout(converted):
    state, path = converted
    pdict = load_obj(path)
    layers = pdict['model']['config']['layers']
    names = [l['config']['name'] for l in layers]
    assert names[:4] == ['conv1_1', 'conv1_1_bias', 'conv1_1_Rectlin', 'conv1_2']
    assert layers[0]['type'] == 'neon.layers.layer.Convolution'
    assert layers[1]['type'] == 'neon.layers.layer.Bias'
    assert layers[0]['params']['W'].shape == (27, 64)
    assert 'conv5_3' in names and 'fc6' in names and 'fc8_Softmax' in names
    w = state['features.2.weight']  # conv1_2 is not rescaled
    np.testing.assert_allclose(layers[3]['params']['W'],
                               w.transpose(1, 2, 3, 0).reshape(64 * 9, 64))


def test_practice3_network_reproduces_source_activations(converted):
    import tl_models
    from transfer_utils import import_matching_layers
    state, path = converted
    be = gen_backend('cpu', batch_size=2, rng_seed=0)
    model, _ = tl_models.generate_vgg_16_transfer_model()
    imported = import_matching_layers(load_obj(path), model)
    assert 'conv1_1' in imported and 'conv5_3_bias' in imported
    assert 'fc6_new' not in imported
    model.initialize((3, 32, 32))
    x = np.random.RandomState(1).uniform(-128, 128, size=(3, 32, 32, 2))
    model.fprop(be.array(x.reshape(-1, 2)), inference=True)
    by_name = {l.name: l for l in model.layers.layers}
    # the source network: torchvision's input scaling, then its own weights
    ref = x / (255.0 * TORCHVISION_STD.reshape(3, 1, 1, 1))
    ref = ref_conv_relu(ref, state['features.0.weight'], state['features.0.bias'])
    np.testing.assert_allclose(by_name['conv1_1'].outputs.get(), ref.reshape(-1, 2),
                               rtol=2e-4, atol=2e-4)
    ref = ref_conv_relu(ref, state['features.2.weight'], state['features.2.bias'])
    ref = ref_conv_relu(ref_pool(ref), state['features.5.weight'], state['features.5.bias'])
    got = by_name['conv2_1'].outputs.get()
    np.testing.assert_allclose(got, ref.reshape(-1, 2), rtol=2e-3,
                               atol=2e-3 * np.abs(ref).max())


def test_zoo_layout_rebuilds_and_fuses(converted):
    from neon_compat.models import Model
    from neon_compat.layers import Conv, Pooling, Affine, Dropout
    from neon_compat.initializers import Xavier, Constant, GlorotUniform
    from neon_compat.transforms import Rectlin, Softmax
    _, path = converted
    be = gen_backend('cpu', batch_size=2, rng_seed=0)
    rebuilt = Model(path)  # layers rebuilt from the file: separate Convolution and Bias
    rebuilt.initialize((3, 32, 32))
    layers = []
    for block, nofm in enumerate([64, 128, 256, 512, 512], start=1):
        for n in range(1, 4 if nofm > 128 else 3):
            layers.append(Conv((3, 3, nofm), init=Xavier(), padding=1, bias=Constant(0),
                               activation=Rectlin(), name='conv%d_%d' % (block, n)))
        layers.append(Pooling(2, strides=2))
    for nout, act in ((16, Rectlin()), (16, Rectlin()), (10, Softmax())):
        layers.append(Affine(nout, init=GlorotUniform(), bias=Constant(0), activation=act))
        if nout == 16:
            layers.append(Dropout(keep=0.5))
    fused = Model(layers)  # Convolution_bias layers: the pairs are fused on load
    fused.initialize((3, 32, 32))
    fused.load_params(path)
    x = np.random.RandomState(2).uniform(-50, 50, size=(3 * 32 * 32, 2))
    np.testing.assert_allclose(fused.fprop(be.array(x), inference=True).get(),
                               rebuilt.fprop(be.array(x), inference=True).get(), rtol=1e-5)


def test_converter_refuses_other_weights(tmp_path):
    np.savez(str(tmp_path / 'other.npz'), **{'features.0.weight': np.zeros((4, 3, 3, 3))})
    with pytest.raises(ConversionError, match='13 convolutions'):
        convert_vgg16(str(tmp_path / 'other.npz'), str(tmp_path / 'out.p'))
    with pytest.raises(ConversionError, match='not found'):
        convert_vgg16(str(tmp_path / 'missing.npz'), str(tmp_path / 'out.p'))
    result = subprocess.run([sys.executable, '-m', 'neon_compat.util.convert', '--input',
                             str(tmp_path / 'missing.pth')], capture_output=True, text=True)
    assert result.returncode == 1 and 'not found' in result.stderr


def test_converter_reads_pth_with_torch(tmp_path):
    torch = pytest.importorskip('torch', reason='reading .pth needs torch (optional)')
    state = random_state_dict(seed=3)
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, str(tmp_path / 'v.pth'))
    convert_vgg16(str(tmp_path / 'v.pth'), str(tmp_path / 'v.p'))
    layers = load_obj(str(tmp_path / 'v.p'))['model']['config']['layers']
    np.testing.assert_allclose(layers[1]['params']['W'].ravel(), state['features.0.bias'])


@pytest.fixture(scope='module')
def small_data(tmp_path_factory):
    work = tmp_path_factory.mktemp('p3data')
    def run(args):
        return subprocess.run([sys.executable] + args, cwd=str(work), capture_output=True,
                              text=True)
    assert run([os.path.join(DATA_TOOLS, 'make_synthetic_imdb_wiki.py'), '--out', 'rel',
                '-n', '48']).returncode == 0
    assert run([os.path.join(DATA_TOOLS, 'prepare_imdb_wiki.py'), '--mat', 'rel/wiki.mat',
                '--out', 'data', '--size', '32', '--test_fraction', '0.3']).returncode == 0
    return work / 'data'


def run_transfer(tmp_path, data, *extra):
    args = [sys.executable, os.path.join(P3, 'main_transfer.py'), '-b', 'cpu', '-e', '1',
            '-z', '8', '-r', '0', '--data_root', str(data), '--serialize', '1',
            '--save_path', 'model.prm', '--no_progress_bar'] + list(extra)
    result = subprocess.run(args, cwd=str(tmp_path), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'inference.txt').is_file() and (tmp_path / 'model.prm').is_file()
    assert any(l.startswith('Accuracy = ') for l in result.stdout.splitlines())
    return result


@pytest.mark.parametrize('experiment', ['structure', 'finetune', 'features'])
def test_three_experiments(converted, small_data, tmp_path, experiment):
    _, source = converted
    extra = ['--experiment', experiment]
    if experiment != 'structure':
        extra += ['--source_model', source]
    result = run_transfer(tmp_path, small_data, *extra)
    saved = {l['config']['name']: l for l in
             load_obj(str(tmp_path / 'model.prm'))['model']['config']['layers']}
    src = {l['config']['name']: l for l in load_obj(source)['model']['config']['layers']}
    conv_w, source_w = saved['conv3_1']['params']['W'], src['conv3_1']['params']['W']
    if experiment == 'structure':
        assert 'Experiment: structure, 0 imported layers' in result.stdout
        assert not np.allclose(conv_w, source_w)
    else:
        assert "Successfully copied layer # 0 'conv1_1'" in result.stdout
        assert re.search(r"Unable to copy layer # \d+ 'fc6_new'", result.stdout)
        if experiment == 'features':
            np.testing.assert_array_equal(conv_w, source_w)  # frozen
        else:
            assert np.abs(conv_w - source_w).max() > 0  # fine-tuned, slightly
            np.testing.assert_allclose(conv_w, source_w, atol=1e-2)
