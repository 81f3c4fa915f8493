"""What the daemon hands a break runner, and what a runner reports back.

One abstract class per side, one module per runner (``window_runner``,
``notification_guided``, ``log_only``); ``select`` picks the one that works here.

Threading contract: ``begin``, ``over`` and ``close`` are called on the daemon's owner
thread and return at once. A runner reports what the user did through the
``BreakEvents`` it was given; those callbacks run on the runner's own thread and only
post commands to the daemon.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from breakd.state import BreakType


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
    break_type: BreakType = BreakType.EXERCISE


class BreakEvents(ABC):
    """What the user did during a break, as the runner reports it."""

    @abstractmethod
    def paused(self) -> None:
        """The user paused the break (its clock stops)."""

    @abstractmethod
    def resumed(self) -> None:
        """The user resumed the break."""

    @abstractmethod
    def ended_early(self, exercises_done: tuple[str, ...]) -> None:
        """The user ended the break before its time."""


class BreakRunner(ABC):
    """Guides the user through a break: a window, notifications, or the log."""

    #: Short runner name, for the log ("window", "notifications", "log").
    name: str

    @abstractmethod
    def begin(self, session: BreakSession) -> None:
        """Start guiding the break."""

    @abstractmethod
    def over(self, completed: bool, next_reminder_in: float) -> bool:
        """The break is over (its time ran out, or it was ended): stop guiding it.

        True when the runner itself tells the user the break is done and when the next
        reminder comes (the window's "Done" note), so the daemon need not say it again.
        """

    @abstractmethod
    def close(self) -> None:
        """Close the window or stop the guiding thread, if there is one (idempotent)."""
