"""Break plans: exact lengths, the mix setting, no recent repeats, repeatable with a seed."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breakd.content import Exercise, for_break, load_exercises
from breakd.planner import (
    MIN_STEP_SECONDS,
    MIXES,
    BreakPlan,
    PlanError,
    PlannedStep,
    pick_reminder_exercise,
    plan_break,
)
from breakd.state import BreakType

EXERCISES = load_exercises().exercises
#: What a short exercise break may offer (not the walks of a walking break).
SHORT = for_break(EXERCISES, BreakType.EXERCISE)
BY_ID = {e.id: e for e in EXERCISES}
IDS = sorted(BY_ID)


def positions(plan: BreakPlan, exercises: tuple[Exercise, ...] = EXERCISES) -> list[str]:
    by_id = {e.id: e for e in exercises}
    return [by_id[step.exercise_id].position for step in plan.steps]


def test_a_two_minute_break_is_four_half_minute_exercises_in_turn() -> None:
    thirty = [e for e in EXERCISES if e.duration == 30]
    plan = plan_break(thirty, 120.0, "alternate", [], random.Random(7))
    assert [step.seconds for step in plan.steps] == [30.0] * 4
    assert plan.total_seconds == 120.0
    assert positions(plan) == ["seated", "standing", "seated", "standing"]
    assert len(set(plan.exercise_ids)) == 4


def test_a_ten_second_test_break_is_one_exercise_of_ten_seconds() -> None:
    plan = plan_break(EXERCISES, 10.0, "alternate", [], random.Random(1))
    assert len(plan.steps) == 1
    assert plan.steps[0].seconds == 10.0


def test_an_odd_length_stretches_the_last_step_instead_of_adding_a_fragment() -> None:
    seated = [e for e in EXERCISES if e.position == "seated"]
    plan = plan_break(seated, 125.0, "seated", [], random.Random(3))
    assert [step.seconds for step in plan.steps] == [30.0, 30.0, 30.0, 35.0]
    plan = plan_break(seated, 100.0, "seated", [], random.Random(3))
    assert [step.seconds for step in plan.steps] == [30.0, 30.0, 40.0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    length=st.one_of(
        st.integers(min_value=10, max_value=600).map(float),
        st.floats(min_value=10, max_value=600, allow_nan=False, allow_infinity=False),
    ),
    mix=st.sampled_from(MIXES),
    recent=st.lists(st.sampled_from(IDS), max_size=16),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_plans_add_up_exactly_and_honour_the_mix_and_the_recent_ones(
    length: float, mix: str, recent: list[str], seed: int
) -> None:
    plan = plan_break(EXERCISES, length, mix, recent, random.Random(seed))

    # exact length, no useless fragments, no step far beyond its exercise's duration
    assert sum(step.seconds for step in plan.steps) == length
    assert plan.total_seconds == length
    assert all(step.seconds >= MIN_STEP_SECONDS for step in plan.steps)
    for step in plan.steps:
        assert step.seconds <= BY_ID[step.exercise_id].duration + MIN_STEP_SECONDS

    # the mix
    where = positions(plan)
    if mix == "alternate":
        assert all(a != b for a, b in pairwise(where))
    else:
        assert set(where) == {mix}

    # recent exercises stay out while enough others of that position exist
    for position, needed in Counter(where).items():
        fresh = [e for e in SHORT if e.position == position and e.id not in recent]
        chosen = [s.exercise_id for s, p in zip(plan.steps, where, strict=True) if p == position]
        if needed <= len(fresh):
            assert not set(chosen) & set(recent), (position, chosen, recent)
            assert len(set(chosen)) == len(chosen), "an exercise repeated within one break"


@settings(max_examples=100, deadline=None)
@given(
    length=st.integers(min_value=10, max_value=600),
    mix=st.sampled_from(MIXES),
    recent=st.lists(st.sampled_from(IDS), max_size=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_seeded_plan_is_repeatable(length: int, mix: str, recent: list[str], seed: int) -> None:
    first = plan_break(EXERCISES, float(length), mix, recent, random.Random(seed))
    again = plan_break(EXERCISES, float(length), mix, recent, random.Random(seed))
    assert first == again


def test_different_seeds_give_different_plans() -> None:
    plans = {plan_break(EXERCISES, 120.0, "alternate", [], random.Random(s)) for s in range(20)}
    assert len(plans) > 5


def test_exercises_of_the_last_breaks_are_left_out() -> None:
    recent: list[str] = []
    rng = random.Random(11)
    for _ in range(10):
        plan = plan_break(EXERCISES, 120.0, "alternate", recent, rng)
        assert not set(plan.exercise_ids) & set(recent[-8:])
        recent = [*recent, *plan.exercise_ids][-8:]


def test_when_all_are_recent_the_least_recent_come_back_first() -> None:
    standing = [e for e in EXERCISES if e.position == "standing" and e.duration == 30]
    recent = [e.id for e in standing]  # oldest first
    plan = plan_break(standing, 90.0, "standing", recent, random.Random(5))
    assert list(plan.exercise_ids) == recent[:3]


def test_alternate_starts_with_the_position_the_last_break_did_not_end_on() -> None:
    seated_last = ["tiptoe-raise", "knee-press"]
    standing_last = ["knee-press", "tiptoe-raise"]
    for seed in range(10):
        one = plan_break(EXERCISES, 30.0, "alternate", seated_last, random.Random(seed))
        assert positions(one) == ["standing"]
        other = plan_break(EXERCISES, 30.0, "alternate", standing_last, random.Random(seed))
        assert positions(other) == ["seated"]


def test_a_mix_with_no_exercises_of_its_position_uses_what_there_is() -> None:
    standing = tuple(e for e in EXERCISES if e.position == "standing")
    plan = plan_break(standing, 120.0, "seated", [], random.Random(2))
    assert set(positions(plan, standing)) == {"standing"}
    plan = plan_break(standing, 120.0, "alternate", [], random.Random(2))
    assert sum(step.seconds for step in plan.steps) == 120.0


def test_longer_exercises_keep_their_own_duration() -> None:
    long_ones = [replace(e, duration=45) for e in EXERCISES if e.position == "seated"]
    plan = plan_break(long_ones, 120.0, "seated", [], random.Random(4))
    assert [step.seconds for step in plan.steps] == [45.0, 45.0, 30.0]


def test_the_reminder_offers_the_first_exercise_of_the_break() -> None:
    for seed in range(10):
        plan = plan_break(EXERCISES, 120.0, "alternate", [], random.Random(seed))
        chosen = pick_reminder_exercise(plan, EXERCISES)
        assert chosen.id == plan.steps[0].exercise_id
        assert chosen.cue == BY_ID[plan.steps[0].exercise_id].cue


def test_pick_reminder_exercise_refuses_an_unknown_first_step() -> None:
    plan = BreakPlan(steps=(PlannedStep("not-there", 30.0),), total_seconds=30.0)
    with pytest.raises(PlanError, match="not-there"):
        pick_reminder_exercise(plan, EXERCISES)


def test_a_walking_break_takes_turns_between_walks_and_standing_exercises() -> None:
    moving = {e.id for e in EXERCISES if e.breaks == (BreakType.WALKING,)}
    between = {e.id for e in EXERCISES if set(e.breaks) == {BreakType.EXERCISE, BreakType.WALKING}}
    assert {"walk-around", "take-the-stairs", "glass-of-water"} <= moving
    assert {"tiptoe-raise", "hands-on-lower-back", "standing-rotation"} <= between
    for seed in range(10):
        plan = plan_break(EXERCISES, 300.0, "seated", [], random.Random(seed), BreakType.WALKING)
        assert plan.total_seconds == 300.0
        kinds = ["moving" if i in moving else "between" for i in plan.exercise_ids]
        assert kinds == ["moving", "between"] * (len(kinds) // 2) + ["moving"] * (len(kinds) % 2)
        assert set(plan.exercise_ids) <= moving | between
        assert len(set(plan.exercise_ids)) == len(plan.exercise_ids) >= 4
    # A short break never offers a walk away from the desk.
    for seed in range(10):
        short = plan_break(EXERCISES, 600.0, "standing", [], random.Random(seed))
        assert not set(short.exercise_ids) & moving


def test_without_walking_content_a_walk_is_made_of_standing_exercises() -> None:
    short_only = [e for e in EXERCISES if e.breaks == (BreakType.EXERCISE,)]
    plan = plan_break(short_only, 300.0, "alternate", [], random.Random(1), BreakType.WALKING)
    assert set(positions(plan)) == {"standing"}
    assert plan.total_seconds == 300.0


@pytest.mark.parametrize(
    ("exercises", "length", "mix", "message"),
    [
        ((), 120.0, "alternate", "no exercises"),
        (EXERCISES, 0.0, "alternate", "positive"),
        (EXERCISES, float("nan"), "alternate", "positive"),
        (EXERCISES, 120.0, "lying", "mix"),
    ],
)
def test_impossible_plans_are_refused(
    exercises: tuple[Exercise, ...], length: float, mix: str, message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        plan_break(exercises, length, mix, [], random.Random(0))


def test_a_plan_that_does_not_add_up_cannot_be_built() -> None:
    with pytest.raises(PlanError):
        BreakPlan(steps=(PlannedStep("knee-press", 30.0),), total_seconds=60.0)
    with pytest.raises(PlanError):
        BreakPlan(steps=(), total_seconds=0.0)


def test_the_short_break_never_offers_what_only_a_walking_break_has() -> None:
    walking_only = {e.id for e in EXERCISES if not e.suits(BreakType.EXERCISE)}
    assert walking_only, "the content has a walking break's own steps"
    for seed in range(30):
        plan = plan_break(EXERCISES, 300.0, "standing", [], random.Random(seed))
        assert not walking_only & set(plan.exercise_ids), plan.exercise_ids
