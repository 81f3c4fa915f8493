"""Starting breakd so that it outlives the terminal: ``breakd start``, the stop signals,
and the real ``scripts/install.sh``.

Terminals are real: a pseudo-terminal whose session leader runs the command, and which
the test then closes, as closing a terminal window does (the kernel sends SIGHUP).
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, log_path, query, status, wait_for

from breakd.cli.start import is_gone
from breakd.control.client import ping

pytestmark = pytest.mark.linux_desktop

REPO = Path(__file__).resolve().parent.parent

#: What a shell in a terminal does: run one command there, then wait for more input.
TERMINAL_SESSION = """
import subprocess, sys
code = subprocess.run([sys.executable, "-m", "breakd", *sys.argv[1:]]).returncode
print(f"command exited {code}", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def detached() -> Iterator[list[int]]:
    """Pids of daemons a test started in the background; any left are killed at the end."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if not is_gone(pid):
            os.kill(pid, signal.SIGKILL)


def log_size() -> int:
    return log_path().stat().st_size if log_path().exists() else 0


def log_since(offset: int) -> str:
    """The log written after ``offset``: only the daemons this test started."""
    if not log_path().exists():
        return ""
    with log_path().open("rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")


def proc_stat(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, tty, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def quit_and_wait(pid: int) -> None:
    assert breakd("quit").returncode == 0
    wait_for(lambda: is_gone(pid), 30, f"breakd pid {pid} to stop")


class Terminal:
    """A pseudo-terminal with a session of its own, running TERMINAL_SESSION."""

    def __init__(self, *args: str) -> None:
        pid, master = pty.fork()
        if pid == 0:  # the child: the terminal's session leader
            try:
                # A terminal starts its shell with default signal handling, whatever the
                # test runner's worker ignores (an ignored SIGHUP would survive exec).
                for number in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
                    signal.signal(number, signal.SIG_DFL)
                os.execv(sys.executable, [sys.executable, "-c", TERMINAL_SESSION, *args])
            finally:
                os._exit(127)
        self.pid, self.master = pid, master
        self.output = ""

    def wait_output(self, text: str, timeout: float = 60.0) -> str:
        def found() -> bool:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                with contextlib.suppress(OSError):
                    self.output += os.read(self.master, 4096).decode(errors="replace")
            return text in self.output

        wait_for(found, timeout, f"{text!r} in the terminal, which shows {self.output!r}")
        return self.output

    def close(self) -> None:
        """Close the terminal, as closing its window does: the kernel hangs up the session."""
        os.close(self.master)
        wait_for(
            lambda: os.waitpid(self.pid, os.WNOHANG)[0] != 0, 60, "the terminal's shell to end"
        )


# --- breakd start -----------------------------------------------------------------------


def test_start_returns_with_breakd_detached_and_says_how_to_reach_it(
    detached: list[int],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "breakd", "--no-autostart", "start"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    pid = ping()
    assert pid is not None
    detached.append(pid)
    assert f"breakd is running in the background (pid {pid})" in result.stdout
    assert "breakd status" in result.stdout and "breakd quit" in result.stdout
    assert str(log_path()) in result.stdout
    # Its own session and process group, no terminal, not our child, output to /dev/null.
    _state, ppid, pgrp, session, tty = proc_stat(pid)[:5]
    assert int(session) == pid == int(pgrp)
    assert int(session) != os.getsid(0)
    assert int(ppid) != os.getpid()
    assert tty == "0"
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{pid}/fd/{fd}") == os.devnull
    assert status()["state"] == "counting"
    quit_and_wait(pid)


def test_start_again_finds_the_running_one_and_restart_replaces_it(
    detached: list[int],
) -> None:
    offset = log_size()
    assert breakd("--no-autostart", "start").returncode == 0
    first = ping()
    assert first is not None
    detached.append(first)

    again = breakd("--no-autostart", "start")
    assert again.returncode == 0
    assert f"breakd is already running (pid {first})" in again.stdout
    assert ping() == first

    restarted = breakd("--no-autostart", "start", "--restart")
    assert restarted.returncode == 0, restarted.stderr
    second = ping()
    assert second is not None and second != first
    detached.append(second)
    assert f"stopped the running breakd (pid {first})" in restarted.stdout
    assert f"breakd is running in the background (pid {second})" in restarted.stdout
    assert is_gone(first)
    # The first one stopped cleanly: its stretch closed as a shutdown, then a new one.
    log = log_since(offset)
    assert log.count("breakd started") == 2 and log.count("breakd stopped") == 1
    assert query("SELECT end_reason FROM stretches ORDER BY id") == [("shutdown",), (None,)]
    quit_and_wait(second)


def test_start_passes_the_settings_on(detached: list[int]) -> None:
    result = breakd("--set", "interval=45m", "--no-autostart", "start")
    assert result.returncode == 0, result.stderr
    pid = ping()
    assert pid is not None
    detached.append(pid)
    assert status()["interval_seconds"] == 45 * 60
    autostart = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "breakd.desktop"
    assert not autostart.exists()  # --no-autostart reached the daemon too
    quit_and_wait(pid)


def test_closing_the_terminal_leaves_a_started_breakd_running(detached: list[int]) -> None:
    offset = log_size()
    terminal = Terminal("--no-autostart", "start")
    output = terminal.wait_output("command exited 0")
    pid = ping()
    assert pid is not None
    detached.append(pid)
    assert f"pid {pid}" in output
    terminal.close()
    # The hang-up has been delivered to the whole session by now; a round trip through
    # the daemon's own loop shows it is still the same daemon, not stopping.
    assert status()["state"] == "counting"
    assert ping() == pid
    assert "stopping" not in log_since(offset)
    quit_and_wait(pid)


# --- the stop signals -----------------------------------------------------------------


def test_closing_the_terminal_of_a_foreground_breakd_stops_it_cleanly(
    detached: list[int],
) -> None:
    """``breakd`` typed in a terminal: the hang-up is a clean stop with its log lines."""
    offset = log_size()
    terminal = Terminal("--no-autostart")
    pid = wait_for(ping, 60, "breakd in the terminal to answer")
    detached.append(pid)
    wait_for(lambda: breakd("status").returncode == 0, 60, "breakd to finish starting")
    terminal.close()
    wait_for(lambda: is_gone(pid), 30, f"breakd pid {pid} to stop")
    log = log_since(offset)
    assert "stopping: SIGHUP received" in log
    assert log.index("stopping: SIGHUP received") < log.index("breakd stopped")
    assert query("SELECT end_reason FROM stretches") == [("shutdown",)]


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_breakd_cleanly(daemons: list[DaemonProcess], number: int) -> None:
    daemon = DaemonProcess()
    daemons.append(daemon)
    daemon.wait_ready()
    daemon.process.send_signal(number)
    assert daemon.process.wait(30) == 0
    log = daemon.log()
    reason = f"stopping: {signal.Signals(number).name} received"
    assert reason in log
    assert log.index(reason) < log.index("breakd stopped")
    assert query("SELECT end_reason FROM stretches") == [("shutdown",)]


# --- scripts/install.sh -----------------------------------------------------------------


def test_the_install_script_returns_with_breakd_running_and_restarts_it_on_a_second_run(
    tmp_path: Path, detached: list[int]
) -> None:
    home = Path(os.environ["XDG_DATA_HOME"]).parent / "user-home"
    home.mkdir()
    venv = tmp_path / "breakd venv"
    env = {**os.environ, "HOME": str(home), "BREAKD_HOME": str(venv)}

    def install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(REPO / "scripts" / "install.sh"), "--no-autostart"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )

    first = install()
    assert first.returncode == 0, first.stdout + first.stderr
    pid = ping()
    assert pid is not None
    detached.append(pid)
    launcher = home / ".local" / "bin" / "breakd"
    assert launcher.resolve() == (venv / "bin" / "breakd").resolve()
    assert f"breakd installed as {launcher}" in first.stdout
    assert f"breakd is running in the background (pid {pid})" in first.stdout
    assert "breakd status" in first.stdout and str(log_path()) in first.stdout
    # It runs the installed copy, detached from the script's session.
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert Path(command[0].decode()).parent == venv / "bin"
    assert os.getsid(pid) == pid != os.getsid(0)

    second = install()
    assert second.returncode == 0, second.stdout + second.stderr
    new = ping()
    assert new is not None and new != pid
    detached.append(new)
    assert f"stopped the running breakd (pid {pid})" in second.stdout
    assert is_gone(pid)
    quit_and_wait(new)
