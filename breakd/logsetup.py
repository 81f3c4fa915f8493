"""Logging: a rotating file in the user's log folder, and stderr when asked.

The log says when the user sat and took breaks: its folder is 0700 and every file of it
(rotated ones included) is created 0600, whatever the umask.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path

import platformdirs

from breakd import APP_NAME
from breakd.files import PRIVATE_FILE, make_private_dir

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are born 0600 (the stock handler's follow the umask)."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.baseFilename, flags, PRIVATE_FILE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


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
        make_private_dir(path.parent)
        file_handler = PrivateRotatingFileHandler(
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
