"""Pick the pystray backend that can work here, without importing pystray.

pystray cannot even be imported without a display, and its GTK backends wait for ever
on a session bus that is not there, so each backend is checked first: a check that
finds a problem passes the backend over with a note saying why. The order and what each
backend is are described in :mod:`breakd.tray.pystray_tray`, which loads the one chosen.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from breakd.backends import BackendUnavailable, choose
from breakd.dbus_client import BusConnection, BusUnavailable, DBusError
from breakd.tray.sni import WATCHER

#: Tried in this order when ``$PYSTRAY_BACKEND`` does not name one.
LINUX_BACKENDS = ("sni", "gtk", "xorg")
#: Used only when ``$PYSTRAY_BACKEND`` asks for them.
ON_REQUEST = ("appindicator",)

#: Why a backend cannot work here, or None when it can.
Problem = Callable[[Mapping[str, str]], str | None]
#: Checks a backend; builds nothing (``pystray_tray.load_pystray`` imports it later).
Check = Callable[[Mapping[str, str]], None]


@dataclass(frozen=True)
class BackendChoice:
    """The backend to use (None: no tray here) and why the others were passed over."""

    name: str | None
    notes: tuple[str, ...] = ()


def choose_backend(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> BackendChoice:
    """Find a pystray backend that can work here, without importing pystray."""
    if platform == "darwin":
        return BackendChoice("darwin")
    if platform == "win32":
        return BackendChoice("win32")
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return BackendChoice(None, ("no display (neither DISPLAY nor WAYLAND_DISPLAY is set)",))
    requested = environ.get("PYSTRAY_BACKEND", "").strip()
    if requested and requested not in LINUX_BACKENDS + ON_REQUEST:
        return BackendChoice(
            None,
            (f"PYSTRAY_BACKEND={requested} is not one breakd can use here"
             f" ({', '.join(LINUX_BACKENDS + ON_REQUEST)})",),
        )  # fmt: skip
    registry = {**BACKENDS, **ASKED_FOR} if requested else BACKENDS
    chosen, notes = choose((requested,) if requested else LINUX_BACKENDS, registry, environ)
    return BackendChoice(None if chosen is None else chosen.name, tuple(notes))


def _x_problem(environ: Mapping[str, str]) -> str | None:
    name = environ.get("DISPLAY")
    if not name:
        return "no X display (DISPLAY is not set)"
    try:
        xdisplay = importlib.import_module("Xlib.display")
    except ImportError:
        return "python-xlib is not installed"
    try:
        xdisplay.Display(name).close()
    except Exception as error:
        return f"cannot open the X display {name} ({error})"
    return None


def _gtk_problem(environ: Mapping[str, str]) -> str | None:
    try:
        gi = importlib.import_module("gi")
    except ImportError:
        return "PyGObject is not installed (pip install 'breakd[gtk]')"
    try:
        gi.require_version("Gtk", "3.0")
    except ValueError:
        return "the GTK 3 typelib is missing (install gir1.2-gtk-3.0)"
    return None


def _appindicator_typelib_problem(environ: Mapping[str, str]) -> str | None:
    gi = importlib.import_module("gi")
    for namespace in ("AyatanaAppIndicator3", "AppIndicator3"):
        try:
            gi.require_version(namespace, "0.1")
        except ValueError:
            continue
        return None
    return "no AppIndicator typelib (install gir1.2-ayatanaappindicator3-0.1)"


def _bus_problem(environ: Mapping[str, str]) -> str | None:
    try:
        BusConnection("session", environ).close()
    except BusUnavailable as error:
        return str(error)
    return None


def _watcher_problem(environ: Mapping[str, str]) -> str | None:
    try:
        bus = BusConnection("session", environ)
        try:
            (owned,) = bus.call(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                "s",
                (WATCHER,),
            )
        finally:
            bus.close()
    except (BusUnavailable, DBusError, TimeoutError, OSError) as error:
        return str(error)
    if not owned:
        return f"no StatusNotifierItem tray here ({WATCHER} is not on the session bus)"
    return None


def _all_clear(*problems: Problem) -> Check:
    """A check that raises the first of ``problems`` found, and looks no further."""

    def check(environ: Mapping[str, str]) -> None:
        for problem in problems:
            if (found := problem(environ)) is not None:
                raise BackendUnavailable(found)

    return check


#: Every backend breakd can use on Linux, by its ``$PYSTRAY_BACKEND`` name.
BACKENDS: dict[str, Check] = {
    "sni": _all_clear(_bus_problem, _watcher_problem),
    "appindicator": _all_clear(
        _gtk_problem, _bus_problem, _watcher_problem, _appindicator_typelib_problem
    ),
    "gtk": _all_clear(_x_problem, _gtk_problem, _bus_problem),
    "xorg": _all_clear(_x_problem),
}
#: Asked for by name, the StatusNotifierItem needs only the bus: a tray that starts
#: later (at login) finds the item then.
ASKED_FOR: dict[str, Check] = {"sni": _all_clear(_bus_problem)}
