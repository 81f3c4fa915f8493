"""Calls detected on a real PulseAudio: a capture from the microphone is a call; a
capture from a sink's monitor and a level meter are not; no server is one log line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support.calls import Events
from support.daemon import wait_for
from support.pulse import MICROPHONE, SPEAKERS, PulseServer, pulse, stop

from breakd.activity.calls.pulse import CaptureStream, PulseCallWatcher, is_call_stream

__all__ = ["pulse"]  # the fixture

pytestmark = pytest.mark.linux_desktop


def test_which_capture_streams_are_calls() -> None:
    assert is_call_stream(CaptureStream("alsa_input.usb-mic", False, None))
    assert is_call_stream(CaptureStream("mic", False, "speex-float-1", "us.zoom.Zoom"))
    assert not is_call_stream(CaptureStream("alsa_output.pci.monitor", True, None))
    assert not is_call_stream(CaptureStream("speakers.monitor", False, None))
    assert not is_call_stream(CaptureStream("mic", False, "peaks"))
    assert not is_call_stream(CaptureStream("mic", False, None, "org.PulseAudio.pavucontrol"))


def test_the_microphone_is_a_call_a_monitor_and_a_meter_are_not(pulse: PulseServer) -> None:
    import pulsectl

    events = Events()
    watcher = PulseCallWatcher(events)
    assert watcher.start(), watcher.reason
    meter_done = threading.Event()

    def meter() -> None:
        # A real peak-detect stream on the microphone, as pavucontrol's level bars open.
        with pulsectl.Pulse("meter", server=pulse.address) as client:
            while not meter_done.is_set():
                client.get_peak_sample(MICROPHONE, 0.5)

    try:
        monitor = pulse.record(f"{SPEAKERS}.monitor")
        thread = threading.Thread(target=meter, daemon=True)
        thread.start()
        wait_for(lambda: pulse.capture_streams() == 2, what="the monitor capture and the meter")
        call = pulse.record(MICROPHONE)
        wait_for(lambda: events.now() == [True], what="the call to be seen")
        stop(call)
        # Only the monitor and the meter still capture: that is no call.
        wait_for(lambda: events.now() == [True, False], what="the call's end to be seen")
        assert watcher.in_call is False
        stop(monitor)
        meter_done.set()
        thread.join(10)
    finally:
        meter_done.set()
        watcher.stop()


def test_a_call_under_way_at_start_is_reported_at_once(pulse: PulseServer) -> None:
    pulse.record(MICROPHONE)
    wait_for(lambda: pulse.capture_streams() == 1, what="the call's stream")
    events = Events()
    watcher = PulseCallWatcher(events)
    try:
        assert watcher.start()
        assert events.now() == [True]
    finally:
        watcher.stop()


def test_no_sound_server_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "breakd.activity.calls")
    watcher = PulseCallWatcher(lambda _: None, environ={"PULSE_SERVER": "unix:/nonexistent/pa"})
    assert watcher.start() is False
    assert watcher.reason is not None and "no sound server" in watcher.reason
    assert [r.getMessage() for r in caplog.records] == [
        f"calls are not detected from the microphone: {watcher.reason}"
    ]
    watcher.stop()


def test_the_users_socket_is_found_without_pulse_server(
    pulse: PulseServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual session: no PULSE_SERVER, the server's socket in XDG_RUNTIME_DIR."""
    runtime = tmp_path / "runtime"
    (runtime / "pulse").mkdir(parents=True, mode=0o700)
    (runtime / "pulse" / "native").symlink_to(pulse.address.removeprefix("unix:"))
    monkeypatch.delenv("PULSE_SERVER")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    pulse.record(MICROPHONE)
    wait_for(lambda: pulse.capture_streams() == 1, what="the call's stream")
    events = Events()
    watcher = PulseCallWatcher(events, environ={"XDG_RUNTIME_DIR": str(runtime)})
    try:
        assert watcher.start(), watcher.reason
        assert events.now() == [True]
    finally:
        watcher.stop()


def test_without_a_server_socket_libpulse_is_not_loaded(tmp_path: Path) -> None:
    """Nothing to ask: pulsectl and libpulse stay out of the daemon's memory."""
    code = (
        "import sys; from breakd.activity.calls.pulse import PulseCallWatcher;"
        f" w = PulseCallWatcher(lambda _: None, environ={{'XDG_RUNTIME_DIR': {str(tmp_path)!r}}});"
        " w.start(); maps = open('/proc/self/maps').read();"
        " print(w.reason is None, 'pulsectl' in sys.modules, maps.count('libpulse'));"
        " print(w.reason)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PULSE_SERVER"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    first, reason = done.stdout.splitlines()
    assert first == "False False 0"
    assert reason.startswith("no sound server (no socket at ") and str(tmp_path) in reason
