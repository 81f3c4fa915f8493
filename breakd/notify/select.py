"""Pick the best notifier that works here: on Linux breakd's own freedesktop client,
elsewhere desktop-notifier; then plyer; then the log."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from breakd.backends import check_choice, choose
from breakd.config import NOTIFIER_BACKENDS
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


@dataclass(frozen=True)
class NotifierSetting:
    """What every notifier is built with, and where it would run."""

    app_icon: Path
    on_action: Callable[[str], None]
    environ: Mapping[str, str]
    platform: str


def _freedesktop(setting: NotifierSetting) -> Notifier:
    if not session_bus_available(setting.environ):
        raise NotifierUnavailable("no D-Bus session bus")
    # Imported here: it needs nothing that Windows and macOS lack, but they never use it.
    from breakd.notify.freedesktop import FreedesktopNotifier

    return FreedesktopNotifier(setting.app_icon, setting.on_action, environ=setting.environ)


def _desktop_notifier(setting: NotifierSetting) -> Notifier:
    if setting.platform.startswith("linux") and not session_bus_available(setting.environ):
        raise NotifierUnavailable("no D-Bus session bus")
    # Imported here: its asyncio and D-Bus stack costs memory Linux can save.
    from breakd.notify.desktop import DesktopNotifierBackend

    return DesktopNotifierBackend(setting.app_icon, setting.on_action)


def _plyer(setting: NotifierSetting) -> Notifier:
    if (reason := plyer_can_deliver(setting.environ, setting.platform)) is not None:
        raise NotifierUnavailable(reason)
    return PlyerNotifier(setting.app_icon)


#: Every notifier, by the name ``notifications.backend`` gives it.
BACKENDS: dict[str, Callable[[NotifierSetting], Notifier]] = {
    "freedesktop": _freedesktop,
    "desktop-notifier": _desktop_notifier,
    "plyer": _plyer,
    "log": lambda setting: LogOnlyNotifier(),
}
#: What ``preference`` may be: the setting's choices.
CHOICES = NOTIFIER_BACKENDS


def choose_notifier(
    preference: str,
    app_icon: Path,
    on_action: Callable[[str], None],
    *,
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[Notifier, list[str]]:
    """The notifier to use and notes on every backend that was passed over and why."""
    check_choice(preference, CHOICES, "notification backend")
    if preference == "auto":
        native = "freedesktop" if platform.startswith("linux") else "desktop-notifier"
        order = [native, "plyer", "log"]
    else:
        order = [preference, "log"]
    setting = NotifierSetting(app_icon, on_action, environ, platform)
    chosen, notes = choose(order, BACKENDS, setting)
    return (LogOnlyNotifier() if chosen is None else chosen.backend), notes
