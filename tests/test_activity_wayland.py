"""Idle time on a wlroots desktop: real headless sway 1.7 (``org_kde_kwin_idle``) and
real key presses from wtype, both to the monitor alone and to the running daemon; and
``ext_idle_notifier_v1``, which no Debian 12 compositor offers, from a small test
compositor speaking the wire format (``support.idle_compositor``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from support.daemon import DaemonProcess, query, wait_for
from support.idle_compositor import IdleCompositor
from support.sway import HeadlessSway, running_sway

from breakd.activity.base import IdleUnavailable
from breakd.activity.select import choose_idle_monitor
from breakd.activity.wayland import KDE_IDLE, WaylandIdleMonitor

pytestmark = [pytest.mark.linux_desktop, pytest.mark.slow]


@pytest.fixture
def sway() -> Iterator[HeadlessSway]:
    with running_sway() as compositor:
        yield compositor


def test_idle_after_the_timeout_and_active_again_on_typing(sway: HeadlessSway) -> None:
    monitor = WaylandIdleMonitor(environ=sway.env, timeout=1.0)
    try:
        assert monitor.protocol == KDE_IDLE  # what sway 1.7 offers
        sway.type()
        assert wait_for(lambda: monitor.idle_seconds() == 0.0, what="active after typing")
        # Nobody types: the compositor says idle after the timeout, counted from the input.
        idle = wait_for(lambda: monitor.idle_seconds(), 15, "idle after the timeout")
        assert idle >= 1.0
        time.sleep(1.0)  # time passing while idle is the point
        assert monitor.idle_seconds() >= idle + 1.0
        pressed = time.monotonic()
        sway.type("x")
        wait_for(lambda: monitor.idle_seconds() < 1.0, 15, "active again after typing")
        # Counted from the key press ("resumed"), as an X11 counter would be, not 0.
        reading = monitor.idle_seconds()
        assert 0.0 < reading <= time.monotonic() - pressed
    finally:
        monitor.close()
    with pytest.raises(IdleUnavailable):
        monitor.idle_seconds()
    monitor.close()  # idempotent


def test_a_compositor_that_goes_away_is_reported_not_hidden(sway: HeadlessSway) -> None:
    monitor = WaylandIdleMonitor(environ=sway.env)
    try:
        sway.stop()

        def failed() -> bool:
            try:
                monitor.idle_seconds()
            except IdleUnavailable:
                return True
            return False

        wait_for(failed, 15, "idle_seconds to raise once sway is gone")
    finally:
        monitor.close()


def test_no_wayland_session_is_unavailable() -> None:
    with pytest.raises(IdleUnavailable, match="WAYLAND_DISPLAY"):
        WaylandIdleMonitor(environ={})
    with pytest.raises(IdleUnavailable, match="cannot connect"):
        WaylandIdleMonitor(environ={"WAYLAND_DISPLAY": "/nonexistent/wayland-9"})


def test_sway_session_chooses_wayland_and_says_so_once(
    sway: HeadlessSway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="breakd.activity.select")
    # DISPLAY names an X server (Xwayland's, say): still never the X11 counter.
    environ = {**sway.env, "DISPLAY": ":99", "DBUS_SESSION_BUS_ADDRESS": ""}
    monitor, notes = choose_idle_monitor(environ=environ, platform="linux")
    try:
        assert monitor.name == "wayland"
        assert notes == []
        chosen = [r.getMessage() for r in caplog.records if "idle time from" in r.getMessage()]
        assert chosen == [
            "activity: idle time from wayland (org_kde_kwin_idle), for a Wayland session"
            " of sway (X11 idle time through Xwayland is not used)"
        ]
    finally:
        monitor.close()


def test_daemon_on_sway_records_a_natural_break_and_a_new_stretch_from_typing(
    sway: HeadlessSway, daemons: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    sway.type()
    daemon = DaemonProcess(["--set", "natural_break=10s", "--set", "interval=1h"], env=sway.env)
    daemons.append(daemon)
    daemon.wait_log("idle source wayland", timeout=30)
    assert "idle time from wayland (org_kde_kwin_idle)" in daemon.log()
    wait_for(lambda: query("SELECT * FROM stretches"), what="a first stretch")
    # Nobody types: after 10 s without input the stretch ends.
    [(_started, ended, reason)] = wait_for(
        lambda: query("SELECT started_at, ended_at, end_reason FROM stretches WHERE ended_at"),
        timeout=40,
        what="the stretch to end",
    )
    assert reason == "natural-break"
    assert query("SELECT * FROM breaks") == []  # a break only once the user is back
    typed_at = time.time()
    sway.type("back")
    [(kind, trigger, away_from, away_to)] = wait_for(
        lambda: query("SELECT kind, trigger, started_at, ended_at FROM breaks"),
        timeout=20,
        what="the natural break after typing",
    )
    assert (kind, trigger) == ("natural", "idle")
    assert away_from == pytest.approx(ended, abs=1.0)
    assert away_to - away_from >= 10
    stretches = query("SELECT started_at, ended_at FROM stretches ORDER BY id")
    assert len(stretches) == 2 and stretches[1][1] is None
    # The new stretch starts at the key press ("resumed"), not at the daemon's next look
    # at idle time, which comes up to 5 s later while the user is away.
    assert stretches[1][0] == pytest.approx(typed_at, abs=1.0)
    assert away_to == pytest.approx(typed_at, abs=1.0)
    assert daemon.stop() == 0


@pytest.mark.parametrize(("version", "opcode", "protocol"), [
    (2, 2, "ext_idle_notifier_v1 v2 (input)"),
    (1, 1, "ext_idle_notifier_v1"),
])  # fmt: skip
def test_ext_idle_notify_is_preferred_with_the_input_only_request_of_version_2(
    version: int, opcode: int, protocol: str
) -> None:
    compositor = IdleCompositor(version)
    try:
        monitor = WaylandIdleMonitor(environ={"WAYLAND_DISPLAY": str(compositor.socket)})
        try:
            assert monitor.protocol == protocol
            assert compositor.requests == [(opcode, 5000)]
            assert monitor.idle_seconds() == 0.0
            compositor.idle()
            # Idle since the timeout before the event: the engine sees X11-like seconds.
            assert wait_for(monitor.idle_seconds, what="idle after the idled event") >= 5.0
            compositor.resume()
            # Back: counted from the "resumed" event, no longer from the last idle start.
            wait_for(lambda: monitor.idle_seconds() < 1.0, what="active after resumed")
        finally:
            monitor.close()
    finally:
        compositor.stop()
