"""Logging: a rotating file in the user's log folder, and stderr when asked."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import platformdirs

from breakd import APP_NAME

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_file_path() -> Path:
    return platformdirs.user_log_path(APP_NAME) / "breakd.log"


def configure_logging(level: str, *, to_stderr: bool) -> Path | None:
    """Send breakd's log to its file (and stderr); returns the file, or None if unwritable."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level.upper())
    formatter = logging.Formatter(LOG_FORMAT)
    path: Path | None = log_file_path()
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(formatter)
        root.addHandler(file_handler)
    except OSError as error:
        print(f"breakd: cannot write the log file {path} ({error})", file=sys.stderr)
        path = None
        to_stderr = True
    if to_stderr:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        root.addHandler(stream)
    return path
