"""Helpers that start the real parts tests need (X server, session bus, daemon)."""
