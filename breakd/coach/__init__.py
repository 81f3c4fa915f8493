"""Guiding a break: the coach window, or notifications, or the log."""
