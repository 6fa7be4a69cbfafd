"""Models, as neon.models."""
from neon_compat.models.model import Model  # noqa: F401
