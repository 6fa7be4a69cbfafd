"""Practice 5: the printed custom layers and SpatialRNN block on our layers, and the
script end to end."""
import os
import subprocess
import sys

import numpy as np
import pytest

from neon_compat.initializers import Gaussian
from neon_compat.layers import BiRNN, Conv
from neon_compat.models import Model
from neon_compat.transforms import Tanh
from neon_compat.util.gradcheck import gradcheck

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
P5 = os.path.join(ROOT, 'examples', 'practice5_rnn')
DATA_TOOLS = os.path.join(ROOT, 'examples', 'data')
sys.path.insert(0, P5)


def spatial_block(C, H, W, size=3):
    import rnn_models
    return rnn_models.SpatialRNN(input_shape=(C, H, W), block_shape=(C, 2, 2), RNN=BiRNN,
                                 RNN_params={'output_size': size, 'init': Gaussian(scale=0.4),
                                             'activation': Tanh(), 'reset_cells': True})


def test_split_and_dimshuffle_match_numpy(backend64):
    from layers import Split, DimShuffle
    be = backend64
    C, H, W = 2, 4, 6
    x = np.random.RandomState(0).normal(size=(C, H, W, be.bsz))
    split = Split(block_shape=(2, 2, 3), shuffle_dim=(4, 0, 1, 3, 5, 2, 6))
    model = Model([Conv((1, 1, C), init=Gaussian()), split])
    model.initialize((C, H, W))
    conv = model.layers.layers[0]
    conv.W.set(np.eye(C))
    out = model.fprop(be.array(x.reshape(-1, be.bsz))).get()
    expect = x.reshape(1, 2, 2, 2, 2, 3, be.bsz).transpose(4, 0, 1, 3, 5, 2, 6)
    np.testing.assert_allclose(out.reshape(-1), expect.reshape(-1))
    shuffle = DimShuffle((2, 1, 0, 3))
    m2 = Model([Conv((1, 1, C), init=Gaussian()), shuffle])
    m2.initialize((C, H, W))
    m2.layers.layers[0].W.set(np.eye(C))
    out = m2.fprop(be.array(x.reshape(-1, be.bsz))).get()
    np.testing.assert_allclose(out.reshape(-1), x.transpose(2, 1, 0, 3).reshape(-1))
    assert shuffle.out_shape == (W, H, C)


def test_spatial_rnn_block_shapes(backend64):
    model = Model([Conv((1, 1, 2), init=Gaussian())] + spatial_block(2, 4, 6))
    model.initialize((2, 4, 6))
    assert model.layers.layers[-1].out_shape == (6, 2, 3)


def test_spatial_rnn_block_gradients(backend64):
    gradcheck(spatial_block(2, 4, 4), (2, 4, 4), max_checks=60)


def test_spatial_rnn_after_conv_gradients(backend64):
    gradcheck([Conv((3, 3, 2), init=Gaussian(scale=0.5), padding=1)] + spatial_block(2, 4, 4, 2),
              (1, 4, 4), max_checks=40)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    work = tmp_path_factory.mktemp('p5data')
    def run(args):
        return subprocess.run([sys.executable] + args, cwd=str(work), capture_output=True,
                              text=True)
    assert run([os.path.join(DATA_TOOLS, 'make_synthetic_imdb_wiki.py'), '--out', 'rel',
                '-n', '36']).returncode == 0
    assert run([os.path.join(DATA_TOOLS, 'prepare_imdb_wiki.py'), '--mat', 'rel/wiki.mat',
                '--out', 'data', '--size', '128', '--test_fraction', '0.3']).returncode == 0
    return work / 'data'


def test_main_classify_end_to_end_at_the_printed_size(data_root, tmp_path):
    # 3x128x128 inputs, as printed; a few images keep it short on a CPU
    result = subprocess.run(
        [sys.executable, os.path.join(P5, 'main_classify.py'), '-b', 'cpu', '-e', '2', '-z',
         '8', '-r', '0', '--data_root', str(data_root), '--serialize', '1', '--save_path',
         'model.prm'],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert 'Epoch 1   [Train |' in result.stdout
    assert any(l.startswith('Accuracy = ') for l in result.stdout.splitlines())
    lines = (tmp_path / 'inference.txt').read_text().splitlines()
    assert lines[0] == 'inference, target' and len(lines) > 5
    from neon_compat.util.persist import load_obj
    types = [l['type'] for l in load_obj(str(tmp_path / 'model.prm'))['model']['config']['layers']]
    assert 'layers.Split' in types and 'neon.layers.container.MergeBroadcast' in types


def test_images_of_another_size_are_named_on_one_line(data_root, tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(P5, 'main_classify.py'), '-b', 'cpu', '-z', '8',
         '--data_root', str(data_root), '--image_size', '64'],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().endswith(
        'are 128x128, but --image_size is 64: pass --image_size 128 (see --help)')
    assert len(result.stderr.strip().splitlines()) == 1
