"""dunst paused (``dunstctl set-paused true``, what ``dunstctl is-paused`` reports).

dunst queues what arrives while paused and shows it all on unpausing, so a reminder
sent then would pop up long after it meant anything: it is held instead.
"""

from __future__ import annotations

from breakd.dbus_client import BusConnection, Signal
from breakd.notify.quiet.base import PROPERTIES, QuietSource, SignalMatch, changed_property
from breakd.notify.quiet.freedesktop import NOTIFICATIONS, NOTIFICATIONS_PATH

DUNST = "org.dunstproject.cmd0"


class DunstSource(QuietSource):
    name = "dunst"
    # dunst emits PropertiesChanged for ``paused`` from the notification server's name.
    matches = (SignalMatch(NOTIFICATIONS, PROPERTIES, "PropertiesChanged", NOTIFICATIONS_PATH),)

    def read(self, bus: BusConnection) -> bool:
        # Another server answers UnknownInterface or UnknownProperty: not dunst, not quiet.
        return bool(bus.get_property(NOTIFICATIONS, NOTIFICATIONS_PATH, DUNST, "paused"))

    def wakes(self, signal: Signal) -> bool:
        return changed_property(signal, DUNST, "paused")
