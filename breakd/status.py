"""What breakd reports about itself: one typed value for every reader.

The tray reads :class:`DaemonStatus` as it is, in the daemon's own process;
:func:`status_json` is the one place it becomes the control protocol's JSON (what
``breakd status --json`` prints and scripts read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from breakd.engine import Status
from breakd.state import Posture, State


@dataclass(frozen=True)
class DaemonStatus:
    """The engine's snapshot with what the daemon adds: today's figures and its parts."""

    engine: Status
    #: The daemon clock's wall time when the snapshot was taken.
    at: datetime
    #: Today's figures from history (``breakd.stats.today_line``); None without history.
    today: Mapping[str, Any] | None
    idle_source: str
    notifier: str
    interval_seconds: float
    #: A call is under way (the microphone or the camera in use): the user is present.
    call: bool = False
    #: Why reminders are held back now ("do not disturb (xfce)"), as last read; None: not.
    quiet: str | None = None

    @property
    def state(self) -> State:
        return self.engine.state

    @property
    def next_reminder_at(self) -> datetime | None:
        due_in = self.engine.next_reminder_in
        return None if due_in is None else self.at + timedelta(seconds=due_in)


def status_json(status: DaemonStatus) -> dict[str, Any]:
    """The status as the control protocol sends it: seconds to a tenth, times as ISO text."""
    st = status.engine
    return {
        "state": status.state.value,
        "phase": st.phase.value,
        "sitting_seconds": round(st.sitting_seconds, 1),
        "reminder_due": st.reminder_due,
        "reminders_shown": st.reminders_shown,
        "next_reminder_in": _tenths(st.next_reminder_in),
        "next_reminder_at": _iso(status.next_reminder_at),
        "snoozed_until": _iso(st.snoozed_until),
        "paused": st.paused,
        "paused_until": _iso(st.paused_until),
        "break_remaining": _tenths(st.break_remaining),
        "away_reason": None if st.away_reason is None else st.away_reason.value,
        "posture": st.posture.value,
        "posture_seconds": round(st.posture_seconds, 1),
        "next_break": st.next_break.value,
        "next_break_seconds": _tenths(st.next_break_seconds),
        "today": None if status.today is None else dict(status.today),
        "idle_source": status.idle_source,
        "notifier": status.notifier,
        "interval_seconds": status.interval_seconds,
        "call": status.call,
        "quiet": status.quiet,
    }


#: How long after its words change by time a follower of the status looks again: surely
#: past the minute, though the status was taken a moment after the last one. The tray
#: and ``breakd status --follow`` use the same margin, so one wake-up serves both.
LOOK_MARGIN = 0.5


def next_change(status: DaemonStatus) -> float | None:
    """Seconds from ``status`` until what it shows in whole minutes changes by time alone
    (None: it does not; only a state change, which comes as news, changes it).

    Minutes gone by change at each whole minute; minutes to go when the time left
    crosses one; the last minute to go shows as one phrase, so it changes no more. The
    tray refreshes its words and ``breakd status --follow`` pushes a line at these moments.
    """
    st = status.engine
    state = status.state
    moments: list[float] = []
    if state in (State.COUNTING, State.DUE, State.SNOOZED):
        moments.append(60 - st.sitting_seconds % 60)
        if st.posture is Posture.STANDING:
            moments.append(60 - st.posture_seconds % 60)
    if state is State.COUNTING and st.next_reminder_in is not None:
        moments.append(_next_minute_down(st.next_reminder_in))
    if state is State.BREAK and st.break_remaining is not None:
        moments.append(_next_minute_down(st.break_remaining))
    found = [moment for moment in moments if moment > 0]
    return min(found) if found else None


def _next_minute_down(seconds: float) -> float:
    """When a countdown at ``seconds`` next crosses a whole minute (0: not before it ends)."""
    if seconds < 60:
        return 0.0
    return seconds % 60 or 60.0


@dataclass(frozen=True)
class ShownStatus:
    """What a status line shows, to the minute: a new line is due when this changes."""

    state: State
    sitting_minutes: int | None
    next_reminder_minutes: int | None
    break_minutes: int | None
    snoozed_until: datetime | None
    paused_until: datetime | None
    breaks_today: int | None
    call: bool = False
    standing_minutes: int | None = None


def shown_status(status: DaemonStatus) -> ShownStatus:
    """The parts of ``status`` a status line shows, rounded as the tray rounds them:
    minutes gone by down, minutes to go up; each only in the states that show it, as
    :func:`next_change` counts them."""
    st = status.engine
    state = status.state
    counting = state in (State.COUNTING, State.DUE, State.SNOOZED)
    breaks = None if status.today is None else status.today.get("breaks")
    return ShownStatus(
        state=state,
        sitting_minutes=int(st.sitting_seconds // 60) if counting else None,
        next_reminder_minutes=_minutes_up(st.next_reminder_in) if state is State.COUNTING else None,
        break_minutes=_minutes_up(st.break_remaining) if state is State.BREAK else None,
        snoozed_until=_to_the_minute(st.snoozed_until),
        paused_until=_to_the_minute(st.paused_until),
        breaks_today=breaks if isinstance(breaks, int) else None,
        call=status.call,
        standing_minutes=(
            int(st.posture_seconds // 60) if counting and st.posture is Posture.STANDING else None
        ),
    )


def _to_the_minute(moment: datetime | None) -> datetime | None:
    """A moment as a line shows it ("until 10:40"); it is worked out afresh from the
    monotonic clock for each snapshot, so its seconds jitter."""
    return None if moment is None else moment.replace(second=0, microsecond=0)


def _minutes_up(seconds: float | None) -> int | None:
    return None if seconds is None else math.ceil(max(seconds, 0.0) / 60)


def _tenths(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
