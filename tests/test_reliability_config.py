"""Hostile settings files: each gets one clear sentence and the defaults, never a traceback.

Every case runs the real ``breakd config check`` and ``breakd config show``; the worst
ones (nesting that used to blow the parser's stack, a file of many megabytes) also start
the real daemon, which must come up on the defaults, say so in its log and answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, status, wait_for

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.app import ContentPlanner
from breakd.clock import FakeClock
from breakd.commands import CommandHandler
from breakd.config import MAX_CONFIG_BYTES, load_config, user_config_file, write_user_setting
from breakd.daemon import Daemon, NotRun, SettingsFileChanged
from breakd.notify.log_only import LogOnlyNotifier

NO_DESKTOP = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}
DEFAULT_INTERVAL = 30 * 60


def nested_arrays(depth: int) -> bytes:
    return b'[reminders]\ninterval = "45m"\nx = ' + b"[" * depth + b"]" * depth + b"\n"


def nested_tables(depth: int) -> bytes:
    return b'[reminders]\ninterval = "45m"\nx = ' + b"{a=" * depth + b"1" + b"}" * depth + b"\n"


def oversized(size: int) -> bytes:
    """A file of ``size`` bytes that would be valid TOML, so only its size is wrong."""
    head = b'[reminders]\ninterval = "45m"\n'
    line = b"# " + b"x" * 77 + b"\n"
    return head + line * ((size - len(head)) // len(line) + 1)


def make_loop(path: Path) -> None:
    other = path.with_name("other.toml")
    other.symlink_to(path.name)
    path.symlink_to(other.name)


@dataclass(frozen=True)
class Case:
    """A user's file (bytes, or a function that makes the path something odd)."""

    content: bytes | Callable[[Path], None]
    says: tuple[str, ...]  # all of these are in what `config check` prints
    line: int | None = None  # the line the problem names
    unreadable: bool = False  # read without the power to bypass file permissions


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_unreadable(path: Path) -> None:
    path.write_bytes(b'[reminders]\ninterval = "45m"\n')
    path.chmod(0)


CASES = {
    "500 nested arrays": Case(nested_arrays(500), ("nested more than 32 levels",), line=3),
    "400 nested inline tables": Case(nested_tables(400), ("nested more than 32 levels",), line=3),
    "a key 20000 tables deep": Case(
        b"[reminders]\ninterval." + b".".join([b"a"] * 20000) + b" = 1\n",
        ("nested more than 32 levels",),
        line=2,
    ),
    "a number with 400 digits": Case(
        b"[reminders]\ninterval = " + b"9" * 400 + b"\n",
        ("reminders.interval: got a number (", "from 1s to 24h"),
        line=2,
    ),
    "a number with 5000 digits": Case(
        b'[reminders]\ninterval = "45m"\nsnooze = ' + b"7" * 5000 + b"\n",
        ("has a number too long to read",),
        line=3,
    ),
    "a 20 MB file": Case(oversized(20_000_000), ("19.1 MiB", "larger than the 1 MiB")),
    "a file just over 1 MiB": Case(
        oversized(MAX_CONFIG_BYTES + 1), ("1 MiB, larger than the 1 MiB", "did not read it")
    ),
    "a value of 900 kB": Case(
        b'[reminders]\ninterval = "' + b"5" * 900_000 + b'"\n',
        ("reminders.interval:", '"5555', '…" is too long to be a duration'),
        line=2,
    ),
    "a folder": Case(lambda path: path.mkdir(), ("is a folder, not a file",)),
    "a loop of symbolic links": Case(make_loop, ("is a loop of symbolic links",)),
    "a link to nothing": Case(
        lambda path: path.symlink_to("gone.toml"), ("is a symbolic link to gone.toml",)
    ),
    "a named pipe": Case(make_fifo, ("is not a regular file",)),
    "mode 000": Case(make_unreadable, ("cannot be read: permission denied",), unreadable=True),
    "invalid UTF-8": Case(
        b'[reminders]\n# caf\xc3\xa9 \xff\ninterval = "45m"\n',
        ("line 2, column 8: is not UTF-8 text (byte 0xff)",),
        line=2,
    ),
}


def run_breakd(*args: str, unreadable: bool = False) -> subprocess.CompletedProcess[str]:
    """``breakd ARGS``; with ``unreadable``, without root's power to read any file."""
    command = [sys.executable, "-m", "breakd", *args]
    if unreadable and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to read as root without bypassing modes"
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--bounding-set={drop}", "--inh-caps=-all", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def shown_settings(*, unreadable: bool = False) -> dict[str, dict[str, object]]:
    result = run_breakd("config", "show", "--json", unreadable=unreadable)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_gets_one_clear_problem_and_the_defaults(name: str) -> None:
    case = CASES[name]
    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        case.content(path)
    checked = run_breakd("config", "check", unreadable=case.unreadable)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 1, output
    assert "Traceback" not in output
    [problem, summary] = checked.stderr.splitlines()
    assert problem.startswith(f"breakd: {path}")
    if case.line is not None:
        assert problem.startswith(f"breakd: {path}, line {case.line}"), problem
    for words in case.says:
        assert words in problem, problem
    assert len(problem) < 400, "the message quotes too much of the file"
    assert summary == "breakd: 1 problem(s); those settings fall back to the layer below"

    shown = shown_settings(unreadable=case.unreadable)
    assert shown["reminders.interval"] == {"value": "30m", "from": "default"}
    assert all(entry["from"] == "default" for entry in shown.values())


def test_a_byte_order_mark_is_accepted_and_kept_when_breakd_edits_the_file() -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes('\ufeff# mine\n[reminders]\ninterval = "45m"  # long\n'.encode())
    checked = breakd("config", "check")
    assert (checked.returncode, checked.stdout.strip()) == (0, f"config OK ({path})")
    assert shown_settings()["reminders.interval"] == {"value": "45m", "from": "user"}

    write_user_setting("snooze", "15m")
    assert path.read_bytes() == (
        '\ufeff# mine\n[reminders]\ninterval = "45m"  # long\nsnooze = "15m"\n'.encode()
    )
    assert breakd("config", "check").returncode == 0


def test_start_after_end_names_both_values_and_the_line() -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[working_hours]\nenabled = true\nstart = "18:00"\nend = "09:00"\n')
    checked = breakd("config", "check")
    assert checked.returncode == 1
    [problem, _] = checked.stderr.splitlines()
    assert problem == (
        f"breakd: {path}, line 3: working_hours.start and working_hours.end: working hours"
        " must start before they end, on the same day (start 18:00, end 09:00); these values"
        " are ignored"
    )
    shown = shown_settings()
    assert shown["working_hours.start"] == {"value": "09:00", "from": "default"}
    assert shown["working_hours.end"] == {"value": "18:00", "from": "default"}
    assert shown["working_hours.enabled"] == {"value": True, "from": "user"}


def test_a_word_outside_the_choices_names_the_choices() -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[breaks]\nexercises = "sitting"\n')
    [problem, _] = breakd("config", "check").stderr.splitlines()
    assert problem == (
        f'breakd: {path}, line 2: breaks.exercises: "sitting" is not one of the choices'
        ' (did you mean "standing"?); allowed: one of "alternate", "seated", "standing"'
    )
    assert "got a string" not in problem


def test_check_lists_only_files_that_exist_and_says_when_defaults_alone_apply() -> None:
    site = Path(os.environ["XDG_CONFIG_DIRS"]) / "breakd" / "config.toml"
    checked = breakd("config", "check")
    assert checked.returncode == 0
    assert checked.stdout.strip() == (
        "config OK: no settings file, so the defaults are in force (`breakd config show`"
        f" lists them; your own file would be {user_config_file()})"
    )
    site.parent.mkdir(parents=True)
    site.write_text('[reminders]\nsnooze = "15m"\n')
    assert breakd("config", "check").stdout.strip() == f"config OK ({site})"


# --- the real daemon ----------------------------------------------------------------


def start_on(content: bytes, daemons: list[DaemonProcess]) -> tuple[DaemonProcess, str]:
    """Start the daemon with ``content`` as the user's file; its log once it answers."""
    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    daemon = DaemonProcess(env=NO_DESKTOP)
    daemons.append(daemon)
    text = daemon.wait_log("settings: ", timeout=60)
    wait_for(lambda: breakd("status").returncode == 0, timeout=30, what="breakd status")
    return daemon, text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (nested_arrays(500), "line 3, column 37: is nested more than 32 levels deep"),
        (nested_tables(400), "line 3, column 101: is nested more than 32 levels deep"),
        (oversized(20_000_000), "is 19.1 MiB, larger than the 1 MiB"),
    ],
    ids=["500 nested arrays", "400 nested inline tables", "20 MB"],
)
def test_the_daemon_starts_on_the_defaults_and_says_why(
    content: bytes, problem: str, daemons: list[DaemonProcess]
) -> None:
    daemon, text = start_on(content, daemons)
    path = user_config_file()
    assert f"config: {path}, {problem}" in text or f"config: {path}: {problem}" in text, text
    assert f"settings: defaults only; ignored until fixed: {path}" in text
    assert "Traceback" not in text
    assert status()["interval_seconds"] == DEFAULT_INTERVAL
    assert daemon.stop() == 0


def test_set_refuses_at_once_on_an_oversized_file_and_changes_nothing(
    daemons: list[DaemonProcess],
) -> None:
    daemon, _ = start_on(oversized(20_000_000), daemons)
    path = user_config_file()
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    changed = breakd("set", "interval", "45m")
    assert changed.returncode == 1
    assert changed.stderr.strip() == (
        f"breakd: {path} is 19.1 MiB, larger than the 1 MiB a settings file may be; breakd"
        " did not read it; breakd will not change it"
    )
    # The owner thread handles commands in order: once status answers, nothing from the
    # refused `set` is left to run.
    assert status()["interval_seconds"] == DEFAULT_INTERVAL
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert daemon.alive()


# --- a command that waits too long changes nothing -------------------------------------


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[Daemon]:
    """The real daemon object with its loop on a thread (no history, a fake clock)."""
    daemon = Daemon(
        load_config(),
        clock=FakeClock(),
        store=None,
        idle=AlwaysPresentMonitor(),
        notifier=LogOnlyNotifier(),
        planner=ContentPlanner(random.Random(3)),
    )
    thread = threading.Thread(target=daemon.run, name="breakd-owner", daemon=True)
    thread.start()
    assert daemon.ready.wait(10)
    yield daemon
    daemon.request_stop()
    thread.join(10)


def test_a_set_the_owner_thread_cannot_start_in_time_is_withdrawn(owner: Daemon) -> None:
    gate = threading.Event()
    owner.submit(lambda: gate.wait(30))  # the owner thread is busy elsewhere
    handler = CommandHandler(owner, timeout=0.5)
    with pytest.raises(NotRun, match="nothing was changed"):
        handler.handle("set", {"key": "interval", "value": "45m"})
    gate.set()
    owner.call(lambda: None)  # everything queued before this has run (or was withdrawn)
    assert not user_config_file().exists()
    assert owner.engine.settings.interval == DEFAULT_INTERVAL
    # Once the owner is free, the same command goes through.
    handler.handle("set", {"key": "interval", "value": "45m"})
    assert owner.engine.settings.interval == 45 * 60
    assert 'interval = "45m"' in user_config_file().read_text()


def test_a_file_changed_between_reading_and_writing_is_not_overwritten(owner: Daemon) -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[reminders]\nsnooze = "15m"\n')
    prepared = owner.prepare_setting("interval", "45m")
    path.write_text('# edited meanwhile\n[reminders]\nsnooze = "20m"\n')
    with pytest.raises(SettingsFileChanged, match="changed while breakd was saving"):
        owner.call(lambda: owner.commit_setting(prepared, source="cli"))
    assert path.read_text() == '# edited meanwhile\n[reminders]\nsnooze = "20m"\n'
    assert owner.engine.settings.interval == DEFAULT_INTERVAL
    # `breakd set` prepares again and succeeds, keeping the edit.
    CommandHandler(owner).handle("set", {"key": "interval", "value": "45m"})
    assert path.read_text() == (
        '# edited meanwhile\n[reminders]\nsnooze = "20m"\ninterval = "45m"\n'
    )
