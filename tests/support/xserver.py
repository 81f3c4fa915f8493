"""A real, private X server (Xvfb) for tests that need a display.

``start_xvfb`` picks a free display number itself (``-displayfd``), so parallel test
runs never collide; ``running_xvfb`` is the same as a context manager, and ``xserver`` a
pytest fixture that also points ``DISPLAY`` at it. A missing Xvfb fails the test with the
Debian package to install: a test that needs a real part should never pass by skipping.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pytest

START_TIMEOUT = 10.0


class XServer:
    """One running Xvfb; ``display`` is the value for ``$DISPLAY`` (":7")."""

    def __init__(self, process: subprocess.Popen[bytes], display: str, log: IO[bytes]) -> None:
        self.process = process
        self.display = display
        self._log = log

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the server and reap it (safe to call twice)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()

    def output(self) -> str:
        """What the server wrote to stderr so far (for failure messages)."""
        return _read_log(self._log)


def require_tool(tool: str, package: str) -> str:
    """The path of ``tool``, or a test failure naming the Debian package that has it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install the Debian package {package}", pytrace=False)
    return path


def start_xvfb(width: int = 1280, height: int = 800, depth: int = 24) -> XServer:
    """Start Xvfb on a free display and wait until it accepts clients."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb not found: install the Debian package xvfb", pytrace=False)
    # stderr goes to a file, not a pipe: nobody reads it while the server runs, and a
    # full pipe would stall the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open while the server runs; stop() closes it
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [
                xvfb,
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                f"{width}x{height}x{depth}",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        os.close(write_end)
        write_end = -1
        number = _read_display_number(read_end, process, log)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    return XServer(process, f":{number}", log)


def _read_display_number(fd: int, process: subprocess.Popen[bytes], log: IO[bytes]) -> int:
    """Xvfb writes its display number and a newline to the fd once it is ready."""
    deadline = time.monotonic() + START_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
        chunk = os.read(fd, 64) if ready else b""
        if not chunk:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)
            err = _read_log(log)
            log.close()
            raise RuntimeError(f"Xvfb did not start within {START_TIMEOUT:.0f}s: {err}")
        data += chunk
    return int(data.strip())


def _read_log(log: IO[bytes]) -> str:
    if log.closed:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace").strip()[-2000:]


@contextmanager
def running_xvfb(width: int = 1280, height: int = 800) -> Iterator[XServer]:
    """Xvfb for the duration of a ``with`` block (``DISPLAY`` is left alone)."""
    server = start_xvfb(width, height)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def xserver(monkeypatch: pytest.MonkeyPatch) -> Iterator[XServer]:
    """A fresh Xvfb for one test, with ``DISPLAY`` pointing at it."""
    with running_xvfb() as server:
        monkeypatch.setenv("DISPLAY", server.display)
        yield server
