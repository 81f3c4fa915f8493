"""The idle reading taken while the daemon is awake anyway, on a fake clock.

With nothing near, the idle counter is read once a minute; the tray's minute refresh
also wakes the daemon once a minute. A reading due within LAZY_SAMPLE_EARLY is taken at
such a wake-up, so the two fall together instead of waking the daemon twice.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.app import ContentPlanner
from breakd.clock import FakeClock
from breakd.config import load_config
from breakd.daemon import LAZY_SAMPLE_EARLY, Daemon
from breakd.notify.log_only import LogOnlyNotifier
from breakd.store import HistoryStore


class CountingMonitor(AlwaysPresentMonitor):
    """Always present; counts the readings."""

    def __init__(self) -> None:
        super().__init__()
        self.readings = 0

    def idle_seconds(self) -> float:
        self.readings += 1
        return 0.0


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Daemon, FakeClock, CountingMonitor]]:
    clock = FakeClock()
    idle = CountingMonitor()
    daemon = Daemon(
        load_config(),
        clock=clock,
        store=HistoryStore(tmp_path / "history.sqlite3"),
        idle=idle,
        notifier=LogOnlyNotifier(),
        planner=ContentPlanner(random.Random(7)),
    )
    thread = threading.Thread(target=daemon.run, name="breakd-owner", daemon=True)
    thread.start()
    assert daemon.ready.wait(30)
    yield daemon, clock, idle
    daemon.request_stop()
    thread.join(30)


def awake(daemon: Daemon) -> None:
    """A wake-up of the loop (as the tray's refresh is), then one pass of its timers."""
    daemon.call(lambda: None, timeout=30)
    daemon.call(daemon._step, timeout=30)


def test_a_reading_with_nothing_near_is_taken_at_an_earlier_wake_up(
    running: tuple[Daemon, FakeClock, CountingMonitor],
) -> None:
    daemon, clock, idle = running
    awake(daemon)
    first = idle.readings  # the start's reading (60 s ahead of the next)
    clock.advance(60 - LAZY_SAMPLE_EARLY - 5)
    awake(daemon)
    assert idle.readings == first, "read too early"
    clock.advance(10)  # now within LAZY_SAMPLE_EARLY of the reading
    awake(daemon)
    assert idle.readings == first + 1
    clock.advance(60 - LAZY_SAMPLE_EARLY - 5)  # the next is a minute after that one
    awake(daemon)
    assert idle.readings == first + 1


class CreepingClock(FakeClock):
    """A fake clock that, like a real one, has moved on a little at each reading."""

    def monotonic(self) -> float:
        self.advance(1e-6)
        return super().monotonic()


def test_a_stretch_is_saved_once_a_minute_however_often_the_loop_wakes(tmp_path: Path) -> None:
    # Each save is a write transaction; the idle minutes are where a daemon's cost is
    # counted, so a wake-up that saves what was saved a moment ago is waste.
    clock = CreepingClock()
    store = HistoryStore(tmp_path / "history.sqlite3")
    updates: list[str] = []
    store.connection.set_trace_callback(
        lambda sql: updates.append(sql) if sql.startswith("UPDATE stretches") else None
    )
    daemon = Daemon(
        load_config(),
        clock=clock,
        store=store,
        idle=AlwaysPresentMonitor(),
        notifier=LogOnlyNotifier(),
        planner=ContentPlanner(random.Random(7)),
    )
    daemon._start()
    try:
        for _ in range(10 * 6):  # ten minutes, woken every 10 s (status calls, the tray)
            clock.advance(10)
            daemon._step()
            daemon.status()
        assert 9 <= len(updates) <= 11, updates
    finally:
        daemon._finish()
