"""Pick the best notifier that works here: on Linux breakd's own freedesktop client,
elsewhere desktop-notifier; then plyer; then the log."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from breakd.config import NOTIFIER_BACKENDS as BACKENDS
from breakd.notify.base import Notifier, NotifierUnavailable
from breakd.notify.log_only import LogOnlyNotifier
from breakd.notify.plyer_backend import PlyerNotifier


def session_bus_available(environ: Mapping[str, str]) -> bool:
    """A session bus is announced, or sits at its standard place in the runtime dir."""
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime is None:
        return False
    try:
        return Path(runtime, "bus").is_socket()
    except OSError:  # a runtime folder we may not look into has no bus for us
        return False


def plyer_can_deliver(environ: Mapping[str, str], platform: str) -> str | None:
    """Why plyer cannot show anything here, or None if it can.

    On Linux plyer speaks to the notification server over the session bus with
    dbus-python, or else runs notify-send, which needs that bus too: without a bus
    nothing would ever show.
    """
    if platform.startswith("linux"):
        if not session_bus_available(environ):
            return "no D-Bus session bus"
        if importlib.util.find_spec("dbus") is None and not shutil.which(
            "notify-send", path=environ.get("PATH")
        ):
            return "neither dbus-python nor notify-send (package libnotify-bin) is installed"
    return None


def choose_notifier(
    preference: str,
    app_icon: Path,
    on_action: Callable[[str], None],
    *,
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[Notifier, list[str]]:
    """The notifier to use and notes on every backend that was passed over and why."""
    if preference not in BACKENDS:
        raise ValueError(f"unknown notification backend {preference!r}; use one of {BACKENDS}")
    linux = platform.startswith("linux")
    if preference == "auto":
        order = ["freedesktop" if linux else "desktop-notifier", "plyer", "log"]
    else:
        order = [preference, "log"]
    notes: list[str] = []
    for name in order:
        try:
            if name == "freedesktop":
                if not session_bus_available(environ):
                    raise NotifierUnavailable("no D-Bus session bus")
                # Imported here: it needs nothing that Windows and macOS lack, but they
                # never use it.
                from breakd.notify.freedesktop import FreedesktopNotifier

                return FreedesktopNotifier(app_icon, on_action, environ=environ), notes
            if name == "desktop-notifier":
                if linux and not session_bus_available(environ):
                    raise NotifierUnavailable("no D-Bus session bus")
                # Imported here: its asyncio and D-Bus stack costs memory Linux can save.
                from breakd.notify.desktop import DesktopNotifierBackend

                return DesktopNotifierBackend(app_icon, on_action), notes
            if name == "plyer":
                if (reason := plyer_can_deliver(environ, platform)) is not None:
                    raise NotifierUnavailable(reason)
                return PlyerNotifier(app_icon), notes
        except NotifierUnavailable as error:
            notes.append(f"{name}: {error}")
            continue
    return LogOnlyNotifier(), notes
