"""Notice afterwards that the machine slept, when no one (logind) said so beforehand.

A process does not run while the machine is suspended, so a suspend shows up only as a
gap: between two checks, a clock that keeps counting through a suspend advanced more
than a clock that stops during one. The difference is the time asleep, reported by
``check`` once it exceeds ``threshold`` (30 s: far above scheduling jitter, far below a
break worth counting). The daemon passes it to ``Engine.was_away``.

Which pair of clocks is compared:

- With the real clock (``SystemClock``), a pair of kernel clocks where the platform has
  one: ``CLOCK_BOOTTIME`` against ``CLOCK_MONOTONIC`` on Linux, ``CLOCK_MONOTONIC``
  against ``CLOCK_UPTIME_RAW`` on macOS (Apple's ``CLOCK_MONOTONIC`` keeps counting in
  sleep). Neither can be set, so the difference is sleep and nothing else: a user or NTP
  changing the time cannot be mistaken for a suspend.
- Otherwise the wall clock (``clock.now()``) against ``clock.monotonic()``. That is how a
  ``FakeClock`` models a suspend (``freeze_for``), and the fallback elsewhere. Here a
  manual forward change of the wall clock by more than the threshold cannot be told from
  a suspend and counts as time away; a backward change gives a negative gap and is
  ignored. NTP's gradual corrections stay far below the threshold.

On Windows, Python's monotonic clock counts through sleep, so the fallback sees nothing;
there the idle counter already covers it (``GetTickCount64`` keeps counting in sleep, so
the idle time after waking includes the time asleep).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from breakd.clock import Clock, SystemClock

DEFAULT_THRESHOLD = 30.0

#: Reads (a clock that counts through sleep, a clock that stops in sleep), in seconds.
Readings = Callable[[], tuple[float, float]]


def kernel_readings() -> Readings | None:
    """The platform's pair of unsettable clocks that differ exactly by time asleep."""
    if sys.platform == "win32":
        return None  # no clock_gettime at all
    if hasattr(time, "CLOCK_BOOTTIME"):
        boottime, monotonic = time.CLOCK_BOOTTIME, time.CLOCK_MONOTONIC
        return lambda: (time.clock_gettime(boottime), time.clock_gettime(monotonic))
    if sys.platform == "darwin" and hasattr(time, "CLOCK_UPTIME_RAW"):
        counting, stopping = time.CLOCK_MONOTONIC, time.CLOCK_UPTIME_RAW
        return lambda: (time.clock_gettime(counting), time.clock_gettime(stopping))
    return None


def wall_readings(clock: Clock) -> Readings:
    """The wall clock against the clock's monotonic reading."""
    return lambda: (clock.now().timestamp(), clock.monotonic())


class SleepDetector:
    """Call ``check`` now and then (each daemon wake-up); it says how long we slept."""

    def __init__(
        self,
        clock: Clock,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        readings: Readings | None = None,
    ) -> None:
        kernel = kernel_readings() if isinstance(clock, SystemClock) else None
        if readings is not None:
            self.source = "given clocks"
        elif kernel is not None:
            readings, self.source = kernel, "kernel clocks"
        else:
            readings, self.source = wall_readings(clock), "wall clock"
        self._read = readings
        self.threshold = threshold
        self._last = readings()

    def check(self) -> float | None:
        """Seconds spent asleep since the last check, or None if it was not a sleep."""
        counting, stopping = self._read()
        last_counting, last_stopping = self._last
        self._last = (counting, stopping)
        gap = (counting - last_counting) - (stopping - last_stopping)
        return gap if gap > self.threshold else None
