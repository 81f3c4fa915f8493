"""The real daemon in German on a desktop: its tray menu over dbusmenu, and its break
window (a screenshot in the artifacts)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, wait_for
from support.sessionbus import Bus, MockService, private_bus
from support.sni import SniClient, labels, registrations, spawn_watcher
from support.xserver import XServer

pytestmark = pytest.mark.linux_desktop

NOTIFY = str(Path(__file__).parent / "support" / "notification_template.py")
GERMAN = {"LANGUAGE": "de", "PYSTRAY_BACKEND": ""}


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def watcher(session_bus: Bus) -> Iterator[MockService]:
    service = spawn_watcher(session_bus)
    yield service
    service.stop()


def test_the_tray_menu_and_tooltip_are_german(
    xserver: XServer, session_bus: Bus, watcher: MockService, daemons: list[DaemonProcess]
) -> None:
    daemon = DaemonProcess(
        ["--set", "activity.idle_source=always-present", "--set", "interval=30m"], env=GERMAN
    )
    daemons.append(daemon)
    daemon.wait_log("tray: icon shown (sni backend)")
    [name] = wait_for(lambda: registrations(watcher), 10, "a registration with the watcher")
    client = SniClient(session_bus, name)
    # The first minute's line may still be the one drawn before the first activity reading.
    top = wait_for(
        lambda: (found := labels(client.layout()[1]))[0].startswith("Sitzt seit") and found,
        30,
        "the menu's status line to say how long you have sat",
    )
    assert top[0].startswith("Sitzt seit")
    assert top[1:6] == [
        "Jetzt eine 2-minütige Pause beginnen",
        "Schlummern",
        "Pausieren",
        "Fortsetzen",
        "-",
    ]
    assert top[6:9] == ["Ich sitze", "Ich stehe", "-"]  # shown on a sit-stand desk only
    assert top[9:12] == ["Erinnern nach", "Pausenlänge", "Übungen"]
    assert top[-2:] == ["Bei Anmeldung starten", "Beenden"]
    snooze = labels(client.find("Schlummern"))
    assert snooze[:2] == ["5 Min.", "10 Min."]
    tooltip = client.item_property("ToolTip")
    assert "Sitzt seit" in str(tooltip)
    assert daemon.stop() == 0


def test_the_break_window_is_german(
    xserver: XServer, monkeypatch: pytest.MonkeyPatch, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    from support.sessionbus import spawn_mock
    from test_coach_window import artifacts, drawn, screenshot, xdotool

    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        name = "org.freedesktop.Notifications"
        server = spawn_mock(
            bus, name, "/org/freedesktop/Notifications", name, template=NOTIFY, parameters="{}"
        )
        daemon = DaemonProcess(
            ["--set", "interval=3s", "--set", "natural_break=10m", "--set", "breaks.length=30s"],
            env={"LANGUAGE": "de"},
        )
        daemons.append(daemon)
        daemon.wait_log("breakd started")
        wait_for(lambda: server.mock().GetMethodCalls("Notify"), what="the reminder")
        server.emit(name, "ActionInvoked", "us", [1, "default"])
        opened = daemon.wait_log("break window open (X window ")
        window = str(
            int(re.findall(r"break window open \(X window (0x[0-9a-f]+)\)", opened)[-1], 16)
        )
        title = xdotool("getwindowname", window).strip()
        assert title == "breakd — Pause"
        wait_for(
            lambda: drawn(screenshot(xserver, window, artifacts(tmp_path) / "break-window-de.png")),
            what="the German break window drawn whole",
        )
        assert daemon.stop() == 0


def test_the_underlined_letter_of_next_is_its_key_in_german(
    xserver: XServer, tmp_path: Path
) -> None:
    """ "Weiter" underlines W, so W goes to the next exercise and N (the English key) does
    nothing: N is pressed first, then W, and only one step forward is seen."""
    from test_coach_window import WindowProgram, click_into, xdotool

    program = WindowProgram(env={"LANGUAGE": "de"})
    try:
        program.next_event("ready")
        assert program.next_event("showing")["index"] == 0
        # xdotool's --name does not match the title's German word; getwindowname reads it.
        [window] = xdotool("search", "--sync", "--onlyvisible", "--name", "^breakd").split()
        assert xdotool("getwindowname", window).strip() == "breakd — Pause"
        click_into(window)
        xdotool("key", "n", "w")
        assert program.next_event("showing")["index"] == 1
        xdotool("key", "Escape")
        ended = program.next_event("ended")
        assert len(ended["exercises_done"]) == 2, ended
        assert program.wait(5) == 0
    finally:
        program.stop()


def test_the_next_button_and_the_footer_agree_in_every_language() -> None:
    """The letter a translation marks is the one underlined, bound and named in the footer."""
    from breakd import i18n
    from breakd.coach.window import keys_help, mnemonic, next_label

    assert mnemonic(next_label()) == ("Next", 0, "n")
    assert "Space pause · N next · Esc end break" in keys_help()
    for language in i18n.shipped_languages():
        i18n.setup(language)
        text, underline, key = mnemonic(next_label())
        assert text[underline].casefold() == key and "_" not in text, language
        assert f" {key.upper()} " in keys_help(), language
    i18n.setup("de")
    assert mnemonic(next_label()) == ("Weiter", 0, "w")
    assert "· W weiter ·" in keys_help()


def test_a_label_without_a_marker_underlines_its_first_letter() -> None:
    from breakd.coach.window import mnemonic

    assert mnemonic("Suivant") == ("Suivant", 0, "s")
    assert mnemonic("次へ(_N)") == ("次へ(N)", 3, "n")
    assert mnemonic("Weiter_") == ("Weiter", 0, "w")
