"""Models, as neon.models (re-exports only)."""
from neon_compat.models.model import Model, GAN
