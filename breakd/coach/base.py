"""What the daemon hands a break runner, and what a runner reports back.

Threading contract: ``begin``, ``over`` and ``close`` are called on the daemon's owner
thread and return at once. A runner reports what the user did through the
``BreakEvents`` it was given; those callbacks run on the runner's own thread and only
post commands to the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CoachStep:
    exercise_id: str
    seconds: float


@dataclass(frozen=True)
class BreakSession:
    steps: tuple[CoachStep, ...]
    length_seconds: float
    #: Sitting time until the next reminder once this break is done (for "Done" text).
    interval_seconds: float


class BreakEvents(Protocol):
    def paused(self) -> None:
        """The user paused the break (its clock stops)."""
        ...

    def resumed(self) -> None:
        """The user resumed the break."""
        ...

    def ended_early(self, exercises_done: tuple[str, ...]) -> None:
        """The user ended the break before its time."""
        ...


class BreakRunner(Protocol):
    name: str

    def begin(self, session: BreakSession) -> None:
        """Start guiding the break."""
        ...

    def over(self, completed: bool, next_reminder_in: float) -> bool:
        """The break is over (its time ran out, or it was ended): stop guiding it.

        True when the runner itself tells the user the break is done and when the next
        reminder comes (the window's "Done" note), so the daemon need not say it again.
        """
        ...

    def close(self) -> None: ...
