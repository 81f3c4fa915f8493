"""Whether an application keeps the session from going idle: a video playing.

Video players and browsers, while a video plays, ask the desktop not to blank the
screen: ``org.freedesktop.ScreenSaver.Inhibit`` (which GNOME passes on to its session
manager), GNOME's ``org.gnome.SessionManager.Inhibit`` with the idle flag, or a logind
``idle`` inhibitor lock (``systemd-inhibit --what=idle``). The person watching sits
still without touching anything, so breakd counts that as sitting, not as a break.

The freedesktop ScreenSaver interface has no way to ask who inhibits (``GetActive``
only says whether the screen saver runs), so the answer is read where one exists:

* ``gnome``: ``org.gnome.SessionManager.IsInhibited(8)`` on the session bus (8: "idle").
* ``logind``: ``org.freedesktop.login1.Manager.ListInhibitors`` on the system bus, an
  entry whose ``what`` lists ``idle``, in ``block`` mode, held by a process of this user
  (another user's player says nothing about this one).

On other desktops (KDE Plasma, Xfce) an inhibitor taken only through the ScreenSaver
interface is not seen.

The answer matters only once the user has been idle a while, so the daemon asks on
demand, from its owner thread, with bounded calls, and only then: nothing is read while
the user types, and no signal needs following (a video that stops shows at the next
reading, within a minute). A source whose service or bus is absent answers "no" without
a word, and is left unasked for ten minutes; one that is there but fails is logged once
and asked again next time.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from breakd.dbus_client import ABSENT_ERRORS, BusConnection, BusKind, BusUnavailable, DBusError

log = logging.getLogger(__name__)

GNOME_SESSION = "org.gnome.SessionManager"
GNOME_SESSION_PATH = "/org/gnome/SessionManager"
#: GsmInhibitorFlag: 1 logout, 2 switch user, 4 suspend, 8 idle, 16 automount.
GNOME_INHIBIT_IDLE = 8
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
#: How long a source whose service is absent is left unasked.
ABSENT_RETRY = 10 * 60.0


@dataclass(frozen=True)
class LogindInhibitor:
    """One entry of logind's ``ListInhibitors``: ``a(ssssuu)``."""

    what: str  # colon-separated: "idle:sleep"
    who: str
    why: str
    mode: str  # "block" or "delay"
    uid: int
    pid: int


def keeps_idle_away(inhibitor: LogindInhibitor, uid: int) -> bool:
    """An idle lock in block mode taken by a process of user ``uid``."""
    return (
        "idle" in inhibitor.what.split(":") and inhibitor.mode == "block" and inhibitor.uid == uid
    )


def idle_inhibitor(entries: Iterable[LogindInhibitor], uid: int) -> LogindInhibitor | None:
    """The first of ``entries`` that keeps this user's session from going idle."""
    return next((entry for entry in entries if keeps_idle_away(entry, uid)), None)


class InhibitSource(ABC):
    """One place that can say an idle inhibitor is held."""

    #: Short name for the log: "gnome", "logind".
    name: str
    bus: BusKind

    @abstractmethod
    def read(self, bus: BusConnection) -> str | None:
        """Who inhibits idle now (None: nobody).

        Raises ``DBusError`` for an error reply, ``TimeoutError``/``OSError`` when the
        bus itself failed.
        """


class GnomeSessionSource(InhibitSource):
    name = "gnome"
    bus: BusKind = "session"

    def read(self, bus: BusConnection) -> str | None:
        (inhibited,) = bus.call(
            GNOME_SESSION,
            GNOME_SESSION_PATH,
            GNOME_SESSION,
            "IsInhibited",
            "u",
            (GNOME_INHIBIT_IDLE,),
        )
        return "an application (GNOME session)" if inhibited else None


class LogindSource(InhibitSource):
    name = "logind"
    bus: BusKind = "system"

    def __init__(self, uid: int | None = None) -> None:
        self._uid = _own_uid() if uid is None else uid

    def read(self, bus: BusConnection) -> str | None:
        (entries,) = bus.call(LOGIND, LOGIND_PATH, LOGIND_MANAGER, "ListInhibitors")
        found = idle_inhibitor((LogindInhibitor(*entry) for entry in entries), self._uid)
        return None if found is None else f"{found.who} (logind: {found.why})"


def _own_uid() -> int:
    if sys.platform == "win32":
        return -1  # no logind there: nothing will match
    return os.getuid()


def default_sources() -> tuple[InhibitSource, ...]:
    """Every source worth asking on Linux and the BSDs (none elsewhere)."""
    return (GnomeSessionSource(), LogindSource())


class IdleInhibitors:
    """Answers "does an application keep the session from going idle?" (owner thread)."""

    def __init__(
        self,
        sources: Sequence[InhibitSource] | None = None,
        environ: Mapping[str, str] = os.environ,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sources = tuple(default_sources() if sources is None else sources)
        self._environ = environ
        self._monotonic = monotonic
        self._buses: dict[BusKind, BusConnection] = {}
        self._off: set[str] = set()
        #: Sources whose service was absent, and when to ask them again.
        self._absent_until: dict[str, float] = {}

    def held(self) -> str | None:
        """Who holds an idle inhibitor now ("mpv (logind: playing)"), or None."""
        for source in self.sources:
            holder = self._read(source)
            if holder is not None:
                return holder
        return None

    def close(self) -> None:
        """Close the bus connections (idempotent)."""
        for kind in list(self._buses):
            self._drop(kind)

    def _read(self, source: InhibitSource) -> str | None:
        if self._monotonic() < self._absent_until.get(source.name, -math.inf):
            return None
        bus = self._buses.get(source.bus)
        if bus is None:
            try:
                bus = self._buses[source.bus] = BusConnection(source.bus, self._environ)
            except BusUnavailable:
                # No such bus (no system bus in a container): absent too, not a failed
                # connect at every look.
                self._absent_until[source.name] = self._monotonic() + ABSENT_RETRY
                return None
        try:
            holder = source.read(bus)
        except DBusError as error:
            if error.name in ABSENT_ERRORS:
                # Not this desktop's (no GNOME session manager on Xfce): not worth a
                # round trip at every look; a session manager that starts later is
                # found on a look after this.
                self._absent_until[source.name] = self._monotonic() + ABSENT_RETRY
            else:
                self._went_off(source, f"{error.name}: {error}")
            return None
        except (TimeoutError, OSError, TypeError, ValueError) as error:
            # A stuck or broken bus, or an answer of the wrong shape: a new one next time.
            self._drop(source.bus)
            self._went_off(source, str(error))
            return None
        if source.name in self._off:
            self._off.discard(source.name)
            log.info("idle inhibitors from %s can be read again", source.name)
        return holder

    def _went_off(self, source: InhibitSource, why: str) -> None:
        if source.name not in self._off:
            self._off.add(source.name)
            log.warning(
                "idle inhibitors from %s cannot be read (%s); asked again later", source.name, why
            )

    def _drop(self, kind: BusKind) -> None:
        bus = self._buses.pop(kind, None)
        if bus is not None:
            bus.close()
