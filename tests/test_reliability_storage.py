"""Broken files and a disk that refuses writes: the daemon keeps running, says so clearly,
and deletes nothing the user had.

The data folder is a real small tmpfs: filled up under the running daemon, or full or
read-only when it starts. (Remounting read-only under a running daemon is refused by
the kernel while it has the file open for writing, so that case is the start-up one.)
Mounting needs root (CI runs the suite as root); the tests fail saying so otherwise.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, history_path, log_path, query, status, wait_for

from breakd.config import user_config_file
from breakd.engine import StretchStarted, UserAction
from breakd.store import MAX_PENDING, HistoryStore

pytestmark = pytest.mark.linux_desktop

FAST = [
    "--set", "interval=2s", "--set", "remind_again=2s", "--set", "max_reminders=20",
    "--set", "natural_break=10m", "--set", "activity.idle_source=always-present",
]  # fmt: skip
NO_DESKTOP = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}


def start(daemons: list[DaemonProcess]) -> DaemonProcess:
    daemon = DaemonProcess(FAST, env=NO_DESKTOP)
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    return daemon


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 1 MiB tmpfs as the history folder, unmounted afterwards."""
    mount = shutil.which("mount")
    if mount is None:
        pytest.fail("mount not found: install the Debian package mount", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail(
            "these tests mount a small tmpfs as the data folder and need root"
            " (run the suite as root, as CI does)",
            pytrace=False,
        )
    folder = history_path().parent
    folder.mkdir(parents=True)
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here: {done.stderr.strip()}", pytrace=False)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


def rows(table: str) -> list[tuple[object, ...]]:
    try:
        return query(f"SELECT * FROM {table} ORDER BY id")
    except sqlite3.DatabaseError:
        return []  # a damaged file the daemon has not set aside yet


def test_a_full_disk_keeps_events_in_memory_and_writes_them_when_space_returns(
    small_disk: Path, daemons: list[DaemonProcess]
) -> None:
    daemon = start(daemons)
    wait_for(lambda: len(rows("reminders")) >= 1, what="a reminder row")
    filler = fill(small_disk)
    daemon.wait_log("cannot write history", timeout=30)
    before = rows("reminders")
    assert daemon.alive() and status()["state"] == "due"
    shown = int(str(status()["reminders_shown"]))
    filler.unlink()
    daemon.wait_log("work again", timeout=30)
    # Every reminder shown while the disk was full reached the file afterwards.
    wait_for(lambda: len(rows("reminders")) >= shown, what="the held-back rows")
    after = rows("reminders")
    assert after[: len(before)] == before
    assert [r[3] for r in after[:shown]] == list(range(1, shown + 1))  # numbers in order
    assert not [p for p in small_disk.iterdir() if ".corrupt-" in p.name]
    assert daemon.stop() == 0
    assert query("SELECT end_reason FROM stretches") == [("shutdown",)]


def test_events_past_the_queue_bound_are_dropped_and_the_loss_logged_once_with_its_count(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The real store on a real full disk; a daemon would only make it slower.

    The queue is bounded lower than breakd's own (MAX_PENDING) so that filling it
    takes seconds, not a minute, on a busy machine.
    """
    assert MAX_PENDING == 10_000  # the bound README and the module docstring state
    bound, extra = 1000, 37
    caplog.set_level(logging.WARNING, logger="breakd.store")
    now = datetime.now().astimezone()
    store = HistoryStore(history_path(), max_pending=bound)
    store.write(StretchStarted(now))
    filler = fill(small_disk)
    skips = 0
    while not [r for r in caplog.records if "cannot write history" in r.message]:
        store.write(UserAction(now, "skip"))  # SQLite may have room left in its WAL
        skips += 1
        assert skips < 100_000, "the disk never refused a write"
    for _ in range(bound + extra):
        store.write(UserAction(now, "skip"))
    skips += bound + extra
    for _ in range(300):
        store.touch(now)  # a newer "still sitting" replaces the one waiting
    assert sum("oldest are dropped" in r.message for r in caplog.records) == 1
    filler.unlink()
    store.write(UserAction(now, "resume"))
    store.close()
    [lost] = [r.getMessage() for r in caplog.records if "were lost" in r.message]
    count = int(lost.split("history: ")[1].split(" ")[0])
    written = len(query("SELECT * FROM actions"))
    # Every event reached the file or is in the count (the touches at most as one).
    assert count >= extra
    assert skips + 1 <= written + count <= skips + 2, (written, count, skips)
    assert query("SELECT action FROM actions ORDER BY id DESC LIMIT 1") == [("resume",)]
    assert not [r for r in caplog.records if "before breakd stopped" in r.message]


def test_quit_with_the_disk_still_full_logs_what_is_lost(
    small_disk: Path, daemons: list[DaemonProcess]
) -> None:
    daemon = start(daemons)
    wait_for(lambda: len(rows("reminders")) >= 1, what="a reminder row")
    fill(small_disk)
    daemon.wait_log("cannot write history", timeout=30)
    assert breakd("snooze", "5m").returncode == 0  # one more event waiting
    assert breakd("quit").returncode == 0
    assert daemon.process.wait(15) == 0
    lost = [line for line in log_path().read_text().splitlines() if "are lost" in line]
    assert len(lost) == 1, lost
    count = int(lost[0].split("history: ")[1].split(" ")[0])
    assert count >= 2, lost  # at least the snooze and the stretch's end


@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_a_disk_that_refuses_writes_at_start_up_turns_history_off_and_keeps_it(
    small_disk: Path, daemons: list[DaemonProcess], trouble: str
) -> None:
    daemon = start(daemons)
    wait_for(lambda: len(rows("reminders")) >= 2, what="two reminder rows")
    assert daemon.stop() == 0
    kept = history_path().read_bytes()
    filler = fill(small_disk) if trouble == "full" else None
    if trouble == "read-only":
        remount(small_disk, "ro")
    try:
        daemon = start(daemons)
        text = daemon.wait_log("history is off")
        assert f"cannot open {history_path()}" in text
        assert daemon.alive() and status()["state"] in ("counting", "due")
        assert daemon.stop() == 0
    finally:
        if trouble == "read-only":
            remount(small_disk, "rw")
    if filler is not None:
        filler.unlink()
    assert history_path().read_bytes() == kept
    assert not [p for p in small_disk.iterdir() if ".corrupt-" in p.name]


# --- broken files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[reminders\ninterval = "45m"\n', "line 1"),
        (b"\xff\xfe[reminders]\n", "UTF-8"),
        (b'[reminders]\ninterval = "45m"\ninterval = "50m"\n', "line 3"),
        (b"reminders = 3\n", "reminders"),
        (b"\0" * 300, "line 1"),
    ],
    ids=["unclosed-table", "not-utf8", "duplicate-key", "section-not-a-table", "nul-bytes"],
)
def test_an_unreadable_config_file_is_reported_and_left_alone(
    daemons: list[DaemonProcess], content: bytes, expected: str
) -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    daemon = start(daemons)
    text = daemon.wait_log("breakd started")
    problems = [line for line in text.splitlines() if "config:" in line]
    assert problems and str(path) in problems[0], text
    assert expected.lower() in problems[0].lower(), text
    assert status()["interval_seconds"] == 2  # the rest still applies
    assert breakd("set", "snooze", "5m").returncode != 0  # never rewritten over a mistake
    assert daemon.alive() and daemon.stop() == 0
    assert path.read_bytes() == content
    assert "Traceback" not in log_path().read_text()


def test_a_history_file_cut_short_is_set_aside_and_kept(daemons: list[DaemonProcess]) -> None:
    daemon = start(daemons)
    wait_for(lambda: len(rows("reminders")) >= 3, what="three reminder rows")
    assert daemon.stop() == 0
    path = history_path()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])
    cut = path.read_bytes()
    daemon = start(daemons)
    daemon.wait_log("breakd started")
    wait_for(lambda: len(rows("reminders")) >= 1, what="a reminder in the new file")
    aside = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-")]
    if aside:
        assert "moved to" in log_path().read_text()
        assert aside[0].read_bytes() == cut
    else:
        # SQLite could still read what was left: then nothing was set aside or lost.
        assert len(rows("reminders")) >= 1
    assert daemon.alive() and daemon.stop() == 0
