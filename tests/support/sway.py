"""Headless sway 1.7 alone (no bar), as the unprivileged test user, and real typing.

Why a user: sway refuses to run as root, so under root it runs as ``SWAY_USER`` (as in
``support.trayhosts``); its socket is in a 0700 folder of that user's, which root's
clients (the daemon, wtype) can still reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from support.daemon import wait_for
from support.trayhosts import SWAY_CONFIG, _stop, _sway_user, _tail
from support.xserver import require_tool


class HeadlessSway:
    """One headless sway; ``env`` is what a client of it needs."""

    def __init__(self) -> None:
        sway = require_tool("sway", "sway")
        self._wtype = require_tool("wtype", "wtype")
        user = _sway_user()
        self.folder = Path(tempfile.mkdtemp(prefix="breakd-sway-"))
        os.chown(self.folder, user.uid, user.gid)
        config = self.folder / "sway.conf"
        config.write_text(SWAY_CONFIG.format(width=640, height=480))
        os.chown(config, user.uid, user.gid)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        sway_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.folder),
            "XDG_RUNTIME_DIR": str(self.folder),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
        }
        self._sway = subprocess.Popen(
            [*user.prefix(), sway, "--config", str(config)], env=sway_env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, start_new_session=True,
        )  # fmt: skip

        def socket() -> Path | None:
            if self._sway.poll() is not None:
                raise AssertionError(f"sway exited:\n{_tail(self._log)}")
            found = [p for p in self.folder.glob("wayland-*") if not p.name.endswith(".lock")]
            return found[0] if found else None

        self.socket = wait_for(socket, 30, "sway's Wayland socket")
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
