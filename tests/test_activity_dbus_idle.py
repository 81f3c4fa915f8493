"""The D-Bus idle backends (GNOME's Mutter, freedesktop/KDE ScreenSaver) against
python-dbusmock services on a private session bus."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from support.sessionbus import (
    Bus,
    private_bus,
    set_idle_ms,
    spawn_freedesktop_screensaver,
    spawn_mock,
    spawn_mutter_idle_monitor,
)

from breakd.activity.base import CALL_TIMEOUT, IdleUnavailable
from breakd.activity.freedesktop import FreedesktopIdleMonitor
from breakd.activity.gnome import GnomeIdleMonitor

pytestmark = pytest.mark.linux_desktop


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


def env(bus: Bus) -> dict[str, str]:
    return {"DBUS_SESSION_BUS_ADDRESS": bus.address}


def test_gnome_reads_mutter_milliseconds_as_seconds(session_bus: Bus) -> None:
    mutter = spawn_mutter_idle_monitor(session_bus, idle_ms=12_345)
    monitor = GnomeIdleMonitor(env(session_bus))
    try:
        assert monitor.idle_seconds() == pytest.approx(12.345)
        set_idle_ms(mutter, "GetIdletime", "t", 250)
        assert monitor.idle_seconds() == pytest.approx(0.25)
    finally:
        monitor.close()
        mutter.stop()


def test_gnome_unavailable_once_mutter_vanishes(session_bus: Bus) -> None:
    mutter = spawn_mutter_idle_monitor(session_bus, idle_ms=1000)
    monitor = GnomeIdleMonitor(env(session_bus))
    try:
        assert monitor.idle_seconds() == pytest.approx(1.0)
        mutter.stop()
        with pytest.raises(IdleUnavailable, match=r"ServiceUnknown|NameHasNoOwner"):
            monitor.idle_seconds()
    finally:
        monitor.close()


def test_gnome_unavailable_without_mutter(session_bus: Bus) -> None:
    monitor = GnomeIdleMonitor(env(session_bus))
    try:
        with pytest.raises(IdleUnavailable):
            monitor.idle_seconds()
    finally:
        monitor.close()


def test_gnome_unavailable_when_the_bus_goes_away(session_bus: Bus) -> None:
    mutter = spawn_mutter_idle_monitor(session_bus, idle_ms=1000)
    monitor = GnomeIdleMonitor(env(session_bus))
    try:
        monitor.idle_seconds()
        session_bus.stop()
        with pytest.raises(IdleUnavailable):
            monitor.idle_seconds()
    finally:
        monitor.close()
        mutter.stop()


def test_no_session_bus_at_all_is_unavailable() -> None:
    with pytest.raises(IdleUnavailable, match="no D-Bus session bus"):
        GnomeIdleMonitor({})
    with pytest.raises(IdleUnavailable, match="cannot connect"):
        FreedesktopIdleMonitor({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})


def test_freedesktop_reads_milliseconds_as_seconds(session_bus: Bus) -> None:
    saver = spawn_freedesktop_screensaver(session_bus, idle_ms=61_000)
    monitor = FreedesktopIdleMonitor(env(session_bus))
    try:
        assert monitor.idle_seconds() == pytest.approx(61.0)
    finally:
        monitor.close()
        saver.stop()


def test_freedesktop_finds_kde_object_path(session_bus: Bus) -> None:
    saver = spawn_freedesktop_screensaver(session_bus, idle_ms=2_500, path="/ScreenSaver")
    monitor = FreedesktopIdleMonitor(env(session_bus))
    try:
        assert monitor.idle_seconds() == pytest.approx(2.5)
        assert monitor.idle_seconds() == pytest.approx(2.5)
    finally:
        monitor.close()
        saver.stop()


def test_freedesktop_not_supported_is_unavailable(session_bus: Bus) -> None:
    """KDE on Wayland and GNOME's proxy answer NotSupported."""
    saver = spawn_mock(
        session_bus,
        "org.freedesktop.ScreenSaver",
        "/org/freedesktop/ScreenSaver",
        "org.freedesktop.ScreenSaver",
    )
    saver.mock().AddMethod(
        "",
        "GetSessionIdleTime",
        "",
        "u",
        "raise dbus.exceptions.DBusException('not on this platform',"
        " name='org.freedesktop.DBus.Error.NotSupported')",
    )
    monitor = FreedesktopIdleMonitor(env(session_bus))
    try:
        with pytest.raises(IdleUnavailable, match="NotSupported"):
            monitor.idle_seconds()
    finally:
        monitor.close()
        saver.stop()


def test_freedesktop_unavailable_once_the_service_vanishes(session_bus: Bus) -> None:
    saver = spawn_freedesktop_screensaver(session_bus, idle_ms=0)
    monitor = FreedesktopIdleMonitor(env(session_bus))
    try:
        assert monitor.idle_seconds() == 0.0
        saver.stop()
        with pytest.raises(IdleUnavailable):
            monitor.idle_seconds()
    finally:
        monitor.close()


def test_a_service_that_hangs_costs_at_most_the_call_timeout(session_bus: Bus) -> None:
    mutter = spawn_mutter_idle_monitor(session_bus)
    mutter.mock().AddMethod("", "GetIdletime", "", "t", "time.sleep(3); ret = 0")
    monitor = GnomeIdleMonitor(env(session_bus))
    started = time.monotonic()
    try:
        with pytest.raises(IdleUnavailable, match=r"no answer to .* within 1s"):
            monitor.idle_seconds()
        assert time.monotonic() - started < CALL_TIMEOUT + 0.5
    finally:
        monitor.close()
        mutter.stop()
