"""The notifier interface the daemon talks to, whatever shows the notification.

Threading contract: the daemon calls these methods from its owner thread, and they must
return quickly. A backend that has its own event loop runs it in its own thread, and its
callbacks (a click, a button) only post commands back to the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reminder:
    """What a reminder says: built by the daemon from the engine's state and the plan."""

    title: str  # "You've been sitting for 34 minutes"
    body: str  # the exercise's one-line cue
    exercise_id: str | None
    number: int  # 1 for the first reminder of a stretch, 2 for its first repeat, ...


class Notifier(Protocol):
    name: str

    def show_reminder(self, reminder: Reminder) -> None:
        """Show (or replace) the reminder."""
        ...

    def withdraw_reminder(self) -> None:
        """Take back a reminder that is no longer true (a break started, the user left)."""
        ...

    def tell(self, title: str, body: str) -> None:
        """A short message with no actions (a break is over, a guided step)."""
        ...

    def close(self) -> None: ...
