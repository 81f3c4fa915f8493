"""Idle time on GNOME (X11 and Wayland): Mutter's IdleMonitor on the session bus.

``org.gnome.Mutter.IdleMonitor.GetIdletime`` on ``/org/gnome/Mutter/IdleMonitor/Core``
returns the milliseconds since the last input anywhere in the session (a ``t``). It is
the one idle source that works on GNOME under Wayland.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from breakd.activity.base import IdleMonitor, IdleUnavailable
from breakd.dbus_client import BusConnection, BusUnavailable, DBusError

BUS_NAME = "org.gnome.Mutter.IdleMonitor"
OBJECT_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
INTERFACE = "org.gnome.Mutter.IdleMonitor"


class GnomeIdleMonitor(IdleMonitor):
    name = "gnome"

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        try:
            self._bus: BusConnection | None = BusConnection("session", environ)
        except BusUnavailable as error:
            raise IdleUnavailable(str(error)) from error

    def idle_seconds(self) -> float:
        if self._bus is None:
            raise IdleUnavailable("closed")
        try:
            (milliseconds,) = self._bus.call(BUS_NAME, OBJECT_PATH, INTERFACE, "GetIdletime")
        except DBusError as error:
            raise IdleUnavailable(f"Mutter's IdleMonitor did not answer: {error}") from error
        except OSError as error:  # no answer in time, or the bus went away
            raise IdleUnavailable(f"Mutter's IdleMonitor: {error}") from error
        if not isinstance(milliseconds, int):
            raise IdleUnavailable(f"GetIdletime answered {milliseconds!r}, not a number")
        return milliseconds / 1000.0

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.close()
