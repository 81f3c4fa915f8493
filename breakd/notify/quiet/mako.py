"""mako's do not disturb: its mode ``do-not-disturb`` (``makoctl mode -a do-not-disturb``,
the mode mako's manual, mako(5), names for hiding every notification).

Read with mako's own D-Bus method ``ListModes`` on the notification server's name,
which is what ``makoctl mode`` prints (without needing busctl and jq, which makoctl
runs). Another server there answers "unknown object or method": not mako, not quiet.

No change signal: mako (1.7 in Debian 12) announces nothing when its modes change, so
there is nothing to listen to. Polling would wake breakd all day for a switch that
matters only when a reminder is due, so the modes are read exactly then and, while a
reminder is held, at the daemon's periodic check (``HOLD_CHECK_EVERY``, 15 s, or the
repeat interval if shorter): the reminder comes at most that long after do not disturb
ends, and nothing runs while none is due.
"""

from __future__ import annotations

from collections.abc import Iterable

from breakd.dbus_client import BusConnection, Signal
from breakd.notify.quiet.base import QuietSource
from breakd.notify.quiet.freedesktop import NOTIFICATIONS

MAKO = "fr.emersion.Mako"
MAKO_PATH = "/fr/emersion/Mako"
MODE = "do-not-disturb"


def modes_say_quiet(modes: Iterable[object]) -> bool:
    """Whether mako's current modes include do not disturb."""
    return any(mode == MODE for mode in modes)


class MakoSource(QuietSource):
    name = "mako"

    def read(self, bus: BusConnection) -> bool:
        (modes,) = bus.call(NOTIFICATIONS, MAKO_PATH, MAKO, "ListModes")
        return modes_say_quiet(modes)

    def wakes(self, signal: Signal) -> bool:
        return False  # mako sends none; see the module's note
