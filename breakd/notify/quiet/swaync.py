"""SwayNotificationCenter's do not disturb (``swaync-client -D``; toggled with ``-d``,
``-dn``, ``-df`` or the control centre's switch).

Read with swaync's ``GetDnd`` on its control-centre interface
(``org.erikreider.swaync.cc``), what ``swaync-client -D`` prints; asked directly rather
than through swaync-client, which waits for swaync when it is not running. That name
is not bus-activatable, so asking never starts swaync. A change is announced by
swaync's ``OnDndToggle`` signal on the notification server's path (0.7.3 in Debian 12
sends it on every change, as ``dbus-monitor`` shows), so breakd listens for that one
and not for ``Subscribe``, which also fires for every notification shown or closed.
"""

from __future__ import annotations

from breakd.dbus_client import BusConnection, Signal
from breakd.notify.quiet.base import QuietSource, SignalMatch
from breakd.notify.quiet.freedesktop import NOTIFICATIONS, NOTIFICATIONS_PATH

SWAYNC = "org.erikreider.swaync.cc"
SWAYNC_PATH = "/org/erikreider/swaync/cc"
TOGGLED = "OnDndToggle"


class SwayncSource(QuietSource):
    name = "swaync"
    matches = (SignalMatch(NOTIFICATIONS, NOTIFICATIONS, TOGGLED, NOTIFICATIONS_PATH),)

    def read(self, bus: BusConnection) -> bool:
        (dnd,) = bus.call(SWAYNC, SWAYNC_PATH, SWAYNC, "GetDnd")
        return dnd is True

    def wakes(self, signal: Signal) -> bool:
        return signal.interface == NOTIFICATIONS and signal.member == TOGGLED
