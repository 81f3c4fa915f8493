"""A call is presence: the engine's rules for ``sample(..., present=True)`` on a fake clock."""

from __future__ import annotations

from test_engine import MIN, Harness, records, shows

from breakd.engine import BreakRecorded, Phase, StretchEnded


def call(h: Harness, seconds: float, *, step: float = 10.0) -> None:
    """Sit through a call without touching anything: idle grows, the call says present."""
    elapsed = 0.0
    while elapsed < seconds:
        h.clock.advance(step)
        elapsed += step
        h.idle += step
        h.log(h.engine.sample(h.idle, present=True))


def test_a_long_call_without_input_is_sitting_not_a_natural_break() -> None:
    h = Harness()
    h.run(5 * MIN)
    call(h, 50 * MIN)
    assert h.engine.phase is Phase.SITTING
    assert h.engine.sitting_seconds() == 55 * MIN
    assert records(h.effects, StretchEnded) == []
    assert records(h.effects, BreakRecorded) == []
    # The interval passed during the call: the engine asks for a reminder (the daemon
    # holds it while the call lasts).
    assert shows(h.effects)[0].sitting_seconds == 30 * MIN


def test_idle_after_the_call_counts_from_its_end_not_from_the_last_input() -> None:
    h = Harness()
    call(h, 40 * MIN)
    # Still no input, the call is over: a natural break only after natural_break more.
    natural = h.engine.settings.natural_break
    h.clock.advance(natural - 1)
    h.log(h.engine.sample(h.idle + natural - 1))
    assert h.engine.phase is Phase.SITTING
    h.clock.advance(1)
    h.log(h.engine.sample(h.idle + natural))
    assert h.engine.phase is Phase.AWAY
    [ended_row] = records(h.effects, StretchEnded)
    # The stretch closes at the call's end, with the call's sitting in it.
    assert ended_row.reason == "natural-break"
    assert (ended_row.ended - ended_row.started).total_seconds() == 40 * MIN


def test_input_after_the_call_continues_the_same_stretch() -> None:
    h = Harness()
    call(h, 20 * MIN)
    h.idle = 0.0
    h.run(15 * MIN)
    assert h.engine.sitting_seconds() == 35 * MIN
    assert records(h.effects, StretchEnded) == []


def test_a_call_starting_while_idle_but_not_yet_away_keeps_the_stretch() -> None:
    h = Harness()
    h.run(10 * MIN, idle_from=8 * MIN)
    # Idle for 2 minutes, then a call: the user never left.
    call(h, 10 * MIN)
    assert h.engine.phase is Phase.SITTING
    assert h.engine.sitting_seconds() == 20 * MIN
    assert records(h.effects, BreakRecorded) == []


def test_without_the_call_the_same_idle_is_a_natural_break_as_before() -> None:
    h = Harness()
    h.run(5 * MIN)
    h.run(10 * MIN, idle_from=0)
    assert h.engine.phase is Phase.AWAY
    [row] = records(h.effects, StretchEnded)
    assert row.reason == "natural-break"
