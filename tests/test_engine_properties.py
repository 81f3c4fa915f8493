"""Long random sequences of samples and events must never break the engine's invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breakd.clock import FakeClock
from breakd.config import load_config
from breakd.engine import (
    BeginBreak,
    BreakRecorded,
    Engine,
    Phase,
    Refused,
    ShowReminder,
    StretchEnded,
    StretchStarted,
    Write,
)

BASE = replace(
    load_config().settings,
    interval=600.0,
    remind_again=60.0,
    snooze=120.0,
    natural_break=180.0,
    break_length=60.0,
    grace_after_return=90.0,
)

operation = st.one_of(
    st.tuples(st.just("active"), st.floats(1, 900)),
    st.tuples(st.just("idle"), st.floats(1, 900)),
    st.tuples(st.just("lock"), st.floats(1, 900)),
    st.tuples(st.just("suspend"), st.floats(1, 20000)),
    st.tuples(st.just("snooze"), st.none() | st.floats(1, 900)),
    st.tuples(st.just("pause"), st.none() | st.floats(1, 3000)),
    st.tuples(st.just("resume"), st.none()),
    st.tuples(st.just("break"), st.none()),
    st.tuples(st.just("end-break"), st.none()),
    st.tuples(st.just("skip"), st.none()),
    st.tuples(st.just("interval"), st.sampled_from([60.0, 300.0, 600.0, 1800.0])),
    st.tuples(st.just("wall-jump"), st.floats(-7200, 7200)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(operation, min_size=1, max_size=60),
    working_hours=st.booleans(),
)
def test_invariants_hold_for_any_sequence(
    ops: list[tuple[str, object]], working_hours: bool
) -> None:
    settings_in_force = replace(
        BASE, working_hours_enabled=working_hours, work_start=time(9, 5), work_end=time(11, 0)
    )
    clock = FakeClock(datetime(2026, 3, 2, 9, 0).astimezone())
    engine = Engine(settings_in_force, clock)
    breaks_started = 0
    breaks_recorded = 0
    open_stretches = 0
    paused = False
    pause_until: float | None = None
    snoozed_until = float("-inf")
    quiet_until = float("-inf")

    def check(effects: list) -> None:
        nonlocal breaks_started, breaks_recorded, open_stretches, paused, quiet_until
        nonlocal snoozed_until
        now = clock.monotonic()
        if paused and pause_until is not None and now >= pause_until:
            paused = False
        if any(isinstance(e, Write) and isinstance(e.record, StretchStarted) for e in effects):
            snoozed_until = float("-inf")  # a new stretch (after a break) ends a snooze
        for effect in effects:
            if isinstance(effect, ShowReminder):
                assert not paused, "reminder while paused"
                assert now >= snoozed_until, "reminder while snoozed"
                assert now >= quiet_until, "reminder in the grace period"
                assert engine.phase is Phase.SITTING, f"reminder while {engine.phase}"
                if working_hours:
                    assert time(9, 5) <= clock.now().time() < time(11, 0)
            elif isinstance(effect, BeginBreak):
                breaks_started += 1
            elif isinstance(effect, Write):
                record = effect.record
                if isinstance(record, BreakRecorded) and record.outcome != "natural":
                    breaks_recorded += 1
                if isinstance(record, StretchStarted):
                    open_stretches += 1
                    assert open_stretches == 1, "two stretches open at once"
                if isinstance(record, StretchEnded):
                    open_stretches -= 1
                    assert open_stretches == 0
                    assert record.ended >= record.started
        assert engine.sitting_seconds() >= 0
        assert breaks_recorded <= breaks_started <= breaks_recorded + 1

    check(engine.sample(0))
    idle = 0.0
    for name, value in ops:
        try:
            if name == "active":
                step = float(value)  # type: ignore[arg-type]
                clock.advance(step)
                idle = 0.0
                check(engine.sample(idle))
            elif name == "idle":
                step = float(value)  # type: ignore[arg-type]
                clock.advance(step)
                idle += step
                check(engine.sample(idle))
            elif name == "lock":
                check(engine.away("lock"))
                clock.advance(float(value))  # type: ignore[arg-type]
                check(engine.tick())
                before = engine.phase
                check(engine.back("lock"))
                if before is Phase.AWAY and float(value) >= BASE.natural_break:  # type: ignore[arg-type]
                    quiet_until = clock.monotonic() + BASE.grace_after_return
            elif name == "suspend":
                clock.advance(float(value))  # type: ignore[arg-type]
                check(engine.was_away(float(value), "suspend"))  # type: ignore[arg-type]
            elif name == "snooze":
                length = None if value is None else float(value)  # type: ignore[arg-type]
                check(engine.snooze(length))
                snoozed_until = clock.monotonic() + (length or BASE.snooze)
            elif name == "pause":
                seconds = None if value is None else float(value)  # type: ignore[arg-type]
                check(engine.pause(seconds))
                paused = True
                pause_until = None if seconds is None else clock.monotonic() + seconds
            elif name == "resume":
                effects = engine.resume()
                paused = False  # a reminder due at once may come with the resume itself
                check(effects)
            elif name == "break":
                check(engine.start_break("cli", ("a",)))
            elif name == "end-break":
                check(engine.end_break_early())
            elif name == "skip":
                check(engine.skip())
            elif name == "interval":
                check(engine.apply_settings(replace(engine.settings, interval=float(value))))  # type: ignore[arg-type]
            elif name == "wall-jump":
                clock.jump_wall(float(value))  # type: ignore[arg-type]
                check(engine.tick())
        except Refused:
            pass
        check(engine.tick())
        deadline = engine.next_deadline()
        assert deadline is None or deadline > clock.monotonic(), "a deadline was left unhandled"
    check(engine.shutdown())
    assert open_stretches == 0, "a stretch was left open at shutdown"
    assert breaks_started == breaks_recorded, "a break was not recorded exactly once"
