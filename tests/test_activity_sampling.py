"""next_sample_delay: read the idle counter when something can change, rarely otherwise."""

from __future__ import annotations

import pytest

from breakd.activity.sampling import (
    AWAY_EVERY,
    CROSSING_MARGIN,
    MAX_DELAY,
    MIN_DELAY,
    next_sample_delay,
)

NATURAL_BREAK = 300.0


def test_active_user_far_from_everything_is_sampled_rarely() -> None:
    assert next_sample_delay(0.0, None, NATURAL_BREAK) == MAX_DELAY
    assert next_sample_delay(2.0, 3600.0, NATURAL_BREAK) == MAX_DELAY


def test_sample_right_when_idle_would_cross_the_natural_break() -> None:
    delay = next_sample_delay(280.0, None, NATURAL_BREAK)
    assert delay == pytest.approx(20.0 + CROSSING_MARGIN)
    # With no input meanwhile, the reading at that moment is past the threshold.
    assert 280.0 + delay >= NATURAL_BREAK


def test_away_user_is_sampled_every_few_seconds() -> None:
    assert next_sample_delay(NATURAL_BREAK, None, NATURAL_BREAK) == AWAY_EVERY
    assert next_sample_delay(5000.0, 3600.0, NATURAL_BREAK) == AWAY_EVERY
    assert AWAY_EVERY <= 5.0


def test_a_near_deadline_wins() -> None:
    assert next_sample_delay(0.0, 12.0, NATURAL_BREAK) == 12.0
    assert next_sample_delay(5000.0, 2.0, NATURAL_BREAK) == 2.0


def test_never_a_busy_loop() -> None:
    assert next_sample_delay(0.0, 0.0, NATURAL_BREAK) == MIN_DELAY
    assert next_sample_delay(0.0, -30.0, NATURAL_BREAK) == MIN_DELAY
    assert next_sample_delay(NATURAL_BREAK - 0.01, None, NATURAL_BREAK) >= MIN_DELAY


def test_odd_inputs() -> None:
    assert next_sample_delay(-5.0, None, NATURAL_BREAK) == MAX_DELAY  # clock skew: treat as 0
    assert next_sample_delay(100.0, None, 0.0) == MAX_DELAY  # natural breaks off
    assert next_sample_delay(100.0, 30.0, 0.0) == 30.0


@pytest.mark.parametrize("idle", [0.0, 1.0, 59.0, 150.0, 299.0, 300.0, 301.0, 1e6])
@pytest.mark.parametrize("deadline", [None, -1.0, 0.5, 10.0, 1e6])
def test_always_within_bounds(idle: float, deadline: float | None) -> None:
    delay = next_sample_delay(idle, deadline, NATURAL_BREAK)
    assert MIN_DELAY <= delay <= MAX_DELAY
    if idle < NATURAL_BREAK:
        # Never sleeps past the moment a natural break would begin (beyond the margin).
        assert delay <= max(MIN_DELAY, NATURAL_BREAK - idle + CROSSING_MARGIN)
    else:
        assert delay <= AWAY_EVERY
