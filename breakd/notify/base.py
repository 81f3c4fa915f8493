"""The notifier interface the daemon talks to, whatever shows the notification.

One abstract class, one module per backend (``freedesktop``, ``desktop``,
``plyer_backend``, ``log_only``); ``select`` picks the one that works here.

Threading contract: the daemon calls these methods from its owner thread, and they must
return quickly. A backend that has its own event loop runs it in its own thread, and its
callbacks (a click, a button) only post commands back to the daemon.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from breakd.backends import BackendUnavailable
from breakd.durations import humanize
from breakd.i18n import N_, _, ngettext
from breakd.state import BreakType

#: What the actions are called on the wire (the freedesktop "action key"); the daemon's
#: ``notification_action`` takes these.
ACTION_BREAK = "break"
ACTION_SNOOZE = "snooze"
ACTION_SKIP = "skip"
#: A sit-stand desk: the user stands up instead of (or before) a break.
ACTION_STAND = "stand"
STAND_LABEL = N_("Stand up now")
#: For a notification that cannot be clicked at all.


@dataclass(frozen=True)
class Reminder:
    """What a reminder says: built by the daemon from the engine's state and the plan."""

    title: str  # "You've been sitting for 34 minutes"
    body: str  # the exercise's one-line cue
    exercise_id: str | None
    number: int  # 1 for the first reminder of a stretch, 2 for its first repeat, ...
    # The settings in force when it is shown, so the buttons say what they will do.
    break_seconds: float
    snooze_seconds: float
    #: A sit-stand desk in the sitting posture: a "Stand up now" button takes Skip's place.
    offer_stand: bool = False
    #: The break it offers: ``break_seconds`` of exercise, or a walk.
    break_type: BreakType = BreakType.EXERCISE

    @property
    def walking(self) -> bool:
        return self.break_type is BreakType.WALKING

    @property
    def break_label(self) -> str:
        """ "Start 2-min break" or "Start 5-min walk": the break this reminder offers."""
        length = length_words(self.break_seconds)
        if self.walking:
            return _("Start {length} walk").format(length=length)
        return _("Start {length} break").format(length=length)

    @property
    def snooze_label(self) -> str:
        """ "Snooze 10 min": what the snooze button postpones by (``reminders.snooze``)."""
        return _("Snooze {duration}").format(duration=humanize(self.snooze_seconds))


def length_words(seconds: float) -> str:
    """A length as an adjective: "2-min", "45-second", "1 h 30 min"."""
    whole = round(max(seconds, 0))
    if whole < 60:
        return _("{seconds}-second").format(seconds=whole)
    if whole < 3600 and whole % 60 == 0:
        return _("{minutes}-min").format(minutes=whole // 60)
    return humanize(seconds)


def walk_title(seconds: float) -> str:
    """ "Time for a 5-minute walk": a walking break's reminder says what it offers."""
    whole = round(max(seconds, 0))
    if whole >= 60 and whole % 60 == 0:
        minutes = whole // 60
        return ngettext(
            "Time for a {count}-minute walk", "Time for a {count}-minute walk", minutes
        ).format(count=minutes)
    return _("Time for a {length} walk").format(length=length_words(seconds))


def how_to_start() -> str:
    """For a notification that cannot be clicked at all."""
    return _("Start the break from the breakd tray icon or with `breakd break`.")


def start_hint(reminder: Reminder, *, body_click: str | None, buttons: bool) -> str:
    """The line under the cue that says how to start the break on this server.

    ``body_click`` is how a click on the bubble reaches the server's "default" action
    ("Click", "Middle-click"), or None where a click on the bubble only closes it.
    """
    length = length_words(reminder.break_seconds)
    if body_click == "Middle-click":
        if reminder.walking:
            return _("Middle-click to start a {length} walk.").format(length=length)
        return _("Middle-click to start a {length} break.").format(length=length)
    if body_click is not None:
        if reminder.walking:
            return _("Click to start a {length} walk.").format(length=length)
        return _("Click to start a {length} break.").format(length=length)
    if buttons:
        return _("Press \u201c{button}\u201d to begin.").format(button=reminder.break_label)
    return how_to_start()


class NotifierUnavailable(BackendUnavailable):
    """No notification service answered; the caller falls back to another backend."""


class Notifier(ABC):
    """Shows reminders and short messages to the user."""

    #: Short backend name, as used in the config and the log ("freedesktop", "log", ...).
    name: str

    @abstractmethod
    def show_reminder(self, reminder: Reminder) -> None:
        """Show (or replace) the reminder."""

    @abstractmethod
    def withdraw_reminder(self) -> None:
        """Take back a reminder that is no longer true (a break started, the user left)."""

    @abstractmethod
    def tell(self, title: str, body: str) -> None:
        """A short message with no actions (a break is over, a guided step)."""

    @abstractmethod
    def close(self) -> None:
        """Stop the backend's own thread and connection, if it has them (idempotent)."""
