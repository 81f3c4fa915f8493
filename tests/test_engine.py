"""Every sitting-time rule, checked exactly with a fake clock (no sleeps)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from breakd.clock import FakeClock
from breakd.config import Settings, load_config
from breakd.engine import (
    BeginBreak,
    BreakOver,
    BreakRecorded,
    Effect,
    Engine,
    Phase,
    Refused,
    ReminderShown,
    ShowReminder,
    StretchEnded,
    StretchStarted,
    UserAction,
    WithdrawReminder,
    Write,
    mostly_done,
)
from breakd.messages import refusal_text

MIN = 60.0


def defaults(**changes: object) -> Settings:
    return replace(load_config().settings, **changes)


def records(effects: list[Effect], kind: type) -> list:
    return [e.record for e in effects if isinstance(e, Write) and isinstance(e.record, kind)]


@contextmanager
def refused(words: str) -> Iterator[None]:
    """The engine refuses, and the user is told so in ``words`` (the edge's wording)."""
    with pytest.raises(Refused) as caught:
        yield
    assert re.search(words, refusal_text(caught.value.refusal))


def shows(effects: list[Effect]) -> list[ShowReminder]:
    return [e for e in effects if isinstance(e, ShowReminder)]


class Harness:
    """An engine plus a fake clock, with the user present (idle 0) unless told otherwise."""

    def __init__(self, settings: Settings | None = None, start: datetime | None = None) -> None:
        self.clock = FakeClock(start or datetime(2026, 3, 2, 9, 0).astimezone())
        self.engine = Engine(settings or defaults(), self.clock)
        self.effects: list[Effect] = []
        self.idle = 0.0
        self.log(self.engine.sample(0))

    def log(self, effects: list[Effect]) -> list[Effect]:
        self.effects.extend(effects)
        return effects

    def run(self, seconds: float, *, idle_from: float | None = None, step: float = 1.0) -> None:
        """Let time pass, sampling every ``step``; input stops at ``idle_from`` seconds in."""
        elapsed = 0.0
        while elapsed < seconds:
            self.clock.advance(step)
            elapsed += step
            if idle_from is None or elapsed <= idle_from:
                self.idle = 0.0
            else:
                self.idle += step
            self.log(self.engine.sample(self.idle))


def test_first_sample_starts_a_stretch() -> None:
    h = Harness()
    assert h.engine.phase is Phase.SITTING
    assert len(records(h.effects, StretchStarted)) == 1
    assert records(h.effects, StretchStarted)[0].at == datetime(2026, 3, 2, 9, 0).astimezone()


def test_reminder_exactly_at_the_interval() -> None:
    h = Harness()
    h.run(30 * MIN - 1)
    assert shows(h.effects) == []
    assert h.engine.next_deadline() == pytest.approx(h.clock.monotonic() + 1)
    h.run(1)
    [shown] = shows(h.effects)
    assert shown.sitting_seconds == 30 * MIN and shown.number == 1
    [row] = records(h.effects, ReminderShown)
    assert row.at == datetime(2026, 3, 2, 9, 30).astimezone()


def test_ignored_reminder_repeats_then_stays_quietly_due() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.run(5 * MIN)
    h.run(5 * MIN)
    assert [s.number for s in shows(h.effects)] == [1, 2, 3]
    assert [s.sitting_seconds for s in shows(h.effects)] == [30 * MIN, 35 * MIN, 40 * MIN]
    h.run(60 * MIN, step=10)
    assert len(shows(h.effects)) == 3
    status = h.engine.status()
    assert status.reminder_due and status.next_reminder_in is None
    assert h.engine.next_deadline() is None


def test_short_idle_still_counts_as_sitting() -> None:
    h = Harness()
    h.run(10 * MIN)
    h.run(4 * MIN + 59, idle_from=0)  # reading for almost five minutes
    h.run(1 * MIN)  # input again
    assert records(h.effects, StretchEnded) == []
    assert h.engine.sitting_seconds() == pytest.approx(16 * MIN - 1)


def test_long_idle_is_a_natural_break_ending_at_the_last_input() -> None:
    h = Harness()
    h.run(20 * MIN)
    h.run(5 * MIN, idle_from=0)
    [ended] = records(h.effects, StretchEnded)
    assert ended.reason == "natural-break"
    assert ended.ended == datetime(2026, 3, 2, 9, 20).astimezone()
    assert h.engine.phase is Phase.AWAY
    h.run(10 * MIN, idle_from=0)  # still away
    h.run(1)  # back
    [natural] = records(h.effects, BreakRecorded)
    assert natural.outcome == "natural"
    assert natural.started == datetime(2026, 3, 2, 9, 20).astimezone()
    assert natural.ended == datetime(2026, 3, 2, 9, 35, 1).astimezone()
    assert h.engine.phase is Phase.SITTING
    assert h.engine.sitting_seconds() == 0


def test_no_reminder_while_away_and_reminder_withdrawn_on_leaving() -> None:
    h = Harness()
    h.run(30 * MIN)
    assert len(shows(h.effects)) == 1
    h.run(10 * MIN, idle_from=0, step=5)
    assert any(isinstance(e, WithdrawReminder) for e in h.effects)
    assert len(shows(h.effects)) == 1  # the repeat at 35 min is not shown


def test_snooze_postpones_and_restarts_the_count() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.snooze())
    assert any(isinstance(e, WithdrawReminder) for e in h.effects)
    [action] = records(h.effects, UserAction)
    assert action.action == "snooze" and action.until == datetime(2026, 3, 2, 9, 40).astimezone()
    assert h.engine.status().snoozed_until == datetime(2026, 3, 2, 9, 40).astimezone()
    h.run(10 * MIN - 1)
    assert len(shows(h.effects)) == 1
    h.run(1)
    assert [s.number for s in shows(h.effects)] == [1, 1]


def test_snooze_while_counting_delays_the_first_reminder() -> None:
    h = Harness()
    h.run(25 * MIN)
    h.log(h.engine.snooze(15 * MIN))
    h.run(15 * MIN - 1)
    assert shows(h.effects) == []
    h.run(1)
    assert len(shows(h.effects)) == 1


def test_pause_for_a_duration_freezes_the_reminder_clock() -> None:
    h = Harness()
    h.run(20 * MIN)
    h.log(h.engine.pause(60 * MIN))
    assert h.engine.status().paused_until == datetime(2026, 3, 2, 10, 20).astimezone()
    h.run(60 * MIN, step=10)
    assert shows(h.effects) == []
    assert not h.engine.status().paused
    # 20 minutes counted before the pause: 10 more to go.
    h.run(10 * MIN - 1)
    assert shows(h.effects) == []
    h.run(1)
    assert len(shows(h.effects)) == 1


def test_pause_indefinitely_until_resumed() -> None:
    h = Harness()
    h.log(h.engine.pause(None))
    h.run(5 * 60 * MIN, step=30)
    assert shows(h.effects) == []
    assert h.engine.next_deadline() is None
    h.log(h.engine.resume())
    assert [a.action for a in records(h.effects, UserAction)] == ["pause", "resume"]
    h.run(30 * MIN)
    assert len(shows(h.effects)) == 1
    with pytest.raises(Refused):
        h.engine.resume()


def test_pause_until_tomorrow_ends_at_midnight() -> None:
    h = Harness(start=datetime(2026, 3, 2, 17, 0).astimezone())
    h.log(h.engine.pause("tomorrow"))
    assert h.engine.status().paused_until == datetime(2026, 3, 3, 0, 0).astimezone()


def test_pause_until_tomorrow_ends_at_next_working_day_start() -> None:
    s = defaults(working_hours_enabled=True)
    h = Harness(s, start=datetime(2026, 3, 6, 17, 0).astimezone())  # a Friday
    h.log(h.engine.pause("tomorrow"))
    assert h.engine.status().paused_until == datetime(2026, 3, 9, 9, 0).astimezone()


@pytest.mark.parametrize("seconds", [24 * 3600 + 1, 1e15, float("inf"), float("nan")])
def test_a_snooze_or_pause_past_its_bound_is_refused_and_changes_nothing(seconds: float) -> None:
    h = Harness()
    h.run(10 * MIN)
    before = h.engine.status()
    with refused("at most 24h"):
        h.engine.snooze(seconds)
    assert h.engine.status() == before
    if seconds > 24 * 3600 + 1 or seconds != seconds:
        with refused("at most a year"):
            h.engine.pause(seconds)
        assert h.engine.status() == before
    h.log(h.engine.snooze(24 * 3600))
    assert h.engine.status().snoozed_until == h.clock.now() + timedelta(hours=24)


def test_snooze_refused_while_paused_or_away() -> None:
    h = Harness()
    h.log(h.engine.pause(None))
    with refused("paused"):
        h.engine.snooze()
    h.log(h.engine.resume())
    h.run(6 * MIN, idle_from=0)
    with refused("away"):
        h.engine.snooze()


def test_completed_break_resets_sitting() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("reminder", ("knee-press", "tiptoe-raise")))
    assert any(isinstance(e, BeginBreak) for e in h.effects)
    assert any(isinstance(e, WithdrawReminder) for e in h.effects)
    assert h.engine.phase is Phase.BREAK
    with refused("already"):
        h.engine.start_break("cli")
    h.run(2 * MIN - 1)
    assert records(h.effects, BreakRecorded) == []
    h.run(1)
    [taken] = records(h.effects, BreakRecorded)
    assert taken.outcome == "completed" and taken.trigger == "reminder"
    assert taken.exercises == ("knee-press", "tiptoe-raise")
    assert (taken.ended - taken.started) == timedelta(minutes=2)
    [over] = [e for e in h.effects if isinstance(e, BreakOver)]
    assert over.next_reminder_in == 30 * MIN
    ended = records(h.effects, StretchEnded)
    assert (
        ended[-1].reason == "break" and ended[-1].ended == datetime(2026, 3, 2, 9, 30).astimezone()
    )
    assert h.engine.phase is Phase.SITTING and h.engine.sitting_seconds() == 0
    h.run(30 * MIN)
    assert len(shows(h.effects)) == 2


def test_break_ended_early_is_partial_and_does_not_reset() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("tray", ("a", "b", "c", "d")))
    h.run(20)
    h.log(h.engine.end_break_early(("a",)))
    [taken] = records(h.effects, BreakRecorded)
    assert taken.outcome == "partial" and taken.exercises == ("a",)
    assert (taken.ended - taken.started) == timedelta(seconds=20)
    assert records(h.effects, StretchEnded) == []
    assert h.engine.sitting_seconds() == pytest.approx(30 * MIN + 20)
    # Still due: asked again after remind_again, not at once.
    h.run(5 * MIN - 1)
    assert len(shows(h.effects)) == 1
    h.run(1)
    assert len(shows(h.effects)) == 2


def test_break_ended_after_most_of_it_resets_sitting() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("tray"))
    h.run(90)
    h.log(h.engine.end_break_early())
    [taken] = records(h.effects, BreakRecorded)
    assert taken.outcome == "partial"
    assert records(h.effects, StretchEnded)[-1].reason == "break"
    assert h.engine.sitting_seconds() == 0


def test_time_on_hold_does_not_count_towards_most_of_the_break() -> None:
    """48.5 s of exercise and an 18 s pause: 66.5 s have passed, but the back moved for
    less than half of the 2-minute break, so sitting is not reset."""
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("tray"))
    h.clock.advance(30)
    h.log(h.engine.hold_break())
    h.clock.advance(18)
    h.log(h.engine.release_break())
    h.clock.advance(18.5)
    h.log(h.engine.end_break_early())
    [taken] = records(h.effects, BreakRecorded)
    assert taken.outcome == "partial"
    assert (taken.ended - taken.started) == timedelta(seconds=66.5)  # its real length
    assert records(h.effects, StretchEnded) == []
    assert h.engine.sitting_seconds() == pytest.approx(30 * MIN + 66.5)


def test_a_break_ended_while_on_hold_counts_only_the_exercise_before_it() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("tray"))
    h.clock.advance(59)
    h.log(h.engine.hold_break())
    h.clock.advance(5 * MIN)
    h.log(h.engine.end_break_early())
    assert records(h.effects, StretchEnded) == []  # 59 s of 120 s: not most of it
    h2 = Harness()
    h2.run(30 * MIN)
    h2.log(h2.engine.start_break("tray"))
    h2.clock.advance(20)
    h2.log(h2.engine.hold_break())
    h2.clock.advance(10)
    h2.log(h2.engine.release_break())
    h2.clock.advance(40)
    h2.log(h2.engine.end_break_early())
    assert records(h2.effects, StretchEnded)[-1].reason == "break"  # 60 s exercised
    assert h2.engine.sitting_seconds() == 0


def test_mostly_done_is_half_the_break_spent_exercising() -> None:
    assert mostly_done(60, 120) and mostly_done(61, 120)
    assert not mostly_done(59.9, 120)


def test_lock_shorter_than_threshold_is_not_a_break() -> None:
    h = Harness()
    h.run(10 * MIN)
    h.log(h.engine.away("lock"))
    h.clock.advance(3 * MIN)
    h.log(h.engine.back("lock"))
    assert records(h.effects, BreakRecorded) == []
    assert h.engine.sitting_seconds() == pytest.approx(13 * MIN)


def test_return_from_lock_is_a_natural_break_with_grace() -> None:
    h = Harness(defaults(interval=60.0, grace_after_return=120.0))
    h.run(50)
    h.log(h.engine.away("lock"))
    h.clock.advance(5 * MIN)
    h.log(h.engine.tick())
    assert records(h.effects, StretchEnded)[-1].ended == datetime(2026, 3, 2, 9, 0, 50).astimezone()
    h.clock.advance(5 * MIN)
    h.log(h.engine.back("lock"))
    [natural] = records(h.effects, BreakRecorded)
    assert natural.outcome == "natural" and natural.trigger == "lock"
    assert (natural.ended - natural.started) == timedelta(minutes=10)
    # Interval is 1 minute, but nothing is shown in the first 2 minutes back.
    h.run(2 * MIN - 1)
    assert shows(h.effects) == []
    h.run(1)
    assert len(shows(h.effects)) == 1


def test_suspend_noticed_afterwards_is_a_natural_break() -> None:
    h = Harness()
    h.run(10 * MIN)
    h.clock.advance(2 * 3600)
    h.log(h.engine.was_away(2 * 3600, "suspend"))
    [natural] = records(h.effects, BreakRecorded)
    assert natural.trigger == "suspend"
    assert (natural.ended - natural.started) == timedelta(hours=2)
    assert h.engine.sitting_seconds() == 0


def test_working_hours_stop_counting_and_reminding() -> None:
    s = defaults(working_hours_enabled=True, working_days=frozenset(range(5)), work_end=time(18, 0))
    h = Harness(s, start=datetime(2026, 3, 2, 17, 50).astimezone())
    h.run(10 * MIN)
    assert h.engine.phase is Phase.OFF_HOURS
    assert records(h.effects, StretchEnded)[-1].reason == "off-hours"
    h.run(60 * MIN, step=10)
    assert shows(h.effects) == []
    assert h.engine.sitting_seconds() == 0


def test_working_hours_start_counts_from_the_first_input() -> None:
    s = defaults(working_hours_enabled=True)
    h = Harness(s, start=datetime(2026, 3, 2, 8, 50).astimezone())
    assert h.engine.phase is Phase.OFF_HOURS
    h.run(10 * MIN, step=10)
    assert h.engine.phase is Phase.SITTING
    assert records(h.effects, StretchStarted)[-1].at == datetime(2026, 3, 2, 9, 0).astimezone()
    assert records(h.effects, BreakRecorded) == []


def test_weekend_is_outside_working_hours() -> None:
    s = defaults(working_hours_enabled=True)
    h = Harness(s, start=datetime(2026, 3, 7, 10, 0).astimezone())  # a Saturday
    h.run(60 * MIN, step=10)
    assert h.engine.phase is Phase.OFF_HOURS and shows(h.effects) == []


def test_longer_interval_clears_a_due_reminder() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.apply_settings(defaults(interval=45 * MIN)))
    assert not h.engine.status().reminder_due
    h.run(15 * MIN - 1)
    assert len(shows(h.effects)) == 1
    h.run(1)
    assert len(shows(h.effects)) == 2


def test_shorter_interval_reminds_at_once() -> None:
    h = Harness()
    h.run(25 * MIN)
    h.log(h.engine.apply_settings(defaults(interval=20 * MIN)))
    assert len(shows(h.effects)) == 1


def test_skip_counts_a_full_interval_again() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.skip())
    h.run(30 * MIN - 1)
    assert len(shows(h.effects)) == 1
    h.run(1)
    assert len(shows(h.effects)) == 2
    assert records(h.effects, UserAction)[0].action == "skip"


def test_shutdown_closes_the_open_stretch() -> None:
    h = Harness()
    h.run(7 * MIN)
    h.log(h.engine.shutdown())
    assert records(h.effects, StretchEnded)[-1].reason == "shutdown"


def test_restore_stretch_continues_counting() -> None:
    clock = FakeClock()
    engine = Engine(defaults(), clock)
    effects = engine.restore_stretch(25 * MIN)
    assert records(effects, StretchStarted) == []
    clock.advance(5 * MIN)
    assert len(shows(engine.tick())) == 1


def test_wall_clock_jump_does_not_change_sitting_time() -> None:
    h = Harness()
    h.run(10 * MIN)
    h.clock.jump_wall(-3 * 3600)
    h.run(10 * MIN)
    assert h.engine.sitting_seconds() == pytest.approx(20 * MIN)
    h.clock.jump_wall(+6 * 3600)
    h.run(10 * MIN - 1)
    assert shows(h.effects) == []
    h.run(1)
    assert len(shows(h.effects)) == 1


def test_holding_a_break_stops_its_clock() -> None:
    h = Harness()
    h.run(30 * MIN)
    h.log(h.engine.start_break("tray"))
    h.run(60)
    h.log(h.engine.hold_break())
    assert h.engine.status().break_remaining == 60
    h.run(5 * MIN)
    assert records(h.effects, BreakRecorded) == []
    assert h.engine.status().break_remaining == 60
    h.log(h.engine.release_break())
    h.run(59)
    assert records(h.effects, BreakRecorded) == []
    h.run(1)
    [taken] = records(h.effects, BreakRecorded)
    assert taken.outcome == "completed"
    assert (taken.ended - taken.started) == timedelta(minutes=7)
