"""Callbacks, as neon.callbacks."""
