"""Utilities: persistence, gradient checking, argument parsing (neon.util)."""
