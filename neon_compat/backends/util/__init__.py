"""Backend helpers, as neon.backends.util (check_gpu)."""
