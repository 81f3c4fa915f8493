"""The tray with real parts: the real daemon, Xvfb, a private session bus and trayer.

The menu is driven as a person would: a right click on the icon and the keyboard in the
GTK menu. Screenshots of the icon and of the open menu are kept in
``$BREAKD_TEST_ARTIFACTS`` (or the test's tmp_path). A missing tool fails the test with
the Debian package that has it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, log_count, log_path, query, status, wait_for
from support.screen import artifacts, changed, grab, key, teal_share, wait_still
from support.sessionbus import Bus, private_bus, spawn_mock
from support.xserver import XServer, require_tool

from breakd.config import user_config_file
from breakd.tray.select import WATCHER, BackendChoice, choose_backend

pytestmark = pytest.mark.linux_desktop

TRAY_HEIGHT = 32
TINT = (0x33, 0x33, 0x33)
#: The daemon's own settings for these tests: no dependence on X idle time.
STEADY = ["--set", "activity.idle_source=always-present", "--set", "interval=30m"]
#: The gtk backend; the private bus has no accessibility bus for GTK to find, so GTK
#: is told not to look (or it warns on stderr).
GTK = {"PYSTRAY_BACKEND": "gtk", "NO_AT_BRIDGE": "1"}


class TrayHost:
    """trayer, a real XEmbed system tray, at the top right of the screen."""

    def __init__(self, server: XServer) -> None:
        self.server = server
        trayer = require_tool("trayer", "trayer")
        self.process = subprocess.Popen(
            [trayer, "--edge", "top", "--align", "right", "--widthtype", "request",
             "--height", str(TRAY_HEIGHT), "--SetDockType", "true", "--transparent", "false",
             "--tint", "0x333333"],
            env={**os.environ, "DISPLAY": server.display},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def _windows(self) -> list[tuple[int, int, int, int]]:
        """(x, y, width, height) of each of trayer's windows."""
        xdotool = require_tool("xdotool", "xdotool")
        found = subprocess.run(
            [xdotool, "search", "--class", "trayer"], capture_output=True, text=True
        ).stdout.split()
        boxes = []
        for window in found:
            shell = subprocess.run(
                [xdotool, "getwindowgeometry", "--shell", window], capture_output=True, text=True
            ).stdout
            values = dict(line.split("=", 1) for line in shell.split())
            boxes.append((int(values["X"]), int(values["Y"]), int(values["WIDTH"]),
                          int(values["HEIGHT"])))  # fmt: skip
        return boxes

    def ready(self) -> None:
        """Wait until trayer's panel is up (it owns the tray selection by then)."""
        wait_for(
            lambda: any(box[3] == TRAY_HEIGHT for box in self._windows()), 10, "trayer's panel"
        )

    def panel(self) -> tuple[int, int, int, int]:
        """The panel once it holds an icon: trayer makes it as wide as what it holds."""

        def holding() -> tuple[int, int, int, int] | None:
            boxes = [b for b in self._windows() if b[3] == TRAY_HEIGHT and b[2] >= 16]
            return boxes[0] if boxes else None

        return wait_for(holding, 10, "an icon in trayer's panel")

    def icon_centre(self) -> tuple[int, int]:
        x, y, width, height = self.panel()
        return x + width // 2, y + height // 2

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)


def open_menu(server: XServer, host: TrayHost) -> tuple[int, int, int, int]:
    """Right-click the icon and wait for the menu to be drawn; returns the area it is in."""
    xdotool = require_tool("xdotool", "xdotool")
    x, y = host.icon_centre()
    left = max(0, x - 500)
    below = (left, TRAY_HEIGHT, x + 40 - left, 400)
    before = grab(server, below)
    subprocess.run([xdotool, "mousemove", str(x), str(y), "click", "3"], check=True)
    wait_for(lambda: changed(before, grab(server, below)), 10, "the menu to open")
    wait_still(server, below)
    return left, 0, x + 40 - left, TRAY_HEIGHT + 400


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def tray_host(xserver: XServer) -> Iterator[Callable[[], TrayHost]]:
    hosts: list[TrayHost] = []

    def start() -> TrayHost:
        hosts.append(TrayHost(xserver))
        return hosts[-1]

    yield start
    for host in hosts:
        host.stop()


def require_gtk_tray() -> None:
    choice = choose_backend({**os.environ, "PYSTRAY_BACKEND": "gtk"})
    if choice.name != "gtk":
        pytest.fail(
            f"pystray's gtk backend cannot work here ({'; '.join(choice.notes)}): install the"
            " Debian package gir1.2-gtk-3.0 and PyGObject (pip install 'breakd[gtk]')",
            pytrace=False,
        )


def test_gtk_tray_menu_sets_the_interval_and_snoozes_then_sigterm_stops_cleanly(
    xserver: XServer,
    session_bus: Bus,
    tray_host: Callable[[], TrayHost],
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    require_gtk_tray()
    host = tray_host()
    host.ready()
    daemon = DaemonProcess(STEADY, env=GTK)
    daemons.append(daemon)
    daemon.wait_log("tray: icon shown (gtk backend)")
    wait_for(lambda: teal_share(grab(xserver, host.panel())) > 0.25, 10, "the icon in the tray")
    folder = artifacts(tmp_path)
    icon = grab(xserver, host.panel())
    icon.save(folder / "tray-icon.png")
    assert status()["state"] == "counting"

    # Remind me after ▸ 45 min: the fourth item one can select (the status line and
    # separators are skipped), then the third in its submenu.
    area = open_menu(xserver, host)
    key("Down", "Down", "Down", "Down", "Right", "Down", "Down")
    grab(xserver, area).save(folder / "tray-menu.png")
    key("Return")
    wait_for(lambda: status()["interval_seconds"] == 2700, 10, "the new interval")
    assert tomllib.loads(user_config_file().read_text())["reminders"]["interval"] == "45m"

    # Snooze ▸ 10 min.
    area = open_menu(xserver, host)
    key("Down", "Down", "Right", "Down")
    grab(xserver, area).save(folder / "tray-menu-snooze.png")
    key("Return")
    snoozed = wait_for(lambda: (s := status())["state"] == "snoozed" and s, 10, "the snooze")
    until = datetime.fromisoformat(str(snoozed["snoozed_until"]))
    assert abs((until - datetime.now().astimezone()).total_seconds() - 600) < 30
    assert query("SELECT action FROM actions") == [("snooze",)]
    assert query("SELECT key, new, source FROM setting_changes") == [("interval", "2700.0", "tray")]
    # The icon shows the snooze (its "z"), without being asked.
    wait_for(lambda: changed(icon, grab(xserver, host.panel())), 10, "the snoozed icon")
    grab(xserver, host.panel()).save(folder / "tray-icon-snoozed.png")

    started = time.monotonic()
    assert daemon.stop(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert query("SELECT end_reason FROM stretches") == [("shutdown",)]
    assert log_count("breakd stopped") == 1
    assert "Traceback" not in log_path().read_text()
    assert daemon.output().strip() == "", "the daemon printed to stdout/stderr"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_stops_the_daemon_and_its_gtk_tray(
    xserver: XServer,
    session_bus: Bus,
    tray_host: Callable[[], TrayHost],
    daemons: list[DaemonProcess],
    number: signal.Signals,
) -> None:
    """GLib, not Python, watches the signals while GTK's loop runs; SIGHUP is one."""
    require_gtk_tray()
    tray_host().ready()
    daemon = DaemonProcess(STEADY, env=GTK)
    daemons.append(daemon)
    daemon.wait_log("tray: icon shown (gtk backend)")
    daemon.process.send_signal(number)
    assert daemon.process.wait(30) == 0
    assert f"stopping: {number.name} received" in daemon.log()
    assert query("SELECT end_reason FROM stretches") == [("shutdown",)]
    assert "Traceback" not in log_path().read_text()


def test_without_a_tray_host_breakd_says_so_once_and_the_icon_shows_when_one_starts(
    xserver: XServer,
    session_bus: Bus,
    tray_host: Callable[[], TrayHost],
    daemons: list[DaemonProcess],
) -> None:
    require_gtk_tray()
    daemon = DaemonProcess(STEADY, env=GTK)
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    daemon.wait_log("no system tray shows the icon yet", timeout=20)
    assert status()["state"] == "counting"  # everything else works without a tray
    host = tray_host()  # a panel started late, as at login
    daemon.wait_log("tray: icon shown (gtk backend)")
    wait_for(lambda: teal_share(grab(xserver, host.panel())) > 0.25, 10, "the icon in the tray")
    assert log_count("no system tray shows the icon yet") == 1
    assert daemon.stop(timeout=10) == 0


def test_xorg_backend_docks_in_a_later_tray_and_a_left_click_starts_a_break(
    xserver: XServer,
    tray_host: Callable[[], TrayHost],
    daemons: list[DaemonProcess],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    xdotool = require_tool("xdotool", "xdotool")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    daemon = DaemonProcess(STEADY, env={"PYSTRAY_BACKEND": "xorg"})
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    daemon.wait_log("menus need another backend")
    # The tray host starts after breakd, as it may at login.
    host = tray_host()
    daemon.wait_log("tray: icon shown (xorg backend)")
    wait_for(lambda: teal_share(grab(xserver, host.panel())) > 0.25, 10, "the icon in the tray")
    grab(xserver, host.panel()).save(artifacts(tmp_path) / "tray-icon-xorg.png")
    x, y = host.icon_centre()
    subprocess.run([xdotool, "mousemove", str(x), str(y), "click", "1"], check=True)
    wait_for(lambda: status()["state"] == "break", 10, "the break")
    assert log_count("menus need another backend") == 1
    result = breakd("quit")
    assert result.returncode == 0
    assert daemon.process.wait(10) == 0
    assert query("SELECT kind, trigger FROM breaks") == [("partial", "tray")]


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}, "no display"),
        (
            {"PYSTRAY_BACKEND": "gtk", "DBUS_SESSION_BUS_ADDRESS": ""},
            "gtk: no D-Bus session bus",
        ),
    ],
    ids=["no-display", "gtk-without-session-bus"],
)
def test_without_a_possible_tray_the_daemon_runs_and_says_so_once(
    xserver: XServer, daemons: list[DaemonProcess], env: dict[str, str], why: str
) -> None:
    daemon = DaemonProcess(STEADY, env=env)
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    wait_for(lambda: breakd("status").returncode == 0, what="the control socket")
    assert status()["state"] == "counting"
    assert log_count("tray icon off") == 1
    assert f"tray icon off: {why}" in log_path().read_text()
    assert daemon.stop(timeout=10) == 0


# --- which backend, without starting any ------------------------------------------------


def test_backend_choice_follows_what_is_there(xserver: XServer, session_bus: Bus) -> None:
    assert choose_backend({}, "linux").name is None
    assert choose_backend({}, "darwin").name == "darwin"
    assert choose_backend({}, "win32").name == "win32"

    x_only = {"DISPLAY": xserver.display}
    choice = choose_backend(x_only, "linux")
    assert choice.name == "xorg"
    assert [note.split(":")[0] for note in choice.notes] == ["sni", "gtk"]
    assert all("session bus" in note for note in choice.notes)

    with_bus = {**x_only, "DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    choice = choose_backend(with_bus, "linux")
    assert choice.name == "gtk"
    assert choice.notes == (
        f"sni: no StatusNotifierItem tray here ({WATCHER} is not on the session bus)",
    )

    watcher = spawn_mock(session_bus, WATCHER, "/StatusNotifierWatcher", WATCHER)
    try:
        choice = choose_backend(with_bus, "linux")
    finally:
        watcher.stop()
    # With a watcher, breakd's own StatusNotifierItem backend wins (no GTK needed).
    assert choice == BackendChoice("sni")

    assert choose_backend({**x_only, "PYSTRAY_BACKEND": "gtk"}, "linux").name is None
    assert choose_backend({**x_only, "PYSTRAY_BACKEND": "sni"}, "linux").name is None
    assert choose_backend({**with_bus, "PYSTRAY_BACKEND": "xorg"}, "linux").name == "xorg"
    refused = choose_backend({**with_bus, "PYSTRAY_BACKEND": "qt"}, "linux")
    assert refused.name is None and "PYSTRAY_BACKEND=qt" in refused.notes[0]
    broken = choose_backend({"DISPLAY": ":99999"}, "linux")
    assert broken.name is None and "cannot open the X display" in broken.notes[-1]
