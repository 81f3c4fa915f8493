"""Reminders over a real session bus: the exact Notify call, and clicks that act.

A private dbus-daemon runs python-dbusmock with our notification template (it declares
its signals, unlike the stock one), and the real daemon runs as a subprocess on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from support.daemon import DaemonProcess, log_path, query, wait_for
from support.sessionbus import Bus, MockService, private_bus, spawn_mock
from support.xserver import XServer

from breakd.content import load_exercises

pytestmark = pytest.mark.linux_desktop

TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
FAST = ["--set", "interval=3s", "--set", "remind_again=3s", "--set", "natural_break=10m"]


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


def notification_server(bus: Bus, **parameters: Any) -> MockService:
    return spawn_mock(bus, NAME, PATH, NAME, template=TEMPLATE, parameters=json.dumps(parameters))


def calls(server: MockService, method: str) -> list[list[Any]]:
    return [list(args) for _, args in server.mock().GetMethodCalls(method)]


def start(daemons: list[DaemonProcess], *extra: str) -> DaemonProcess:
    daemon = DaemonProcess([*FAST, *extra])
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    return daemon


def test_reminder_is_the_exact_notify_call(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons)
    assert "notifications via freedesktop" in log_path().read_text()
    [notify] = wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    app_name, replaces_id, icon, title, body, actions, hints, timeout = notify
    assert app_name == "breakd"
    assert replaces_id == 0
    icon_path = Path(unquote(urlparse(str(icon)).path))
    assert icon_path.name == "breakd.png" and icon_path.exists()
    assert title == "You've been sitting for 3 seconds"
    [(exercise_id,)] = query("SELECT exercise_id FROM reminders")
    cue = load_exercises().get(exercise_id)
    # The mock server lists "actions" and is not known to drop the click on the bubble.
    assert cue is not None and body == f"{cue.cue}\nClick to start a 2-min break."
    pairs = dict(zip(actions[::2], actions[1::2], strict=True))
    assert pairs == {
        "default": "",
        "break": "Start 2-min break",
        "snooze": "Snooze 10 min",
        "skip": "Skip",
    }
    assert int(hints["urgency"]) == 1
    assert timeout == 0  # never expires: it stays until answered or replaced
    # The repeat takes the first reminder's place instead of stacking under it.
    wait_for(lambda: len(calls(server, "Notify")) >= 2, what="the repeated reminder")
    repeat = calls(server, "Notify")[1]
    assert repeat[1] == 1 and repeat[3].startswith("You've been sitting for")
    assert calls(server, "CloseNotification") == []
    assert daemon.stop() == 0


def test_labels_follow_the_settings(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons, "--set", "reminders.snooze=3m", "--set", "breaks.length=1m")
    [notify] = wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    pairs = dict(zip(notify[5][::2], notify[5][1::2], strict=True))
    assert pairs["break"] == "Start 1-min break" and pairs["snooze"] == "Snooze 3 min"
    assert notify[4].endswith("\nClick to start a 1-min break.")
    server.emit(NAME, "ActionInvoked", "us", [1, "snooze"])
    [(until, at)] = wait_for(lambda: query("SELECT until, at FROM actions"), what="the snooze")
    assert until - at == pytest.approx(180, abs=1)
    assert daemon.stop() == 0


def test_desktop_notifier_stays_a_choice_on_linux(bus: Bus, daemons: list[DaemonProcess]) -> None:
    """``notifications.backend = "desktop-notifier"`` still works, with the same labels."""
    server = notification_server(bus)
    daemon = start(
        daemons, "--set", "notifications.backend=desktop-notifier", "--set", "reminders.snooze=3m"
    )
    assert "notifications via desktop-notifier" in daemon.log()
    [notify] = wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    pairs = dict(zip(notify[5][::2], notify[5][1::2], strict=True))
    assert pairs["break"] == "Start 2-min break" and pairs["snooze"] == "Snooze 3 min"
    assert notify[4].endswith("\nClick to start a 2-min break.") and notify[7] == 0
    server.emit(NAME, "ActionInvoked", "us", [1, "default"])
    daemon.wait_log("break started (reminder")
    assert daemon.stop() == 0


def test_click_starts_the_break_and_it_is_recorded(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons, "--set", "breaks.length=10s")
    wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    server.emit(NAME, "ActionInvoked", "us", [1, "default"])
    daemon.wait_log("break started (reminder")
    [(kind, trigger, exercises)] = wait_for(
        lambda: query("SELECT kind, trigger, exercises FROM breaks WHERE kind != 'running'"),
        timeout=30,
        what="the completed break",
    )
    assert (kind, trigger) == ("completed", "reminder") and json.loads(exercises)
    assert query("SELECT outcome FROM reminders WHERE id = 1") == [("break",)]
    done = wait_for(
        lambda: [c for c in calls(server, "Notify") if c[3] == "Break done"],
        what="the break-done notification",
    )
    assert "10 s. Next reminder in 3 s." in done[0][4]
    assert daemon.stop() == 0


def test_snooze_button_snoozes(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons)
    wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    server.emit(NAME, "ActionInvoked", "us", [1, "snooze"])
    [(action, until, at)] = wait_for(
        lambda: query("SELECT action, until, at FROM actions"), what="the snooze"
    )
    assert action == "snooze" and until - at == pytest.approx(600, abs=1)
    assert daemon.stop() == 0


def test_closing_the_notification_changes_nothing(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons, "--set", "remind_again=2s")
    wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    server.emit(NAME, "NotificationClosed", "uu", [1, 2])
    wait_for(lambda: len(calls(server, "Notify")) >= 2, what="the repeat, as if nothing happened")
    assert query("SELECT * FROM actions") == [] and query("SELECT * FROM breaks") == []
    assert daemon.stop() == 0


def test_server_without_actions_gets_no_buttons(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus, capabilities="body icon-static")
    daemon = start(daemons)
    [notify] = wait_for(lambda: calls(server, "Notify"), what="a Notify call")
    body, actions = notify[4], notify[5]
    assert not {"break", "snooze", "skip"} & set(actions[::2])
    assert "breakd break" in body and "tray" in body
    assert daemon.stop() == 0


def test_no_bus_falls_back_to_the_log(
    daemons: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    daemon = start(daemons)
    text = daemon.wait_log("reminder 1:")
    assert text.count("no notification service") == 1
    assert daemon.alive()
    assert daemon.stop() == 0


def test_a_server_that_starts_after_breakd_gets_the_next_reminder(
    bus: Bus, daemons: list[DaemonProcess]
) -> None:
    """At login the notification server may start after breakd: log, once, then use it."""
    daemon = start(daemons)
    daemon.wait_log("reminder 2:")
    assert daemon.log().count("no notification server answers") == 1
    assert "notifications via freedesktop" in daemon.log()
    server = notification_server(bus)
    [notify] = wait_for(lambda: calls(server, "Notify"), timeout=15, what="a reminder")
    assert notify[3].startswith("You've been sitting for")
    assert daemon.log().count("no notification server answers") == 1
    assert daemon.stop() == 0


def test_server_restart_between_reminders(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = notification_server(bus)
    daemon = start(daemons, "--set", "remind_again=4s")
    wait_for(lambda: calls(server, "Notify"), what="the first reminder")
    server.stop()
    again = notification_server(bus)
    wait_for(lambda: calls(again, "Notify"), timeout=15, what="the reminder after a restart")
    assert daemon.alive()
    assert daemon.stop() == 0


def test_do_not_disturb_holds_the_reminder_until_it_ends(
    bus: Bus, daemons: list[DaemonProcess]
) -> None:
    server = notification_server(bus, inhibited=True)
    daemon = start(daemons)
    daemon.wait_log("reminder held back: notifications are inhibited")
    assert query("SELECT * FROM reminders") == []
    assert calls(server, "Notify") == []
    server.mock().UpdateProperties(NAME, {"Inhibited": False})
    wait_for(lambda: calls(server, "Notify"), timeout=15, what="the held reminder")
    assert len(query("SELECT * FROM reminders")) >= 1
    assert daemon.stop() == 0


def test_fullscreen_window_holds_the_reminder(
    bus: Bus, daemons: list[DaemonProcess], xserver: XServer
) -> None:
    from Xlib import Xatom, display

    server = notification_server(bus)
    screen = display.Display(xserver.display)
    root = screen.screen().root
    window = root.create_window(0, 0, 200, 100, 0, screen.screen().root_depth)
    window.map()
    state = screen.intern_atom("_NET_WM_STATE")
    window.change_property(state, Xatom.ATOM, 32, [screen.intern_atom("_NET_WM_STATE_FULLSCREEN")])
    root.change_property(screen.intern_atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW, 32, [window.id])
    screen.sync()
    try:
        daemon = start(daemons, "--set", "activity.idle_source=always-present")
        daemon.wait_log("reminder held back: a fullscreen window is in front")
        assert calls(server, "Notify") == []
        window.delete_property(state)
        screen.sync()
        wait_for(lambda: calls(server, "Notify"), timeout=15, what="the reminder after fullscreen")
        assert daemon.stop() == 0
    finally:
        window.destroy()
        screen.close()


def test_the_first_run_turns_on_start_at_login_and_says_so_once(
    bus: Bus, daemons: list[DaemonProcess], private_xdg: Path
) -> None:
    server = notification_server(bus)
    entry = private_xdg / "config" / "autostart" / "breakd.desktop"
    first = DaemonProcess(["--set", "interval=30m"], first_run=True)
    daemons.append(first)
    first.wait_log("breakd started")
    [welcome] = wait_for(lambda: calls(server, "Notify"), what="the welcome notification")
    title, body = welcome[3], welcome[4]
    assert title == "breakd is looking after your back"
    assert "30 min" in body and "Start at login" in body and "breakd autostart disable" in body
    assert entry.exists() and "Exec=" in entry.read_text()
    assert "start at login turned on at the first run" in log_path().read_text()
    assert first.stop() == 0

    # Later starts are silent, even after the user turned start at login off.
    entry.unlink()
    second = DaemonProcess(["--set", "interval=30m"], first_run=True)
    daemons.append(second)
    wait_for(lambda: log_path().read_text().count("breakd started") == 2, what="the second start")
    assert second.stop() == 0
    assert len(calls(server, "Notify")) == 1
    assert not entry.exists()


def test_no_autostart_leaves_start_at_login_alone(
    bus: Bus, daemons: list[DaemonProcess], private_xdg: Path
) -> None:
    server = notification_server(bus)
    daemon = DaemonProcess(["--set", "interval=30m"])  # starts with --no-autostart
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    assert daemon.stop() == 0
    assert calls(server, "Notify") == []
    assert not (private_xdg / "config" / "autostart").exists()
