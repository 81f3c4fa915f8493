"""The reminder on real notification servers: dunst, xfce4-notifyd, notification-daemon.

Each test starts Xvfb, a private session bus, the server from its Debian package and
the real daemon, and looks at both ends: what reached the server (a bus monitor records
every ``Notify`` with the id the server answered) and what it drew (its windows, found
with xdotool, and screenshots kept in the artifacts folder). Clicks are real pointer
clicks on the bubble or on its Start button, found in a screenshot.

What the servers do, and what these tests hold breakd to:

* dunst draws no buttons; a middle click invokes "default" (its stock binding; a left
  click closes). The bubble says "Middle-click to start ...".
* xfce4-notifyd draws the buttons; a click on the bubble only closes it. The bubble says
  "Press “Start 1-min break” to begin." and a click on that button starts the break.
* notification-daemon draws the buttons and invokes "default" on a click on the bubble.

On all three a bubble sent with ``expire_timeout=0`` stays (their own default expiry is
about 10 s), and ``replaces_id`` updates the bubble in place.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, status, wait_for
from support.notification_servers import (
    DUNST,
    NOTIFICATION_DAEMON,
    SERVERS,
    XFCE,
    NotifyCall,
    NotifyRecorder,
    ServerKind,
    Window,
    bubbles,
    click,
    dunst_displayed,
    first_button,
    recording,
    running_server,
)
from support.screen import artifacts, grab, wait_still
from support.sessionbus import Bus, private_bus
from support.xserver import XServer

pytestmark = [pytest.mark.linux_desktop, pytest.mark.slow]

LABELS = ["--set", "reminders.snooze=3m", "--set", "breaks.length=1m"]
#: Longer than the servers' own expiry (about 10 s on all three).
SERVER_EXPIRY = 10.0
HINTS = {
    DUNST.key: "Middle-click to start a 1-min break.",
    XFCE.key: "Press \u201cStart 1-min break\u201d to begin.",
    NOTIFICATION_DAEMON.key: "Click to start a 1-min break.",
}


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


@pytest.fixture
def recorder(bus: Bus) -> Iterator[NotifyRecorder]:
    with recording(bus) as watching:
        yield watching


def start_daemon(daemons: list[DaemonProcess], *settings: str) -> DaemonProcess:
    daemon = DaemonProcess(
        ["--set", "interval=3s", "--set", "natural_break=10m", *LABELS, *settings]
    )
    daemons.append(daemon)
    daemon.wait_log("breakd started", timeout=60)
    return daemon


def first_reminder(recorder: NotifyRecorder) -> NotifyCall:
    calls = wait_for(recorder.breakd_calls, 60, "the reminder to reach the server")
    wait_for(lambda: calls[0].answered_id, 20, "the server to answer the Notify")
    return calls[0]


def the_bubble(kind: ServerKind, xserver: XServer) -> Window:
    """The one bubble on screen, once it has finished drawing (fading in, sliding)."""
    [bubble] = wait_for(lambda: bubbles(kind), 30, f"{kind.key}'s bubble on screen")
    wait_still(xserver, bubble.box, timeout=20)
    [bubble] = bubbles(kind)  # it may have moved or grown while drawing
    return bubble


def keep_picture(xserver: XServer, bubble: Window, tmp_path: Path, name: str) -> Path:
    path = artifacts(tmp_path) / name
    grab(xserver, bubble.box).save(path)
    return path


def on_screen(kind: ServerKind) -> int:
    """How many bubbles the server shows (dunst draws them all in one window)."""
    return dunst_displayed() if kind is DUNST else len(bubbles(kind))


@pytest.mark.parametrize("kind", SERVERS, ids=[kind.key for kind in SERVERS])
def test_the_reminder_stays_and_its_repeat_takes_its_place(
    kind: ServerKind,
    xserver: XServer,
    bus: Bus,
    recorder: NotifyRecorder,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    with running_server(kind, bus, tmp_path):
        daemon = start_daemon(daemons, "--set", "remind_again=25s")
        first = first_reminder(recorder)
        assert f"notification server: {kind.server_name}" in daemon.log()
        assert first.actions == {
            "default": "",
            "break": "Start 1-min break",
            "snooze": "Snooze 3 min",
            "skip": "Skip",
        }
        assert first.body.endswith("\n" + HINTS[kind.key])
        assert (first.replaces_id, first.expire_timeout, first.urgency) == (0, 0, 1)
        bubble = the_bubble(kind, xserver)
        keep_picture(xserver, bubble, tmp_path, f"{kind.key}-reminder.png")

        # Time passing is the point: the server's own expiry goes by, the bubble stays.
        time.sleep(SERVER_EXPIRY + 2)
        assert len(recorder.breakd_calls()) == 1, "the repeat came too early for this check"
        assert recorder.seen("NotificationClosed", first.answered_id or 0) == []
        assert on_screen(kind) == 1

        # The repeat updates that bubble instead of stacking a second one under it.
        second = wait_for(lambda: recorder.breakd_calls()[1:], 60, "the repeated reminder")[0]
        assert second.replaces_id == first.answered_id
        assert wait_for(lambda: second.answered_id, 20, "the answer") == first.answered_id
        bubble = the_bubble(kind, xserver)
        keep_picture(xserver, bubble, tmp_path, f"{kind.key}-repeat.png")
        assert on_screen(kind) == 1
        assert recorder.seen("NotificationClosed", first.answered_id or 0) == []
        assert daemon.stop() == 0


CLICKS = [
    pytest.param(DUNST, "middle-click on the bubble", id="dunst-middle-click"),
    pytest.param(NOTIFICATION_DAEMON, "click on the bubble", id="notification-daemon-click"),
    pytest.param(NOTIFICATION_DAEMON, "Start button", id="notification-daemon-start-button"),
    pytest.param(XFCE, "Start button", id="xfce4-notifyd-start-button"),
]


@pytest.mark.parametrize(("kind", "how"), CLICKS)
def test_a_real_click_starts_the_break(
    kind: ServerKind,
    how: str,
    xserver: XServer,
    bus: Bus,
    recorder: NotifyRecorder,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    with running_server(kind, bus, tmp_path):
        daemon = start_daemon(daemons, "--set", "remind_again=10m")
        first = first_reminder(recorder)
        bubble = the_bubble(kind, xserver)
        picture = grab(xserver, bubble.box)
        picture.save(artifacts(tmp_path) / f"{kind.key}-before-{how.replace(' ', '-')}.png")
        if how == "Start button":
            x, y = first_button(picture)
            click(bubble.x + x, bubble.y + y)
            expected = "break"
        else:
            button = 2 if how.startswith("middle") else 1
            click(bubble.x + bubble.width // 2, bubble.y + bubble.height // 4, button)
            expected = "default"
        daemon.wait_log("break started (reminder", timeout=30)
        assert recorder.seen("ActionInvoked", first.answered_id or 0) == [expected]
        assert "reminder answered: break" in daemon.log()
        assert status()["break_remaining"] is not None
        wait_for(lambda: on_screen(kind) == 0, 20, "the bubble to go once answered")
        assert daemon.stop() == 0


def test_a_click_on_the_xfce_bubble_closes_it_and_it_said_so(
    xserver: XServer,
    bus: Bus,
    recorder: NotifyRecorder,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    """xfce4-notifyd has no "default" action: breakd's text points at the button."""
    with running_server(XFCE, bus, tmp_path):
        daemon = start_daemon(daemons, "--set", "remind_again=10m", "--set", "logging.level=debug")
        first = first_reminder(recorder)
        assert "Press \u201cStart 1-min break\u201d to begin." in first.body
        assert "Click" not in first.body
        bubble = the_bubble(XFCE, xserver)
        # Well above the buttons, on the text.
        click(bubble.x + bubble.width // 2, bubble.y + bubble.height // 5)
        wait_for(
            lambda: recorder.seen("NotificationClosed", first.answered_id or 0),
            20,
            "xfce4-notifyd to close the bubble",
        )
        assert recorder.seen("NotificationClosed", first.answered_id or 0) == [2]  # dismissed
        # The notifier logs the close after any action signalled before it; a status
        # answer then shows that the owner thread has run whatever was posted.
        daemon.wait_log("closed: dismissed")
        state = status()
        assert state["break_remaining"] is None
        assert "break started" not in daemon.log()
        assert daemon.stop() == 0


def test_a_restarted_server_gets_a_new_bubble(
    xserver: XServer,
    bus: Bus,
    recorder: NotifyRecorder,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    """The ids of a server that restarted mean nothing: the repeat starts afresh there."""
    with running_server(DUNST, bus, tmp_path) as first_server:
        daemon = start_daemon(daemons, "--set", "remind_again=8s")
        first = first_reminder(recorder)
        the_bubble(DUNST, xserver)
        first_server.stop()
        wait_for(lambda: not bubbles(DUNST), 20, "dunst's bubble to go with it")
    with running_server(DUNST, bus, tmp_path):
        daemon.wait_log("notification server changed owner", timeout=30)
        again = wait_for(
            lambda: [c for c in recorder.breakd_calls() if c.sender == first.sender][1:],
            60,
            "the repeat on the new dunst",
        )[0]
        assert again.replaces_id == 0
        wait_for(lambda: again.answered_id, 20, "the new dunst to answer")
        bubble = the_bubble(DUNST, xserver)
        keep_picture(xserver, bubble, tmp_path, "dunst-after-restart.png")
        assert dunst_displayed() == 1
        assert daemon.stop() == 0
