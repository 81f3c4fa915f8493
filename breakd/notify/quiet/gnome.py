"""GNOME's do not disturb: ``org.gnome.desktop.notifications show-banners`` false.

Read with ``gsettings get`` (libglib2.0-bin, on every GNOME desktop), which honours the
schema's default and the session's settings backend without PyGObject in the daemon;
a read is one short process, made only when a reminder is due or held. Changes are
heard from the dconf service itself: its ``Writer.Notify`` signal on the session bus,
sent for every write, so no ``gsettings monitor`` child has to run all day.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

from breakd.activity.base import CALL_TIMEOUT
from breakd.dbus_client import BusConnection, Signal
from breakd.notify.quiet.base import QuietSource, SignalMatch, SourceFailed

SCHEMA = "org.gnome.desktop.notifications"
KEY = "show-banners"
DCONF = "ca.desrt.dconf"
WRITER = "ca.desrt.dconf.Writer"
#: Where the schema keeps its keys in dconf.
DCONF_DIR = "/org/gnome/desktop/notifications/"


def in_gnome(environ: Mapping[str, str]) -> bool:
    """A GNOME session (``XDG_CURRENT_DESKTOP`` as GNOME, Ubuntu and Pop!_OS set it)."""
    desktops = environ.get("XDG_CURRENT_DESKTOP", "").upper().split(":")
    return "GNOME" in desktops


class GnomeSource(QuietSource):
    name = "gnome"
    matches = (SignalMatch(DCONF, WRITER, "Notify"),)

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self._environ = dict(environ)

    def read(self, bus: BusConnection) -> bool:
        try:
            answer = subprocess.run(
                ["gsettings", "get", SCHEMA, KEY],
                env=self._environ,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=CALL_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise SourceFailed("gsettings is not installed (Debian: libglib2.0-bin)") from None
        except (subprocess.TimeoutExpired, OSError) as error:
            raise SourceFailed(f"gsettings did not answer: {error}") from None
        if answer.returncode != 0:
            raise SourceFailed(answer.stderr.strip() or f"gsettings exited {answer.returncode}")
        return answer.stdout.strip() == "false"

    def wakes(self, signal: Signal) -> bool:
        """dconf's ``Notify(prefix, changes, tag)``: a key under the schema's folder, or a
        folder above it (a reset of a whole tree)."""
        if len(signal.body) < 2:
            return False
        prefix, changes = str(signal.body[0]), list(signal.body[1]) or [""]
        paths = [prefix + str(change) for change in changes]
        return any(
            path.startswith(DCONF_DIR) or (path.endswith("/") and DCONF_DIR.startswith(path))
            for path in paths
        )
