"""The one place breakd reads time, so the core can be driven by a fake clock in tests.

Sitting time is measured on the monotonic clock (it never jumps when the wall clock is
changed); the wall clock is used only for calendar questions (working hours, "until
tomorrow", the day a history row belongs to) and for timestamps stored in history.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the core needs to know about time."""

    def monotonic(self) -> float:
        """Seconds on a clock that only moves forward (excludes nothing the OS excludes)."""
        ...

    def now(self) -> datetime:
        """The local wall-clock time, timezone-aware."""
        ...


class SystemClock:
    """The real clocks of the machine.

    On Linux the monotonic reading is ``CLOCK_BOOTTIME``, which, unlike
    ``CLOCK_MONOTONIC``, keeps counting while the machine is suspended: time asleep is
    time away from the chair, and must show up as elapsed.
    """

    def __init__(self) -> None:
        self._clock_id = getattr(time, "CLOCK_BOOTTIME", None)

    def monotonic(self) -> float:
        if self._clock_id is not None:
            return time.clock_gettime(self._clock_id)
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now().astimezone()


class FakeClock:
    """A clock that moves only when told to; both readings advance together.

    ``jump_wall`` moves only the wall clock, the way a user changing the time or an NTP
    correction does.
    """

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._wall = start or datetime(2026, 3, 2, 9, 0).astimezone()
        if self._wall.tzinfo is None:
            self._wall = self._wall.astimezone()
        self._mono = monotonic_start

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._wall

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass on both clocks."""
        self._mono += seconds
        self._wall = self._wall + timedelta(seconds=seconds)

    def jump_wall(self, seconds: float) -> None:
        """Move only the wall clock (a manual time change)."""
        self._wall = self._wall + timedelta(seconds=seconds)

    def freeze_for(self, seconds: float) -> None:
        """Let wall time pass while the monotonic clock stands still, like a suspend on Linux."""
        self._wall = self._wall + timedelta(seconds=seconds)


def boot_id() -> str | None:
    """The id of this boot of the machine, where the system gives one (Linux).

    A monotonic reading means something only within the boot it was taken in; crash
    recovery compares boot ids before it trusts the difference of two readings.
    """
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as source:
            return source.read().strip() or None
    except OSError:
        return None
