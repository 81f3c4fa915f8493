"""The one word for what breakd is doing, shared by the engine and everything that shows it.

A leaf module on purpose: the command line compares the state it reads from the
control channel against these values without loading the engine.
"""

from __future__ import annotations

from enum import Enum


class State(Enum):
    """What breakd is doing, in the one word the tray, ``breakd status`` and scripts show.

    Finer than the engine's ``Phase``: a pause, a snooze and a due reminder are states of their
    own. The values are the control protocol's words.
    """

    COUNTING = "counting"
    DUE = "due"
    SNOOZED = "snoozed"
    PAUSED = "paused"
    BREAK = "break"
    AWAY = "away"
    OFF_HOURS = "off-hours"


class Posture(Enum):
    """How the user works at the desk; the values are the control protocol's words.

    Only a sit-stand desk (``posture.desk = "sit-stand"``) ever leaves ``SITTING``.
    """

    SITTING = "sitting"
    STANDING = "standing"


class BreakType(Enum):
    """Which kind of break is offered; the values are the words exercise files use.

    ``EXERCISE`` is the usual short break of exercises; ``WALKING`` the longer break now
    and then that gets the user away from the desk. An exercise names the kinds it
    suits (``breaks`` in its file), so each kind has its own content.

    Every ``breaks.long_every``-th break is a walking break of ``breaks.long_length``;
    the others are the short exercise breaks.
    """

    EXERCISE = "exercise"
    WALKING = "walking"
