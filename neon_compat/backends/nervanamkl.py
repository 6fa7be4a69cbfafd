"""The mkl backend name: neon's MKL backend, here the NumPy backend under that name."""
import logging

from neon_compat.backends.nervanacpu import NervanaCPU

logger = logging.getLogger(__name__)
_told = []


class NervanaMKL(NervanaCPU):
    """`-b mkl`: runs on NumPy (whose BLAS may itself be MKL or OpenBLAS)."""
    backend_name = 'mkl'

    def __init__(self, *args, **kwargs):
        super(NervanaMKL, self).__init__(*args, **kwargs)
        if not _told:
            _told.append(True)
            logger.warning("backend 'mkl' runs on the NumPy cpu backend in neon_compat")
