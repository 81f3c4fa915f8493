"""Pick the idle source that works here, and start the away watchers that can.

The order follows the session: GNOME has Mutter's IdleMonitor (the only source under
GNOME on Wayland); KDE Plasma answers ``GetSessionIdleTime``, and on Wayland KWin's
idle protocols come next; any other Wayland session (sway, Hyprland, river, labwc...)
has the compositor's idle notifications (``wayland``); any other X11 session has the
XScreenSaver extension. The X11 backend is never offered in a Wayland session:
through Xwayland it would only see input aimed at X11 windows and report a busy user
as idle. Each candidate is built and read once; the first that answers is used, and
"always present" is the last resort. The notes say what was passed over and why, for
the daemon to log once; the choice itself, and the session that led to it, is logged
here once.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.activity.away import AwayCallback, AwayWatcher
from breakd.activity.base import IdleMonitor, IdleUnavailable
from breakd.activity.freedesktop import FreedesktopIdleMonitor
from breakd.activity.gnome import GnomeIdleMonitor
from breakd.activity.logind import LogindLockWatcher, LogindSleepWatcher
from breakd.activity.macos import MacIdleMonitor
from breakd.activity.screensaver import ScreenSaverWatcher
from breakd.activity.wayland import WaylandIdleMonitor
from breakd.activity.windows import WindowsIdleMonitor
from breakd.activity.x11 import X11IdleMonitor
from breakd.backends import check_choice, choose
from breakd.config import IDLE_SOURCES

log = logging.getLogger(__name__)

IdleFactory = Callable[[Mapping[str, str]], IdleMonitor]


def _read_once(build: IdleFactory) -> IdleFactory:
    """``build``, then one reading of the counter: a source that cannot answer is passed
    over (and closed) now, not found out at the daemon's first sample."""

    def factory(environ: Mapping[str, str]) -> IdleMonitor:
        monitor = build(environ)
        try:
            monitor.idle_seconds()
        except (IdleUnavailable, OSError):
            monitor.close()
            raise
        return monitor

    return factory


#: Every idle source, by the name ``activity.idle_source`` gives it.
BACKENDS: dict[str, IdleFactory] = {
    "x11": _read_once(lambda environ: X11IdleMonitor(environ=environ)),
    "gnome": _read_once(GnomeIdleMonitor),
    "freedesktop": _read_once(FreedesktopIdleMonitor),
    "wayland": _read_once(WaylandIdleMonitor),
    "windows": _read_once(lambda environ: WindowsIdleMonitor()),
    "macos": _read_once(lambda environ: MacIdleMonitor()),
    "always-present": lambda environ: AlwaysPresentMonitor(),
}
#: What ``preference`` may be: the setting's choices.
CHOICES = IDLE_SOURCES


def backend_order(environ: Mapping[str, str], platform: str) -> list[str]:
    """The backends worth trying here, best first (without the always-present fallback)."""
    return _order_and_reason(environ, platform)[0]


def _order_and_reason(environ: Mapping[str, str], platform: str) -> tuple[list[str], str]:
    """``backend_order``, and the words for the log on why that order."""
    if platform == "win32":
        return ["windows"], "Windows"
    if platform == "darwin":
        return ["macos"], "macOS"
    session = environ.get("XDG_SESSION_TYPE", "").lower()
    wayland = session == "wayland" or (not session and bool(environ.get("WAYLAND_DISPLAY")))
    desktops = {part.lower() for part in environ.get("XDG_CURRENT_DESKTOP", "").split(":")}
    desktop = environ.get("XDG_CURRENT_DESKTOP") or "an unnamed desktop"
    kind = "Wayland" if wayland else "X11"
    if wayland:
        why = f"a Wayland session of {desktop} (X11 idle time through Xwayland is not used)"
        if "gnome" in desktops:
            return ["gnome", "freedesktop"], why
        if "kde" in desktops:
            return ["freedesktop", "wayland"], why
        return ["wayland", "freedesktop"], why
    why = f"an {kind} session of {desktop}"
    if "gnome" in desktops:
        return ["gnome", "x11", "freedesktop"], why
    if "kde" in desktops:
        return ["freedesktop", "x11"], why
    return ["x11", "freedesktop"], why


def choose_idle_monitor(
    preference: str = "auto",
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[IdleMonitor, list[str]]:
    """The idle monitor to use, and notes on every backend that was passed over and why."""
    check_choice(preference, CHOICES, "idle backend")
    if preference == "auto":
        order, why = _order_and_reason(environ, platform)
    else:
        order, why = [preference], "activity.idle_source asks for it"
    chosen, notes = choose(order, BACKENDS, environ, passed_over=(IdleUnavailable, OSError))
    if chosen is None:
        return AlwaysPresentMonitor(), notes
    detail = getattr(chosen.backend, "protocol", None)
    using = f"{chosen.name} ({detail})" if detail else chosen.name
    log.info("activity: idle time from %s, for %s", using, why)
    return chosen.backend, notes


def start_away_watchers(
    on_away: AwayCallback,
    on_back: AwayCallback,
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[list[AwayWatcher], list[str]]:
    """Start every lock and suspend watcher that can work here.

    Returns the running watchers (to ``stop`` at shutdown) and notes on those that
    could not start. Outside Linux and the BSDs there is no D-Bus to ask; the daemon's
    ``SleepDetector`` still notices a suspend afterwards.
    """
    if platform in ("win32", "darwin"):
        return [], ["lock and suspend watchers: no D-Bus on this platform"]
    running: list[AwayWatcher] = []
    notes: list[str] = []
    for kind in (LogindSleepWatcher, LogindLockWatcher, ScreenSaverWatcher):
        watcher = kind(on_away, on_back, environ=environ)
        if watcher.start():
            running.append(watcher)
        else:
            notes.append(f"{watcher.name}: {watcher.reason}")
    return running, notes
