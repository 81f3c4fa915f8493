"""Headless sway 1.7 alone (no bar), as the unprivileged test user, real typing, and
real Wayland windows to make fullscreen.

Why a user: sway refuses to run as root, so under root it runs as ``SWAY_USER`` (as in
``support.trayhosts``); its sockets are in a 0700 folder of that user's, which root's
clients (the daemon, wtype, swaymsg, a GTK window) can still reach.

The windows are GTK 3 (PyGObject, in the test extra) on its Wayland backend: a real
xdg-shell client with an ``app_id`` that ``swaymsg`` criteria can name, no Xwayland.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from support.daemon import wait_for
from support.trayhosts import _stop, _tail, launch_sway
from support.xserver import require_tool

#: A GTK 3 window on the Wayland backend, with the app_id (program name) it is given.
WINDOW_PROGRAM = """
import sys
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk
GLib.set_prgname(sys.argv[1])
window = Gtk.Window(title=sys.argv[1])
window.set_default_size(200, 120)
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
"""


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

    def swaymsg(self, *args: str) -> Any:
        """A command over sway's IPC socket; its JSON answer."""
        [ipc] = self.folder.glob("sway-ipc.*.sock")
        answer = subprocess.run(
            [require_tool("swaymsg", "sway"), "-s", str(ipc), "--raw", *args],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert answer.returncode == 0, answer.stdout + answer.stderr
        return json.loads(answer.stdout)

    def views(self) -> list[dict[str, Any]]:
        """Every client window in sway's tree."""
        found: list[dict[str, Any]] = []

        def walk(node: dict[str, Any]) -> None:
            if node.get("pid"):
                found.append(node)
            for child in node.get("nodes", []) + node.get("floating_nodes", []):
                walk(child)

        walk(self.swaymsg("-t", "get_tree"))
        return found

    @contextmanager
    def window(self, app_id: str) -> Iterator[None]:
        """A real Wayland window (GTK 3), open and focused for the ``with`` block."""
        runtime = tempfile.mkdtemp(prefix="breakd-gtk-")
        env = {
            **os.environ, "GDK_BACKEND": "wayland", "WAYLAND_DISPLAY": str(self.socket),
            "XDG_RUNTIME_DIR": runtime, "DISPLAY": "", "NO_AT_BRIDGE": "1",
            "DBUS_SESSION_BUS_ADDRESS": "disabled:",
        }  # fmt: skip
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-c", WINDOW_PROGRAM, app_id], env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        try:

            def mapped() -> bool:
                if process.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"the window exited: {log.read().decode()}")
                return any(view.get("app_id") == app_id for view in self.views())

            wait_for(mapped, 30, f"the window {app_id} on sway")
            yield
        finally:
            process.terminate()
            process.wait(10)
            log.close()
            shutil.rmtree(runtime, ignore_errors=True)

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


@contextmanager
def running_sway() -> Iterator[HeadlessSway]:
    """A headless sway for a ``with`` block (a fixture's body); what sway said is printed
    when the block fails, so a test's failure shows the compositor's side too."""
    compositor = HeadlessSway()
    try:
        yield compositor
    except BaseException:
        print(f"--- sway said:\n{compositor.output()}")
        raise
    finally:
        compositor.stop()
