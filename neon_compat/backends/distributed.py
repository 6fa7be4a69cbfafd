"""Data-parallel training over MPI (an addition: neon's open-source release had none).

A neon script launched on N processes, ``mpiexec -n N python script.py -z B ...`` (or
``srun``), trains as one process would with batch N·B, without a change to its code:

- every process (rank) builds the same model from the same seed (rank 0's weights are
  broadcast when `Model.fit` starts, in case they differ);
- in `Model.fit`, rank r reads rows [i·N·B + r·B, i·N·B + (r+1)·B) of the order one
  process would read with batch N·B (ArrayIterator, HDF5Iterator and their subclasses;
  other iterators give every rank the same minibatches, with a warning);
- the optimizers sum the gradients over the ranks (one Allreduce per bucket of
  parameters, in their dtype, through host memory) and divide by N·B; the cost is
  averaged over the ranks, so progress and callbacks show the global minibatch's;
- `Model.eval` sums the metric over the ranks' parts of the evaluation set;
- only rank 0 prints (the others' standard output is discarded), writes checkpoints,
  model files and the callbacks' `-o` file; ranks > 0 get a private `--save_path`
  folder, so files a script writes next to it do not collide;
- an unhandled error on any rank aborts the whole job (MPI_Abort), and a rank told to
  stop while it waits for the others says so in one line.

Detected from the launcher's environment (Open MPI, MPICH/Hydra, Intel MPI, MVAPICH,
Slurm's srun); NEON_DISTRIBUTED=0 turns it off. Needs mpi4py: pip install
'neon-compat[mpi]'. This module is the one place that talks MPI: gen_backend keeps the
job's DataParallel as `be.data_parallel` (None for one process), and the model, the
optimizers and the callbacks ask it.
"""
import atexit
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from neon_compat import NeonCompatError

logger = logging.getLogger(__name__)

# set in the processes an MPI launcher starts
LAUNCHER_VARIABLES = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'MV2_COMM_WORLD_SIZE')
BUCKET_BYTES = 8 << 20  # gradients reduced together, at most this many bytes per Allreduce


class DistributedError(NeonCompatError):
    """Data-parallel training cannot run as asked (e.g. mpi4py is missing)."""


_WORLD = []  # [] before detection, then [None] (one process) or [DataParallel]


def world():
    """The DataParallel of this job, or None when this process trains alone."""
    if not _WORLD:
        _WORLD.append(_detect())
    return _WORLD[0]


def mpiexec_command():
    """The launcher to start processes with here: mpiexec next to this Python (the mpi
    extra installs Open MPI there) or on PATH, with the flags Open MPI needs to run as
    root and with more processes than cores; None when there is none."""
    mpiexec = shutil.which('mpiexec', path=os.path.dirname(sys.executable)) or \
        shutil.which('mpiexec')
    if mpiexec is None:
        return None
    version = subprocess.run([mpiexec, '--version'], capture_output=True, text=True,
                             timeout=60).stdout
    flags = ['--oversubscribe'] if 'Open MPI' in version else []
    if flags and hasattr(os, 'geteuid') and os.geteuid() == 0:
        flags.append('--allow-run-as-root')
    return [mpiexec] + flags


def _launched_by_mpi():
    if os.environ.get('NEON_DISTRIBUTED', '') == '0':
        return False
    if any(name in os.environ for name in LAUNCHER_VARIABLES):
        return True
    try:
        return int(os.environ.get('SLURM_STEP_NUM_TASKS', '1')) > 1
    except ValueError:
        return False


def _detect():
    if not _launched_by_mpi():
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise DistributedError(
            "this process was started by an MPI launcher, but mpi4py is not installed: pip "
            "install 'neon-compat[mpi]' (or set NEON_DISTRIBUTED=0 to train alone in each "
            "process)") from None
    comm = MPI.COMM_WORLD
    if comm.Get_size() == 1:
        return None
    return DataParallel(MPI, comm)


class DataParallel(object):
    """The processes of one job: reductions of gradients, costs and counts.

    Attributes:
        rank (int), size (int): this process and how many there are.
        allreduce_seconds (float): time spent reducing gradients (for benchmarks).
    """

    def __init__(self, MPI, comm):
        self.MPI, self.comm = MPI, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.allreduce_seconds = 0.0
        self._buckets = {}
        self._private_dir = None
        self._started = False

    @property
    def is_root(self):
        return self.rank == 0

    # --- the process -----------------------------------------------------------------
    def start(self):
        """Once per process (gen_backend calls it): error and signal handling, and rank
        0 alone on the standard output and in the log."""
        if self._started:
            return
        self._started = True
        previous = sys.excepthook

        def abort_the_job(exc_type, exc, tb):
            if issubclass(exc_type, KeyboardInterrupt):  # every rank got the interrupt
                if self.is_root:
                    previous(exc_type, exc, tb)
                return
            sys.stderr.write('rank %d of %d: ' % (self.rank, self.size))
            previous(exc_type, exc, tb)
            sys.stderr.flush()
            self.comm.Abort(1)

        sys.excepthook = abort_the_job
        signal.signal(signal.SIGTERM, self._stopped)
        if not self.is_root:
            sys.stdout = open(os.devnull, 'w')
            for name in ('neon', 'neon_compat'):
                logging.getLogger(name).setLevel(logging.ERROR)

    def _stopped(self, signum, frame):
        """The launcher stops the job (another rank failed, or it was cancelled)."""
        if self.is_root:
            prog = os.path.basename(sys.argv[0] or 'neon')
            sys.stderr.write('%s: error: the job was stopped (signal %d): another of its %d '
                             'processes failed or was killed; checkpoints written before '
                             'remain\n' % (prog, signum, self.size))
            sys.stderr.flush()
        os._exit(128 + signum)

    def private_path(self, path):
        """Where rank > 0 writes a file meant for `path` (a folder of its own, removed
        at exit); rank 0 writes `path` itself."""
        if self.is_root or path is None:
            return path
        if self._private_dir is None:
            self._private_dir = tempfile.mkdtemp(prefix='neon-rank%d-' % self.rank)
            atexit.register(shutil.rmtree, self._private_dir, True)
        return os.path.join(self._private_dir, os.path.basename(path))

    def writes(self, path):
        """Whether this rank writes `path`: rank 0 always, the others in their folder."""
        if self.is_root:
            return True
        folder = self._private_dir
        return folder is not None and os.path.abspath(path).startswith(folder + os.sep)

    def barrier(self):
        self._wait([self.comm.Ibarrier()])

    # --- reductions ------------------------------------------------------------------
    def _wait(self, requests):
        # polled rather than blocked in MPI, so that SIGTERM reaches Python (_stopped)
        while not self.MPI.Request.Testall(requests):
            pass

    def sum_host(self, array):
        """Sum a host NumPy array over the ranks, in place."""
        self._wait([self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM)])
        return array

    def mean(self, value):
        """The mean of a host value (e.g. a minibatch cost) over the ranks."""
        array = np.array(value, dtype=np.float64)
        return (self.sum_host(array) / self.size).astype(np.asarray(value).dtype)

    def reduce_gradients(self, grads):
        """Sum each gradient tensor over the ranks, in place: the tensors are packed into
        buckets of at most BUCKET_BYTES (of one dtype) and each bucket is reduced by one
        Allreduce, started as soon as it is packed. A bucket of one tensor held in host
        memory (the cpu backends) is reduced where it is, without copies."""
        start = time.perf_counter()
        groups = self._bucket_layout(grads)
        pending = []
        for bucket, members in groups:
            if bucket is None:
                bucket = members[0].asnumpyarray()
            else:
                offset = 0
                for tensor in members:
                    n = tensor.size
                    bucket[offset:offset + n] = tensor.asnumpyarray().reshape(-1)
                    offset += n
            pending.append(self.comm.Iallreduce(self.MPI.IN_PLACE, bucket, op=self.MPI.SUM))
        self._wait(pending)
        for bucket, members in groups:
            offset = 0
            for tensor in ([] if bucket is None else members):
                n = tensor.size
                tensor.set(bucket[offset:offset + n].reshape(tensor.shape))
                offset += n
        self.allreduce_seconds += time.perf_counter() - start

    def _bucket_layout(self, grads):
        """[(host buffer, tensors)]: consecutive tensors of one dtype, BUCKET_BYTES at most
        a bucket (a larger tensor has one of its own); the buffers are made once."""
        key = tuple((id(t), t.size, np.dtype(t.dtype).str) for t in grads)
        layout = self._buckets.get(key)
        if layout is None:
            layout, members, nbytes = [], [], 0
            for tensor in grads:
                itemsize = np.dtype(tensor.dtype).itemsize
                if members and (np.dtype(members[0].dtype) != np.dtype(tensor.dtype) or
                                nbytes + tensor.size * itemsize > BUCKET_BYTES):
                    layout.append(members)
                    members, nbytes = [], 0
                members.append(tensor)
                nbytes += tensor.size * itemsize
            if members:
                layout.append(members)
            layout = [(None if self._in_place(group) else
                       np.empty(sum(t.size for t in group), dtype=group[0].dtype), group)
                      for group in layout]
            if len(self._buckets) >= 8:  # (layouts of models no longer trained)
                self._buckets.pop(next(iter(self._buckets)))
            self._buckets[key] = layout
        return layout

    @staticmethod
    def _in_place(group):
        """A lone tensor whose memory is a contiguous host array can be reduced as is."""
        return len(group) == 1 and group[0].backend.host_memory and \
            group[0].asnumpyarray().flags.c_contiguous

    def broadcast(self, tensors):
        """Give every rank rank 0's values of `tensors`."""
        for tensor in tensors:
            host = np.ascontiguousarray(tensor.asnumpyarray())
            self._wait([self.comm.Ibcast(host, root=0)])
            if not self.is_root:
                tensor.set(host)


@contextlib.contextmanager
def parts_of(dist, dataset):
    """Within it, this rank of `dist` (a DataParallel, or None) reads only its part of
    each global minibatch of `dataset`. Yields `dist`, or None when the data are not
    split: one process, or an iterator that cannot split its minibatches."""
    splits = getattr(dataset, 'splits_minibatches', False) and \
        type(dataset).__iter__.__module__.startswith('neon_compat.')  # (not overridden)
    if dist is not None and not splits:
        if dist.is_root and not getattr(dataset, '_warned_not_split', False):
            logger.warning('%s cannot give each of the %d processes its own part of a '
                           'minibatch: every process trains on the same minibatches',
                           type(dataset).__name__, dist.size)
            dataset._warned_not_split = True
        dist = None
    if dist is None:
        yield None
        return
    if dataset.ndata < dist.size * dataset.be.bsz:
        raise DistributedError(
            '%s holds %d examples, fewer than the global minibatch of %d processes x %d: '
            'lower the batch size (-z) or the number of processes' % (
                type(dataset).__name__, dataset.ndata, dist.size, dataset.be.bsz))
    previous = dataset.part
    dataset.part = (dist.rank, dist.size)
    try:
        yield dist
    finally:
        dataset.part = previous


def start():
    """Set up this process if an MPI launcher started it (gen_backend calls it); returns
    the DataParallel, or None."""
    dist = world()
    if dist is not None:
        dist.start()
    return dist
