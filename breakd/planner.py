"""Which exercises a break offers, and for how long each: pure, no I/O.

A break of the configured length is filled with exercises at their usual durations; the
last one is trimmed (or stretched by a few seconds) so the plan adds up to the break
length exactly, and never ends on a fragment too short to do anything with. The mix
setting decides the positions: "alternate" takes seated and standing in turn, starting
with the one the previous break did not end on. Exercises from the last few breaks are
left out while enough others exist, so the same ones do not come round every time. All
randomness comes from the ``random.Random`` passed in, so a seeded plan is repeatable.
Only the entries that suit the short exercise break are used (``breaks`` in the content):
a walk or the stairs belong to a walking break.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from breakd.content import POSITIONS, Exercise, for_break
from breakd.state import BreakType

MIXES = ("alternate", "seated", "standing")

#: A remainder of this or less is added to the last step rather than made a step of
#: its own: a few seconds are not enough to start an exercise.
MIN_STEP_SECONDS = 10.0


class PlanError(ValueError):
    """A break that cannot be planned (no exercises, a zero length, an unknown mix)."""


@dataclass(frozen=True)
class PlannedStep:
    """One exercise of a break and how long it lasts."""

    exercise_id: str
    seconds: float


@dataclass(frozen=True)
class BreakPlan:
    """The exercises of one break, in order; their seconds add up to ``total_seconds``."""

    steps: tuple[PlannedStep, ...]
    total_seconds: float

    def __post_init__(self) -> None:
        if not self.steps:
            raise PlanError("a break plan needs at least one step")
        planned = math.fsum(step.seconds for step in self.steps)
        if not math.isclose(planned, self.total_seconds, rel_tol=0.0, abs_tol=1e-9):
            raise PlanError(f"steps add up to {planned} s, not {self.total_seconds} s")

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        return tuple(step.exercise_id for step in self.steps)


def plan_break(
    exercises: Sequence[Exercise],
    length_seconds: float,
    mix: str,
    recent_ids: Sequence[str],
    rng: random.Random,
) -> BreakPlan:
    """Plan a break of ``length_seconds`` from ``exercises``.

    ``recent_ids`` are the exercises of the last few breaks, most recent last; they are
    chosen again only when too few others of the needed position exist, the least
    recently done first.
    """
    if not for_break(exercises, BreakType.EXERCISE):
        raise PlanError("there are no exercises to plan a break from")
    if not math.isfinite(length_seconds) or length_seconds <= 0:
        raise PlanError(f"a break must last a positive number of seconds, not {length_seconds}")
    if mix not in MIXES:
        raise PlanError(f"mix must be one of {', '.join(MIXES)}, not {mix!r}")

    # The short break's own entries: a walk or the stairs belong to a walking break.
    suited = for_break(exercises, BreakType.EXERCISE)
    by_id = {exercise.id: exercise for exercise in suited}
    pools = {
        position: sorted((e for e in suited if e.position == position), key=lambda e: e.id)
        for position in POSITIONS
    }
    order = _position_order(mix, pools, [by_id[i].position for i in recent_ids if i in by_id])
    recency = {exercise_id: rank for rank, exercise_id in enumerate(recent_ids, start=1)}

    steps: list[PlannedStep] = []
    used: dict[str, int] = {}
    planned = 0.0
    while True:
        pool = pools[order[len(steps) % len(order)]]
        exercise = _choose(pool, used, recency, rng)
        used[exercise.id] = used.get(exercise.id, 0) + 1
        rest = length_seconds - planned
        if rest <= exercise.duration + MIN_STEP_SECONDS:
            steps.append(PlannedStep(exercise.id, rest))
            return BreakPlan(steps=tuple(steps), total_seconds=length_seconds)
        steps.append(PlannedStep(exercise.id, float(exercise.duration)))
        planned += exercise.duration


def pick_reminder_exercise(plan: BreakPlan, exercises: Sequence[Exercise]) -> Exercise:
    """The exercise whose cue the reminder shows: the break's first, so the two agree."""
    first = plan.steps[0].exercise_id
    for exercise in exercises:
        if exercise.id == first:
            return exercise
    raise PlanError(f"the plan starts with {first!r}, which is not among the exercises")


def _position_order(
    mix: str, pools: dict[str, list[Exercise]], recent_positions: Sequence[str]
) -> list[str]:
    """The positions steps take in turn; a position with no exercises is left out."""
    available = [position for position in POSITIONS if pools[position]]
    if mix != "alternate":
        return [mix] if mix in available else available
    if len(available) < 2:
        return available
    # Start with the position the previous break did not end on, so that short breaks
    # (one or three steps) still take turns between sitting and standing.
    if recent_positions and recent_positions[-1] == "seated":
        return ["standing", "seated"]
    return ["seated", "standing"]


def _choose(
    pool: Sequence[Exercise], used: dict[str, int], recency: dict[str, int], rng: random.Random
) -> Exercise:
    """Prefer exercises not yet in this break, then those not done recently (or longest ago)."""

    def key(exercise: Exercise) -> tuple[int, int]:
        return used.get(exercise.id, 0), recency.get(exercise.id, 0)

    best = min(key(exercise) for exercise in pool)
    return rng.choice([exercise for exercise in pool if key(exercise) == best])
