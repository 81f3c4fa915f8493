"""Idle time on X11: the MIT-SCREEN-SAVER extension's idle counter.

``XScreenSaverQueryInfo`` reports the milliseconds since the server last saw keyboard or
pointer input on any client. It is reached through ctypes on libX11 and libXss (Debian:
libx11-6, libxss1), so breakd has no compiled dependency.

Not for Wayland sessions: under Xwayland the counter only sees input aimed at X11
windows, so ``select`` does not offer this backend there.

The monitor opens a Display of its own and uses it only from the daemon's owner thread;
no other part of breakd shares it. Xlib has no time limits of its own; a query is one
round trip to a local server, and a server that hangs has hung the desktop anyway. If the
server goes away, Xlib would end the whole process; ``breakd.x11_errors`` turns that into
a note for this display (libX11 1.7 or newer), and ``idle_seconds`` then raises
``IdleUnavailable`` and never touches the display again.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from collections.abc import Mapping

from breakd import x11_errors
from breakd.activity.base import IdleMonitor, IdleUnavailable


class _XScreenSaverInfo(ctypes.Structure):
    """``XScreenSaverInfo`` from <X11/extensions/scrnsaver.h>."""

    _fields_ = (
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("event_mask", ctypes.c_ulong),
    )


def _load(soname: str, short: str, package: str) -> ctypes.CDLL:
    for candidate in (soname, ctypes.util.find_library(short)):
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    raise IdleUnavailable(f"{soname} not found (Debian package {package})")


class X11IdleMonitor(IdleMonitor):
    """Reads the X server's idle counter over a display connection of its own."""

    name = "x11"

    def __init__(self, display: str | None = None, environ: Mapping[str, str] = os.environ):
        self._display_name = display or environ.get("DISPLAY", "")
        if not self._display_name:
            raise IdleUnavailable("DISPLAY is not set")
        xlib = _load("libX11.so.6", "X11", "libx11-6")
        xss = _load("libXss.so.1", "Xss", "libxss1")
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xlib.XCloseDisplay.restype = ctypes.c_int
        xss.XScreenSaverQueryExtension.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
        ]
        xss.XScreenSaverQueryExtension.restype = ctypes.c_int
        xss.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(_XScreenSaverInfo),
        ]
        xss.XScreenSaverQueryInfo.restype = ctypes.c_int
        self._xlib = xlib
        self._xss = xss
        self._lost = False

        display_ptr = xlib.XOpenDisplay(self._display_name.encode())
        if not display_ptr:
            raise IdleUnavailable(f"cannot open X display {self._display_name!r}")
        self._display: int | None = display_ptr
        # With libX11 < 1.7 a lost server ends the process whatever breakd does.
        with contextlib.suppress(x11_errors.XlibUnavailable):
            x11_errors.watch(xlib, display_ptr, self._on_connection_lost)
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not xss.XScreenSaverQueryExtension(
            display_ptr, ctypes.byref(event_base), ctypes.byref(error_base)
        ):
            self.close()
            raise IdleUnavailable(
                f"X display {self._display_name!r} lacks the MIT-SCREEN-SAVER extension"
            )
        self._root = xlib.XDefaultRootWindow(display_ptr)
        self._info = _XScreenSaverInfo()

    def _on_connection_lost(self) -> None:
        """Called by Xlib instead of exit() when the server connection breaks."""
        self._lost = True

    def idle_seconds(self) -> float:
        if self._display is None:
            raise IdleUnavailable(f"X display {self._display_name!r} is closed")
        status = self._xss.XScreenSaverQueryInfo(
            self._display, self._root, ctypes.byref(self._info)
        )
        if self._lost:
            # Dead: Xlib must not be asked about it again, not even to close it.
            self._display = None
            raise IdleUnavailable(f"lost the connection to X display {self._display_name!r}")
        if not status:
            raise IdleUnavailable("XScreenSaverQueryInfo failed")
        return float(self._info.idle) / 1000.0

    def close(self) -> None:
        if self._display is not None:
            display, self._display = self._display, None
            self._xlib.XCloseDisplay(display)
            x11_errors.forget(display)
