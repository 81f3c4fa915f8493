"""Real StatusNotifierItem hosts for tests, each with a way to see and click its screen.

* ``GtkSniTray``: gtk-sni-tray-standalone (its own watcher) under Xvfb.
* ``XfcePanel``: xfce4-panel with its Status Tray plugin ("systray", which hosts
  StatusNotifierItems and owns ``org.kde.StatusNotifierWatcher`` itself) under Xvfb,
  with xfconfd on the private session bus serving a panel configuration written to the
  test's private ``XDG_CONFIG_HOME``.
* ``SwayWaybar``: waybar's tray module on headless sway (wlroots' headless backend,
  pixman rendering: no GPU, no input devices). Screenshots come from grim; clicks from a
  virtual pointer (``support.wayland``). sway refuses to run as root, so under root it
  runs as the system user ``breakd-sway`` (created when missing); every other part,
  waybar included, runs as the test's user and reaches sway's socket through its path.

Every host draws its bar along the top of the screen, ``BAR`` pixels high, and menus
in GTK's default theme (white). A missing program fails the test naming its Debian
package.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from PIL import Image, ImageGrab

from support.daemon import wait_for
from support.sessionbus import Bus
from support.sni import SniHost, host_registered
from support.wayland import BTN_LEFT, BTN_RIGHT, VirtualPointer
from support.xserver import XServer, require_tool

#: The bar's height on every host, in pixels.
BAR = 32
SCREEN = (1280, 800)
#: The unprivileged user headless sway runs as when the tests run as root.
SWAY_USER = "breakd-sway"


class TrayHost(Protocol):
    """What a test needs of a tray host: its screen, a pointer, the daemon's display."""

    name: str

    def screenshot(self) -> Image.Image: ...

    def click(self, x: int, y: int, right: bool = False) -> None: ...

    def move(self, x: int, y: int) -> None: ...

    def display_env(self) -> dict[str, str]: ...

    def output(self) -> str: ...

    def stop(self) -> None: ...


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a process we started, and its children (it leads its own process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _tail(log: IO[bytes]) -> str:
    if log.closed:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


def _wait_watcher(bus: Bus, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    connection = bus.connect()
    try:

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the tray host exited:\n{_tail(log)}")
            return host_registered(connection)

        wait_for(up, 30, "the tray's StatusNotifierWatcher with its host registered")
    finally:
        connection.close()


class _XHost:
    """Seeing and clicking through the X server (xdotool)."""

    server: XServer

    def screenshot(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.server.display).convert("RGB")

    def move(self, x: int, y: int) -> None:
        xdotool = require_tool("xdotool", "xdotool")
        subprocess.run([xdotool, "mousemove", str(x), str(y)], check=True)

    def click(self, x: int, y: int, right: bool = False) -> None:
        xdotool = require_tool("xdotool", "xdotool")
        button = "3" if right else "1"
        subprocess.run([xdotool, "mousemove", str(x), str(y), "click", button], check=True)

    def display_env(self) -> dict[str, str]:
        return {"DISPLAY": self.server.display, "WAYLAND_DISPLAY": ""}


class GtkSniTray(_XHost):
    """gtk-sni-tray-standalone (``support.sni.SniHost``) behind the common interface."""

    name = "gtk-sni-tray"

    def __init__(self, server: XServer, bus: Bus) -> None:
        assert SniHost.HEIGHT == BAR
        self.server = server
        self._host = SniHost(server, bus)

    def output(self) -> str:
        return self._host.output()

    def stop(self) -> None:
        self._host.stop()


XFCE_PANEL_CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="{size}"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""


def _xfconfd() -> str:
    found = sorted(glob.glob("/usr/lib/*/xfce4/xfconf/xfconfd")) + sorted(
        glob.glob("/usr/lib/xfce4/xfconf/xfconfd")
    )
    if not found:
        import pytest

        pytest.fail("xfconfd not found: install the Debian package xfconf", pytrace=False)
    return found[0]


class XfcePanel(_XHost):
    """xfce4-panel with only the Status Tray plugin, along the top of the screen."""

    name = "xfce4-panel"

    def __init__(self, server: XServer, bus: Bus, config_home: Path) -> None:
        self.server = server
        panel = require_tool("xfce4-panel", "xfce4-panel")
        channel = config_home / "xfce4" / "xfconf" / "xfce-perchannel-xml" / "xfce4-panel.xml"
        channel.parent.mkdir(parents=True, exist_ok=True)
        channel.write_text(XFCE_PANEL_CHANNEL.format(size=BAR))
        env = {
            **os.environ,
            "DISPLAY": server.display,
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
            "XDG_CONFIG_HOME": str(config_home),
            "NO_AT_BRIDGE": "1",
            "SESSION_MANAGER": "",
        }
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        # xfconfd is D-Bus activated on a desktop; the private bus starts nothing.
        self._xfconfd = subprocess.Popen(
            [_xfconfd()], env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log, start_new_session=True,
        )  # fmt: skip
        connection = bus.connect()
        try:
            wait_for(lambda: connection.name_has_owner("org.xfce.Xfconf"), 20, "xfconfd")
        finally:
            connection.close()
        self._panel = subprocess.Popen(
            [panel, "--disable-wm-check"], env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=self._log, start_new_session=True,
        )  # fmt: skip
        _wait_watcher(bus, self._panel, self._log)

    def output(self) -> str:
        return _tail(self._log)

    def stop(self) -> None:
        _stop(self._panel)
        _stop(self._xfconfd)
        self._log.close()


SWAY_CONFIG = """output HEADLESS-1 resolution {width}x{height} position 0 0
output * bg #000000 solid_color
default_border none
"""
WAYBAR_CONFIG = (
    '{{"layer": "top", "position": "top", "height": {bar}, "modules-left": [],'
    ' "modules-center": [], "modules-right": ["tray"],'
    ' "tray": {{"icon-size": 24, "spacing": 8}}}}'
)
WAYBAR_STYLE = "* { font-family: sans-serif; font-size: 13px; }\n"
WAYBAR_STYLE += "window#waybar { background: #333333; color: #ffffff; }\n"


@dataclass(frozen=True)
class _RunAs:
    """Who sway runs as: the test's own user, or ``SWAY_USER`` under root."""

    uid: int
    gid: int

    def prefix(self) -> list[str]:
        if self.uid == os.getuid():
            return []
        setpriv = require_tool("setpriv", "util-linux")
        return [setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups"]


def _sway_user() -> _RunAs:
    if os.getuid() != 0:
        return _RunAs(os.getuid(), os.getgid())
    try:
        entry = pwd.getpwnam(SWAY_USER)
    except KeyError:
        useradd = require_tool("useradd", "passwd")
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SWAY_USER],
            check=False,  # another test may have made it meanwhile
            capture_output=True,
        )
        entry = pwd.getpwnam(SWAY_USER)
    return _RunAs(entry.pw_uid, entry.pw_gid)


def launch_sway(width: int, height: int) -> tuple[subprocess.Popen[bytes], Path, Path, IO[bytes]]:
    """A headless sway run as its unprivileged test user, once its Wayland socket is up:
    the process, its runtime folder (0700, that user's, outside the test's tmp_path, which
    that user could not enter), the socket, and its log (the caller closes it)."""
    sway = require_tool("sway", "sway")
    user = _sway_user()
    folder = Path(tempfile.mkdtemp(prefix="breakd-sway-"))
    os.chown(folder, user.uid, user.gid)
    config = folder / "sway.conf"
    config.write_text(SWAY_CONFIG.format(width=width, height=height))
    os.chown(config, user.uid, user.gid)
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    sway_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "XDG_RUNTIME_DIR": str(folder),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    process = subprocess.Popen(
        [*user.prefix(), sway, "--config", str(config)], env=sway_env,
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip

    def socket() -> Path | None:
        if process.poll() is not None:
            raise AssertionError(f"sway exited:\n{_tail(log)}")
        found = [p for p in folder.glob("wayland-*") if not p.name.endswith(".lock")]
        return found[0] if found else None

    return process, folder, wait_for(socket, 30, "sway's Wayland socket"), log


class SwayWaybar:
    """Headless sway with waybar's tray along the top; grim sees, a virtual pointer clicks."""

    name = "waybar"

    def __init__(self, bus: Bus) -> None:
        waybar = require_tool("waybar", "waybar")
        self._grim = require_tool("grim", "grim")
        self._sway, self.folder, self.socket, self._log = launch_sway(*SCREEN)
        self._client_env = {
            **os.environ,
            "WAYLAND_DISPLAY": str(self.socket),
            "XDG_RUNTIME_DIR": str(self.folder),
            "DISPLAY": "",
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
            "NO_AT_BRIDGE": "1",
        }
        (self.folder / "waybar.json").write_text(WAYBAR_CONFIG.format(bar=BAR))
        (self.folder / "waybar.css").write_text(WAYBAR_STYLE)
        self._waybar = subprocess.Popen(
            [waybar, "--config", str(self.folder / "waybar.json"),
             "--style", str(self.folder / "waybar.css")],
            env=self._client_env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log, start_new_session=True,
        )  # fmt: skip
        _wait_watcher(bus, self._waybar, self._log)
        self._pointer = VirtualPointer(self.socket, *SCREEN)

    def screenshot(self) -> Image.Image:
        target = self.folder / "screen.png"
        subprocess.run(
            [self._grim, str(target)], env=self._client_env, check=True, capture_output=True
        )
        with Image.open(target) as picture:
            return picture.convert("RGB")

    def move(self, x: int, y: int) -> None:
        self._pointer.move(x, y)

    def click(self, x: int, y: int, right: bool = False) -> None:
        self._pointer.click(x, y, BTN_RIGHT if right else BTN_LEFT)

    def display_env(self) -> dict[str, str]:
        # The daemon only checks that there is a display; its tray is all D-Bus.
        return {"WAYLAND_DISPLAY": str(self.socket), "DISPLAY": ""}

    def output(self) -> str:
        return _tail(self._log)

    def stop(self) -> None:
        self._pointer.close()
        _stop(self._waybar)
        _stop(self._sway)
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
