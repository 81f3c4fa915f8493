"""Xfce's do not disturb: xfconf channel ``xfce4-notifyd``, property ``/do-not-disturb``
(what the panel's bell toggles), read from xfconfd over D-Bus.

xfce4-notifyd swallows what arrives while it is on into its log, where breakd would
count the reminder as shown and ignored.
"""

from __future__ import annotations

from breakd.dbus_client import BusConnection, DBusError, Signal
from breakd.notify.quiet.base import QuietSource, SignalMatch, name_has_owner

XFCONF = "org.xfce.Xfconf"
XFCONF_PATH = "/org/xfce/Xfconf"
CHANNEL = "xfce4-notifyd"
PROPERTY = "/do-not-disturb"
#: xfconfd's answer for a property never set (do not disturb was never turned on).
NOT_FOUND = "org.xfce.Xfconf.Error.PropertyNotFound"


class XfceSource(QuietSource):
    name = "xfce"
    matches = (
        SignalMatch(XFCONF, XFCONF, "PropertyChanged", XFCONF_PATH),
        SignalMatch(XFCONF, XFCONF, "PropertyRemoved", XFCONF_PATH),
    )

    def read(self, bus: BusConnection) -> bool:
        # xfconfd is bus-activatable wherever xfconf is installed: asking it outside
        # Xfce would start it for nothing.
        if not name_has_owner(bus, XFCONF):
            return False
        try:
            (variant,) = bus.call(
                XFCONF, XFCONF_PATH, XFCONF, "GetProperty", "ss", (CHANNEL, PROPERTY)
            )
        except DBusError as error:
            if error.name == NOT_FOUND:
                return False
            raise
        _signature, value = variant
        return value is True

    def wakes(self, signal: Signal) -> bool:
        return signal.body[:2] == (CHANNEL, PROPERTY)
