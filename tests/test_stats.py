"""Statistics over histories played through the engine with a fake clock and written by
the real store: every figure of a scripted day, midnight, daylight saving, open stretches.

:class:`Recorder` is shared with the other statistics and chart tests.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from breakd.clock import FakeClock
from breakd.config import Settings, load_config
from breakd.engine import Effect, Engine, Write, break_length
from breakd.stats import (
    Report,
    collect,
    format_minutes,
    format_today,
    last_days,
    local_midnight,
    period_name,
    read_history,
    summary_line,
    today_line,
)
from breakd.store import HistoryStore

MIN = 60.0
HOUR = 3600.0
INTERVAL = 30 * MIN


class Recorder:
    """A user's days played through the engine, every record written to a history file.

    The user is at the keyboard (idle 0) unless :meth:`away` says otherwise; the OS is
    sampled every ``step`` seconds, as the daemon does.
    """

    def __init__(
        self,
        path: Path,
        start: datetime,
        settings: Settings | None = None,
        step: float = 10.0,
    ) -> None:
        self.settings = settings or load_config().settings
        self.clock = FakeClock(start)
        self.store = HistoryStore(path)
        self.step = step
        self.engine = Engine(self.settings, self.clock)
        self.apply(self.engine.sample(0))

    def apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Write):
                self.store.write(effect.record)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def sit(self, seconds: float) -> None:
        """Work at the keyboard for ``seconds``; reminders come as the engine decides."""
        self._run(seconds, idle=False)

    def away(self, seconds: float) -> None:
        """Leave the keyboard now and come back after ``seconds``."""
        self._run(seconds, idle=True)
        self.apply(self.engine.sample(0))

    def take_break(self, done_after: float | None = None, trigger: str = "reminder") -> None:
        """Start a break; let it run its length, or end it early after ``done_after``."""
        length = break_length(self.settings, self.engine.next_break_type())
        self.apply(self.engine.start_break(trigger, ("neck-turn",)))
        if done_after is None:
            self._run(length, idle=False)
        else:
            self._run(done_after, idle=False)
            self.apply(self.engine.end_break_early())

    def snooze(self) -> None:
        self.apply(self.engine.snooze())

    def skip(self) -> None:
        self.apply(self.engine.skip())

    def end_day(self) -> None:
        """The daemon stops (the machine shuts down): the open stretch is closed."""
        self.apply(self.engine.shutdown())

    def start_day(self, at: datetime) -> None:
        """The machine starts again at ``at`` and the user sits down at once."""
        self.clock.advance((at - self.now).total_seconds())
        self.engine = Engine(self.settings, self.clock)
        self.apply(self.engine.sample(0))

    def close(self) -> None:
        self.store.close()

    def _run(self, seconds: float, *, idle: bool) -> None:
        elapsed, idle_for = 0.0, 0.0
        while elapsed < seconds - 1e-9:
            step = min(self.step, seconds - elapsed)
            self.clock.advance(step)
            elapsed += step
            idle_for = idle_for + step if idle else 0.0
            self.apply(self.engine.sample(idle_for))


def local(*parts: int) -> datetime:
    """A local wall-clock time, as the fake clock wants it."""
    return datetime(*parts).astimezone()  # type: ignore[arg-type]


def report_for(path: Path, first: date, last: date, now: datetime | None = None) -> Report:
    with sqlite3.connect(path) as db:
        return collect(db, first, last, INTERVAL, now=now or local(2030, 1, 1))


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Berlin (changes clocks on 29 March and 25 October 2026)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def working_monday(path: Path) -> Recorder:
    """Monday 2 March 2026 as the engine sees it (default settings: 30 min interval,
    reminders repeated every 5 min up to 3, 5 min idle is a natural break, 2 min breaks).

    Stretches: 30, 70, 45, 20, 30 and 130 min. Breaks: 1 completed, 1 partial,
    3 natural. Reminders: 12 shown; 5 led to a break, 3 snoozed, 1 skipped, 3 unanswered.
    A 52-minute call in the last stretch (the call watcher writes it beside the engine).
    """
    r = Recorder(path, local(2026, 3, 2, 9, 0))
    r.sit(30 * MIN)  # reminder at 09:30
    r.take_break()  # completed 09:30-09:32
    r.sit(40 * MIN)  # reminders at 10:02, 10:07, 10:12
    r.snooze()  # 10 minutes
    r.sit(10 * MIN)  # reminder at 10:22
    r.skip()
    r.sit(20 * MIN)  # to 10:42; the stretch began at 09:32: 70 min
    r.away(15 * MIN)  # natural break 10:42-10:57
    r.sit(45 * MIN)  # reminders at 11:27, 11:32, 11:37; on to 11:42
    r.take_break(done_after=90)  # partial 11:42-11:43:30, long enough to reset sitting
    r.sit(20 * MIN)  # to 12:03:30
    r.away(45 * MIN)  # lunch: natural break 12:03:30-12:48:30
    r.sit(30 * MIN)  # reminder at 13:18:30 ...
    r.away(10 * MIN)  # ... and the user gets up: natural break to 13:28:30
    r.sit(30 * MIN)  # reminders at 13:58:30, 14:03:30, 14:08:30, all ignored
    r.store.call_started(r.now)  # 13:58:30
    r.sit(52 * MIN)
    r.store.call_ended(r.now)  # 14:50:30
    r.sit(48 * MIN)
    r.end_day()  # 15:38:30
    return r


def test_every_figure_of_a_working_day(history: Path) -> None:
    working_monday(history).close()
    report = report_for(history, date(2026, 3, 2), date(2026, 3, 2))
    [day] = report.days
    assert day.sitting_seconds == pytest.approx((30 + 70 + 45 + 20 + 30 + 130) * MIN)
    assert day.longest_stretch == pytest.approx(130 * MIN)
    assert day.stretches_over_interval == 3  # 70, 45 and 130 min; 30 is not over 30
    assert (day.breaks_completed, day.breaks_partial, day.breaks_natural) == (1, 1, 3)
    assert day.breaks == 2
    assert day.reminders_shown == 12
    assert day.reminders_led_to_break == 5
    assert (day.reminders_snoozed, day.reminders_skipped) == (3, 1)
    assert day.break_share == pytest.approx(5 / 12)
    assert report.total.sitting_seconds == day.sitting_seconds
    assert day.call_seconds == pytest.approx(52 * MIN)  # part of the sitting, not added


def test_timeline_pieces_and_breaks_of_the_day(history: Path) -> None:
    working_monday(history).close()
    [line] = report_for(history, date(2026, 3, 2), date(2026, 3, 2)).timelines
    starts = [datetime.fromtimestamp(p.started_at).strftime("%H:%M:%S") for p in line.pieces]
    assert starts == ["09:00:00", "09:32:00", "10:57:00", "11:43:30", "12:48:30", "13:28:30"]
    assert [round(p.whole / MIN) for p in line.pieces] == [30, 70, 45, 20, 30, 130]
    assert [b.outcome for b in line.breaks] == [
        "completed",
        "natural",
        "partial",
        "natural",
        "natural",
    ]


def test_days_without_history_are_zero_and_have_no_share(history: Path) -> None:
    working_monday(history).close()
    report = report_for(history, date(2026, 3, 1), date(2026, 3, 4))
    assert [d.day for d in report.days] == [date(2026, 3, n) for n in (1, 2, 3, 4)]
    empty = report.days[0]
    assert empty.sitting_seconds == 0 and empty.longest_stretch == 0
    assert empty.reminders_shown == 0 and empty.break_share is None
    assert report.total.sitting_seconds == report.days[1].sitting_seconds
    assert report.total.break_share == pytest.approx(5 / 12)


def test_several_days_add_up(history: Path) -> None:
    r = working_monday(history)
    r.start_day(local(2026, 3, 3, 8, 30))
    r.sit(25 * MIN)
    r.away(6 * MIN)  # natural break 08:55-09:01
    r.sit(95 * MIN)  # reminders at 09:31, 09:36, 09:41
    r.take_break()
    r.sit(10 * MIN)
    r.end_day()
    r.close()
    report = report_for(history, date(2026, 3, 2), date(2026, 3, 3))
    monday, tuesday = report.days
    assert tuesday.sitting_seconds == pytest.approx((25 + 95 + 10) * MIN)
    assert tuesday.longest_stretch == pytest.approx(95 * MIN)
    assert tuesday.stretches_over_interval == 1
    assert (tuesday.breaks_completed, tuesday.breaks_natural) == (1, 1)
    assert tuesday.reminders_shown == 3 and tuesday.reminders_led_to_break == 3
    total = report.total
    assert total.sitting_seconds == pytest.approx(monday.sitting_seconds + (130 * MIN))
    assert total.longest_stretch == pytest.approx(130 * MIN)
    assert total.stretches_over_interval == 4
    assert total.breaks == 3 and total.breaks_natural == 4
    # Monday's last three reminders went unanswered before the day ended: Tuesday's
    # breaks, in stretches of their own, do not count as their answer.
    assert total.reminders_shown == 15
    assert total.reminders_led_to_break == 5 + 3
    assert summary_line(report, date(2026, 3, 3)) == (
        "Last 2 days: 7 h 35 min sitting, 52 min of it in calls, longest stretch 2 h 10 min,"
        " 3 breaks, 4 natural breaks"
    )
    assert total.call_seconds == pytest.approx(52 * MIN)


def test_a_call_over_midnight_is_split_and_an_open_one_counts_to_now(history: Path) -> None:
    store = HistoryStore(history)
    store.call_started(local(2026, 3, 2, 23, 40))
    store.call_ended(local(2026, 3, 3, 0, 20))
    store.call_started(local(2026, 3, 3, 9, 0))
    store.touch_call(local(2026, 3, 3, 9, 10))  # still going: seen a minute ago
    store.close()
    with sqlite3.connect(history) as db:
        now = local(2026, 3, 3, 9, 11)
        report = collect(db, date(2026, 3, 2), date(2026, 3, 3), 30 * MIN, now=now)
        monday, tuesday = report.days
        assert monday.call_seconds == pytest.approx(20 * MIN)
        assert tuesday.call_seconds == pytest.approx(20 * MIN + 11 * MIN)
        assert [len(line.calls) for line in report.timelines] == [1, 2]
        # Long after it was last seen, an open call counts only to then (a crash).
        later = local(2026, 3, 3, 12, 0)
        [day] = collect(db, date(2026, 3, 3), date(2026, 3, 3), 30 * MIN, now=later).days
        assert day.call_seconds == pytest.approx(20 * MIN + 10 * MIN)


@pytest.mark.parametrize(
    ("start", "minutes", "over_on_first_day"),
    [
        ((2026, 3, 2, 23, 40), 45, False),  # past the interval at 00:10, on Tuesday
        ((2026, 3, 2, 23, 20), 55, True),  # past it at 23:50, still on Monday
    ],
)
def test_a_stretch_across_midnight_is_split_between_the_days(
    history: Path, start: tuple[int, ...], minutes: int, over_on_first_day: bool
) -> None:
    r = Recorder(history, local(*start))
    r.sit(minutes * MIN)
    r.take_break()  # completed, after midnight
    r.sit(10 * MIN)
    r.end_day()
    r.close()
    monday, tuesday = report_for(history, date(2026, 3, 2), date(2026, 3, 3)).days
    before = (local(2026, 3, 3) - local(*start)).total_seconds()
    assert monday.sitting_seconds == pytest.approx(before)
    assert monday.longest_stretch == pytest.approx(before)
    assert tuesday.sitting_seconds == pytest.approx(minutes * MIN - before + 10 * MIN)
    assert tuesday.longest_stretch == pytest.approx(minutes * MIN - before)
    assert (monday.stretches_over_interval, tuesday.stretches_over_interval) == (
        (1, 0) if over_on_first_day else (0, 1)
    )
    assert (monday.breaks_completed, tuesday.breaks_completed) == (0, 1)
    shown = monday.reminders_shown + tuesday.reminders_shown
    assert shown == 3 and monday.reminders_led_to_break + tuesday.reminders_led_to_break == 3


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)],
    ids=["spring-forward", "fall-back"],
)
def test_daylight_saving_days_count_the_real_elapsed_time(
    history: Path, berlin: None, day: date, hours: int
) -> None:
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    r = Recorder(history, local(before.year, before.month, before.day, 20, 0), step=60)
    r.sit(4 * HOUR + hours * HOUR + 3 * HOUR)  # until 03:00 the day after, never rising
    r.end_day()
    r.close()
    assert local_midnight(after) - local_midnight(day) == hours * HOUR
    days = report_for(history, before, after).days
    assert [d.sitting_seconds for d in days] == pytest.approx([4 * HOUR, hours * HOUR, 3 * HOUR])
    assert days[1].longest_stretch == pytest.approx(hours * HOUR)
    assert [d.stretches_over_interval for d in days] == [1, 0, 0]
    # The same with the zone given explicitly rather than taken from the system.
    with sqlite3.connect(history) as db:
        zoned = collect(
            db, before, after, INTERVAL, now=local(2030, 1, 1), tz=ZoneInfo("Europe/Berlin")
        )
    assert [d.sitting_seconds for d in zoned.days] == pytest.approx(
        [4 * HOUR, hours * HOUR, 3 * HOUR]
    )


def test_the_small_hours_of_a_daylight_saving_day(history: Path, berlin: None) -> None:
    """01:00 to 04:00 by the clock is two real hours in spring and four in autumn."""
    for day, real in ((date(2026, 3, 29), 2 * HOUR), (date(2026, 10, 25), 4 * HOUR)):
        path = history.with_name(f"{day}.sqlite3")
        r = Recorder(path, local(day.year, day.month, day.day, 1, 0), step=60)
        r.sit(real)
        r.end_day()
        r.close()
        assert r.now.timestamp() == local(day.year, day.month, day.day, 4, 0).timestamp()
        [figures] = report_for(path, day, day).days
        assert figures.sitting_seconds == pytest.approx(real)


def test_an_open_stretch_counts_to_now_while_live_else_to_last_seen(history: Path) -> None:
    r = Recorder(history, local(2026, 3, 2, 9, 0))
    r.sit(40 * MIN)  # still sitting: the stretch is open in the file
    r.store.touch(r.now - timedelta(seconds=30))
    r.close()
    seen = 40 * MIN - 30
    with sqlite3.connect(history) as db:
        fresh = today_line(db, r.now, INTERVAL)
        assert fresh["sitting_seconds"] == pytest.approx(40 * MIN)
        assert fresh["longest_stretch"] == pytest.approx(40 * MIN)
        assert fresh["stretches_over_interval"] == 1
        told = today_line(db, r.now, INTERVAL, live=False)
        assert told["sitting_seconds"] == pytest.approx(seen)
        later = r.now + timedelta(hours=1)  # seen an hour ago: the daemon is gone
        assert today_line(db, later, INTERVAL)["sitting_seconds"] == pytest.approx(seen)
        assert today_line(db, later, INTERVAL, live=True)["sitting_seconds"] == pytest.approx(
            seen + HOUR + 30
        )


def test_only_the_newest_open_stretch_can_be_live(history: Path) -> None:
    r = Recorder(history, local(2026, 3, 2, 9, 0))
    r.sit(20 * MIN)
    r.store.touch(r.now)
    # The daemon is killed; another starts an hour later (before it has tidied up the
    # file) and the user sits again.
    r.start_day(local(2026, 3, 2, 10, 20))
    r.sit(10 * MIN)
    r.close()
    with sqlite3.connect(history) as db:
        day = local(2026, 3, 2).timestamp(), local(2026, 3, 3).timestamp()
        history_rows = read_history(db, *day, now=r.now.timestamp(), live=True)
        line = today_line(db, r.now, INTERVAL, live=True)
    assert [s.live for s in history_rows.stretches] == [False, True]
    assert line["sitting_seconds"] == pytest.approx(30 * MIN)
    assert line["longest_stretch"] == pytest.approx(20 * MIN)


def test_today_line_and_its_words(history: Path) -> None:
    working_monday(history).close()
    evening = local(2026, 3, 2, 18, 0)
    with sqlite3.connect(history) as db:
        line = today_line(db, evening, INTERVAL)
    assert line["date"] == "2026-03-02"
    assert (line["breaks"], line["natural_breaks"]) == (2, 3)
    assert line["sitting_seconds"] == pytest.approx(325 * MIN)
    assert line["longest_stretch"] == pytest.approx(130 * MIN)
    assert line["break_share"] == pytest.approx(5 / 12, abs=1e-4)
    assert format_today(line) == (
        "Today: 5 h 25 min sitting · 2 breaks · longest stretch 2 h 10 min"
    )
    assert format_today({"breaks": 1, "longest_stretch": 52 * MIN}) == (
        "Today: 1 break · longest stretch 52 min"
    )


def test_words_for_durations_and_periods() -> None:
    assert format_minutes(0) == "0 min"
    assert format_minutes(52 * MIN + 10) == "52 min"
    assert format_minutes(65 * MIN) == "1 h 05 min"
    assert format_minutes(4 * HOUR + 20 * MIN) == "4 h 20 min"
    today = date(2026, 3, 8)
    assert period_name(today, today, today) == "Today"
    assert period_name(date(2026, 3, 2), today, today) == "Last 7 days"
    assert period_name(date(2026, 2, 2), date(2026, 2, 8), today) == "2 Feb \N{EN DASH} 8 Feb 2026"
    assert last_days(7, local(2026, 3, 8, 12, 0)) == (date(2026, 3, 2), today)
