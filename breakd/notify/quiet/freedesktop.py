"""Notification spec 1.3's ``Inhibited`` property (KDE Plasma, and servers that have it)."""

from __future__ import annotations

from breakd.dbus_client import BusConnection, Signal
from breakd.i18n import N_
from breakd.notify.quiet.base import PROPERTIES, QuietSource, SignalMatch, changed_property

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"


class InhibitedSource(QuietSource):
    name = "notification server"
    matches = (SignalMatch(NOTIFICATIONS, PROPERTIES, "PropertiesChanged", NOTIFICATIONS_PATH),)

    @property
    def reason(self) -> str:
        return N_("notifications are inhibited (do not disturb)")

    def read(self, bus: BusConnection) -> bool:
        return bool(bus.get_property(NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited"))

    def wakes(self, signal: Signal) -> bool:
        return changed_property(signal, NOTIFICATIONS, "Inhibited")
