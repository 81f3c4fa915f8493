"""Start breakd at login, silently: one backend per platform behind one interface.

``default_backend()`` gives the one for this machine: an XDG autostart entry (or, on
request, a systemd user unit) on Linux, a LaunchAgent on macOS, the Run registry key on
Windows. The tray's "Start at login" checkbox and ``breakd autostart`` use it alike;
``enable_on_first_run`` turns it on once, the first time the daemon runs.

The content of every entry (desktop file, unit, plist, registry value) comes from pure
functions in the platform modules, so all of it is tested on any OS.
"""

from __future__ import annotations

from breakd.autostart.base import AutostartBackend, AutostartError, AutostartStatus, Launcher
from breakd.autostart.select import (
    StartAtLogin,
    default_backend,
    enable_on_first_run,
    first_run_marker,
    remember_choice,
)

__all__ = [
    "AutostartBackend",
    "AutostartError",
    "AutostartStatus",
    "Launcher",
    "StartAtLogin",
    "default_backend",
    "enable_on_first_run",
    "first_run_marker",
    "remember_choice",
]
