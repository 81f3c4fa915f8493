"""Away signals from systemd-logind (or elogind) on the system bus.

- ``LogindSleepWatcher``: ``org.freedesktop.login1.Manager.PrepareForSleep(b)``, sent
  with True just before a suspend or hibernation and with False after waking up:
  ``on_away("suspend")`` / ``on_back("suspend")``.
- ``LogindLockWatcher``: the user's session object. ``Lock`` and ``Unlock`` are logind
  asking the session's screen locker to act (``loginctl lock-session``); ``LockedHint``
  is the locker's own word that the screen is locked (GNOME and KDE keep it up to date).
  Either one moves the same locked state: ``on_away("lock")`` / ``on_back("lock")``.

The session object comes from ``GetSession($XDG_SESSION_ID)``, else
``GetSessionByPID(our pid)``, else ``GetSession("auto")`` (logind's name for the
caller's session, or the user's graphical one when the caller runs outside any session,
as a systemd user service does).
"""

from __future__ import annotations

import os
from typing import Any

from breakd.activity.away import AwayWatcher, WatcherUnavailable
from breakd.dbus_client import BusConnection, DBusError, Signal

BUS_NAME = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
PROPERTIES = "org.freedesktop.DBus.Properties"


def _require_logind(bus: BusConnection) -> None:
    if not bus.reachable(BUS_NAME):
        raise WatcherUnavailable(f"no {BUS_NAME} (logind) on the system bus")


class LogindSleepWatcher(AwayWatcher):
    name = "logind-sleep"
    bus_kind = "system"

    def _subscribe(self, bus: BusConnection) -> None:
        _require_logind(bus)
        bus.add_match(
            sender=BUS_NAME, interface=MANAGER, member="PrepareForSleep", path=MANAGER_PATH
        )

    def _handle(self, signal: Signal) -> None:
        if signal.member == "PrepareForSleep" and signal.body:
            self._report(away=bool(signal.body[0]), reason="suspend")


class LogindLockWatcher(AwayWatcher):
    name = "logind-lock"
    bus_kind = "system"
    session_path: str | None = None

    def _subscribe(self, bus: BusConnection) -> None:
        _require_logind(bus)
        path = self._find_session(bus)
        try:
            locked = bool(bus.get_property(BUS_NAME, path, SESSION, "LockedHint"))
        except DBusError as error:
            if error.name.endswith((".UnknownObject", ".UnknownMethod")):
                raise WatcherUnavailable(f"session {path} does not answer: {error}") from error
            locked = False  # a logind older than LockedHint: Lock/Unlock still work
        for member in ("Lock", "Unlock"):
            bus.add_match(sender=BUS_NAME, interface=SESSION, member=member, path=path)
        bus.add_match(sender=BUS_NAME, interface=PROPERTIES, member="PropertiesChanged", path=path)
        self.session_path = path
        self._locked = locked

    def _find_session(self, bus: BusConnection) -> str:
        attempts: list[tuple[str, str, tuple[Any, ...]]] = []
        session_id = self._environ.get("XDG_SESSION_ID")
        if session_id:
            attempts.append(("GetSession", "s", (session_id,)))
        attempts.append(("GetSessionByPID", "u", (os.getpid(),)))
        attempts.append(("GetSession", "s", ("auto",)))
        problems = []
        for method, signature, args in attempts:
            try:
                (path,) = bus.call(BUS_NAME, MANAGER_PATH, MANAGER, method, signature, args)
                return str(path)
            except DBusError as error:
                problems.append(f"{method}{args}: {error}")
        raise WatcherUnavailable("no logind session found: " + "; ".join(problems))

    def _started(self) -> None:
        if self._locked:
            self._report(away=True, reason="lock")

    def _handle(self, signal: Signal) -> None:
        if signal.member in ("Lock", "Unlock"):
            self._set_locked(signal.member == "Lock")
        elif signal.member == "PropertiesChanged" and len(signal.body) >= 2:
            interface, changed = signal.body[0], signal.body[1]
            if interface == SESSION and "LockedHint" in changed:
                _signature, value = changed["LockedHint"]
                self._set_locked(bool(value))

    def _set_locked(self, locked: bool) -> None:
        if locked != self._locked:
            self._locked = locked
            self._report(away=locked, reason="lock")
