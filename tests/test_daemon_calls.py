"""The real daemon on Xvfb with nobody touching anything, and a real PulseAudio: a call
is sitting (no natural break), its reminder is held and shown when the call ends."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, query, status, wait_for
from support.pulse import MICROPHONE, PulseServer, pulse, stop
from support.sessionbus import MockService, private_bus, spawn_mock
from support.xserver import XServer, require_tool

__all__ = ["pulse"]  # the fixture

pytestmark = pytest.mark.linux_desktop

TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
NATURAL_BREAK = 10
SETTINGS = [
    "--set", "activity.idle_source=x11",
    "--set", f"natural_break={NATURAL_BREAK}s",
    "--set", "interval=12s",
    "--set", "remind_again=1h",
]  # fmt: skip


@pytest.fixture
def notifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockService]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield spawn_mock(bus, NAME, PATH, NAME, template=TEMPLATE, parameters=json.dumps({}))


def notifies(server: MockService) -> list[object]:
    return list(server.mock().GetMethodCalls("Notify"))


def test_a_call_is_sitting_and_its_reminder_waits_for_its_end(
    xserver: XServer,
    pulse: PulseServer,
    notifications: MockService,
    daemons: list[DaemonProcess],
) -> None:
    call = pulse.record(MICROPHONE)
    wait_for(lambda: pulse.capture_streams() == 1, what="the call's stream")
    daemon = DaemonProcess(SETTINGS)
    daemons.append(daemon)
    daemon.wait_log("a call started")
    daemon.wait_log("reminder held back: a call is under way", timeout=40)
    # Longer than the natural-break threshold with no input at all, still in the call.
    seen = wait_for(
        lambda: (s := status())["sitting_seconds"] > 2 * NATURAL_BREAK and s,
        timeout=60,
        what="sitting past twice the natural break",
    )
    assert seen["call"] is True and seen["state"] == "due"
    assert query("SELECT * FROM stretches WHERE ended_at IS NOT NULL") == []
    assert query("SELECT * FROM breaks") == []
    assert notifies(notifications) == []
    stop(call)
    daemon.wait_log("a call ended", timeout=30)
    [(_when, args)] = wait_for(lambda: notifies(notifications), timeout=60, what="the reminder")
    assert str(args[3]).startswith("You sat through a "), args[3]  # "...-second call — ..."
    assert status()["call"] is False
    assert len(query("SELECT * FROM reminders")) == 1
    [(started, ended)] = query("SELECT started_at, ended_at FROM calls")
    assert ended is not None and ended - started > NATURAL_BREAK
    assert daemon.stop() == 0


def test_without_a_call_no_input_is_a_natural_break_as_before(
    xserver: XServer,
    pulse: PulseServer,
    notifications: MockService,
    daemons: list[DaemonProcess],
) -> None:
    xdotool = require_tool("xdotool", "xdotool")
    subprocess.run([xdotool, "mousemove", "10", "10"], check=True)
    daemon = DaemonProcess([*SETTINGS[:-4], "--set", "interval=1h"])
    daemons.append(daemon)
    daemon.wait_log("calls: following the microphone")
    [(reason,)] = wait_for(
        lambda: query("SELECT end_reason FROM stretches WHERE ended_at IS NOT NULL"),
        timeout=40,
        what="the stretch to end",
    )
    assert reason == "natural-break"
    assert status()["call"] is False
    assert daemon.stop() == 0
