"""What survives a kill -9 or a restart, with the real daemon, socket and history file.

* A wall clock set forward or back while sitting, then a crash: the stretch resumes with
  the time really observed (monotonic clock), or is closed with it, never with the
  difference of two wall times. The daemon runs under libfaketime, which moves only its
  wall clock (``FAKETIME_DONT_FAKE_MONOTONIC``), from a file the test rewrites.
* A break running at the kill is in history, closed as interrupted with its length, and
  its time is not sitting.
* A pause or snooze in force is still in force after a kill -9 or a clean restart; a
  timed pause that ran out meanwhile is closed in history.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, query, status, wait_for

NATURAL_BREAK = 12.0
ARGS = [
    "--set", "interval=1h", "--set", f"natural_break={NATURAL_BREAK:.0f}s",
    "--set", "breaks.length=2m", "--set", "activity.idle_source=always-present",
]  # fmt: skip
NO_DESKTOP = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
HOUR = 3600.0


def start(daemons: list[DaemonProcess], env: dict[str, str] | None = None) -> DaemonProcess:
    daemon = DaemonProcess(ARGS, env={**NO_DESKTOP, **(env or {})})
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    wait_for(lambda: breakd("status").returncode == 0, what="the control socket")
    return daemon


def wait_until(moment: float) -> None:
    """Let real time pass up to ``moment`` (time.time()): the passing time is the point."""
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 0.5))


def stretch_rows() -> list[tuple[float, float | None, str | None, float]]:
    return query("SELECT started_at, ended_at, end_reason, last_seen FROM stretches ORDER BY id")


# --- a wall-clock jump, then a crash ---------------------------------------------------


@pytest.fixture
def fake_wall(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A file holding the daemon's wall-clock offset, and the environment that reads it."""
    if not LIBFAKETIME.exists():
        pytest.fail(
            f"{LIBFAKETIME} not found: install the Debian package libfaketime"
            " (scripts/system-packages.txt)",
            pytrace=False,
        )
    offset = tmp_path / "faketime-offset"
    offset.write_text("+0\n")
    env = {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    return offset, env


@pytest.mark.parametrize(
    ("jump", "down_longer_than_a_natural_break"),
    [(3 * HOUR, False), (-3 * HOUR, False), (3 * HOUR, True), (-3 * HOUR, True)],
    ids=["forward-resume", "back-resume", "forward-close", "back-close"],
)
def test_a_wall_clock_jump_then_kill_9_counts_only_the_time_observed(
    daemons: list[DaemonProcess],
    fake_wall: tuple[Path, dict[str, str]],
    jump: float,
    down_longer_than_a_natural_break: bool,
) -> None:
    offset, env = fake_wall
    daemon = start(daemons, env)
    wait_for(stretch_rows, what="the open stretch")
    sat_from = time.time()  # real time; the stretch began at most a moment before
    offset.write_text(f"{jump:+.0f}\n")
    # Wait until the daemon saved the stretch on the new wall clock (at once with the
    # fix; within a minute, at its periodic save, without).
    wait_for(
        lambda: abs(stretch_rows()[0][3] - time.time()) > HOUR,
        timeout=90,
        what="the stretch saved after the jump",
    )
    daemon.kill()
    killed = time.time()
    if down_longer_than_a_natural_break:
        wait_until(killed + NATURAL_BREAK + 2)
    daemon = start(daemons, env)
    restarted = time.time()

    if down_longer_than_a_natural_break:
        # Closed, ending when last seen, as long as it was observed: at most the real
        # time from its start to the kill, however far the wall clock moved.
        closed = wait_for(
            lambda: [r for r in stretch_rows() if r[2] == "interrupted"],
            what="the stretch closed as interrupted",
        )
        [(started, ended, _, last_seen)] = closed
        assert ended == last_seen
        assert 0 <= ended - started <= killed - sat_from + 2, (ended - started, jump)
    else:
        st = status()
        assert "resuming the sitting stretch" in daemon.wait_log("resuming")
        # Sitting counted: what was observed plus the seconds down, not 3 hours more or less.
        real = time.time() - sat_from
        assert real - 3 <= st["sitting_seconds"] <= real + 3, (st["sitting_seconds"], real)
        assert st["state"] == "counting" and query("SELECT * FROM reminders") == []
        today = st["today"]
        assert today["sitting_seconds"] <= st["sitting_seconds"] + 3
        fake_now = time.time() + jump
        same_day = (
            datetime.fromtimestamp(fake_now - real - 5).date()
            == datetime.fromtimestamp(fake_now).date()
        )
        if same_day:  # a stretch across midnight is split between the days
            assert today["sitting_seconds"] >= st["sitting_seconds"] - 3, today
        assert breakd("quit").returncode == 0
        assert daemon.process.wait(15) == 0
        [(started, ended, reason, _)] = stretch_rows()
        assert reason == "shutdown"
        assert real - 3 <= ended - started <= time.time() - sat_from + 3, (ended - started, jump)
    assert restarted - killed < NATURAL_BREAK or down_longer_than_a_natural_break
    # No row left open for ever, none of negative length.
    rows = stretch_rows()
    assert rows[0][1] is not None and all(r[1] is None or r[1] >= r[0] for r in rows), rows


# --- a break running at the kill -------------------------------------------------------


def test_a_break_running_at_kill_9_is_recorded_as_interrupted_and_is_not_sitting(
    daemons: list[DaemonProcess],
) -> None:
    daemon = start(daemons)
    wait_for(stretch_rows, what="the open stretch")
    assert breakd("break").returncode == 0
    # The break is in history from its start, and its length so far is saved as it goes.
    observed = wait_for(
        lambda: [
            o
            for (o,) in query("SELECT observed FROM breaks WHERE kind = 'running'")
            if o is not None and o >= 5
        ],
        timeout=30,
        what="the running break saved with 5 s or more",
    )[0]
    daemon.kill()
    killed_after = time.time()
    daemon = start(daemons)  # well within the natural-break length
    [(_, started, ended, trigger)] = wait_for(
        lambda: query(
            "SELECT kind, started_at, ended_at, trigger FROM breaks WHERE kind = 'interrupted'"
        ),
        what="the break closed as interrupted",
    )
    assert trigger == "cli"
    assert observed - 0.1 <= ended - started <= observed + 5.5  # saved every 5 s
    # The stretch before the break ended when the break began.
    first = stretch_rows()[0]
    assert first[2] == "break" and first[1] == pytest.approx(started, abs=0.5)
    assert "resuming the sitting stretch" not in daemon.wait_log("breakd started")
    # Sitting starts again after the restart: the break's seconds are not in it.
    st = status()
    assert st["sitting_seconds"] <= time.time() - killed_after + 1
    today = st["today"]
    assert today["breaks"] == 1  # counted as a partial break
    assert daemon.stop() == 0
    reasons = [r[2] for r in stretch_rows()]
    assert reasons == ["break", "shutdown"]


# --- a pause or snooze across a restart ---------------------------------------------------


@pytest.mark.parametrize("how", ["kill -9", "quit"])
def test_a_pause_until_resumed_survives_a_restart(daemons: list[DaemonProcess], how: str) -> None:
    daemon = start(daemons)
    assert breakd("pause", "forever").returncode == 0
    for _ in range(2):
        if how == "kill -9":
            daemon.kill()
        else:
            assert breakd("quit").returncode == 0
            assert daemon.process.wait(15) == 0
        daemon = start(daemons)
        st = status()
        assert st["state"] == "paused" and st["paused_until"] is None, st
        assert st["next_reminder_in"] is None
    assert breakd("resume").returncode == 0
    assert status()["state"] == "counting"
    assert [a for (a,) in query("SELECT action FROM actions ORDER BY id")] == ["pause", "resume"]
    daemon.kill()
    daemon = start(daemons)
    assert status()["state"] == "counting"  # the resume survives too


@pytest.mark.parametrize("how", ["kill -9", "quit"])
def test_a_snooze_survives_a_restart(daemons: list[DaemonProcess], how: str) -> None:
    daemon = start(daemons)
    wait_for(stretch_rows, what="the open stretch")
    assert breakd("snooze", "1h").returncode == 0
    before = status()
    if how == "kill -9":
        daemon.kill()
    else:
        assert breakd("quit").returncode == 0
        assert daemon.process.wait(15) == 0
    daemon = start(daemons)
    st = wait_for(lambda: (s := status())["state"] != "away" and s, what="sitting again")
    assert st["state"] == "snoozed", st
    assert (
        st["snoozed_until"] == before["snoozed_until"]
        or abs(
            datetime.fromisoformat(st["snoozed_until"]).timestamp()
            - datetime.fromisoformat(before["snoozed_until"]).timestamp()
        )
        <= 2
    )
    assert st["next_reminder_in"] >= HOUR - 120


def test_a_timed_pause_that_ran_out_while_down_is_closed_in_history(
    daemons: list[DaemonProcess],
) -> None:
    daemon = start(daemons)
    assert breakd("pause", "3s").returncode == 0
    [(until,)] = query("SELECT until FROM actions WHERE action = 'pause'")
    assert daemon.stop() == 0
    wait_until(until + 1)
    daemon = start(daemons)
    assert status()["state"] in ("counting", "away")
    actions = query("SELECT action, at FROM actions ORDER BY id")
    assert [a for a, _ in actions] == ["pause", "pause-ended"]
    assert actions[1][1] == pytest.approx(until, abs=0.01)
    assert daemon.stop() == 0
