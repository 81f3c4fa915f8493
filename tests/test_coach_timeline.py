"""The break's arithmetic and wire format: which exercise is due, and what crosses the pipe."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from breakd.coach.base import BreakSession, CoachStep
from breakd.coach.protocol import (
    ProtocolError,
    WindowStart,
    decode,
    encode,
    parse_start,
    start_message,
)
from breakd.coach.timeline import BreakClock, Still, Timeline, clock_text, ease, motion
from breakd.coach.x11 import parse_xft_dpi

STEPS = (CoachStep("a", 30), CoachStep("b", 30), CoachStep("c", 60))


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_exercises_follow_each_other_on_the_planned_seconds() -> None:
    timeline = Timeline(STEPS, 120)
    assert timeline.current == STEPS[0] and timeline.following == STEPS[1]
    assert not timeline.update(29.9)
    assert timeline.step_remaining(29.0) == pytest.approx(1.0)
    assert timeline.update(30.0) and timeline.current == STEPS[1]
    assert timeline.update(95.0) and timeline.current == STEPS[2] and timeline.is_last
    assert timeline.following is None
    assert not timeline.update(500.0) and timeline.index == 2
    assert timeline.finished(120.0) and not timeline.finished(119.9)
    assert timeline.fraction(60.0) == pytest.approx(0.5)


def test_next_shares_the_time_left_and_never_shortens_the_break() -> None:
    timeline = Timeline(STEPS, 120)
    assert timeline.skip(10.0)
    # 110 s left for b (30) and c (60): a third and two thirds.
    assert timeline.step_span() == pytest.approx((10.0, 10.0 + 110 / 3))
    assert timeline.skip(20.0) and timeline.is_last
    assert timeline.step_remaining(20.0) == pytest.approx(100.0)
    assert not timeline.skip(25.0), "there is nothing after the last exercise"
    assert timeline.remaining(25.0) == pytest.approx(95.0)


def test_steps_that_do_not_add_up_are_scaled_to_the_break() -> None:
    timeline = Timeline((CoachStep("a", 10), CoachStep("b", 30)), 80)
    assert timeline.step_span() == pytest.approx((0.0, 20.0))
    timeline.update(20.0)
    assert timeline.step_span() == pytest.approx((20.0, 80.0))


def test_a_break_without_exercises_is_one_slot() -> None:
    timeline = Timeline((), 60)
    assert timeline.count == 1 and timeline.current is None and timeline.is_last
    assert timeline.reached() == ()


def test_reached_counts_the_exercise_under_way_once() -> None:
    timeline = Timeline((CoachStep("a", 10), CoachStep("b", 10), CoachStep("a", 10)), 30)
    assert timeline.reached() == ("a",)
    timeline.update(25.0)
    assert timeline.reached() == ("a", "b")


def test_clock_stops_while_paused_and_counts_the_start_delay() -> None:
    now = FakeMonotonic()
    clock = BreakClock(now, offset=1.5)
    now.now += 2
    assert clock.elapsed() == pytest.approx(3.5)
    assert clock.pause() and not clock.pause()
    now.now += 10
    assert clock.paused and clock.elapsed() == pytest.approx(3.5)
    assert clock.resume() and not clock.resume()
    now.now += 1
    assert clock.elapsed() == pytest.approx(4.5)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (0.2, "0:01"), (59.0, "0:59"), (61, "1:01"), (120, "2:00")]
)
def test_countdown_text(seconds: float, text: str) -> None:
    assert clock_text(seconds) == text


def test_the_session_crosses_the_pipe_intact() -> None:
    start = WindowStart(BreakSession(STEPS, 120.0, 1800.0), "top-left", 1234.5)
    line = start_message(start)
    assert line.endswith("\n") and line.count("\n") == 1
    assert parse_start(decode(line)) == start


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        encode({"nothing": 1}),
        encode({"session": {"steps": [{"seconds": 3}], "length_seconds": 1}}),
        encode({"session": {"steps": [], "length_seconds": 0, "interval_seconds": 1}}),
        encode(
            {
                "session": {"steps": [], "length_seconds": 5, "interval_seconds": 1},
                "corner": "middle",
            }
        ),
    ],
)
def test_a_bad_start_line_is_refused_with_a_reason(line: str) -> None:
    with pytest.raises(ProtocolError):
        parse_start(decode(line))


def test_xft_dpi_is_read_from_the_resource_listing() -> None:
    assert parse_xft_dpi("Xft.antialias:\t1\nXft.dpi:\t192\n") == 192.0
    assert parse_xft_dpi("Xcursor.size: 24\n") is None
    assert parse_xft_dpi("Xft.dpi: lots\n") is None


# --- the picture's animation ----------------------------------------------------------------


def test_ease_starts_and_ends_slowly_and_never_turns_back() -> None:
    values = [ease(i / 20) for i in range(21)]
    assert values[0] == 0.0 and values[10] == 0.5 and values[20] == 1.0
    steps = [b - a for a, b in pairwise(values)]
    assert all(step > 0 for step in steps)
    assert steps[0] < steps[9] > steps[-1], "slow out of a pose, faster between, slow in"
    assert ease(-1.0) == 0.0 and ease(2.0) == 1.0


def test_motion_holds_each_pose_then_moves_on_in_small_steps_and_loops() -> None:
    stills = motion(2, hold_ms=1300, move_ms=900, step_ms=100)
    assert stills[0] == Still(0, 0, 0.0, 1300)
    there = [s for s in stills if (s.start, s.end) == (0, 1)]
    back = [s for s in stills if (s.start, s.end) == (1, 0)]
    assert stills == (stills[0], *there, Still(1, 1, 0.0, 1300), *back)
    assert len(there) == len(back) == 8, "10 pictures a second for 0.9 s"
    assert all(s.ms == 100 for s in there + back)
    ts = [s.t for s in there]
    assert all(0 < a < b < 1 for a, b in pairwise(ts))
    assert all(math.isclose(a + b, 1.0) for a, b in zip(ts, reversed(ts), strict=True))
    assert sum(s.ms for s in stills) == 2 * 1300 + 16 * 100
    three = motion(3, 1300, 900, 100)
    assert [(s.start, s.end) for s in three if s.start == s.end] == [(0, 0), (1, 1), (2, 2)]
    assert three[-1].end == 0, "the last pose moves back to the first"


def test_one_pose_is_a_still_picture_and_nonsense_is_refused() -> None:
    assert motion(1, 1300, 900, 100) == (Still(0, 0, 0.0, 1300),)
    assert len(motion(2, 1300, 0, 100)) == 2, "no move time: the poses simply alternate"
    for bad in ((0, 1300, 900, 100), (2, 0, 900, 100), (2, 1300, 900, 0)):
        with pytest.raises(ValueError):
            motion(*bad)
