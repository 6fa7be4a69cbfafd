"""Run every benchmark on the cpu backend (and the gpu backend when a device answers)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_conv  # noqa: E402
import bench_practice4  # noqa: E402
import bench_rnn  # noqa: E402

from neon_compat.backends import cuda  # noqa: E402


def main():
    """Every benchmark on cpu and (when a device answers) gpu; or on the backends named
    on the command line (`run_all.py gpu`)."""
    backends = sys.argv[1:] or ['cpu'] + (['gpu'] if cuda.device_available() else [])
    for backend in backends:
        bench_practice4.main(backend)
        bench_conv.main(backend)
        bench_rnn.main(backend)


if __name__ == '__main__':
    main()
