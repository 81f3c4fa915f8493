"""The real daemon follows real input on Xvfb, and treats suspend as time away."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from support.daemon import DaemonProcess, query, wait_for
from support.sessionbus import LOGIND_MANAGER, Bus, private_bus, spawn_logind
from support.xserver import XServer, require_tool

pytestmark = pytest.mark.linux_desktop


def test_no_input_is_a_natural_break_and_input_starts_a_new_stretch(
    xserver: XServer, daemons: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    xdotool = require_tool("xdotool", "xdotool")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    subprocess.run([xdotool, "mousemove", "10", "10"], check=True)
    daemon = DaemonProcess(
        ["--set", "activity.idle_source=x11", "--set", "natural_break=10s", "--set", "interval=1h"]
    )
    daemons.append(daemon)
    daemon.wait_log("idle source x11")
    wait_for(lambda: query("SELECT * FROM stretches"), what="a first stretch")
    # Nobody touches anything: after 10 s the stretch ends at the last input.
    [(_started, ended, reason)] = wait_for(
        lambda: query("SELECT started_at, ended_at, end_reason FROM stretches WHERE ended_at"),
        timeout=30,
        what="the stretch to end",
    )
    assert reason == "natural-break"
    assert query("SELECT * FROM breaks") == []  # a break only once the user is back
    subprocess.run([xdotool, "mousemove", "200", "200"], check=True)
    [(kind, trigger, away_from, away_to)] = wait_for(
        lambda: query("SELECT kind, trigger, started_at, ended_at FROM breaks"),
        timeout=15,
        what="the natural break after input",
    )
    assert (kind, trigger) == ("natural", "idle")
    assert away_from == pytest.approx(ended, abs=0.5)
    assert away_to - away_from >= 10
    stretches = query("SELECT started_at, ended_at FROM stretches ORDER BY id")
    assert len(stretches) == 2 and stretches[1][1] is None
    assert stretches[1][0] == pytest.approx(away_to, abs=0.5)
    assert daemon.stop() == 0


AWAY = 10  # seconds away that make a natural break (the shortest the setting allows)


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SYSTEM_BUS_ADDRESS") as bus:
        yield bus


def test_suspend_is_a_natural_break_with_a_quiet_return(
    system_bus: Bus, daemons: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    monkeypatch.setenv("DISPLAY", "")
    logind = spawn_logind(system_bus)
    try:
        daemon = DaemonProcess(
            [
                "--set", f"natural_break={AWAY}s",
                "--set", "interval=2s",
                "--set", "grace_after_return=6s",
                "--set", "remind_again=1h",
            ]
        )  # fmt: skip
        daemons.append(daemon)
        daemon.wait_log("breakd started")
        wait_for(lambda: query("SELECT * FROM reminders"), what="a first reminder")
        logind.emit(LOGIND_MANAGER, "PrepareForSleep", "b", [True])
        time.sleep(AWAY + 1)  # asleep for longer than a natural break: the point of the test
        logind.emit(LOGIND_MANAGER, "PrepareForSleep", "b", [False])
        [(trigger, away_from, away_to)] = wait_for(
            lambda: query("SELECT trigger, started_at, ended_at FROM breaks"),
            what="the natural break",
        )
        assert trigger == "suspend" and away_to - away_from >= AWAY
        [(later,)] = wait_for(
            lambda: query("SELECT shown_at FROM reminders WHERE id = 2"),
            timeout=15,
            what="the reminder after the grace period",
        )
        assert later - away_to >= 6 - 0.1  # not in the first 6 s back, though 2 s is due
        assert daemon.stop() == 0
    finally:
        logind.stop()
