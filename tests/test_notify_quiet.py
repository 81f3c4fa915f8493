"""The quiet rules against a real Xvfb and a real session bus: one connection each, kept
between checks, opened again only after it failed, and a check that is off says so once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.sessionbus import Bus, MockService, private_bus, spawn_mock
from support.xserver import XServer, running_xvfb

from breakd.notify import quiet
from breakd.notify.quiet import QuietRules

pytestmark = pytest.mark.linux_desktop

TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
FULLSCREEN = "a fullscreen window is in front"


@pytest.fixture
def xvfb() -> Iterator[XServer]:
    with running_xvfb(320, 240) as server:
        yield server


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


def count_opened(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[object]:
    """Every object ``owner.name(...)`` builds from now on."""
    opened: list[object] = []
    real = getattr(owner, name)

    def opening(*args: Any, **kwargs: Any) -> object:
        made = real(*args, **kwargs)
        opened.append(made)
        return made

    monkeypatch.setattr(owner, name, opening)
    return opened


def show_fullscreen_window(server: XServer) -> Any:
    from Xlib import Xatom, display

    screen = display.Display(server.display)
    root = screen.screen().root
    window = root.create_window(0, 0, 100, 50, 0, screen.screen().root_depth)
    window.map()
    state = screen.intern_atom("_NET_WM_STATE")
    window.change_property(state, Xatom.ATOM, 32, [screen.intern_atom("_NET_WM_STATE_FULLSCREEN")])
    root.change_property(screen.intern_atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW, 32, [window.id])
    screen.sync()
    return screen


def test_the_fullscreen_check_keeps_one_display(
    xvfb: XServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = count_opened(monkeypatch, quiet, "ActiveWindow")
    rules = QuietRules(
        when_inhibited=False, when_fullscreen=True, environ={"DISPLAY": xvfb.display}
    )
    try:
        assert [rules.reason() for _ in range(3)] == [None] * 3
        window_owner = show_fullscreen_window(xvfb)
        try:
            assert [rules.reason() for _ in range(3)] == [FULLSCREEN] * 3
        finally:
            window_owner.close()
        assert rules.reason() is None  # the window went with its client
    finally:
        rules.close()
    assert len(opened) == 1


def test_an_active_window_that_is_gone_is_not_fullscreen(xvfb: XServer) -> None:
    """A window closed between reading the active window and its state is a BadWindow
    error on breakd's display: the answer is "no", and the process goes on."""
    from Xlib import Xatom, display

    screen = display.Display(xvfb.display)
    root = screen.screen().root
    window = root.create_window(0, 0, 10, 10, 0, screen.screen().root_depth)
    gone = window.id
    window.destroy()
    root.change_property(screen.intern_atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW, 32, [gone])
    screen.sync()
    rules = QuietRules(
        when_inhibited=False, when_fullscreen=True, environ={"DISPLAY": xvfb.display}
    )
    try:
        assert [rules.reason() for _ in range(3)] == [None] * 3
        shown = show_fullscreen_window(xvfb)
        try:
            assert rules.reason() == FULLSCREEN  # the same connection still answers
        finally:
            shown.close()
    finally:
        rules.close()
        screen.close()


def test_a_lost_display_is_said_once_and_a_new_one_is_opened(
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ: dict[str, str] = {}
    rules = QuietRules(when_inhibited=False, when_fullscreen=True, environ=environ)
    caplog.set_level(logging.INFO, logger=quiet.__name__)
    try:
        with running_xvfb(320, 240) as first:
            environ["DISPLAY"] = first.display
            assert rules.reason() is None
        assert [rules.reason() for _ in range(3)] == [None] * 3
        off = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(off) == 1, off
        assert off[0].startswith("quiet when a window is fullscreen is off: ")
        assert first.display in off[0]
        with running_xvfb(320, 240) as second:
            environ["DISPLAY"] = second.display
            window_owner = show_fullscreen_window(second)
            try:
                assert rules.reason() == FULLSCREEN
            finally:
                window_owner.close()
        assert "quiet when a window is fullscreen works again" in caplog.messages
    finally:
        rules.close()


def test_no_display_at_all_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    rules = QuietRules(when_inhibited=False, when_fullscreen=True, environ={"DISPLAY": ":99999"})
    caplog.set_level(logging.INFO, logger=quiet.__name__)
    assert [rules.reason() for _ in range(4)] == [None] * 4
    [message] = caplog.messages
    assert "cannot open the X display :99999" in message
    rules.close()


def notification_server(bus: Bus, **parameters: Any) -> MockService:
    return spawn_mock(bus, NAME, PATH, NAME, template=TEMPLATE, parameters=json.dumps(parameters))


def test_the_do_not_disturb_check_keeps_one_bus_connection(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = count_opened(monkeypatch, quiet, "BusConnection")
    rules = QuietRules(
        when_inhibited=True,
        when_fullscreen=False,
        environ={"DBUS_SESSION_BUS_ADDRESS": bus.address},
    )
    try:
        assert rules.reason() is None  # no notification server: nothing is inhibited
        server = notification_server(bus, inhibited=True)
        inhibited = "notifications are inhibited (do not disturb)"
        assert [rules.reason() for _ in range(3)] == [inhibited] * 3
        server.mock().UpdateProperties(NAME, {"Inhibited": False})
        assert rules.reason() is None
    finally:
        rules.close()
    assert len(opened) == 1
