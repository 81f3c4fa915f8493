"""The fallback when no idle counter works: the user is taken to be at the computer.

Sitting time is then plain wall time since the last break. Lock, suspend and the
reminder's own buttons still end a stretch, so reminders stay right, just less aware
of short natural breaks.
"""

from __future__ import annotations

from breakd.activity.base import IdleMonitor


class AlwaysPresentMonitor(IdleMonitor):
    name = "always-present"

    def idle_seconds(self) -> float:
        return 0.0
