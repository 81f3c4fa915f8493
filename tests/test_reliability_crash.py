"""kill -9 at seeded random moments of a scripted day, with the real daemon.

The day is driven through the control channel (break, snooze, skip, pause, resume,
set) while reminders come every few seconds. At random moments the daemon is killed
with SIGKILL and started again. After each restart every row committed before the
kill is still there, unchanged except for the open stretch being closed or carried on;
a restart within the natural-break threshold resumes the stretch, one after it closes
the stretch at the moment it was last seen. A break running at the kill was written when
it began and is closed as interrupted, with the stretch before it ending at its start.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest
from support.daemon import DaemonProcess, query, wait_for

pytestmark = pytest.mark.linux_desktop

NATURAL_BREAK = 12  # seconds; the daemon notes "still sitting" at least this often / 10
FAST = [
    "--set", "interval=2s", "--set", "remind_again=2s", "--set", "max_reminders=20",
    "--set", f"natural_break={NATURAL_BREAK}s", "--set", "breaks.length=10s",
    "--set", "activity.idle_source=always-present",
]  # fmt: skip
NO_DESKTOP = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}
TABLES = ("stretches", "reminders", "breaks", "actions", "setting_changes")
COLUMNS = {
    "stretches": "id, started_at, ended_at, end_reason, last_seen",
    "breaks": "id, kind, started_at, ended_at, trigger",
}
STEPS = [
    ("snooze", "3s"),
    ("skip",),
    ("break",),
    ("pause", "4s"),
    ("resume",),
    ("set", "snooze", "7m"),
    ("snooze",),
]


def breakd(*args: str) -> None:
    """A control command; refusals (nothing to skip now) are part of a real day."""
    subprocess.run(
        [sys.executable, "-m", "breakd", *args], capture_output=True, text=True, timeout=30
    )


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        table: query(f"SELECT {COLUMNS.get(table, '*')} FROM {table} ORDER BY id")
        for table in TABLES
    }


def assert_kept(
    earlier: dict[str, list[tuple[object, ...]]],
    later: dict[str, list[tuple[object, ...]]],
    message: str,
) -> None:
    """Every row of ``earlier`` is still in ``later``, unchanged, and rows committed in
    between come after it; a stretch open in ``earlier`` may since have moved on (its
    last-seen time) or been closed, but keeps its start."""
    for table in TABLES:
        if table != "stretches":
            assert later[table][: len(earlier[table])] == earlier[table], f"{message}: {table}"
            continue
        now = {row[0]: row for row in later[table]}
        for row in earlier[table]:
            assert row[0] in now, f"{message}: stretch {row[0]}"
            if row[2] is not None:
                assert now[row[0]] == row, f"{message}: closed stretch {row[0]} changed"
            else:
                assert now[row[0]][1] == row[1], f"{message}: open stretch {row[0]} moved"


def start() -> DaemonProcess:
    """A daemon that has recovered the history and answers, not merely one that logged."""
    daemon = DaemonProcess(FAST, env=NO_DESKTOP)
    daemon.wait_ready()
    return daemon


def test_kill_9_at_random_moments_loses_nothing_committed(
    daemons: list[DaemonProcess],
) -> None:
    rng = random.Random(11)
    daemon = start()
    daemons.append(daemon)
    wait_for(lambda: query("SELECT * FROM reminders"), what="a first reminder")
    resumed = interrupted = running_breaks = 0
    for round_number in range(4):
        for step in rng.sample(STEPS, 3):
            breakd(*step)
            time.sleep(rng.uniform(0.1, 1.0))
        live = snapshot()
        daemon.kill()
        before = snapshot()
        assert_kept(live, before, "kill -9 lost a committed row")
        open_before = [s for s in before["stretches"] if s[2] is None]
        # Every second round stays down past the natural-break threshold.
        if round_number % 2 == 1:
            time.sleep(NATURAL_BREAK + 2)  # the gap itself is the point
        assert snapshot() == before, "rows changed while breakd was down"

        restarted_at = time.time()
        daemon = start()
        daemons.append(daemon)
        after = snapshot()
        for table in ("reminders", "actions", "setting_changes"):
            assert after[table][: len(before[table])] == before[table], f"{table} lost rows"
        for old, new in zip(before["breaks"], after["breaks"], strict=False):
            if old[1] == "running":
                # Cut short by the kill: closed as interrupted, ending when last seen.
                assert new[0] == old[0] and new[1] == "interrupted" and new[3] is not None
                running_breaks += 1
            else:
                assert new == old, "a finished break changed"
        assert len(after["breaks"]) >= len(before["breaks"])
        for old, new in zip(before["stretches"], after["stretches"], strict=False):
            assert old[0] == new[0] and abs(float(old[1]) - float(new[1])) < 0.01  # type: ignore[arg-type]
            if old[2] is not None:
                assert old == new, "a closed stretch changed"
        assert len(after["stretches"]) >= len(before["stretches"])
        if not open_before or (before["breaks"] and before["breaks"][-1][1] == "running"):
            continue
        [(open_id, _, _, _, last_seen)] = open_before[-1:]
        [carried] = [s for s in after["stretches"] if s[0] == open_id]
        gap = restarted_at - float(last_seen)  # type: ignore[arg-type]
        if gap > NATURAL_BREAK + 1:
            # Closed at the last moment it was known to be sat, as interrupted.
            assert carried[3] == "interrupted" and carried[2] == carried[4], (gap, carried)
            interrupted += 1
        elif gap < NATURAL_BREAK - 1:
            assert carried[2] is None, f"the stretch was closed after a {gap:.1f}s gap"
            assert daemon.log().count("resuming the sitting stretch") == 1
            resumed += 1
    assert daemon.stop() == 0
    assert resumed >= 1 and interrupted >= 1, (resumed, interrupted)
