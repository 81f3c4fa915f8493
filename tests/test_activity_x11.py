"""The X11 idle backend against a real Xvfb, with real input from xdotool."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from support.xserver import XServer, require_tool, running_xvfb

from breakd.activity.base import IdleUnavailable
from breakd.activity.x11 import X11IdleMonitor

pytestmark = pytest.mark.linux_desktop


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[XServer]:
    with running_xvfb(640, 480) as server:
        monkeypatch.setenv("DISPLAY", server.display)
        yield server


def xdotool(server: XServer, *args: str) -> None:
    tool = require_tool("xdotool", "xdotool")
    subprocess.run([tool, *args], env={"DISPLAY": server.display}, check=True, timeout=10)


def test_idle_grows_while_nothing_happens(xvfb: XServer) -> None:
    monitor = X11IdleMonitor(xvfb.display)
    try:
        first = monitor.idle_seconds()
        time.sleep(1.0)
        second = monitor.idle_seconds()
    finally:
        monitor.close()
    assert 0.9 <= second - first <= 1.5, (first, second)


def test_pointer_and_key_input_reset_idle(xvfb: XServer) -> None:
    monitor = X11IdleMonitor(xvfb.display)
    try:
        time.sleep(1.0)
        assert monitor.idle_seconds() >= 0.9
        xdotool(xvfb, "mousemove", "100", "100")
        assert monitor.idle_seconds() < 0.5
        time.sleep(1.0)
        assert monitor.idle_seconds() >= 0.9
        xdotool(xvfb, "key", "shift")
        assert monitor.idle_seconds() < 0.5
    finally:
        monitor.close()


def test_display_taken_from_the_environment(xvfb: XServer) -> None:
    monitor = X11IdleMonitor(environ={"DISPLAY": xvfb.display})
    try:
        assert monitor.idle_seconds() >= 0.0
    finally:
        monitor.close()


def test_a_server_that_goes_away_makes_it_unavailable_not_fatal(xvfb: XServer) -> None:
    monitor = X11IdleMonitor(xvfb.display)
    monitor.idle_seconds()
    xvfb.stop()
    with pytest.raises(IdleUnavailable, match="lost the connection"):
        monitor.idle_seconds()
    with pytest.raises(IdleUnavailable):
        monitor.idle_seconds()
    monitor.close()


def test_no_display_is_unavailable() -> None:
    with pytest.raises(IdleUnavailable, match="DISPLAY is not set"):
        X11IdleMonitor(environ={})


def test_a_display_with_no_server_is_unavailable(xvfb: XServer) -> None:
    display = xvfb.display
    xvfb.stop()
    with pytest.raises(IdleUnavailable, match="cannot open X display"):
        X11IdleMonitor(display)
