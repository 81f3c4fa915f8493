"""When not to interrupt: notifications inhibited ("do not disturb"), or a fullscreen
window (a presentation, a video call, a film) is in front.

A held reminder is not lost: the daemon asks again every little while and shows the
reminder once when the quiet ends. Asking that often, each check keeps its connection
(one to the session bus, one to the X display) and opens a new one only after the old
one failed.

Threading contract: the daemon calls ``reason`` and ``close`` from its owner thread
only, never concurrently, so the connections need no lock. Every call returns within
the bus's call limit; a check that cannot be made counts as "not quiet".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from breakd.dbus_client import BusConnection, BusUnavailable, DBusError

log = logging.getLogger(__name__)

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

FULLSCREEN_CHECK = "quiet when a window is fullscreen"


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
        self._bus: BusConnection | None = None
        self._display: Any = None  # an Xlib.display.Display, kept between checks
        #: Checks that are off, each logged once when it went off.
        self._off: set[str] = set()

    def reason(self) -> str | None:
        if self.when_inhibited and self._inhibited():
            return "notifications are inhibited (do not disturb)"
        if self.when_fullscreen and self._fullscreen():
            return "a fullscreen window is in front"
        return None

    def close(self) -> None:
        """Close the bus and display connections (idempotent)."""
        self._drop_bus()
        self._drop_display()

    def _inhibited(self) -> bool:
        """The ``Inhibited`` property of notification spec 1.3 (servers without it: no)."""
        if self._bus is None:
            try:
                self._bus = BusConnection("session", self._environ)
            except BusUnavailable:
                return False
        try:
            value = self._bus.get_property(
                NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited"
            )
        except DBusError:
            return False  # no server, or one without the property: the bus itself is fine
        except (TimeoutError, OSError):
            self._drop_bus()  # broken or stuck: the next check opens a new one
            return False
        return bool(value)

    def _fullscreen(self) -> bool:
        """``_NET_WM_STATE_FULLSCREEN`` on the ``_NET_ACTIVE_WINDOW`` (X11 / Xwayland)."""
        name = self._environ.get("DISPLAY")
        if not name:
            return False
        try:
            from Xlib import X, display, error
        except ImportError:
            self._went_off(FULLSCREEN_CHECK, "python-xlib is not installed")
            return False
        if self._display is None:
            try:
                self._display = display.Display(name)
            except Exception as failure:  # python-xlib raises many kinds for a bad display
                self._went_off(FULLSCREEN_CHECK, f"cannot open the X display {name} ({failure})")
                return False
            self._back_on(FULLSCREEN_CHECK)
        screen = self._display
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
            return False  # e.g. the active window closed meanwhile; the display is fine
        except (error.ConnectionClosedError, OSError) as failure:
            self._drop_display()
            self._went_off(FULLSCREEN_CHECK, f"lost the X display {name} ({failure})")
            return False

    def _went_off(self, check: str, why: str) -> None:
        if check not in self._off:
            self._off.add(check)
            log.warning("%s is off: %s; reminders are not held back for it", check, why)

    def _back_on(self, check: str) -> None:
        if check in self._off:
            self._off.discard(check)
            log.info("%s works again", check)

    def _drop_bus(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.close()

    def _drop_display(self) -> None:
        if self._display is not None:
            screen, self._display = self._display, None
            try:
                screen.close()
            except Exception as failure:  # closing a display whose server went away
                log.debug("closing the X display: %s", failure)
