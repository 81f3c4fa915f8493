"""Idle time from ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` (KDE Plasma on X11).

The freedesktop idle-inhibition spec defines only ``Inhibit``/``UnInhibit`` on this
service; ``GetSessionIdleTime`` is KDE's addition. KDE's screen locker (kscreenlocker,
``Interface::GetSessionIdleTime``) returns ``KIdleTime::idleTime()``, which KIdleTime
documents as milliseconds, so the reply is read as milliseconds. On Wayland, Plasma
answers ``org.freedesktop.DBus.Error.NotSupported``, and GNOME's screensaver proxy
(gsd-screensaver-proxy) answers NotSupported everywhere; both end up as
``IdleUnavailable``, so the selection moves on. Some minimal providers answer a constant
0, which cannot be told from a busy user and reads as "always present".

KDE registers the object at ``/ScreenSaver`` as well as the spec's
``/org/freedesktop/ScreenSaver``; older KDE releases had only ``/ScreenSaver``, so both
are tried, and the first that answers is kept.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from breakd.activity.base import IdleMonitor, IdleUnavailable
from breakd.dbus_client import BusConnection, BusUnavailable, DBusError

BUS_NAME = "org.freedesktop.ScreenSaver"
OBJECT_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
INTERFACE = "org.freedesktop.ScreenSaver"

#: Errors that mean "not at this path", so the other path is worth a try.
_WRONG_PATH = {
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownInterface",
}


class FreedesktopIdleMonitor(IdleMonitor):
    name = "freedesktop"

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        try:
            self._bus: BusConnection | None = BusConnection("session", environ)
        except BusUnavailable as error:
            raise IdleUnavailable(str(error)) from error
        self._paths = list(OBJECT_PATHS)

    def idle_seconds(self) -> float:
        if self._bus is None:
            raise IdleUnavailable("closed")
        problems: list[str] = []
        for path in self._paths:
            try:
                (milliseconds,) = self._bus.call(BUS_NAME, path, INTERFACE, "GetSessionIdleTime")
            except DBusError as error:
                problems.append(f"{path}: {error}")
                if error.name in _WRONG_PATH:
                    continue
                break
            except OSError as error:  # no answer in time, or the bus went away
                raise IdleUnavailable(f"{BUS_NAME}: {error}") from error
            if not isinstance(milliseconds, int):
                raise IdleUnavailable(f"GetSessionIdleTime answered {milliseconds!r}")
            self._paths = [path]  # the one that answers; no need to try others again
            return milliseconds / 1000.0
        raise IdleUnavailable("; ".join(problems))

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.close()
