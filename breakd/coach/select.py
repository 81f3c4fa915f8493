"""Pick how breaks are guided here: the break window, or notifications without a display."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from breakd.backends import BackendUnavailable, choose
from breakd.coach.base import BreakEvents, BreakRunner
from breakd.coach.notification_guided import NotificationGuidedRunner
from breakd.coach.window_runner import CoachWindowRunner
from breakd.notify.base import Notifier


def window_unavailable(environ: Mapping[str, str], platform: str) -> str | None:
    """Why the break window cannot open here, or None if it can."""
    # Elsewhere Tk draws through X11 only: a Wayland session needs Xwayland (DISPLAY).
    if not platform.startswith(("win32", "darwin")) and not environ.get("DISPLAY"):
        if environ.get("WAYLAND_DISPLAY"):
            return "a Wayland session without Xwayland (no DISPLAY), and Tk needs X11"
        return "no display (DISPLAY is not set)"
    # Found, not imported: loading Tcl/Tk would cost the daemon memory for a window
    # that only ever opens in a process of its own.
    if importlib.util.find_spec("_tkinter") is None:
        return "tkinter is not available (Debian package python3-tk)"
    return None


@dataclass(frozen=True)
class RunnerSetting:
    """What every runner is built with, and where it would run."""

    events: BreakEvents
    notifier: Notifier
    corner: str
    environ: Mapping[str, str]
    platform: str


def _window(setting: RunnerSetting) -> BreakRunner:
    if (reason := window_unavailable(setting.environ, setting.platform)) is not None:
        raise BackendUnavailable(reason)
    return CoachWindowRunner(setting.events, corner=setting.corner)


#: Every runner, best first: the window where it can open, else notifications (which
#: fall back to the log through their notifier).
BACKENDS: dict[str, Callable[[RunnerSetting], BreakRunner]] = {
    "window": _window,
    "notifications": lambda setting: NotificationGuidedRunner(setting.notifier),
}


def choose_runner(
    events: BreakEvents,
    notifier: Notifier,
    *,
    corner: str = "bottom-right",
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[BreakRunner, list[str]]:
    """The runner to use and notes on why the window was passed over, if it was."""
    guided = "goes to the log" if notifier.name == "log" else "comes as a notification"

    def note(name: str, reason: BaseException) -> str:
        return f"break window off: {reason}; each exercise of a break {guided}"

    setting = RunnerSetting(events, notifier, corner, environ, platform)
    chosen, notes = choose(tuple(BACKENDS), BACKENDS, setting, note=note)
    return (NotificationGuidedRunner(notifier) if chosen is None else chosen.backend), notes
