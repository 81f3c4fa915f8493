"""Guided breaks end to end: the real daemon, a private session bus with a dbusmock
notification server, and (for the window) a real X server.

A reminder comes after 3 s of sitting; a click on it (``ActionInvoked``) starts a
10-second break. What the window and the notifications do is checked where the user
would see it (X windows, screenshots, Notify calls), and what the daemon makes of it
in its history database.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.daemon import DaemonProcess, log_path, query, status, wait_for
from support.sessionbus import Bus, MockService, private_bus, spawn_mock
from support.xserver import XServer
from test_coach_window import (
    artifacts,
    assert_looks_like_the_window,
    click_into,
    drawn,
    find_windows,
    screenshot,
    wait_for_window,
    wait_gone,
    xdotool,
)

from breakd.content import load_exercises
from breakd.state import BreakType

pytestmark = pytest.mark.linux_desktop

TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
BREAK = [
    "--set",
    "interval=3s",
    "--set",
    "remind_again=30s",
    "--set",
    "natural_break=10m",
    "--set",
    "logging.level=debug",
]


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


def notification_server(bus: Bus) -> MockService:
    return spawn_mock(bus, NAME, PATH, NAME, template=TEMPLATE, parameters="{}")


def notifies(server: MockService) -> list[list[Any]]:
    return [list(args) for _, args in server.mock().GetMethodCalls("Notify")]


def start_break(
    daemons: list[DaemonProcess], server: MockService, length: str = "10s"
) -> DaemonProcess:
    """Run the daemon, wait for its reminder and click it: the break begins."""
    daemon = DaemonProcess([*BREAK, "--set", f"breaks.length={length}"])
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    wait_for(lambda: notifies(server), what="the reminder")
    server.emit(NAME, "ActionInvoked", "us", [1, "default"])
    daemon.wait_log("break started (reminder")
    return daemon


def breaks() -> list[tuple[str, float, float, str]]:
    """Breaks that have ended (a running one has a row from its start)."""
    return query("SELECT kind, started_at, ended_at, exercises FROM breaks WHERE kind != 'running'")


def button(daemon: DaemonProcess, name: str) -> tuple[int, int]:
    """The centre of one of the window's buttons, from the geometry it reported."""
    text = daemon.wait_log("break window buttons:")
    found = re.search(rf"{name}=(\d+),(\d+),(\d+)x(\d+)", text)
    assert found, f"no {name} button in the log"
    x, y, width, height = (int(v) for v in found.groups())
    return x + width // 2, y + height // 2


def test_window_shows_the_break_and_end_break_records_a_partial_one(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    server = notification_server(bus)
    daemon = start_break(daemons, server)
    began = time.monotonic()
    window = wait_for_window()
    [(exercise_id,)] = query("SELECT exercise_id FROM reminders")
    # The window says which exercise it shows; it is the one the reminder offered.
    daemon.wait_log(f"break window shows {exercise_id} (1 of ")
    # The window draws its picture and text after it reports them: wait until it has.
    shot = wait_for(
        lambda: drawn(screenshot(xserver, window, artifacts(tmp_path) / "daemon-break-window.png")),
        what="the break window drawn whole",
    )
    assert_looks_like_the_window(shot)
    time.sleep(max(0.0, 3.0 - (time.monotonic() - began)))
    x, y = button(daemon, "end")
    xdotool("mousemove", str(x), str(y), "click", "1")
    clicked = time.monotonic() - began
    [(kind, started, ended, exercises)] = wait_for(breaks, what="the partial break")
    assert kind == "partial"
    assert json.loads(exercises) == [exercise_id]
    # Its real length: from the click on the reminder to the click on End break.
    assert clicked - 1.5 < ended - started < clicked + 1.0
    ended_in_window = re.search(
        r"break ended in the window after ([\d.]+) s", daemon.wait_log("break ended in the window")
    )
    assert ended_in_window and abs(float(ended_in_window.group(1)) - (ended - started)) < 1.0
    wait_gone(5)
    assert daemon.stop() == 0
    assert "stopped unexpectedly" not in log_path().read_text()


def test_break_left_to_run_completes_with_one_window_only(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    server = notification_server(bus)
    daemon = start_break(daemons, server)
    wait_for_window()
    # A second break while this one runs: from the reminder and from the command line.
    server.emit(NAME, "ActionInvoked", "us", [1, "default"])
    cli = subprocess.run(
        [sys.executable, "-m", "breakd", "break"], capture_output=True, text=True, timeout=20
    )
    assert cli.returncode == 1 and "already running" in cli.stdout + cli.stderr
    # A click on the withdrawn reminder is dropped without a word; that no second window
    # comes can only be watched for a while.
    time.sleep(1.0)
    assert len(find_windows()) == 1
    [(kind, started, ended, _)] = wait_for(breaks, timeout=20, what="the completed break")
    assert kind == "completed"
    assert 9.5 < ended - started < 11.5
    # The sitting stretch was reset: the old one ended with the break, a new one began.
    stretches = query("SELECT end_reason FROM stretches ORDER BY id")
    assert len(stretches) == 2 and stretches[0] == ("break",) and stretches[1] == (None,)
    window = find_windows()[0]
    screenshot(xserver, window, artifacts(tmp_path) / "daemon-break-done.png")
    # The window says "Done — next reminder in …": no "Break done" bubble on top of it.
    daemon.wait_log("the break window says the break is done; no notification")
    wait_gone(8)
    assert daemon.stop() == 0
    assert [call[3] for call in notifies(server) if call[3] == "Break done"] == []


def test_space_pauses_the_break_and_it_lasts_longer(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess]
) -> None:
    server = notification_server(bus)
    daemon = start_break(daemons, server)
    window = wait_for_window()
    daemon.wait_log("break window buttons:")  # it is ready for input
    click_into(window)
    xdotool("key", "space")
    daemon.wait_log("break paused in the window")
    paused = time.monotonic()
    time.sleep(3.5)  # the pause itself is the point
    click_into(window)
    xdotool("key", "space")
    daemon.wait_log("break resumed in the window")
    pause = time.monotonic() - paused
    [(kind, started, ended, _)] = wait_for(breaks, timeout=25, what="the completed break")
    assert kind == "completed"
    assert ended - started > 10 + pause - 0.5, f"the {pause:.1f} s pause was not added"
    assert ended - started < 10 + pause + 2.0
    assert daemon.stop() == 0


def test_a_pause_in_the_window_is_not_counted_as_break_time(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess]
) -> None:
    """A few seconds of exercise, then Pause held for 16 s, then End break: more than half
    of a 30 s break has passed, but most of it was not exercise, so sitting goes on."""
    server = notification_server(bus)
    daemon = start_break(daemons, server, length="30s")
    wait_for_window()
    pause = button(daemon, "pause")
    xdotool("mousemove", str(pause[0]), str(pause[1]), "click", "1")
    daemon.wait_log("break paused in the window")
    time.sleep(16.0)  # time on hold passing is the point
    end = button(daemon, "end")
    xdotool("mousemove", str(end[0]), str(end[1]), "click", "1")
    [(kind, started, ended, _)] = wait_for(breaks, what="the partial break")
    assert kind == "partial"
    assert ended - started > 16.0, "the break's real length, pause included, is recorded"
    exercised = re.search(
        r"break ended in the window after ([\d.]+) s", daemon.wait_log("break ended in the window")
    )
    assert exercised and float(exercised.group(1)) < 14.0
    # The stretch was not reset: still one, still open, with no break ending it.
    assert query("SELECT end_reason FROM stretches ORDER BY id") == [(None,)]
    assert daemon.stop() == 0


def test_a_walking_break_is_offered_in_words_and_guided_in_the_window(
    xserver: XServer, bus: Bus, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    """Every break a walk (``long_every = 1``): the reminder offers the walk, the window
    guides a step away from the desk, and history records a walking break."""
    server = notification_server(bus)
    daemon = DaemonProcess(
        [*BREAK, "--set", "breaks.long_every=1", "--set", "breaks.long_length=20s"]
    )
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    shown = status()
    assert (shown["next_break"], shown["next_break_seconds"]) == ("walking", 20)
    [reminder] = wait_for(lambda: notifies(server), what="the reminder")
    assert reminder[3] == "Time for a 20-second walk"
    assert "Start 20-second walk" in reminder[5]
    server.emit(NAME, "ActionInvoked", "us", [1, "default"])
    daemon.wait_log("break started (reminder")
    window = wait_for_window()
    showing = re.search(
        r"break window shows (\S+) \(1 of (\d+)\)", daemon.wait_log("break window shows")
    )
    walks = {e.id for e in load_exercises().exercises if e.breaks == (BreakType.WALKING,)}
    assert showing and showing.group(1) in walks and showing.group(2) == "1"
    shot = wait_for(
        lambda: drawn(screenshot(xserver, window, artifacts(tmp_path) / "daemon-walk-window.png")),
        what="the walking break's window drawn whole",
    )
    assert_looks_like_the_window(shot)
    x, y = button(daemon, "end")
    xdotool("mousemove", str(x), str(y), "click", "1")
    rows = wait_for(
        lambda: query(
            "SELECT kind, break_type, planned_seconds FROM breaks WHERE kind != 'running'"
        ),
        what="the walking break in history",
    )
    assert rows == [("partial", "walking", 20.0)]
    # Ended after a few seconds of twenty: the walk is still to come.
    assert status()["next_break"] == "walking"
    wait_gone(5)
    assert daemon.stop() == 0


def test_without_a_display_each_exercise_comes_as_a_notification(
    bus: Bus, daemons: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    server = notification_server(bus)
    daemon = start_break(daemons, server)
    [(kind, _, _, exercises)] = wait_for(breaks, timeout=20, what="the completed break")
    assert kind == "completed"
    done = wait_for(
        lambda: [i for i, call in enumerate(notifies(server)) if call[3] == "Break done"],
        what="the break-done notification",
    )
    calls = notifies(server)
    catalogue = {e.id: e for e in load_exercises().exercises}
    guided = [(call[3], call[4]) for call in calls[1 : done[0]]]
    expected = [(catalogue[i].title, catalogue[i].cue) for i in json.loads(exercises)]
    assert guided == expected
    text = log_path().read_text()
    assert text.count("break window off: no display") == 1
    assert daemon.stop() == 0
