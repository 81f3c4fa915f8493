"""What one desktop's "do not disturb" switch looks like to breakd.

A source is read on demand (the owner thread's bus connection, one bounded call or
two) and names the signals that announce a change of it. The signals only wake the
daemon; the truth is always read again, so a missed or reordered signal costs at most
the daemon's next periodic check, never a wrong answer. A ``LocalQuietSource`` (Windows,
macOS) is read without any bus: a system call or a file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from breakd.dbus_client import ABSENT_ERRORS, BusConnection, DBusError, Signal
from breakd.i18n import N_

#: How a desktop's switch is named in the log, in status and (translated) by the CLI.
DO_NOT_DISTURB = N_("do not disturb ({source})")

DBUS = "org.freedesktop.DBus"
PROPERTIES = "org.freedesktop.DBus.Properties"

#: Errors that only mean "this desktop's service or setting is not here": not quiet,
#: and nothing to log.
ABSENT = ABSENT_ERRORS | {
    "org.freedesktop.DBus.Error.UnknownProperty",
    "org.freedesktop.DBus.Error.InvalidArgs",
}


@dataclass(frozen=True)
class SignalMatch:
    """One match rule a source needs on the session bus."""

    sender: str
    interface: str
    member: str
    path: str | None = None


class QuietSource(ABC):
    """One desktop's do-not-disturb state on the session bus."""

    #: Short and user-facing: "xfce" in "do not disturb (xfce)".
    name: str
    matches: tuple[SignalMatch, ...] = ()

    @property
    def reason(self) -> str:
        """Why reminders wait, after a reading that said quiet."""
        return DO_NOT_DISTURB.format(source=self.name)

    @property
    def check(self) -> str:
        """What this check is called in the log ("... is off: why")."""
        return self.reason

    @abstractmethod
    def read(self, bus: BusConnection) -> bool:
        """True while the desktop says do not disturb; False when it is not here.

        Raises ``DBusError`` for an unexpected answer, ``TimeoutError``/``OSError`` when
        the bus itself failed (the caller then opens a new connection).
        """

    @abstractmethod
    def wakes(self, signal: Signal) -> bool:
        """Whether ``signal`` (one of ``matches``) may mean this source changed."""


def name_has_owner(bus: BusConnection, name: str) -> bool:
    """Whether ``name`` runs now, asked without starting it through bus activation."""
    (owned,) = bus.call(DBUS, "/org/freedesktop/DBus", DBUS, "NameHasOwner", "s", (name,))
    return bool(owned)


def is_absent(error: DBusError) -> bool:
    return error.name in ABSENT


def changed_property(signal: Signal, interface: str, name: str) -> bool:
    """A ``PropertiesChanged`` naming ``interface``'s property ``name``, changed or invalidated."""
    if signal.member != "PropertiesChanged" or len(signal.body) < 3:
        return False
    changed_interface, changed, invalidated = signal.body[:3]
    return changed_interface == interface and (name in changed or name in invalidated)


class SourceFailed(Exception):
    """The desktop is here but its state cannot be read; the message says why."""


class LocalQuietSource(QuietSource):
    """A source read on this machine without the session bus, with no signal to follow:
    read when a reminder is due and at the daemon's periodic check while one is held."""

    @abstractmethod
    def read_local(self) -> bool:
        """True while the system says do not disturb; raises ``SourceFailed`` (or
        ``OSError``) when it cannot be read."""

    def read(self, bus: BusConnection) -> bool:
        return self.read_local()

    def wakes(self, signal: Signal) -> bool:
        return False
