"""The Practice 4 pipeline end to end on a small synthetic release, and its error exits."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from helpers import make_p4_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_TOOLS = os.path.join(ROOT, 'examples', 'data')
P4 = os.path.join(ROOT, 'examples', 'practice4_autoencoders')
SIZE = 16


def run(args, cwd):
    return subprocess.run([sys.executable] + args, cwd=str(cwd), capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_p4_data(tmp_path_factory.mktemp('p4data'), photos=160, size=SIZE)


def test_prepared_files_follow_neon_layout(data_root):
    with h5py.File(str(data_root / 'train.h5'), 'r') as f:
        assert f['input'].dtype == np.uint8 and f['input'].shape[1] == 3 * SIZE * SIZE
        assert list(f['input'].attrs['lshape']) == [3, SIZE, SIZE]
        assert f['output'].attrs['nclass'] == 2
        assert set(np.unique(f['output'][:])) == {0, 1}
        assert f['mean'].shape == (3,)
        n_train = f['input'].shape[0]
    with h5py.File(str(data_root / 'test.h5'), 'r') as f:
        n_test = f['input'].shape[0]
    # 160 photos, ~12% invalid on purpose, 20% test
    assert 120 <= n_train + n_test < 160 and n_test == pytest.approx(0.2 * (n_train + n_test),
                                                                      abs=1)


def test_stack_then_transfer_prints_accuracy(data_root, tmp_path):
    stack = run([os.path.join(P4, 'main_train_stack.py'), '-b', 'cpu', '-e', '2', '-z', '16',
                 '--data_root', str(data_root), '--serialize', '5', '--save_path', 'model.prm',
                 '--image_size', str(SIZE), '--stack_file', 'stack.prm', '-r', '0'], tmp_path)
    assert stack.returncode == 0, stack.stderr
    assert 'Epoch 1   [Train |' in stack.stdout
    assert (tmp_path / 'stack.prm').is_file() and (tmp_path / 'model.step_0.prm').is_file()
    assert "Successfully copied layer # 1 'fc_1'" in stack.stdout
    transfer = run([os.path.join(P4, 'main_transfer.py'), '-b', 'cpu', '-e', '4', '-z', '16',
                    '--data_root', str(data_root), '--save_path', 'model.prm',
                    '--source_model', 'stack.prm', '-r', '0', '-o', 'transfer_curves.h5'],
                   tmp_path)
    assert transfer.returncode == 0, transfer.stderr
    assert "Successfully copied layer # 4 'fc_2'" in transfer.stdout
    assert "Unable to copy layer # 7 'cls'" in transfer.stdout
    accuracy = [l for l in transfer.stdout.splitlines() if l.startswith('Accuracy = ')]
    assert len(accuracy) == 1 and accuracy[0].endswith('%')
    lines = (tmp_path / 'inference.txt').read_text().splitlines()
    assert lines[0] == 'inference, target' and len(lines) > 10
    assert lines[1].startswith('[') and lines[1].rsplit(', ', 1)[1] in ('0', '1')
    # one row per test example, in order, with its label; their accuracy is the printed one
    with h5py.File(str(data_root / 'test.h5'), 'r') as f:
        labels = f['output'][:].ravel()
    rows = [line.rsplit(', ', 1) for line in lines[1:]]
    assert [int(target) for _, target in rows] == labels.tolist()
    predicted = [int(np.argmax(np.array(out.strip('[]').split(), dtype=float)))
                 for out, _ in rows]
    printed = float(accuracy[0][len('Accuracy = '):-1])
    assert 100 * np.mean(np.array(predicted) == labels) == pytest.approx(printed, abs=0.051)
    assert (tmp_path / 'model.prm').is_file()
    # the demo's README.txt states the same accuracy, on the test set, and names each file
    shutil.copytree(str(data_root), str(tmp_path / 'data_wiki'))
    readme = run([os.path.join(DATA_TOOLS, 'write_demo_readme.py'), '.'], tmp_path)
    assert readme.returncode == 0, readme.stderr
    text = (tmp_path / 'README.txt').read_text()
    assert 'Result: %.1f%% accuracy on the test set (%d of %d test faces) after 4 epochs' % (
        printed, sum(np.array(predicted) == labels), len(labels)) in text
    assert '%d test faces), cpu backend' % len(labels) in text
    for name in ('model.prm', 'inference.txt', 'transfer_curves.h5', 'data_wiki/'):
        assert '\n  ' + name + ' ' in text
    assert 'images are %dx%d' % (SIZE, SIZE) in text


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'error:' in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def transfer(data_root, cwd, *extra):
    return run([os.path.join(P4, 'main_transfer.py'), '-b', 'cpu', '-e', '1', '-z', '16',
                '--data_root', str(data_root)] + list(extra), cwd)


def test_data_dir_without_train_h5(tmp_path):
    assert_one_line_error(transfer(tmp_path, tmp_path), 'train.h5', 'not found')


def test_corrupt_hdf5(tmp_path):
    (tmp_path / 'train.h5').write_bytes(b'\x89HDF\r\n' + b'garbage' * 100)
    assert_one_line_error(transfer(tmp_path, tmp_path), 'not a readable HDF5 file')


def test_wrong_lshape_for_the_model(data_root, tmp_path):
    result = run([os.path.join(P4, 'main_train_stack.py'), '-b', 'cpu', '-e', '1', '-z', '16',
                  '--data_root', str(data_root), '--image_size', '32'], tmp_path)
    # found before the network is built (it used to fail in the cost: "SumSquared ...
    # same shape"), naming both sizes
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'are 16x16, but --image_size is 32' in lines[0]


def _save_other_network(path, nout, prefix='fc'):
    code = ('import sys; sys.path.insert(0, %r)\n'
            'from neon.backends import gen_backend\n'
            'gen_backend("cpu", batch_size=16)\n'
            'from neon.models import Model\n'
            'from neon.layers import Affine\n'
            'from neon.initializers import Xavier, Constant\n'
            'from neon.transforms import Tanh\n'
            'm = Model([Affine(nout=%d, init=Xavier(), bias=Constant(0), activation=Tanh(), '
            'name="%s_1")])\n'
            'm.initialize((3, %d, %d))\n'
            'm.save_params(%r)\n' % (P4, nout, prefix, SIZE, SIZE, str(path)))
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_prm_from_a_different_network(data_root, tmp_path):
    _save_other_network(tmp_path / 'other.prm', nout=32)
    result = transfer(data_root, tmp_path, '--source_model', 'other.prm')
    # the mismatch is found while copying, before the layer is reported as copied
    assert_one_line_error(result, "'fc_1'", 'shape (32, 768)', 'needs (128, 768)')
    assert "copied layer # 1 'fc_1'" not in result.stdout
    result = transfer(data_root, tmp_path, '--model_file', 'other.prm')
    assert_one_line_error(result, 'different network')


def test_missing_source_model(data_root, tmp_path):
    assert_one_line_error(transfer(data_root, tmp_path, '--source_model', 'nope.prm'),
                          'does not exist')


def test_gpu_backend_without_gpu(data_root, tmp_path):
    from neon_compat.backends import cuda
    if cuda.device_available():
        pytest.skip('a CUDA device is present')
    result = run([os.path.join(P4, 'main_transfer.py'), '-b', 'gpu', '--data_root',
                  str(data_root)], tmp_path)
    assert_one_line_error(result, "backend 'gpu' is not available", '-b cpu')


def test_prepare_reports_a_missing_mat_file(tmp_path):
    result = run([os.path.join(DATA_TOOLS, 'prepare_imdb_wiki.py'), '--mat', 'nope.mat'],
                 tmp_path)
    assert result.returncode == 1 and 'nope.mat' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize('flag,value', [('-e', '0'), ('--serialize', '-3'), ('-z', '0')])
def test_bad_numbers_on_the_command_line_are_one_line(data_root, tmp_path, flag, value):
    result = run([os.path.join(P4, 'main_transfer.py'), '-b', 'cpu', '--data_root',
                  str(data_root), flag, value], tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('main_transfer.py: error: argument ' + flag)
    assert 'must be at least' in lines[0] and not list(tmp_path.iterdir())


def test_a_source_model_with_no_matching_layer_is_reported(data_root, tmp_path):
    _save_other_network(tmp_path / 'other.prm', nout=32, prefix='other')
    result = transfer(data_root, tmp_path, '--source_model', 'other.prm')
    assert result.returncode == 0, result.stderr
    warnings = [l for l in result.stdout.splitlines() if l.startswith('WARNING: ')]
    assert len(warnings) == 1 and 'nothing was imported' in warnings[0]
    assert 'DataTransform' not in result.stdout  # layers without weights are not listed


@pytest.mark.parametrize('script', ['main_train_stack.py', 'main_transfer.py'])
def test_images_of_another_size_are_named_on_one_line(data_root, tmp_path, script):
    result = run([os.path.join(P4, script), '-b', 'cpu', '-z', '16', '--data_root',
                  str(data_root), '--image_size', '64'], tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        'are {0}x{0}, but --image_size is 64: pass --image_size {0} (see --help)'.format(SIZE))
