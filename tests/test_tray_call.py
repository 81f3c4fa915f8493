"""The tray's menu during a call, on a real tray host: its status line says "In a call —
sitting ...", as `breakd status` does. A real PulseAudio with parecord on its null
source is the call; gtk-sni-tray under Xvfb shows breakd's StatusNotifierItem; the menu
is opened with a real right-click and screenshotted (``$BREAKD_TEST_ARTIFACTS``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, log_path, status, wait_for
from support.menushot import find_menu, read_menu
from support.pulse import MICROPHONE, PulseServer, pulse
from support.screen import artifacts
from support.sessionbus import Bus, private_bus
from support.sni import SniClient, shown
from support.trayhosts import BAR, SCREEN, GtkSniTray
from support.xserver import running_xvfb
from test_tray_hosts import icon_box, settled

__all__ = ["pulse"]  # the fixture

pytestmark = [pytest.mark.linux_desktop, pytest.mark.slow]


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def host(session_bus: Bus, monkeypatch: pytest.MonkeyPatch) -> Iterator[GtkSniTray]:
    with running_xvfb(*SCREEN) as x:
        monkeypatch.setenv("DISPLAY", x.display)
        tray = GtkSniTray(x, session_bus)
        try:
            yield tray
        finally:
            tray.stop()


def test_the_menu_says_in_a_call(
    host: GtkSniTray,
    session_bus: Bus,
    pulse: PulseServer,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    bus = session_bus
    pulse.record(MICROPHONE)
    wait_for(lambda: pulse.capture_streams() == 1, what="the call's stream")
    daemon = DaemonProcess(
        ["--set", "activity.idle_source=x11", "--set", "interval=30m"],
        env={"PYSTRAY_BACKEND": "", **host.display_env()},
    )
    daemons.append(daemon)
    daemon.wait_log("a call started (the microphone in use)", timeout=60)
    daemon.wait_log("tray: icon shown (sni backend)", timeout=60)
    assert status()["call"] is True
    icon = wait_for(lambda: icon_box(host.screenshot()), 30, "the icon in the bar")
    client = SniClient(bus, f"org.kde.StatusNotifierItem-{daemon.pid}-1")
    try:
        first = str(shown(client.find())[0][1]["label"])
        assert first.startswith("In a call — sitting "), first
        assert " · next break in " in first
        host.click(icon.x + icon.width // 2, icon.y + icon.height // 2, right=True)
        wait_for(lambda: find_menu(host.screenshot(), BAR), 30, "the menu to open")
        host.move(SCREEN[0] // 2, SCREEN[1] - 4)  # off the icon: no tooltip over the menu
        picture = settled(host, lambda p: find_menu(p, BAR), "the menu to be drawn")
        box = find_menu(picture, BAR)
        assert box is not None
        menu = read_menu(picture, box)
        saved = artifacts(tmp_path) / "tray-menu-in-a-call.png"
        box.crop(picture).save(saved)
        # The status line is the first row, as wide as its long words need.
        assert menu.rows, f"no rows in the menu; see {saved}"
    finally:
        client.close()
    assert daemon.stop(timeout=20) == 0
    assert "Traceback" not in log_path().read_text()
