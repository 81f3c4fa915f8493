"""The real daemon as a subprocess: it tracks, reminds, records, and survives kill -9."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.daemon import DaemonProcess, history_path, query, wait_for

from breakd.config import user_config_file

pytestmark = pytest.mark.linux_desktop

FAST = [
    "--set", "interval=3s", "--set", "remind_again=2s", "--set", "natural_break=10s",
    # Reminders go to the log, where the test reads them, whatever the machine has.
    "--set", "notifications.backend=log",
]  # fmt: skip


def test_records_a_stretch_and_a_reminder_and_survives_kill_9(
    daemons: list[DaemonProcess],
) -> None:
    first = DaemonProcess(FAST)
    daemons.append(first)
    first.wait_log("notifications via log")
    rows = wait_for(
        lambda: query("SELECT number, exercise_id, sitting_seconds FROM reminders"),
        what="a reminder row",
    )
    assert rows[0][0] == 1 and rows[0][1], rows
    assert rows[0][2] >= 3
    first.wait_log("reminder 1: You've been sitting for 3 seconds")  # logged after the row
    stretches = query("SELECT started_at, ended_at FROM stretches")
    assert len(stretches) == 1 and stretches[0][1] is None

    committed = {
        table: query(f"SELECT * FROM {table} ORDER BY id")
        for table in ("stretches", "reminders", "breaks", "actions")
    }
    first.kill()
    for table, before in committed.items():
        after = query(f"SELECT * FROM {table} ORDER BY id")
        assert after[: len(before)] == before, f"{table} lost rows after kill -9"

    # Restarted within the natural-break threshold: the same stretch goes on.
    second = DaemonProcess(FAST)
    daemons.append(second)
    second.wait_log("resuming the sitting stretch")
    wait_for(
        lambda: len(query("SELECT * FROM reminders")) > len(committed["reminders"]),
        what="a reminder after the restart",
    )
    assert len(query("SELECT * FROM stretches")) == 1
    assert second.stop() == 0
    [(ended, reason)] = query("SELECT ended_at, end_reason FROM stretches")
    assert ended is not None and reason == "shutdown"
    assert second.output().strip() == "", "the daemon printed to stdout/stderr"


def test_broken_user_config_is_reported_and_left_alone(daemons: list[DaemonProcess]) -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    original = b'# mine\n[reminders]\ninterval = "soon"\nsnooze = "7m"\n'
    path.write_bytes(original)

    check = subprocess.run(
        [sys.executable, "-m", "breakd", "config", "check"], capture_output=True, text=True
    )
    assert check.returncode == 1
    assert f"{path}, line 3: reminders.interval" in check.stderr
    assert "allowed: a duration" in check.stderr

    daemon = DaemonProcess()
    daemons.append(daemon)
    text = daemon.wait_log("breakd started")
    assert "remind after 30 min" in text  # the bad key fell back to the default
    assert f"config: {path}, line 3: reminders.interval" in text
    assert daemon.alive()
    assert daemon.stop() == 0
    assert path.read_bytes() == original


def test_config_show_names_the_layer_of_each_value() -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[breaks]\nlength = "1m"\n')
    shown = subprocess.run(
        [sys.executable, "-m", "breakd", "--set", "snooze=3m", "config", "show"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = {line.split("=")[0].strip(): line for line in shown.splitlines()}
    assert lines["breaks.length"].rstrip().endswith("# user")
    assert '"1m"' in lines["breaks.length"]
    assert lines["reminders.snooze"].rstrip().endswith("# command line")
    assert lines["reminders.interval"].rstrip().endswith("# default")


def test_corrupt_history_is_set_aside_and_the_daemon_runs(daemons: list[DaemonProcess]) -> None:
    path = history_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    daemon = DaemonProcess(FAST)
    daemons.append(daemon)
    text = daemon.wait_log("breakd started")
    assert "could not be read" in text and "moved to" in text
    aside = [p for p in path.parent.iterdir() if p.name.startswith("history.sqlite3.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b"garbage" * 1000
    wait_for(lambda: query("SELECT * FROM reminders"), what="a reminder in the new file")
    assert daemon.stop() == 0


def test_daemon_runs_without_display_or_bus(daemons: list[DaemonProcess]) -> None:
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}
    daemon = DaemonProcess(FAST, env=env)
    daemons.append(daemon)
    text = daemon.wait_log("breakd started")
    assert "no display" in text
    wait_for(lambda: query("SELECT * FROM reminders"), what="a reminder with no display")
    assert daemon.stop() == 0
