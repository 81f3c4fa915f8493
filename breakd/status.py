"""What breakd reports about itself: one typed value for every reader.

The tray reads :class:`DaemonStatus` as it is, in the daemon's own process;
:func:`status_json` is the one place it becomes the control protocol's JSON (what
``breakd status --json`` prints and scripts read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from breakd.engine import Status
from breakd.state import State


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
        "today": None if status.today is None else dict(status.today),
        "idle_source": status.idle_source,
        "notifier": status.notifier,
        "interval_seconds": status.interval_seconds,
    }


def _tenths(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
