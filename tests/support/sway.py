"""Headless sway 1.7 alone (no bar), as the unprivileged test user, and real typing.

Why a user: sway refuses to run as root, so under root it runs as ``SWAY_USER`` (as in
``support.trayhosts``); its socket is in a 0700 folder of that user's, which root's
clients (the daemon, wtype) can still reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from support.trayhosts import _stop, _tail, launch_sway
from support.xserver import require_tool


class HeadlessSway:
    """One headless sway; ``env`` is what a client of it needs."""

    def __init__(self) -> None:
        self._wtype = require_tool("wtype", "wtype")
        self._sway, self.folder, self.socket, self._log = launch_sway(640, 480)
        #: A sway session as its clients see it (DISPLAY empty: no X11 to fall back on).
        self.env = {
            "WAYLAND_DISPLAY": str(self.socket),
            "XDG_SESSION_TYPE": "wayland",
            "XDG_CURRENT_DESKTOP": "sway",
            "DISPLAY": "",
        }

    def type(self, text: str = "a") -> None:
        """Real key presses through the compositor's virtual keyboard."""
        subprocess.run(
            [self._wtype, text], env={**os.environ, **self.env}, check=True,
            capture_output=True, timeout=30,
        )  # fmt: skip

    def output(self) -> str:
        return _tail(self._log)

    def stop(self) -> None:
        _stop(self._sway)
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
