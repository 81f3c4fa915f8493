"""Choosing the idle backend: real Xvfb and a dbusmock Mutter, and the order rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.sessionbus import Bus, private_bus, spawn_mutter_idle_monitor
from support.xserver import XServer, running_xvfb

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.activity.base import IdleUnavailable
from breakd.activity.macos import MacIdleMonitor
from breakd.activity.select import CHOICES, backend_order, choose_idle_monitor
from breakd.activity.windows import WindowsIdleMonitor

pytestmark = pytest.mark.linux_desktop


@pytest.fixture
def xvfb() -> Iterator[XServer]:
    with running_xvfb(640, 480) as server:
        yield server


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


def test_plain_x11_session_gets_x11(xvfb: XServer) -> None:
    monitor, notes = choose_idle_monitor(environ={"DISPLAY": xvfb.display}, platform="linux")
    try:
        assert monitor.name == "x11"
        assert notes == []
        assert monitor.idle_seconds() >= 0.0
    finally:
        monitor.close()


def test_gnome_gets_mutter(session_bus: Bus, xvfb: XServer) -> None:
    mutter = spawn_mutter_idle_monitor(session_bus, idle_ms=4_000)
    environ = {
        "XDG_CURRENT_DESKTOP": "ubuntu:GNOME",
        "XDG_SESSION_TYPE": "x11",
        "DISPLAY": xvfb.display,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
    }
    monitor, notes = choose_idle_monitor(environ=environ, platform="linux")
    try:
        assert monitor.name == "gnome"
        assert notes == []
        assert monitor.idle_seconds() == pytest.approx(4.0)
    finally:
        monitor.close()
        mutter.stop()


def test_gnome_without_mutter_falls_to_x11_with_a_note(session_bus: Bus, xvfb: XServer) -> None:
    environ = {
        "XDG_CURRENT_DESKTOP": "GNOME",
        "XDG_SESSION_TYPE": "x11",
        "DISPLAY": xvfb.display,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
    }
    monitor, notes = choose_idle_monitor(environ=environ, platform="linux")
    try:
        assert monitor.name == "x11"
        assert len(notes) == 1 and notes[0].startswith("gnome: ")
    finally:
        monitor.close()


def test_nothing_available_is_always_present_with_notes(session_bus: Bus) -> None:
    environ = {"DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    monitor, notes = choose_idle_monitor(environ=environ, platform="linux")
    assert isinstance(monitor, AlwaysPresentMonitor)
    assert monitor.name == "always-present"
    assert monitor.idle_seconds() == 0.0
    assert [note.split(":")[0] for note in notes] == ["x11", "freedesktop"]
    assert "DISPLAY is not set" in notes[0]
    assert "ServiceUnknown" in notes[1]


def test_no_session_bus_and_no_display() -> None:
    monitor, notes = choose_idle_monitor(environ={}, platform="linux")
    assert monitor.name == "always-present"
    assert notes == [
        "x11: DISPLAY is not set",
        "freedesktop: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
    ]


def test_forced_backend_is_the_only_one_tried(xvfb: XServer) -> None:
    monitor, notes = choose_idle_monitor("gnome", environ={"DISPLAY": xvfb.display})
    assert monitor.name == "always-present"
    assert len(notes) == 1 and notes[0].startswith("gnome: ")
    monitor, notes = choose_idle_monitor("x11", environ={"DISPLAY": xvfb.display})
    try:
        assert monitor.name == "x11" and notes == []
    finally:
        monitor.close()
    monitor, notes = choose_idle_monitor("always-present", environ={"DISPLAY": xvfb.display})
    assert monitor.name == "always-present" and notes == []


def test_unknown_backend_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="use one of: auto, x11, gnome, freedesktop") as error:
        choose_idle_monitor("xorg")
    for choice in CHOICES:
        assert choice in str(error.value)


def test_other_platforms_say_why_they_cannot_work_here() -> None:
    monitor, notes = choose_idle_monitor(environ={}, platform="win32")
    assert monitor.name == "always-present"
    assert notes == ["windows: GetLastInputInfo exists only on Windows"]
    monitor, notes = choose_idle_monitor(environ={}, platform="darwin")
    assert notes == ["macos: CoreGraphics exists only on macOS"]
    with pytest.raises(IdleUnavailable):
        WindowsIdleMonitor()
    with pytest.raises(IdleUnavailable):
        MacIdleMonitor()


@pytest.mark.parametrize(
    ("environ", "platform", "order"),
    [
        (
            {"XDG_CURRENT_DESKTOP": "GNOME", "XDG_SESSION_TYPE": "x11"},
            "linux",
            ["gnome", "x11", "freedesktop"],
        ),
        (
            {"XDG_CURRENT_DESKTOP": "ubuntu:GNOME", "XDG_SESSION_TYPE": "wayland"},
            "linux",
            ["gnome", "freedesktop"],
        ),
        (
            {"XDG_CURRENT_DESKTOP": "KDE", "XDG_SESSION_TYPE": "x11"},
            "linux",
            ["freedesktop", "x11"],
        ),
        (
            {"XDG_CURRENT_DESKTOP": "KDE", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":1"},
            "linux",
            ["freedesktop", "wayland"],
        ),
        (
            {"XDG_CURRENT_DESKTOP": "XFCE", "XDG_SESSION_TYPE": "x11"},
            "linux",
            ["x11", "freedesktop"],
        ),
        (
            {"XDG_CURRENT_DESKTOP": "sway", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":1"},
            "linux",
            ["wayland", "freedesktop"],
        ),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", ["wayland", "freedesktop"]),
        (
            {"XDG_CURRENT_DESKTOP": "Hyprland", "XDG_SESSION_TYPE": "wayland"},
            "linux",
            ["wayland", "freedesktop"],
        ),
        ({"DISPLAY": ":0"}, "freebsd14", ["x11", "freedesktop"]),
        ({"DISPLAY": ":0"}, "win32", ["windows"]),
        ({}, "darwin", ["macos"]),
    ],
)
def test_backend_order(environ: dict[str, str], platform: str, order: list[str]) -> None:
    assert backend_order(environ, platform) == order
