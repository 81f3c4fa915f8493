"""Logging: a rotating file in the user's log folder, and stderr when asked.

The log says when the user sat and took breaks: its folder is 0700 and every file of it
(rotated ones included) is created 0600, whatever the umask.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path

import platformdirs

from breakd import APP_NAME
from breakd.files import PRIVATE_FILE, make_private_dir

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.FileHandler):
    """A log file renamed to ``.1`` (``.1`` to ``.2``, ...) before it would pass
    ``max_bytes``, keeping ``backup_count`` old ones; every file is born 0600.

    Not ``logging.handlers.RotatingFileHandler`` (whose files follow the umask anyway):
    that module brings pickle and the socket and queue handlers into the daemon, half a
    megabyte kept all day for these few lines. Rotation runs under the handler's lock.
    """

    def __init__(self, path: Path, *, max_bytes: int, backup_count: int) -> None:
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        super().__init__(path, mode="a", encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.baseFilename, flags, PRIVATE_FILE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._would_pass_limit(record):
                self._rotate()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _would_pass_limit(self, record: logging.LogRecord) -> bool:
        if self.max_bytes <= 0 or not os.path.isfile(self.baseFilename):
            return False  # no limit, or /dev/null and the like: nothing to rotate
        if self.stream is None:
            self.stream = self._open()
        line = f"{self.format(record)}{self.terminator}".encode(self.encoding or "utf-8", "replace")
        return self.stream.seek(0, io.SEEK_END) + len(line) > self.max_bytes

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # FileHandler reopens on None
        base = self.baseFilename
        for number in range(self.backup_count - 1, 0, -1):
            if os.path.exists(f"{base}.{number}"):
                os.replace(f"{base}.{number}", f"{base}.{number + 1}")
        if self.backup_count > 0:
            os.replace(base, f"{base}.1")
        else:
            os.truncate(base, 0)
        self.stream = self._open()


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
        file_handler = PrivateRotatingFileHandler(path, max_bytes=1_000_000, backup_count=3)
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
