"""Watchers that tell the daemon when the user is away for sure: screen locked, or the
machine about to sleep.

Each watcher listens on one bus (``logind`` on the system bus, ``screensaver`` on the
session bus) in a thread of its own and reports through two callbacks,
``on_away(reason)`` and ``on_back(reason)``, with reason ``"lock"`` or ``"suspend"``.

Threading contract: the callbacks run in the watcher's thread. Calling them is the only
thing a watcher does with the outside world, so the daemon's callbacks should only post
a command to its owner thread (``Daemon.submit``) and return. A callback that raises is
logged and the watcher carries on. ``start`` and ``stop`` are called from the owner
thread; ``start`` finishes in a few bounded D-Bus calls.

A bus or service that is absent disables only the watcher that needs it: ``start``
returns False, logs why and keeps the reason in ``reason``. Watchers report changes,
not levels: each one remembers its last state and calls back only when it changes.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

from breakd.activity.base import CALL_TIMEOUT
from breakd.dbus_client import BusConnection, BusKind, BusUnavailable, DBusError, Signal

log = logging.getLogger(__name__)

AwayCallback = Callable[[str], None]


class WatcherUnavailable(Exception):
    """The service this watcher listens to is not there; the message says why."""


class AwayWatcher(ABC):
    """Listens for one kind of absence on one bus, in its own thread."""

    name: str
    bus_kind: BusKind

    def __init__(
        self,
        on_away: AwayCallback,
        on_back: AwayCallback,
        *,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._on_away = on_away
        self._on_back = on_back
        self._environ = environ
        self._bus: BusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Why ``start`` returned False (None while it has not, or when it worked).
        self.reason: str | None = None

    def start(self) -> bool:
        """Subscribe and start listening; False (with ``reason``) when that cannot work."""
        if self._thread is not None:
            return True
        self.reason = None
        try:
            bus = BusConnection(self.bus_kind, self._environ)
        except BusUnavailable as error:
            return self._unavailable(str(error))
        try:
            self._subscribe(bus)
        except (WatcherUnavailable, DBusError, OSError) as error:
            bus.close()
            return self._unavailable(str(error))
        self._bus = bus
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, args=(bus,), name=f"breakd-{self.name}")
        self._thread.daemon = True
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop listening and wait (briefly) for the thread; safe to call at any time."""
        self._stopping.set()
        if self._bus is not None:
            self._bus.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=2 * CALL_TIMEOUT)
            self._thread = None
        self._bus = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _unavailable(self, reason: str) -> bool:
        self.reason = reason
        log.info("not watching %s: %s", self.name, reason)
        return False

    def _run(self, bus: BusConnection) -> None:
        try:
            self._started()
            while not self._stopping.is_set():
                self._handle(bus.next_signal())
        except OSError as error:
            if not self._stopping.is_set():
                log.warning(
                    "%s: lost the %s bus (%s); stopped watching", self.name, bus.kind, error
                )
        except Exception:
            log.exception("%s: watcher failed; stopped watching", self.name)
        finally:
            bus.close()

    def _report(self, away: bool, reason: str) -> None:
        callback = self._on_away if away else self._on_back
        try:
            callback(reason)
        except Exception:
            log.exception("%s: the %s callback failed", self.name, "away" if away else "back")

    @abstractmethod
    def _subscribe(self, bus: BusConnection) -> None:
        """Find the service and add match rules; raise WatcherUnavailable if it is absent.

        Runs in ``start``, on the caller's thread, before the listening thread exists.
        """

    def _started(self) -> None:  # noqa: B027 - only some watchers have a state to report
        """First thing in the listening thread: report a state found while subscribing."""

    @abstractmethod
    def _handle(self, signal: Signal) -> None:
        """One subscribed signal arrived (in the listening thread)."""
