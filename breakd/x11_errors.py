"""Surviving the X server going away, for every libX11 display breakd holds.

By default Xlib ends the whole process when a display connection breaks, and GDK's own
handler does the same. breakd holds libX11 displays in two places, the X11 idle monitor
and the gtk tray, and losing the X server should turn off only those. With libX11 1.7 or
newer that is possible: a process-wide I/O error handler returns for the displays
registered here (handing any other display to the handler it replaced), and a
per-display exit handler (``XSetIOErrorExitHandler``) reports the loss instead of
exiting. Xlib then marks the display dead and returns; its owner must stop using it.

GDK installs its handler when it starts, over whatever was there, so ``watch`` installs
the process-wide handler again each time it is called.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_IOErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_IOErrorExitHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

_lock = threading.Lock()
# Display* address -> its exit handler (kept here: ctypes must not free it while Xlib
# holds it).
_watched: dict[int, object] = {}
_previous: list[Callable[[int | None], int]] = []


class XlibUnavailable(Exception):
    """libX11 is missing, or too old (before 1.7) to survive a lost connection."""


def load_xlib() -> ctypes.CDLL:
    for candidate in ("libX11.so.6", ctypes.util.find_library("X11")):
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    raise XlibUnavailable("libX11.so.6 not found (Debian package libx11-6)")


def _on_io_error(display: int | None) -> int:
    """Process-wide: return for watched displays (their exit handler runs next)."""
    if display in _watched:
        return 0
    if _previous:
        return int(_previous[0](display))
    return 0


_handler = _IOErrorHandler(_on_io_error)


def watch(xlib: ctypes.CDLL, display: int, on_lost: Callable[[], None]) -> None:
    """Call ``on_lost`` (on the thread that used the display) when its connection breaks.

    Raises XlibUnavailable when this libX11 cannot recover from a lost connection.
    """
    if not hasattr(xlib, "XSetIOErrorExitHandler"):
        raise XlibUnavailable("libX11 is older than 1.7: a lost X server ends the process")
    xlib.XSetIOErrorHandler.argtypes = [_IOErrorHandler]
    xlib.XSetIOErrorHandler.restype = ctypes.c_void_p
    xlib.XSetIOErrorExitHandler.argtypes = [ctypes.c_void_p, _IOErrorExitHandler, ctypes.c_void_p]
    xlib.XSetIOErrorExitHandler.restype = None

    def lost(_display: int | None, _data: int | None) -> None:
        try:
            on_lost()
        except Exception:
            log.exception("handling a lost X connection failed")

    exit_handler = _IOErrorExitHandler(lost)
    with _lock:
        replaced = xlib.XSetIOErrorHandler(_handler)
        ours = ctypes.cast(_handler, ctypes.c_void_p).value
        if replaced and replaced != ours:
            _previous[:] = [_IOErrorHandler(replaced)]
        _watched[display] = exit_handler
    xlib.XSetIOErrorExitHandler(display, exit_handler, None)


def forget(display: int) -> None:
    """The display was closed: its address may be reused by another one."""
    with _lock:
        _watched.pop(display, None)


class _XErrorEvent(ctypes.Structure):
    """``XErrorEvent`` from <X11/Xlib.h>."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    )


_ErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))


class ErrorTrap:
    """Protocol errors on one display, caught instead of ending the process.

    Xlib's default handler prints a protocol error (a window that closed between two
    requests: ``BadWindow``) and exits. Inside ``with trap:`` the process-wide handler is
    breakd's: it notes errors of this display in :attr:`codes` and hands those of any
    other display (GDK's, in the gtk tray) to the handler it replaced, which is put back
    on leaving. Requests that wait for a reply (``XGetWindowProperty``) report their
    error before they return, so the codes are complete when the block ends.
    """

    def __init__(self, xlib: ctypes.CDLL, display: int) -> None:
        xlib.XSetErrorHandler.argtypes = [ctypes.c_void_p]
        xlib.XSetErrorHandler.restype = ctypes.c_void_p
        self._xlib = xlib
        self._display = display
        self._handler = _ErrorHandler(self._on_error)
        self._previous: int | None = None
        self.codes: list[int] = []

    def _on_error(self, display: int | None, event: ctypes._Pointer[_XErrorEvent]) -> int:
        if display == self._display or self._previous is None:
            self.codes.append(int(event.contents.error_code))
            return 0
        return int(_ErrorHandler(self._previous)(display, event))

    def __enter__(self) -> ErrorTrap:
        _lock.acquire()
        self.codes = []
        self._previous = self._xlib.XSetErrorHandler(ctypes.cast(self._handler, ctypes.c_void_p))
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self._xlib.XSetErrorHandler(self._previous)
        finally:
            self._previous = None
            _lock.release()
