"""When not to interrupt: notifications inhibited ("do not disturb"), or a fullscreen
window (a presentation, a video call, a film) is in front.

A held reminder is not lost: the daemon asks again every little while and shows the
reminder once when the quiet ends.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from breakd.dbus_client import BusConnection, BusUnavailable, DBusError

log = logging.getLogger(__name__)

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"


class QuietRules:
    """Answers "is now a bad moment?" with a reason, or None."""

    def __init__(
        self,
        *,
        when_inhibited: bool,
        when_fullscreen: bool,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.when_inhibited = when_inhibited
        self.when_fullscreen = when_fullscreen
        self._environ = environ

    def reason(self) -> str | None:
        if self.when_inhibited and self._inhibited():
            return "notifications are inhibited (do not disturb)"
        if self.when_fullscreen and self._fullscreen():
            return "a fullscreen window is in front"
        return None

    def _inhibited(self) -> bool:
        """The ``Inhibited`` property of notification spec 1.3 (servers without it: no)."""
        try:
            bus = BusConnection("session", self._environ)
        except BusUnavailable:
            return False
        try:
            value = bus.get_property(NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited")
        except (DBusError, TimeoutError, OSError):
            return False
        finally:
            bus.close()
        return bool(value)

    def _fullscreen(self) -> bool:
        """``_NET_WM_STATE_FULLSCREEN`` on the ``_NET_ACTIVE_WINDOW`` (X11 / Xwayland)."""
        if not self._environ.get("DISPLAY"):
            return False
        try:
            from Xlib import X, display, error
        except ImportError:
            return False
        try:
            screen = display.Display(self._environ["DISPLAY"])
        except Exception:
            return False
        try:
            root = screen.screen().root
            active = root.get_full_property(
                screen.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType
            )
            if active is None or not active.value or not active.value[0]:
                return False
            window = screen.create_resource_object("window", int(active.value[0]))
            state = window.get_full_property(screen.intern_atom("_NET_WM_STATE"), X.AnyPropertyType)
            fullscreen = screen.intern_atom("_NET_WM_STATE_FULLSCREEN")
            return state is not None and fullscreen in list(state.value)
        except error.XError:
            return False
        finally:
            screen.close()
