"""The window in front, on X11: is it fullscreen?

The window manager names the active window in the root window's ``_NET_ACTIVE_WINDOW``
and marks a fullscreen one with ``_NET_WM_STATE_FULLSCREEN`` in its ``_NET_WM_STATE``
(EWMH). Both are read with ``XGetWindowProperty`` through ctypes on libX11, the library
the X11 idle monitor already holds, so asking costs no toolkit in the daemon's memory.

One display connection is kept between checks (a check comes every little while as
long as a reminder is held); the owner thread alone uses it. A window that closes
between the two reads raises ``BadWindow``, which :class:`breakd.x11_errors.ErrorTrap`
catches: it means "not fullscreen". A server that goes away is reported as
:class:`X11Lost` (with libX11 1.7 or newer; older ones end the process, as for every X11
client).
"""

from __future__ import annotations

import contextlib
import ctypes

from breakd import x11_errors

#: ``XA_ATOM`` and ``XA_WINDOW`` from <X11/Xatom.h>; ``AnyPropertyType`` is 0.
XA_ATOM = 4
XA_WINDOW = 33
SUCCESS = 0
#: Longest property read, in 32-bit units: a window's states are a handful of atoms.
MAX_LONGS = 64


class X11Unavailable(Exception):
    """No libX11, or the display cannot be opened."""


class X11Lost(Exception):
    """The connection to the X server broke; open a new one later."""


class ActiveWindow:
    """Reads whether the active window is fullscreen, over a display of its own."""

    def __init__(self, name: str) -> None:
        try:
            xlib = x11_errors.load_xlib()
        except x11_errors.XlibUnavailable as error:
            raise X11Unavailable(str(error)) from None
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        xlib.XInternAtom.restype = ctypes.c_ulong
        xlib.XFree.argtypes = [ctypes.c_void_p]
        xlib.XGetWindowProperty.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
            ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p),
        ]  # fmt: skip
        xlib.XGetWindowProperty.restype = ctypes.c_int
        self.name = name
        self._xlib = xlib
        self._lost = False
        display = xlib.XOpenDisplay(name.encode())
        if not display:
            raise X11Unavailable(f"cannot open the X display {name}")
        self._display: int | None = display
        # With libX11 < 1.7 a lost server ends the process whatever breakd does.
        with contextlib.suppress(x11_errors.XlibUnavailable):
            x11_errors.watch(xlib, display, self._on_lost)
        self._trap = x11_errors.ErrorTrap(xlib, display)
        self._root = xlib.XDefaultRootWindow(display)
        self._active = self._atom(b"_NET_ACTIVE_WINDOW")
        self._state = self._atom(b"_NET_WM_STATE")
        self._fullscreen = self._atom(b"_NET_WM_STATE_FULLSCREEN")
        self._check_lost()

    def fullscreen(self) -> bool:
        """Whether the active window is fullscreen (no active window: False)."""
        active = self._read(self._root, self._active, XA_WINDOW)
        if not active or not active[0]:
            return False
        return self._fullscreen in self._read(active[0], self._state, XA_ATOM)

    def close(self) -> None:
        """Close the connection (idempotent; a lost one is only forgotten)."""
        display, self._display = self._display, None
        if display is not None:
            if not self._lost:
                self._xlib.XCloseDisplay(display)
            x11_errors.forget(display)

    def _atom(self, name: bytes) -> int:
        return int(self._xlib.XInternAtom(self._live(), name, 0))

    def _read(self, window: int, prop: int, kind: int) -> list[int]:
        """A 32-bit property's values ([] when unset, of another type, or the window is gone)."""
        actual_type, actual_format = ctypes.c_ulong(), ctypes.c_int()
        count, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        with self._trap as trap:
            status = self._xlib.XGetWindowProperty(
                self._live(), window, prop, 0, MAX_LONGS, 0, kind, ctypes.byref(actual_type),
                ctypes.byref(actual_format), ctypes.byref(count), ctypes.byref(after),
                ctypes.byref(data),
            )  # fmt: skip
        self._check_lost()
        try:
            if status != SUCCESS or trap.codes or actual_format.value != 32 or not data.value:
                return []
            # Format 32 comes as C longs, whatever their size on this machine.
            values = ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))
            return [int(values[index]) for index in range(count.value)]
        finally:
            if data.value:
                self._xlib.XFree(data)

    def _live(self) -> int:
        if self._display is None:
            raise X11Lost(f"the X display {self.name} is closed")
        return self._display

    def _check_lost(self) -> None:
        if self._lost:
            self.close()
            raise X11Lost(f"lost the X display {self.name}")

    def _on_lost(self) -> None:
        """From Xlib, instead of exit(), when the connection broke."""
        self._lost = True
