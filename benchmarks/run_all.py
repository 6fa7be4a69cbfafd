"""Run every benchmark on the cpu backend (and the gpu backend when a device answers),
then print one summary table, and the 1- and 2-process rates of data-parallel
training (`make bench`)."""
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_conv  # noqa: E402
import bench_epochs  # noqa: E402
import bench_mpi  # noqa: E402
import bench_practice4  # noqa: E402
import bench_rnn  # noqa: E402
import common  # noqa: E402

from neon_compat.backends import cuda  # noqa: E402


def main():
    """Every benchmark on cpu and (when a device answers) gpu; or on the backends named
    on the command line (`run_all.py gpu`)."""
    backends = sys.argv[1:] or ['cpu'] + (['gpu'] if cuda.device_available() else [])
    torch = common.torch_or_none()
    print('{} CPU threads for both frameworks (torch.set_num_threads, OpenBLAS default); '
          '{}; PyTorch {}'.format(common.thread_count(), platform.processor() or
                                  platform.machine(),
                                  torch.__version__ if torch else 'not installed'))
    print('protocol: {} alternating rounds per case; ratio = median of per-round ratios '
          'ours/PyTorch, IQR beside it; a round more than {}x off its framework\'s median '
          'is an outlier, listed and left out\n'.format(common.MIN_ROUNDS, common.OUTLIER))
    notes = []
    for backend in backends:
        bench_practice4.main(backend)
        notes += bench_conv.main(backend)[1]
        bench_rnn.main(backend)
        bench_epochs.main(backend)
    print('\n' + common.summary_table())
    for line in notes:
        print(line)
    if 'cpu' in backends:  # 1 and 2 processes (mpiexec), no PyTorch column
        print('\nData-parallel training, cpu backend (bench_mpi.py):')
        bench_mpi.main()


if __name__ == '__main__':
    main()
