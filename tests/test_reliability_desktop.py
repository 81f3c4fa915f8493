"""Parts of the desktop going away and coming back under the real daemon.

The tray host (trayer) restarts: the icon comes back. The notification server and the
tray host both go away at once and come back: reminders reach the new server. The X
server itself dies: the daemon keeps running on wall time, answers commands, and its
reminders still reach the notification server (with the xorg tray or none; the gtk
tray still takes the process down with it, marked as a known failure).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, log_count, log_path, status, wait_for
from support.sessionbus import Bus, MockService, private_bus, spawn_mock
from support.xserver import XServer, require_tool

pytestmark = pytest.mark.linux_desktop

TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
FAST = ["--set", "interval=2s", "--set", "remind_again=2s", "--set", "max_reminders=20"]
GTK = {"PYSTRAY_BACKEND": "gtk", "NO_AT_BRIDGE": "1"}


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


def notification_server(bus: Bus) -> MockService:
    return spawn_mock(bus, NAME, PATH, NAME, template=TEMPLATE)


def reminders_at(server: MockService) -> int:
    calls = server.mock().GetMethodCalls("Notify")
    return sum(1 for _, args in calls if str(args[3]).startswith("You've been sitting"))


def trayer(server: XServer) -> subprocess.Popen[bytes]:
    path = require_tool("trayer", "trayer")
    return subprocess.Popen(
        [path, "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32"],
        env={**os.environ, "DISPLAY": server.display},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def shown_more_than(before: int) -> bool:
    return log_count("tray: icon shown") > before


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(5)


def test_tray_host_and_notification_server_go_away_and_come_back(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess]
) -> None:
    server = notification_server(bus)
    host = trayer(xserver)
    daemon = DaemonProcess(FAST, env=GTK)
    daemons.append(daemon)
    try:
        daemon.wait_log("tray: icon shown (gtk backend)")
        wait_for(lambda: reminders_at(server) >= 1, what="a reminder")
        for _ in range(2):
            shown = log_count("tray: icon shown")
            stop(host)
            server.stop()
            daemon.wait_log("the system tray went away")
            assert status()["state"] == "due"
            server = notification_server(bus)
            host = trayer(xserver)
            wait_for(partial(shown_more_than, shown), what="the icon shown again")
            wait_for(partial(reminders_at, server), what="a reminder on the new server")
        assert daemon.alive()
        assert daemon.stop() == 0
        assert "Traceback" not in log_path().read_text()
    finally:
        stop(host)
        server.stop()


@pytest.mark.parametrize("tray", ["xorg", "off", "gtk"])
def test_the_x_server_dies_and_the_daemon_carries_on(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess], tray: str
) -> None:
    server = notification_server(bus)
    host = trayer(xserver)
    env = {**GTK, "PYSTRAY_BACKEND": tray} if tray != "off" else {"PYSTRAY_BACKEND": "none"}
    daemon = DaemonProcess(FAST, env=env)
    daemons.append(daemon)
    try:
        daemon.wait_log("tray: icon shown" if tray != "off" else "tray icon off")
        assert status()["idle_source"] == "x11"
        xserver.stop()
        host.wait(5)
        before = reminders_at(server)
        # A reminder after the X server went: the idle source fell back to wall time.
        wait_for(lambda: reminders_at(server) > before + 1, what="reminders without X")
        assert daemon.alive(), daemon.output()
        now = status()
        assert now["idle_source"] == "always-present"
        assert now["state"] == "due"
    finally:
        if host.poll() is None:
            stop(host)
        server.stop()
    assert daemon.stop() == 0
    if tray == "gtk":
        text = log_path().read_text()
        assert "tray: lost the connection to the X display; the icon is gone" in text
