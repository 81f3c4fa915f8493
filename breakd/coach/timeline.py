"""Which exercise of a break is due at a given moment: pure arithmetic, no clock, no UI.

The engine owns the break's clock and ends the break when its length has run (plus any
time the window held it). A guide only has to show the right exercise at the right
moment, so it measures the same thing: *active* seconds since the break began, which
stop while the break is paused. :class:`BreakClock` counts those; :class:`Timeline`
maps them onto the exercises.

"Next" moves to the following exercise early but never shortens the break: the time
left is shared among the exercises still to come, in proportion to their planned
lengths, so the last one still ends when the engine ends the break.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from breakd.coach.base import CoachStep


class BreakClock:
    """Active seconds since ``start``, not counting time spent paused."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, offset: float = 0.0
    ) -> None:
        # ``offset``: seconds that passed before this clock was made (the break began
        # in the daemon a moment before the window could start counting).
        self._monotonic = monotonic
        self._start = monotonic() - offset
        self._paused_at: float | None = None
        self._paused_for = 0.0

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def elapsed(self) -> float:
        now = self._paused_at if self._paused_at is not None else self._monotonic()
        return max(0.0, now - self._start - self._paused_for)

    def pause(self) -> bool:
        """Stop counting; False if it was already paused."""
        if self._paused_at is not None:
            return False
        self._paused_at = self._monotonic()
        return True

    def resume(self) -> bool:
        """Count on; False if it was not paused."""
        if self._paused_at is None:
            return False
        self._paused_for += self._monotonic() - self._paused_at
        self._paused_at = None
        return True


class Timeline:
    """The exercises of one break laid out on its active seconds."""

    def __init__(self, steps: Sequence[CoachStep], length_seconds: float) -> None:
        if not math.isfinite(length_seconds) or length_seconds <= 0:
            raise ValueError(f"a break must last a positive time, not {length_seconds}")
        self.steps = tuple(steps)
        self.length = float(length_seconds)
        self.index = 0
        weights = [max(step.seconds, 0.0) for step in self.steps]
        self._ends = _spread(0.0, self.length, weights) if self.steps else [self.length]
        self._starts = [0.0, *self._ends[:-1]]

    @property
    def count(self) -> int:
        """How many exercises the break has (at least one slot, even for free movement)."""
        return len(self._ends)

    @property
    def current(self) -> CoachStep | None:
        return self.steps[self.index] if self.steps else None

    @property
    def following(self) -> CoachStep | None:
        """The exercise after the current one, if any."""
        return self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None

    @property
    def is_last(self) -> bool:
        return self.index >= self.count - 1

    def update(self, elapsed: float) -> bool:
        """Move on to the exercise due at ``elapsed``; True if that changed the exercise."""
        before = self.index
        while not self.is_last and elapsed >= self._ends[self.index]:
            self.index += 1
        return self.index != before

    def skip(self, elapsed: float) -> bool:
        """The user asked for the next exercise now; False on the last one."""
        if self.is_last:
            return False
        self.index += 1
        self._starts[self.index] = elapsed
        weights = [max(step.seconds, 0.0) for step in self.steps[self.index :]]
        self._ends[self.index :] = _spread(elapsed, self.length, weights)
        self._starts[self.index + 1 :] = self._ends[self.index : -1]
        return True

    def step_remaining(self, elapsed: float) -> float:
        """Seconds left of the current exercise."""
        return max(0.0, self._ends[self.index] - elapsed)

    def step_span(self) -> tuple[float, float]:
        """When the current exercise began and when it ends, in active seconds."""
        return self._starts[self.index], self._ends[self.index]

    def remaining(self, elapsed: float) -> float:
        """Seconds left of the whole break."""
        return max(0.0, self.length - elapsed)

    def fraction(self, elapsed: float) -> float:
        """How much of the whole break has passed, 0..1."""
        return min(1.0, max(0.0, elapsed / self.length))

    def finished(self, elapsed: float) -> bool:
        return elapsed >= self.length

    def reached(self) -> tuple[str, ...]:
        """The exercises the user got to: every one done and the one under way.

        An early end counts the current exercise as done once it was on screen: the user
        started it, and a half-done stretch still moved the back.
        """
        seen: dict[str, None] = {}
        for step in self.steps[: self.index + 1]:
            seen.setdefault(step.exercise_id, None)
        return tuple(seen)


def _spread(start: float, end: float, weights: Sequence[float]) -> list[float]:
    """End times of consecutive spans filling ``start..end`` in proportion to ``weights``."""
    total = math.fsum(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    ends: list[float] = []
    running = 0.0
    for weight in weights:
        running += weight
        ends.append(start + (end - start) * running / total)
    ends[-1] = end
    return ends


def clock_text(seconds: float) -> str:
    """ "1:05" for a countdown; seconds are rounded up, so it shows 0:00 only at the end."""
    whole = max(0, math.ceil(seconds - 1e-6))
    minutes, secs = divmod(whole, 60)
    return f"{minutes}:{secs:02d}"


# --- the picture's animation ----------------------------------------------------------


@dataclass(frozen=True)
class Still:
    """One picture of an exercise's animation and how long it stays up.

    It shows the pose ``t`` of the way (eased, 0..1) from key frame ``start`` to key
    frame ``end``; a key frame held still has ``start == end`` and ``t == 0``.
    """

    start: int
    end: int
    t: float
    ms: int


def ease(t: float) -> float:
    """Slow out of a pose and slow into the next (smoothstep), as a body moves."""
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


def motion(keys: int, hold_ms: int, move_ms: int, step_ms: int) -> tuple[Still, ...]:
    """One loop of an animation through ``keys`` key frames, back to the first.

    Each key frame is held for ``hold_ms``; the move to the next takes ``move_ms``,
    shown as in-between pictures every ``step_ms`` (so a move costs a redraw only
    ``move_ms / step_ms`` times, and a hold none). One key frame makes a still picture.
    """
    if keys < 1 or hold_ms <= 0 or step_ms <= 0 or move_ms < 0:
        raise ValueError("an animation needs key frames and positive times")
    if keys == 1:
        return (Still(0, 0, 0.0, hold_ms),)
    steps = max(1, round(move_ms / step_ms))
    stills: list[Still] = []
    for key in range(keys):
        following = (key + 1) % keys
        stills.append(Still(key, key, 0.0, hold_ms))
        stills.extend(Still(key, following, ease(i / steps), step_ms) for i in range(1, steps))
    return tuple(stills)
