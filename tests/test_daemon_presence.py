"""A call and a video on the fake clock: both are sitting, never a natural break; a call
holds its reminder until it ends and then says how long it was, a video does not hold
it. The real Daemon, engine and SQLite history (support/simulated.py); the video is a
real logind idle lock in dbusmock's logind template on a private system bus."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.sessionbus import MockService, private_bus, spawn_mock
from support.simulated import SimulatedDaemon

from breakd.activity.inhibitors import (
    LOGIND,
    LOGIND_MANAGER,
    LOGIND_PATH,
    IdleInhibitors,
    LogindSource,
)
from breakd.clock import FakeClock
from breakd.config import load_config
from breakd.state import State
from breakd.stats import collect

MIN = 60.0
#: The uid dbusmock's logind template gives every inhibitor it hands out.
TEMPLATE_UID = 1000


@pytest.fixture(scope="module")
def logind() -> Iterator[MockService]:
    with private_bus() as system:
        service = spawn_mock(
            system, LOGIND, LOGIND_PATH, LOGIND_MANAGER, system=True, template="logind"
        )
        try:
            yield service
        finally:
            service.stop()


def simulated(tmp_path: Path, logind: MockService | None = None) -> SimulatedDaemon:
    """A daemon at 9:00 with the default settings (reminder after 30 min, natural break
    after 5), a user at the keyboard, and the logind ``logind`` for idle inhibitors."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0).astimezone())
    inhibitors = None
    if logind is not None:
        environ = {"DBUS_SYSTEM_BUS_ADDRESS": logind.bus.address}
        inhibitors = IdleInhibitors((LogindSource(uid=TEMPLATE_UID),), environ)
    sim = SimulatedDaemon(load_config(), tmp_path / "h.sqlite3", clock, inhibitors=inhibitors)
    sim.start()
    return sim


def rows(sim: SimulatedDaemon, sql: str) -> list[tuple[object, ...]]:
    assert sim.store is not None
    return sim.store.connection.execute(sql).fetchall()


def test_a_call_is_sitting_holds_its_reminder_and_says_how_long_it_was(tmp_path: Path) -> None:
    sim = simulated(tmp_path)
    daemon = sim.daemon
    sim.run(10 * MIN)
    sim.idle.present = False  # hands off the keyboard: the call begins
    sim.command(lambda: daemon.set_call(True))
    sim.run(40 * MIN)
    status = daemon.status()
    assert status.call and status.state is State.DUE
    assert status.engine.sitting_seconds == 50 * MIN
    assert sim.notifier.shown == [], "a reminder interrupted the call"
    assert rows(sim, "SELECT * FROM stretches WHERE ended_at IS NOT NULL") == []
    assert rows(sim, "SELECT * FROM breaks") == []

    sim.command(lambda: daemon.set_call(False))
    [shown] = sim.notifier.shown
    assert shown.reminder.title == "You sat through a 40-minute call — time for a break"
    assert shown.monotonic == sim.clock.monotonic()  # at the call's end, not a minute on
    [(started, ended)] = rows(sim, "SELECT started_at, ended_at FROM calls")
    assert ended - started == pytest.approx(40 * MIN)  # type: ignore[operator]
    # Still no input after the call: a natural break, counted from the call's end.
    sim.run(6 * MIN)
    [(reason,)] = rows(sim, "SELECT end_reason FROM stretches WHERE ended_at IS NOT NULL")
    assert reason == "natural-break"
    sim.finish()
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        day = sim.clock.now().date()
        [figures] = collect(db, day, day, 30 * MIN, now=sim.clock.now()).days
    assert figures.call_seconds == pytest.approx(40 * MIN)
    assert figures.sitting_seconds == pytest.approx(50 * MIN)


def test_a_video_is_sitting_but_its_reminder_comes_on_time(
    tmp_path: Path, logind: MockService
) -> None:
    sim = simulated(tmp_path, logind)
    sim.run(10 * MIN)
    sim.idle.present = False
    lock = logind.interface(LOGIND_MANAGER).Inhibit("idle", "mpv", "Playing a video", "block")
    try:
        sim.run(40 * MIN)
        assert rows(sim, "SELECT * FROM stretches WHERE ended_at IS NOT NULL") == []
        assert sim.daemon.engine.sitting_seconds() >= 49 * MIN
        # Watching is no call: the reminder came at 30 min, while the video played.
        first = sim.notifier.shown[0]
        assert first.reminder.title == "You've been sitting for 30 minutes"
        assert first.monotonic == pytest.approx(sim.clock.monotonic() - 20 * MIN, abs=MIN)
        assert sim.daemon.status().call is False
    finally:
        os.close(lock.take())  # the video ends
    sim.run(7 * MIN)
    [(reason, started, ended)] = rows(
        sim, "SELECT end_reason, started_at, ended_at FROM stretches WHERE ended_at IS NOT NULL"
    )
    assert reason == "natural-break"
    # The stretch ends at the last look that found the video playing (within a minute).
    assert 49 * MIN <= ended - started <= 51 * MIN  # type: ignore[operator]
    sim.finish()


def test_without_a_call_or_a_video_the_same_stillness_is_a_natural_break(
    tmp_path: Path, logind: MockService
) -> None:
    sim = simulated(tmp_path, logind)
    sim.run(10 * MIN)
    sim.idle.present = False
    sim.run(40 * MIN)
    [(reason, started, ended)] = rows(
        sim, "SELECT end_reason, started_at, ended_at FROM stretches WHERE ended_at IS NOT NULL"
    )
    assert reason == "natural-break" and ended - started == pytest.approx(10 * MIN)  # type: ignore[operator]
    assert sim.notifier.shown == []
    sim.finish()


def test_a_video_that_plays_on_after_the_user_left_does_not_bring_them_back(
    tmp_path: Path, logind: MockService
) -> None:
    sim = simulated(tmp_path, logind)
    sim.run(10 * MIN)
    sim.idle.present = False
    sim.run(10 * MIN)  # away: the natural break is under way
    assert sim.daemon.status().state is State.AWAY
    # The next episode of a playlist starts with nobody there.
    lock = logind.interface(LOGIND_MANAGER).Inhibit("idle", "mpv", "Playing a video", "block")
    try:
        sim.run(20 * MIN)
        assert sim.daemon.status().state is State.AWAY
        assert rows(sim, "SELECT * FROM stretches WHERE ended_at IS NULL") == []
    finally:
        os.close(lock.take())
    sim.idle.present = True  # back at the keyboard
    sim.run(MIN)
    assert sim.daemon.status().state is State.COUNTING
    sim.finish()
