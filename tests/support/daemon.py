"""Run the real ``breakd`` daemon as a subprocess and wait on what it writes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from breakd.control.client import ControlError, DaemonNotRunning, ping, request

T = TypeVar("T")


def history_path() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "breakd" / "history.sqlite3"


def log_path() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "breakd" / "log" / "breakd.log"


def query(sql: str) -> list[tuple]:
    """Read the daemon's history through a separate connection, as another process would."""
    path = history_path()
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # the schema is not there yet
    finally:
        db.close()


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """Run with ``env`` as the process environment, so paths resolve as the daemon's do."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def wait_for(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


class DaemonProcess:
    """One ``python -m breakd`` process with the test's private XDG folders.

    It starts with ``--no-autostart`` unless ``first_run`` is asked for, so only the tests
    about the first run see its autostart entry and welcome notification.
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        *,
        first_run: bool = False,
        wrapper: Sequence[str] = (),
    ) -> None:
        flags = [] if first_run else ["--no-autostart"]
        # ``wrapper`` runs it through another command, e.g. setpriv as another user.
        self.args = [*wrapper, sys.executable, "-m", "breakd", *flags, *args]
        self.env = {**os.environ, **(env or {})}
        # What an earlier daemon wrote to the shared log is not evidence about this one.
        self._log_start = log_path().stat().st_size if log_path().exists() else 0
        self.process = subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        """What this daemon has written to the log so far (nothing from earlier runs)."""
        if not log_path().exists():
            return ""
        with log_path().open("rb") as file:
            file.seek(self._log_start)
            return file.read().decode(errors="replace")

    def wait_log(self, text: str, timeout: float = 20.0) -> str:
        """Wait until this daemon has logged ``text``; return its log so far."""

        def found() -> str:
            if not self.alive():
                raise AssertionError(f"breakd exited early:\n{self.output()}")
            content = self.log()
            return content if text in content else ""

        return wait_for(found, timeout, f"{text!r} in the log of pid {self.pid}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until this process (not an earlier one) answers ``ping`` and then ``status``.

        The owner thread answers ``status`` only after start-up, so by then the history has
        been recovered and the first sample taken.
        """

        def answers() -> bool:
            if not self.alive():
                raise AssertionError(f"breakd exited early:\n{self.output()}")
            with _environment(self.env):
                if ping(timeout=2.0) != self.pid:
                    return False
                try:
                    request("status", timeout=5.0)
                except (ControlError, DaemonNotRunning):
                    return False  # busy: still starting
                return True

        wait_for(answers, timeout, f"breakd pid {self.pid} to answer ping and status")

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        if self.alive():
            return "(still running)"
        out, err = self.process.communicate(timeout=5)
        return out.decode(errors="replace") + err.decode(errors="replace")


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Daemons a test starts (append them); any still running at the end are killed."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        if daemon.alive():
            daemon.kill()


def breakd(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``breakd`` command (against the test's private folders) and capture it."""
    return subprocess.run(
        [sys.executable, "-m", "breakd", *args], capture_output=True, text=True, timeout=30
    )


def breakd_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``breakd`` with its stdout a pipe whose reader has already gone, as
    ``breakd status | head -1`` leaves it once ``head`` has its line: every write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "breakd", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
    finally:
        os.close(write_end)


def status() -> dict[str, Any]:
    """``breakd status --json`` of the running daemon."""
    result = breakd("status", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def log_count(text: str) -> int:
    """How often ``text`` is in the daemon's log so far."""
    return log_path().read_text().count(text) if log_path().exists() else 0
