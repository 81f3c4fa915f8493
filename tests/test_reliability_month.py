"""A simulated month through the real daemon, engine and store, on a fake clock.

A seeded user works weekdays: arrives in the morning, sits, answers reminders in every
way (a full break, snooze, skip, nothing), leaves for short moments and for lunch, and
closes the laptop for the night and the weekend. The test keeps its own account of when
the user sat and checks it against the statistics ``breakd stats`` computes from the
history file, day by day; no reminder may come while the user is away; and the Python
memory of the running daemon must not grow from the first week to the last.
"""

from __future__ import annotations

import gc
import random
import sqlite3
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from support.simulated import SimulatedDaemon

from breakd.clock import FakeClock
from breakd.config import load_config
from breakd.engine import break_length
from breakd.stats import collect

MIN = 60.0
HOUR = 3600.0
#: How late the daemon may see a return from a long absence (it reads every 5 s).
RETURN_SLACK = 6.0


class User:
    """The scripted user, with the test's own record of when they sat."""

    def __init__(self, sim: SimulatedDaemon, rng: random.Random) -> None:
        self.sim = sim
        self.rng = rng
        self.sat: dict[date, float] = {}
        #: Monotonic spans the daemon knows the user is not sitting: breaks, and
        #: absences from the moment they became natural breaks.
        self.break_spans: list[tuple[float, float]] = []
        self.away_spans: list[tuple[float, float]] = []
        self.long_absences = 0
        self.breaks = 0
        self.snoozes = 0
        self.skips = 0
        self._seen = 0
        settings = sim.daemon.engine.settings
        self.natural_break = settings.natural_break

    @property
    def today(self) -> date:
        return self.sim.clock.now().date()

    def _count(self, seconds: float) -> None:
        self.sat[self.today] = self.sat.get(self.today, 0.0) + seconds

    def sit(self, seconds: float) -> None:
        """Work, answering each new reminder as this user happens to."""
        left = seconds
        while left > 0:
            chunk = min(MIN, left)
            self.sim.idle.present = True
            self.sim.run(chunk)
            self._count(chunk)
            left -= chunk
            if len(self.sim.notifier.shown) > self._seen:
                self._seen = len(self.sim.notifier.shown)
                # One shown while the user was away a moment may be gone by now.
                if self.sim.daemon.engine.status().reminder_due:
                    self._answer()

    def _answer(self) -> None:
        choice = self.rng.choices(["break", "snooze", "skip", "ignore"], [4, 2, 1, 3])[0]
        daemon = self.sim.daemon
        if choice == "break":
            # Every fourth break is a walking break, longer than the others.
            length = break_length(daemon.engine.settings, daemon.engine.next_break_type())
            self.sim.command(lambda: daemon.start_break("reminder"))
            self.breaks += 1
            start = self.sim.clock.monotonic()
            self.sim.run(length + 1)
            self.break_spans.append((start, start + length))
            self._count(1)  # the second after the break is sat again
        elif choice == "snooze":
            self.sim.command(lambda: daemon.snooze(None))
            self.snoozes += 1
        elif choice == "skip":
            self.sim.command(daemon.skip)
            self.skips += 1

    def step_away(self, seconds: float) -> None:
        """No input for ``seconds``; long enough, and it is a natural break."""
        start = self.sim.clock.monotonic()
        self.sim.idle.present = False
        self.sim.run(seconds)
        self.sim.idle.present = True
        if seconds >= self.natural_break:
            self.long_absences += 1
            # Idle shorter than the threshold is still sitting (reading, thinking).
            self.away_spans.append((start + self.natural_break, start + seconds))
        else:
            self._count(seconds)  # reading, thinking: still sitting

    def sleep_machine(self, seconds: float) -> None:
        """The laptop is closed: logind says so, the process is frozen, then wakes."""
        self.sim.command(lambda: self.sim.daemon.away("suspend"))
        start = self.sim.clock.monotonic()
        self.sim.clock.advance(seconds)
        self.away_spans.append((start, start + seconds))
        self.sim.command(lambda: self.sim.daemon.back("suspend"))

    def workday(self) -> None:
        rng = self.rng
        for _ in range(rng.randint(2, 4)):
            self.sit(rng.uniform(20, 75) * MIN)
            self.step_away(rng.choice([rng.uniform(0.5, 4), rng.uniform(6, 15)]) * MIN)
        self.step_away(rng.uniform(30, 60) * MIN)  # lunch
        for _ in range(rng.randint(2, 4)):
            self.sit(rng.uniform(20, 75) * MIN)
            self.step_away(rng.choice([rng.uniform(0.5, 4), rng.uniform(6, 15)]) * MIN)
        self.sit(rng.uniform(5, 30) * MIN)


def until_next_morning(now: datetime, rng: random.Random) -> float:
    """Seconds to the next weekday morning around 8:30."""
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    morning = datetime(day.year, day.month, day.day, 8, 0).astimezone()
    morning += timedelta(minutes=rng.uniform(0, 60))
    return (morning - now).total_seconds()


def python_memory() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_a_month_adds_up_and_memory_stays_flat(tmp_path: Path) -> None:
    rng = random.Random(2026)
    history = tmp_path / "history.sqlite3"
    clock = FakeClock(datetime(2026, 3, 2, 8, 30).astimezone())  # a Monday
    sim = SimulatedDaemon(load_config(), history, clock)
    sim.start()
    user = User(sim, rng)
    first_day = clock.now().date()
    tracemalloc.start()
    try:
        memory: list[int] = []
        for day in range(31):
            if clock.now().weekday() < 5:
                user.workday()
            if day in (6, 30):
                sim.notifier.shown.clear()  # the test's own list, not the daemon's
                user._seen = 0
                memory.append(python_memory())
            user.sleep_machine(until_next_morning(clock.now(), rng))
        last_day = clock.now().date() - timedelta(days=1)
    finally:
        tracemalloc.stop()
        sim.finish()

    with sqlite3.connect(history) as db:
        report = collect(
            db, first_day, last_day, sim.daemon.engine.settings.interval, now=clock.now()
        )
        outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM reminders GROUP BY outcome"))
    workdays = [d for d in report.days if d.day in user.sat]
    assert len(workdays) >= 20
    for figures in report.days:
        expected = user.sat.get(figures.day, 0.0)
        # Each return from a long absence may be seen up to RETURN_SLACK late.
        assert expected - 12 * RETURN_SLACK <= figures.sitting_seconds <= expected + 60, figures.day
    total = report.total
    assert total.breaks_completed == user.breaks
    assert total.breaks_partial == 0
    # Every long absence and every night or weekend with the lid shut is a natural break.
    nights = 31
    assert total.breaks_natural == user.long_absences + nights
    # An answer covers the reminder and its ignored repeats before it.
    assert outcomes.get("snoozed", 0) >= user.snoozes
    assert outcomes.get("skipped", 0) >= user.skips
    assert outcomes.get("break", 0) >= user.breaks
    assert total.reminders_shown == sum(outcomes.values())
    assert total.reminders_snoozed == outcomes.get("snoozed", 0)
    assert total.reminders_skipped == outcomes.get("skipped", 0)
    assert total.reminders_led_to_break == outcomes.get("break", 0) + outcomes.get("natural", 0)

    # Growth from the first week to the last: a leak of even a few hundred bytes per
    # reminder or per idle reading would show here.
    assert memory[1] - memory[0] < 256 * 1024, f"Python memory grew {memory[1] - memory[0]} B"


def test_no_reminder_while_the_user_is_away(tmp_path: Path) -> None:
    rng = random.Random(7)
    clock = FakeClock(datetime(2026, 3, 2, 8, 30).astimezone())
    sim = SimulatedDaemon(load_config(), tmp_path / "h.sqlite3", clock)
    sim.start()
    user = User(sim, rng)
    shown: list[float] = []
    for _ in range(7):
        if clock.now().weekday() < 5:
            user.workday()
        shown += [s.monotonic for s in sim.notifier.shown]
        sim.notifier.shown.clear()
        user._seen = 0
        user.sleep_machine(until_next_morning(clock.now(), rng))
    sim.finish()
    assert len(shown) > 20
    for moment in shown:
        spans = user.away_spans + user.break_spans
        inside = [span for span in spans if span[0] + 1 < moment < span[1]]
        assert not inside, f"a reminder at {moment} while away {inside}"
