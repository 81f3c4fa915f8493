"""The real daemon for a benchmark: private XDG folders, no desktop, the idle counter off.

Shared by the benchmarks that time the command line and the control channel, so both
measure the same daemon in the same surroundings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

_DESKTOP = ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")


def private_environment(home: Path, *, drop: Iterable[str] = ()) -> dict[str, str]:
    """This process's environment with every XDG folder in ``home`` and no desktop;
    ``drop`` names further variables to leave out."""
    left_out = {*_DESKTOP, *drop}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("XDG_") and key not in left_out
    }
    for name in ("config", "data", "state", "cache", "runtime", "site"):
        (home / name).mkdir(mode=0o700)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_RUNTIME_DIR=str(home / "runtime"),
        XDG_CONFIG_DIRS=str(home / "site"),
    )
    return env


def start_daemon(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``python -m breakd`` in ``env``, quiet, with sitting counted as wall time."""
    return subprocess.Popen(
        [sys.executable, "-m", "breakd", "--no-autostart", "--set",
         "activity.idle_source=always-present"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
