"""The real Daemon (engine, schedule, SQLite store) driven by a FakeClock, in-process.

:class:`SimulatedDaemon` runs the daemon's loop body exactly as ``Daemon.run`` does, but
instead of waiting on a queue it moves the fake clock forward by the time the loop asked
to sleep. So a test sees every wake-up the real daemon would have, and a wall-clock jump
that happens while the loop sleeps is noticed only when the loop would have noticed it.

The ``schedule`` library reads ``datetime.datetime.now()`` itself; :func:`fake_schedule_time`
points it at the fake clock's local wall time for the duration of a test.
"""

from __future__ import annotations

import datetime as _datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import schedule

from breakd.activity.base import IdleMonitor
from breakd.activity.inhibitors import IdleInhibitors
from breakd.clock import FakeClock
from breakd.coach.base import CoachStep
from breakd.config import LoadedConfig, Settings
from breakd.daemon import Daemon, PlannedBreak
from breakd.engine import break_length
from breakd.notify.base import Reminder
from breakd.state import BreakType
from breakd.store import HistoryStore


class LocalClock(FakeClock):
    """A FakeClock whose wall reading follows the local time zone's rules.

    FakeClock keeps the UTC offset it started with; a daylight-saving change needs the
    offset worked out again for each reading, as ``datetime.now().astimezone()`` does.
    """

    def now(self) -> _datetime.datetime:
        return super().now().astimezone()


@contextmanager
def fake_schedule_time(clock: FakeClock) -> Iterator[None]:
    """Make ``schedule`` read the fake clock's wall time (naive local, as it expects)."""

    class FakeDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> FakeDatetime:
            moment = clock.now().astimezone(tz)
            if tz is None:
                moment = moment.replace(tzinfo=None)
            return cls.combine(moment.date(), moment.timetz())

    shim = SimpleNamespace(**{k: getattr(_datetime, k) for k in dir(_datetime) if k[0] != "_"})
    shim.datetime = FakeDatetime
    original = schedule.datetime  # type: ignore[attr-defined]
    schedule.datetime = shim  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        schedule.datetime = original  # type: ignore[attr-defined]


class ScriptedIdle(IdleMonitor):
    """The OS idle counter of a scripted user who types all the time while ``present``.

    Like the real counter it knows the exact moment of the last input, however long
    ago the daemon last asked.
    """

    name = "scripted"

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._present = True
        self._left_at = clock.monotonic()
        self.reads = 0

    @property
    def present(self) -> bool:
        return self._present

    @present.setter
    def present(self, value: bool) -> None:
        if self._present and not value:
            self._left_at = self._clock.monotonic()
        self._present = value

    def idle_seconds(self) -> float:
        self.reads += 1
        return 0.0 if self._present else self._clock.monotonic() - self._left_at


@dataclass
class Shown:
    monotonic: float
    wall: _datetime.datetime
    reminder: Reminder


class RecordingNotifier:
    """Keeps every reminder and message instead of showing it."""

    name = "recording"

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.shown: list[Shown] = []
        self.told: list[tuple[str, str]] = []
        self.withdrawn = 0

    def show_reminder(self, reminder: Reminder) -> None:
        self.shown.append(Shown(self._clock.monotonic(), self._clock.now(), reminder))

    def withdraw_reminder(self) -> None:
        self.withdrawn += 1

    def tell(self, title: str, body: str) -> None:
        self.told.append((title, body))

    def close(self) -> None:
        pass


class FixedPlanner:
    """Always the same one-exercise break: the tests here are about time, not content."""

    def next_plan(
        self, settings: Settings, recent: Sequence[str], break_type: BreakType
    ) -> PlannedBreak:
        length = break_length(settings, break_type)
        return PlannedBreak((CoachStep("neck-turn", length),), "Turn", break_type)


class SimulatedDaemon:
    """One real Daemon on a fake clock; call :meth:`start`, then move time with :meth:`run`."""

    #: More loop passes than this without the clock moving is a busy loop.
    MAX_PASSES_WITHOUT_TIME = 50

    def __init__(
        self,
        config: LoadedConfig,
        history: Path,
        clock: FakeClock,
        *,
        store: bool = True,
        inhibitors: IdleInhibitors | None = None,
    ) -> None:
        self.clock = clock
        self.idle = ScriptedIdle(clock)
        self.notifier = RecordingNotifier(clock)
        self.store = HistoryStore(history) if store else None
        self.daemon = Daemon(
            config,
            clock=clock,
            store=self.store,
            idle=self.idle,
            notifier=self.notifier,
            planner=FixedPlanner(),
            inhibitors=inhibitors,
        )
        self.passes = 0
        self._wait = 0.0

    def start(self) -> None:
        self.daemon._start()
        self._pass()

    def _pass(self) -> None:
        """One pass of ``Daemon.run``'s loop body, up to the point where it sleeps."""
        self._wait = self.daemon._step()
        self.passes += 1

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass, waking the loop whenever it asked to be woken."""
        end = self.clock.monotonic() + seconds
        spins = 0
        while (remaining := end - self.clock.monotonic()) > 1e-9:
            if self._wait > remaining:
                # The loop sleeps past the end of this stretch of time.
                self.clock.advance(remaining)
                self._wait -= remaining
                return
            self.clock.advance(self._wait)
            spins = spins + 1 if self._wait <= 1e-9 else 0
            assert spins < self.MAX_PASSES_WITHOUT_TIME, "the daemon loop spins"
            self._pass()

    def command(self, function: Any) -> Any:
        """What a control command does: run on the owner thread, then the loop goes on."""
        result = function()
        self.daemon._changed()
        self._pass()
        return result

    def finish(self) -> None:
        self.daemon._finish()
