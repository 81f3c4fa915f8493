"""Do not disturb on real desktops' parts: Xfce (xfconfd and xfce4-notifyd, toggled with
``xfconf-query``), dunst (``dunstctl set-paused``) and GNOME (``show-banners`` through
the real dconf service and ``gsettings``, Debian's schema), each on a private session bus.

What these hold breakd to: a reminder due while do not disturb is on is not sent (the
bus monitor sees no ``Notify``); the status names the reason; and when it ends, the
held reminder reaches the server within seconds, woken by the desktop's own change
signal, well before the daemon's periodic check (``HOLD_CHECK_EVERY``) would come.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, status, wait_for
from support.notification_servers import (
    DUNST,
    XFCE,
    XFCONFD,
    NotifyRecorder,
    ServerKind,
    recording,
    require_program,
    running_server,
)
from support.sessionbus import Bus, private_bus
from support.xserver import XServer

from breakd.daemon import HOLD_CHECK_EVERY
from breakd.notify.quiet import QuietRules
from breakd.notify.quiet.gnome import GnomeSource
from breakd.notify.quiet.xfce import XfceSource

pytestmark = pytest.mark.linux_desktop

DCONF_SERVICE = "/usr/libexec/dconf-service"

#: Well under the periodic check: only the change signal can be this quick.
PROMPT = HOLD_CHECK_EVERY - 3.0


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


@pytest.fixture
def recorder(bus: Bus) -> Iterator[NotifyRecorder]:
    with recording(bus) as watching:
        yield watching


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def xfce_dnd(on: bool) -> None:
    run(
        "xfconf-query", "-c", "xfce4-notifyd", "-p", "/do-not-disturb",
        "-n", "-t", "bool", "-s", "true" if on else "false",
    )  # fmt: skip


def dunst_dnd(on: bool) -> None:
    run("dunstctl", "set-paused", "true" if on else "false")


def gnome_dnd(on: bool) -> None:
    run("gsettings", "set", "org.gnome.desktop.notifications", "show-banners", str(not on).lower())


def dunst_paused() -> bool:
    """``dunstctl is-paused``: the documented meaning of the property breakd reads."""
    answer = subprocess.run(
        ["dunstctl", "is-paused"], check=True, capture_output=True, text=True, timeout=30
    )
    return answer.stdout.strip() == "true"


CASES = [
    (XFCE, xfce_dnd, "do not disturb (xfce)"),
    (DUNST, dunst_dnd, "do not disturb (dunst)"),
    (DUNST, gnome_dnd, "do not disturb (gnome)"),  # dunst only shows; GNOME's key is the switch
]


@pytest.fixture
def dconf(bus: Bus) -> Iterator[None]:
    """The real dconf service on the private bus (gsettings writes through it)."""
    with running_service(bus, [require_program(DCONF_SERVICE, "dconf-service")], "ca.desrt.dconf"):
        yield


@contextmanager
def running_service(bus: Bus, command: list[str], name: str) -> Iterator[None]:
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        connection = bus.connect()
        try:
            wait_for(lambda: connection.name_has_owner(name), 30, name)
        finally:
            connection.close()
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "toggle", "reason"), CASES, ids=["xfce", "dunst", "gnome"])
def test_the_reminder_waits_for_do_not_disturb_to_end(
    kind: ServerKind,
    toggle: Callable[[bool], None],
    reason: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    xserver: XServer,
    bus: Bus,
    recorder: NotifyRecorder,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    if toggle is gnome_dnd:
        request.getfixturevalue("dconf")
        monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    with running_server(kind, bus, tmp_path):
        daemon = DaemonProcess(
            [
                "--set", "interval=20s", "--set", "natural_break=10m",
                "--set", "remind_again=10m", "--set", "activity.idle_source=always-present",
            ]
        )  # fmt: skip
        daemons.append(daemon)
        daemon.wait_ready(timeout=60)
        assert status()["quiet"] is None
        # Turned on while breakd runs, before the reminder is due: the status follows
        # from the change signal alone (no reminder has asked yet).
        toggle(True)
        if toggle is dunst_dnd:
            assert dunst_paused()
        wait_for(lambda: status()["quiet"] == reason, 15, "the status to name the quiet")
        assert f"Quiet: {reason}." in breakd("status").stdout
        daemon.wait_log(f"reminder held back: {reason}", timeout=60)
        assert recorder.breakd_calls() == []
        toggle(False)
        ended = time.monotonic()
        wait_for(recorder.breakd_calls, PROMPT, "the held reminder after do not disturb ended")
        assert time.monotonic() - ended < PROMPT
        daemon.wait_log("quiet is over: showing the held reminder")
        assert status()["quiet"] is None
        assert len(recorder.breakd_calls()) == 1
        assert daemon.stop() == 0


@pytest.fixture
def xfconfd(bus: Bus) -> Iterator[None]:
    """xfconfd alone on the private bus (no notification server needed to read it)."""
    with running_service(bus, [require_program(XFCONFD, "xfconf")], "org.xfce.Xfconf"):
        yield


def test_xfce_reading_follows_xfconf(xfconfd: None) -> None:
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, sources=[XfceSource()])
    try:
        assert rules.reason() is None  # never set: xfconfd answers PropertyNotFound
        xfce_dnd(True)
        assert rules.reason() == "do not disturb (xfce)"
        xfce_dnd(False)
        assert rules.reason() is None
    finally:
        rules.close()


def test_the_watch_wakes_on_xfconf_changes_only_of_do_not_disturb(xfconfd: None) -> None:
    woken = threading.Semaphore(0)
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, sources=[XfceSource()])
    try:
        rules.watch(woken.release)
        assert woken.acquire(timeout=15)  # the reading at start
        run("xfconf-query", "-c", "xfce4-panel", "-p", "/other", "-n", "-t", "int", "-s", "1")
        xfce_dnd(True)
        assert woken.acquire(timeout=15)
        assert rules.reason() == "do not disturb (xfce)"
        assert not woken.acquire(timeout=0.5)  # the panel's change did not wake it
    finally:
        rules.close()


def test_xfce_absent_is_not_quiet_and_not_started(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    rules = QuietRules(when_inhibited=True, when_fullscreen=False)
    try:
        assert rules.reason() is None
        assert rules.reason() is None
    finally:
        rules.close()
    connection = bus.connect()
    try:
        assert not connection.name_has_owner("org.xfce.Xfconf")
    finally:
        connection.close()
    assert "is off" not in caplog.text  # an absent desktop is not a failure


def test_gnome_reading_and_wake_follow_show_banners(dconf: None) -> None:
    woken = threading.Semaphore(0)
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, sources=[GnomeSource()])
    try:
        rules.watch(woken.release)
        assert woken.acquire(timeout=15)  # the reading at start
        assert rules.reason() is None  # the schema's default: banners shown
        gnome_dnd(True)
        assert woken.acquire(timeout=15)
        assert rules.reason() == "do not disturb (gnome)"
        run("gsettings", "set", "org.gnome.desktop.interface", "clock-show-seconds", "true")
        gnome_dnd(False)
        assert woken.acquire(timeout=15)
        assert rules.reason() is None
        assert not woken.acquire(timeout=0.5)  # the clock setting did not wake it
    finally:
        rules.close()


def test_gnome_without_gsettings_is_logged_once_and_not_quiet(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="breakd.notify.quiet")
    source = GnomeSource({"PATH": "/nonexistent"})
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, sources=[source])
    try:
        assert rules.reason() is None
        assert rules.reason() is None
    finally:
        rules.close()
    assert caplog.text.count("do not disturb (gnome) is off: gsettings is not installed") == 1
