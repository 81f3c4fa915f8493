"""Wall-clock jumps and daylight-saving changes, through the real daemon on a fake clock.

Each scripted session is played twice: once as it happened and once with the wall clock
jumping forward and back by hours at seeded random moments (a user fixing the time, NTP
after a long offline spell, a time zone change). Sitting is measured on the monotonic
clock, so both runs must show the same reminders at the same monotonic moments and
record stretches and breaks of the same lengths: no spurious reminder, no sitting time
lost or counted twice. The daylight-saving tests sit through the change in
Europe/Berlin and compare the statistics of the day with the time really sat.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from support.simulated import LocalClock, SimulatedDaemon, fake_schedule_time

from breakd.config import LoadedConfig, load_config
from breakd.stats import collect

MIN = 60.0
HOUR = 3600.0

Step = Callable[[SimulatedDaemon], None]


def sit(seconds: float) -> Step:
    def step(sim: SimulatedDaemon) -> None:
        sim.idle.present = True
        sim.run(seconds)

    return step


def away(seconds: float) -> Step:
    def step(sim: SimulatedDaemon) -> None:
        sim.idle.present = False
        sim.run(seconds)
        sim.idle.present = True

    return step


def take_break(sim: SimulatedDaemon) -> None:
    sim.command(lambda: sim.daemon.start_break("cli"))
    sim.run(sim.daemon.engine.settings.break_length + 1)


def snooze(sim: SimulatedDaemon) -> None:
    sim.command(lambda: sim.daemon.snooze(None))


def skip(sim: SimulatedDaemon) -> None:
    sim.command(sim.daemon.skip)


def pause(seconds: float) -> Step:
    def step(sim: SimulatedDaemon) -> None:
        sim.command(lambda: sim.daemon.pause(seconds))

    return step


#: A working day: reminders answered in every way, a natural break, a pause.
DAY: list[Step] = [
    sit(42 * MIN),  # reminders at 30, 35 and 40 min
    take_break,
    sit(31 * MIN),
    snooze,
    sit(25 * MIN),
    skip,
    sit(20 * MIN),
    away(25 * MIN),  # a natural break
    sit(33 * MIN),
    pause(20 * MIN),
    sit(45 * MIN),
    take_break,
    sit(12 * MIN),
]


def play(
    config: LoadedConfig,
    history: Path,
    start: datetime,
    steps: list[Step],
    jumps: dict[int, float],
) -> SimulatedDaemon:
    """Play ``steps``; before step ``i`` the wall clock jumps by ``jumps[i]`` seconds
    (after a few seconds more of the previous step)."""
    clock = LocalClock(start)
    with fake_schedule_time(clock):
        sim = SimulatedDaemon(config, history, clock)
        sim.start()
        for i, step in enumerate(steps):
            if i in jumps:
                # Halfway through a sleep of the loop, as a real jump would come.
                sim.run(7.3)
                if jumps[i]:
                    clock.jump_wall(jumps[i])
            step(sim)
        sim.finish()
    return sim


def reminders(sim: SimulatedDaemon) -> list[tuple[float, int]]:
    return [(round(s.monotonic, 1), s.reminder.number) for s in sim.notifier.shown]


def lengths(history: Path, sql: str) -> list[float]:
    with sqlite3.connect(history) as db:
        return [round(row[0], 1) for row in db.execute(sql)]


def stretch_lengths(history: Path) -> list[float]:
    return lengths(history, "SELECT ended_at - started_at FROM stretches ORDER BY id")


def break_lengths(history: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(history) as db:
        rows = db.execute("SELECT kind, ended_at - started_at FROM breaks ORDER BY id")
        return [(kind, round(seconds, 1)) for kind, seconds in rows]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_wall_clock_jumps_change_no_reminder_and_no_recorded_length(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    config = load_config()
    start = datetime(2026, 3, 3, 8, 40).astimezone()
    moments = rng.sample(range(len(DAY)), 4)
    jumps = {i: rng.choice([-1, 1]) * rng.uniform(0.5, 11) * HOUR for i in moments}
    # The reference pauses at the same moments, without the jumps.
    reference = play(config, tmp_path / "reference.sqlite3", start, DAY, dict.fromkeys(jumps, 0))
    jumped = play(config, tmp_path / "jumped.sqlite3", start, DAY, jumps)

    assert len(reference.notifier.shown) >= 8, "the script should produce reminders"
    assert reminders(jumped) == reminders(reference), f"jumps {jumps}"
    assert stretch_lengths(tmp_path / "jumped.sqlite3") == stretch_lengths(
        tmp_path / "reference.sqlite3"
    ), f"jumps {jumps}"
    assert break_lengths(tmp_path / "jumped.sqlite3") == break_lengths(
        tmp_path / "reference.sqlite3"
    ), f"jumps {jumps}"
    # The idle counter kept being read as often: a jump back must not stall sampling.
    assert jumped.idle.reads >= reference.idle.reads - 2


def test_a_jump_back_while_away_still_sees_the_natural_break(tmp_path: Path) -> None:
    """The loop is asleep until its next idle reading when the clock goes back 3 hours."""
    config = load_config()
    start = datetime(2026, 3, 3, 10, 0).astimezone()
    steps: list[Step] = [sit(20 * MIN), away(40 * MIN), sit(20 * MIN)]
    sim = play(config, tmp_path / "h.sqlite3", start, steps, {1: -3 * HOUR})
    # Back after 40 minutes away: a natural break, and nobody was reminded while away.
    assert sim.notifier.shown == []
    assert [k for k, _ in break_lengths(tmp_path / "h.sqlite3")] == ["natural"]
    # The first stretch includes the seconds before the jump; the return is seen at the
    # next reading while away (every 5 s).
    assert stretch_lengths(tmp_path / "h.sqlite3") == pytest.approx(
        [20 * MIN + 7.3, 20 * MIN], abs=5
    )


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Berlin: clocks go forward 29 March, back 25 October 2026."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("day", "hours_on_the_wall"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)],
    ids=["spring-forward", "fall-back"],
)
@pytest.mark.parametrize("working_hours", [False, True], ids=["always", "working-hours"])
def test_daylight_saving_day_counts_the_time_really_sat(
    tmp_path: Path, berlin: None, day: date, hours_on_the_wall: int, working_hours: bool
) -> None:
    config = load_config()
    settings = replace(config.settings, interval=30 * MIN)
    if working_hours:
        # Every day, 00:30 to 05:00: the change at 02:00/03:00 falls inside.
        settings = replace(
            settings,
            working_hours_enabled=True,
            working_days=frozenset(range(7)),
            work_start=datetime(2000, 1, 1, 0, 30).time(),
            work_end=datetime(2000, 1, 1, 5, 0).time(),
        )
    config = replace(config, settings=settings)
    start = datetime(day.year, day.month, day.day, 0, 40).astimezone()
    steps: list[Step] = [sit(45 * MIN), take_break, sit(70 * MIN), take_break, sit(50 * MIN)]
    history = tmp_path / "h.sqlite3"
    sim = play(config, history, start, steps, {})

    # Reminders come after 30 minutes of sitting, then every 5 minutes, on the
    # monotonic clock, whatever the wall clock does in between.
    stretch_starts = [s[0] for s in _stretches(history)]
    for shown in sim.notifier.shown:
        began = max(t for t in stretch_starts if t <= shown.wall.timestamp() + 1)
        sat = shown.wall.timestamp() - began
        assert sat == pytest.approx(30 * MIN + 5 * MIN * (shown.reminder.number - 1), abs=2)

    sat_total = sum(e - s for s, e in _stretches(history))
    assert sat_total == pytest.approx(165 * MIN + 2 * 1, abs=5)
    with sqlite3.connect(history) as db:
        report = collect(db, day, day, settings.interval, now=start + timedelta(days=2))
    [figures] = report.days
    assert figures.sitting_seconds == pytest.approx(sat_total, abs=1)
    assert figures.breaks_completed == 2
    assert figures.reminders_shown == len(sim.notifier.shown) == 9
    # Sanity of the fixture: the day really has 23 or 25 hours on this machine.
    midnight = datetime(day.year, day.month, day.day).astimezone()
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time()).astimezone()
    assert next_midnight.timestamp() - midnight.timestamp() == hours_on_the_wall * HOUR


def _stretches(history: Path) -> list[tuple[float, float]]:
    with sqlite3.connect(history) as db:
        return [
            (float(s), float(e))
            for s, e in db.execute("SELECT started_at, ended_at FROM stretches ORDER BY id")
        ]
