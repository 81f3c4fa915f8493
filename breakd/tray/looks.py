"""Which picture the tray icon shows for a status: the states, without the drawing.

Apart from :mod:`breakd.tray.icon` so that the daemon can tell which picture it needs
without loading Pillow: on a StatusNotifierItem tray the pictures come drawn from a
file (:mod:`breakd.tray.pixmaps`), and only the process that draws them loads Pillow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from breakd.state import State
from breakd.status import DaemonStatus

#: How many steps the ring fills in, from the start of a stretch to the reminder.
PROGRESS_STEPS = 12


class Look(StrEnum):
    """The pictures there are: one per state, but off hours looks like away."""

    COUNTING = "counting"
    DUE = "due"
    SNOOZED = "snoozed"
    PAUSED = "paused"
    BREAK = "break"
    AWAY = "away"


_LOOK_OF: dict[State, Look] = {
    State.COUNTING: Look.COUNTING,
    State.DUE: Look.DUE,
    State.SNOOZED: Look.SNOOZED,
    State.PAUSED: Look.PAUSED,
    State.BREAK: Look.BREAK,
    State.AWAY: Look.AWAY,
    State.OFF_HOURS: Look.AWAY,
}


@dataclass(frozen=True)
class IconState:
    """Everything the picture depends on; equal states draw identical icons."""

    look: Look
    progress: int = 0  # 0..PROGRESS_STEPS, shown while counting


def icon_state(status: DaemonStatus) -> IconState:
    """The picture for the daemon's status."""
    look = _LOOK_OF[status.state]
    if look is Look.COUNTING:
        interval = status.interval_seconds
        share = status.engine.sitting_seconds / interval if interval > 0 else 0.0
        return IconState(look, max(0, min(PROGRESS_STEPS, int(share * PROGRESS_STEPS))))
    return IconState(look)


def all_states() -> tuple[IconState, ...]:
    """Every picture the icon can show, in a fixed order (the pixmap file's)."""
    counting = tuple(IconState(Look.COUNTING, step) for step in range(PROGRESS_STEPS + 1))
    return counting + tuple(IconState(look) for look in Look if look is not Look.COUNTING)
