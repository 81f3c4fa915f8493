"""Away signals from the desktop's screensaver on the session bus.

``ActiveChanged(b)`` from ``org.freedesktop.ScreenSaver`` (KDE, and others following
its API) and from ``org.gnome.ScreenSaver`` (GNOME Shell): True when the screensaver or
lock screen comes up, False when it goes away. Both count as a lock, since either way
the desktop is hidden and the user is not at it: ``on_away("lock")`` /
``on_back("lock")``. With both services present, one state is kept, so a pair of
signals for the same change is reported once.
"""

from __future__ import annotations

from breakd.activity.away import AwayWatcher, WatcherUnavailable
from breakd.dbus_client import BusConnection, Signal

SERVICES = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver")


class ScreenSaverWatcher(AwayWatcher):
    name = "screensaver"
    bus_kind = "session"

    def _subscribe(self, bus: BusConnection) -> None:
        if not any(bus.reachable(service) for service in SERVICES):
            raise WatcherUnavailable(f"neither {' nor '.join(SERVICES)} is on the session bus")
        for service in SERVICES:
            # The interface is named like the service, at whatever object path. The bus
            # matches the sender by its current owner, so one that shows up later counts.
            bus.add_match(sender=service, interface=service, member="ActiveChanged")
        self._active = False

    def _handle(self, signal: Signal) -> None:
        if signal.member == "ActiveChanged" and signal.body:
            active = bool(signal.body[0])
            if active != self._active:
                self._active = active
                self._report(away=active, reason="lock")
