"""Listens for the quiet sources' change signals, so a held reminder comes as soon as
do not disturb ends rather than at the daemon's next periodic check.

Threading contract: ``start`` and ``stop`` run on the owner thread; ``on_change`` runs
in the listening thread and must only post to the owner (``Daemon.submit``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence

from breakd.activity.base import CALL_TIMEOUT
from breakd.dbus_client import BusConnection, BusUnavailable, DBusError
from breakd.notify.quiet.base import QuietSource

log = logging.getLogger(__name__)


class QuietWatch:
    """One session-bus connection and thread for every source's signals."""

    def __init__(
        self,
        sources: Sequence[QuietSource],
        on_change: Callable[[], None],
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._sources = tuple(sources)
        self._on_change = on_change
        self._environ = environ
        self._bus: BusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> bool:
        """Subscribe and listen; False (and one log line) when the bus cannot be had."""
        try:
            bus = BusConnection("session", self._environ)
        except BusUnavailable as error:
            log.info("not listening for do-not-disturb changes: %s", error)
            return False
        subscribed: set[object] = set()
        for source in self._sources:
            for match in source.matches:
                if match in subscribed:
                    continue
                try:
                    bus.add_match(
                        sender=match.sender,
                        interface=match.interface,
                        member=match.member,
                        path=match.path,
                    )
                except (DBusError, TimeoutError, OSError) as error:
                    log.warning(
                        "do not disturb (%s) is checked only every little while: %s",
                        source.name,
                        error,
                    )
                    continue
                subscribed.add(match)
        self._bus = bus
        self._thread = threading.Thread(target=self._run, args=(bus,), name="breakd-quiet")
        self._thread.daemon = True
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        self._stopping.set()
        if self._bus is not None:
            self._bus.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=2 * CALL_TIMEOUT)
            self._thread = None
        self._bus = None

    def _run(self, bus: BusConnection) -> None:
        try:
            self._on_change()  # the state found at start, read after subscribing
            while not self._stopping.is_set():
                signal = bus.next_signal()
                if any(source.wakes(signal) for source in self._sources):
                    self._on_change()
        except OSError as error:
            if not self._stopping.is_set():
                log.warning(
                    "lost the session bus (%s): do not disturb is checked only every little while",
                    error,
                )
        except Exception:
            log.exception(
                "listening for do-not-disturb changes failed; checking every little while"
            )
        finally:
            bus.close()
