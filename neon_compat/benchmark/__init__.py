"""Timing of models and layers, as neon.benchmark (re-exports only)."""
from neon_compat.benchmark.benchmark import Benchmark
