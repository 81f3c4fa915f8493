"""Quiet on a wlroots desktop, with real parts: headless sway 1.7 (one for the module),
real Wayland windows (GTK 3) made fullscreen with ``swaymsg``, and the wlroots
desktops' notification servers, mako and SwayNotificationCenter, each the real program
from Debian on a private session bus, switched with their own tools (``makoctl``,
``swaync-client``).

What these hold breakd to: the window in front going fullscreen and back is heard from
the compositor (``zwlr_foreign_toplevel_manager_v1``) the moment it happens; mako's
do-not-disturb mode and swaync's switch are read as their tools report them; and the
running daemon, choosing everything by itself on a sway session, holds a reminder over
a fullscreen window and over mako's mode, and posts it (the bus monitor sees ``Notify``)
within seconds after each ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, status, wait_for
from support.idle_compositor import IdleCompositor
from support.notification_servers import recording
from support.sessionbus import Bus, private_bus
from support.sway import HeadlessSway, running_sway
from support.xserver import require_tool

from breakd.daemon import HOLD_CHECK_EVERY
from breakd.notify import quiet
from breakd.notify.quiet import FULLSCREEN, QuietRules
from breakd.notify.quiet.swaync import SwayncSource

pytestmark = [pytest.mark.linux_desktop, pytest.mark.slow]

NOTIFICATIONS = "org.freedesktop.Notifications"
FILM = "breakd-test-film"
#: mako's manual's own example: the mode that hides every notification.
MAKO_CONFIG = "[mode=do-not-disturb]\ninvisible=1\n"


@pytest.fixture(scope="module")
def sway() -> Iterator[HeadlessSway]:
    with running_sway() as compositor:
        yield compositor


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


@contextmanager
def server(
    command: list[str], sway: HeadlessSway, bus: Bus, **env: str
) -> Iterator[dict[str, str]]:
    """A notification server on sway and the private bus, once it owns the name; yields
    the environment its own tools need."""
    home = tempfile.mkdtemp(prefix="breakd-server-")
    environment = {
        **os.environ, "WAYLAND_DISPLAY": str(sway.socket), "XDG_RUNTIME_DIR": home,
        "HOME": home, "DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": bus.address,
        "NO_AT_BRIDGE": "1", **env,
    }  # fmt: skip
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        command, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    connection = bus.connect()
    try:

        def owned() -> bool:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"{command[0]} exited: {log.read().decode()}")
            return bool(connection.name_has_owner(NOTIFICATIONS))

        wait_for(owned, 30, f"{command[0]} on the bus")
        yield environment
    finally:
        connection.close()
        process.terminate()
        process.wait(10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def mako(sway: HeadlessSway, bus: Bus) -> Iterator[dict[str, str]]:
    config = Path(tempfile.mkdtemp(prefix="breakd-mako-")) / "config"
    config.write_text(MAKO_CONFIG)
    try:
        with server(
            [require_tool("mako", "mako-notifier"), "--config", str(config)], sway, bus
        ) as env:
            yield env
    finally:
        shutil.rmtree(config.parent, ignore_errors=True)


def makoctl(env: dict[str, str], *args: str) -> str:
    """mako's own tool (it needs busctl, from systemd, and jq)."""
    require_tool("jq", "jq")
    answer = subprocess.run(
        [require_tool("makoctl", "mako-notifier"), *args],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return answer.stdout


def swaync_client(env: dict[str, str], flag: str) -> str:
    answer = subprocess.run(
        [require_tool("swaync-client", "sway-notification-center"), flag],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return answer.stdout.strip()


def test_the_window_in_front_going_fullscreen_is_heard_from_the_compositor(
    sway: HeadlessSway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=quiet.__name__)
    woken = threading.Semaphore(0)
    rules = QuietRules(when_inhibited=False, when_fullscreen=True, environ=sway.env)
    try:
        rules.watch(woken.release)
        assert "quiet when a window is fullscreen: from the compositor" in caplog.text
        assert "zwlr_foreign_toplevel_manager_v1 v3" in caplog.text
        with sway.window(FILM):
            assert rules.reason() is None
            sway.swaymsg(f'[app_id="{FILM}"] fullscreen enable')
            assert woken.acquire(timeout=10)
            assert rules.reason() == FULLSCREEN
            sway.swaymsg(f'[app_id="{FILM}"] fullscreen disable')
            assert woken.acquire(timeout=10)
            assert rules.reason() is None
            sway.swaymsg(f'[app_id="{FILM}"] fullscreen enable')
            assert woken.acquire(timeout=10)
            assert rules.reason() == FULLSCREEN
            # Still fullscreen, but no longer in front (another workspace is shown).
            sway.swaymsg("workspace 2")
            assert woken.acquire(timeout=10)
            assert rules.reason() is None
            sway.swaymsg("workspace 1")
            assert woken.acquire(timeout=10)
            assert rules.reason() == FULLSCREEN
        # The fullscreen window closed: what is in front now is not fullscreen.
        assert woken.acquire(timeout=10)
        assert rules.reason() is None
        assert not woken.acquire(timeout=0.3)  # one wake per change, no more
    finally:
        rules.close()


def test_a_compositor_without_the_protocol_leaves_only_x11_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=quiet.__name__)
    compositor = IdleCompositor(2)  # offers wl_seat and ext_idle_notifier_v1 only
    rules = QuietRules(
        when_inhibited=False,
        when_fullscreen=True,
        environ={"WAYLAND_DISPLAY": str(compositor.socket), "DISPLAY": ""},
    )
    try:
        assert [rules.reason() for _ in range(3)] == [None] * 3
    finally:
        rules.close()
        compositor.stop()
    assert caplog.messages == [
        "quiet when a window is fullscreen sees only X11 windows (Xwayland's): the"
        " compositor offers no zwlr_foreign_toplevel_manager_v1"
    ]


def test_mako_do_not_disturb_is_its_mode(sway: HeadlessSway, bus: Bus) -> None:
    rules = QuietRules(when_inhibited=True, when_fullscreen=False)
    try:
        with mako(sway, bus) as env:
            assert rules.reason() is None
            makoctl(env, "mode", "-a", "do-not-disturb")
            assert "do-not-disturb" in makoctl(env, "mode")  # what its tool reports
            assert rules.reason() == "do not disturb (mako)"
            makoctl(env, "mode", "-r", "do-not-disturb")
            makoctl(env, "mode", "-a", "presentation")  # another mode is not quiet
            assert rules.reason() is None
    finally:
        rules.close()


def test_swaync_do_not_disturb_is_read_and_its_change_heard(sway: HeadlessSway, bus: Bus) -> None:
    woken = threading.Semaphore(0)
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, sources=[SwayncSource()])
    try:
        assert rules.reason() is None  # swaync not running: not quiet, and not started
        # swaync keeps its switch in GSettings (a memory backend stands in for dconf) and
        # reads its packaged configuration from /etc/xdg (the tests' own folders are empty).
        command = [require_tool("swaync", "sway-notification-center")]
        with server(
            command, sway, bus, GSETTINGS_BACKEND="memory", XDG_CONFIG_DIRS="/etc/xdg"
        ) as env:
            rules.watch(woken.release)
            assert woken.acquire(timeout=15)  # the reading at start
            assert rules.reason() is None
            assert swaync_client(env, "-dn") == "true"
            assert woken.acquire(timeout=15)
            assert swaync_client(env, "-D") == "true"
            assert rules.reason() == "do not disturb (swaync)"
            assert swaync_client(env, "-df") == "false"
            assert woken.acquire(timeout=15)
            assert rules.reason() is None
    finally:
        rules.close()


def test_the_daemon_on_sway_holds_the_reminder_over_fullscreen_and_mako(
    sway: HeadlessSway, bus: Bus, daemons: list[DaemonProcess]
) -> None:
    with mako(sway, bus) as env, recording(bus) as recorder, sway.window(FILM):
        sway.swaymsg(f'[app_id="{FILM}"] fullscreen enable')
        # The repeat after 5 min (the default): a held reminder is asked about every 15 s.
        daemon = DaemonProcess(["--set", "interval=3s", "--set", "natural_break=10m"], env=sway.env)
        daemons.append(daemon)
        daemon.wait_log("reminder held back: a fullscreen window is in front", timeout=40)
        assert "idle time from wayland" in daemon.log()  # chosen by itself, as on any sway
        assert status()["quiet"] == FULLSCREEN
        assert recorder.breakd_calls() == []
        sway.swaymsg(f'[app_id="{FILM}"] fullscreen disable')
        left = time.monotonic()
        wait_for(recorder.breakd_calls, 10, "the held reminder after fullscreen ended")
        # Well before the periodic check: the compositor's event woke the daemon.
        assert time.monotonic() - left < HOLD_CHECK_EVERY - 5
        # mako's mode, which nothing announces: read when the repeat is due, and at each
        # periodic check while it is held (as often as the repeat, here 2 s).
        makoctl(env, "mode", "-a", "do-not-disturb")
        assert breakd("set", "remind_again", "2s").returncode == 0
        daemon.wait_log("reminder held back: do not disturb (mako)", timeout=20)
        assert status()["quiet"] == "do not disturb (mako)"
        assert len(recorder.breakd_calls()) == 1
        makoctl(env, "mode", "-r", "do-not-disturb")
        wait_for(lambda: len(recorder.breakd_calls()) == 2, 10, "the repeat after mako's mode")
        assert status()["quiet"] is None
        assert daemon.stop() == 0
