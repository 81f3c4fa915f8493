"""Every control command against the real daemon, through the real socket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.daemon import DaemonProcess, breakd, breakd_into_closed_pipe, query, status, wait_for

from breakd.commands import COMMANDS, CommandHandler
from breakd.config import user_config_file
from breakd.control.paths import socket_path
from breakd.daemon import Daemon

pytestmark = pytest.mark.linux_desktop

FAST = ["--set", "interval=1h", "--set", "breaks.length=10s", "--set", "natural_break=10m"]


@pytest.fixture
def daemon() -> Iterator[DaemonProcess]:
    running = DaemonProcess(FAST)
    running.wait_log("breakd started")
    wait_for(lambda: breakd("status").returncode == 0, what="the control socket")
    yield running
    if running.alive():
        running.kill()


def test_every_command_is_handled() -> None:
    handler = CommandHandler(cast(Daemon, None))
    assert handler.commands == COMMANDS


def test_status_when_nothing_runs_exits_3() -> None:
    result = breakd("status")
    assert result.returncode == 3
    assert "breakd is not running; start it with `breakd start`" in result.stderr


def test_second_daemon_refuses_politely(daemon: DaemonProcess) -> None:
    breakd("snooze", "15m")
    before = status()
    second = subprocess.run(
        [sys.executable, "-m", "breakd", *FAST], capture_output=True, text=True, timeout=30
    )
    assert second.returncode == 0
    assert second.stdout.strip() == f"breakd is already running (pid {daemon.pid})"
    after = status()
    assert daemon.alive()
    assert after["snoozed_until"] == before["snoozed_until"]


def test_status_shows_the_state(daemon: DaemonProcess) -> None:
    shown = status()
    assert shown["state"] == "counting"
    assert shown["interval_seconds"] == 3600
    assert shown["next_reminder_in"] <= 3600
    today = shown["today"]
    assert today["breaks"] == 0 and today["natural_breaks"] == 0
    assert today["longest_stretch"] == pytest.approx(shown["sitting_seconds"], abs=2)
    assert today["sitting_seconds"] == pytest.approx(shown["sitting_seconds"], abs=2)
    text = breakd("status").stdout
    assert "Sitting for" in text and "Next reminder in" in text
    assert "Today: 0 min sitting · 0 breaks · longest stretch 0 min" in text


def test_break_snooze_pause_resume_and_set(daemon: DaemonProcess) -> None:
    assert breakd("break").returncode == 0
    assert status()["state"] == "break"
    second = breakd("break")
    assert second.returncode == 1 and "already running" in second.stderr
    # The break is written when it starts ('running') and gets its end when it is over.
    assert query("SELECT kind, trigger FROM breaks") == [("running", "cli")]
    wait_for(
        lambda: query("SELECT kind FROM breaks WHERE kind != 'running'"),
        timeout=30,
        what="the break",
    )
    assert query("SELECT kind, trigger FROM breaks") == [("completed", "cli")]

    assert breakd("snooze", "15m").returncode == 0
    assert status()["state"] == "snoozed"
    [(action, until, at)] = query("SELECT action, until, at FROM actions")
    assert action == "snooze" and until - at == pytest.approx(900, abs=1)

    assert breakd("pause", "2h").returncode == 0
    paused = status()
    assert paused["state"] == "paused" and paused["paused_until"]
    assert breakd("pause", "tomorrow").returncode == 0
    assert breakd("resume").returncode == 0
    assert status()["state"] in ("counting", "snoozed")
    assert [a for (a,) in query("SELECT action FROM actions ORDER BY id")] == [
        "snooze",
        "pause",
        "pause",
        "resume",
    ]

    assert breakd("set", "interval", "45m").returncode == 0
    assert status()["interval_seconds"] == 45 * 60
    saved = tomllib.loads(user_config_file().read_text())
    assert saved["reminders"]["interval"] == "45m"
    assert query("SELECT key, new, source FROM setting_changes") == [("interval", "2700.0", "cli")]


def test_bad_arguments_name_the_argument(daemon: DaemonProcess) -> None:
    result = breakd("snooze", "soon")
    assert result.returncode == 2
    assert "duration" in result.stderr and "30m" in result.stderr
    result = breakd("set", "colour", "red")
    assert result.returncode == 2 and "invalid choice" in result.stderr
    assert breakd("resume").returncode == 1
    assert daemon.alive()


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("interval", "15", "reminders.interval"),
        ("interval", "0s", "reminders.interval"),
        ("length", "forever", "breaks.length"),
        ("exercises", "sideways", "breaks.exercises"),
    ],
)
def test_a_value_the_daemon_refuses_is_a_bad_argument_and_changes_nothing(
    daemon: DaemonProcess, key: str, value: str, named: str
) -> None:
    before = status()
    result = breakd("set", key, value)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "allowed" in result.stderr
    assert not user_config_file().exists()
    assert query("SELECT key FROM setting_changes") == []
    assert status()["interval_seconds"] == before["interval_seconds"]
    assert daemon.alive()


def test_status_into_a_closed_pipe_ends_quietly(daemon: DaemonProcess) -> None:
    """``breakd status | head -1``: no traceback, the status of a program ended by SIGPIPE."""
    result = breakd_into_closed_pipe("status")
    assert result.returncode == 141
    assert result.stderr == ""
    assert daemon.alive()


HUGE = ["99999999999h", "9" * 400 + "s", "8761h", "25h"]


@pytest.mark.parametrize("command", ["snooze", "pause"])
def test_a_duration_past_its_bound_is_refused_whole_and_changes_nothing(
    daemon: DaemonProcess, command: str
) -> None:
    """Issue 17.4: a huge duration used to half-apply, write nothing and break status."""
    bound = "24h" if command == "snooze" else "a year"
    before = status()
    for duration in HUGE:
        if command == "pause" and duration == "25h":
            continue  # a 25-hour pause is fine
        result = breakd(command, duration)
        assert result.returncode == 2, (duration, result.stderr)
        assert f"at most {bound}" in result.stderr, result.stderr
        assert len(result.stderr) < 300, "the message repeats a 400-digit argument"
        after = status()  # still answers
        assert after["state"] == before["state"] == "counting"
        assert after["snoozed_until"] is None and not after["paused"]
    assert query("SELECT * FROM actions") == []
    # The bound itself is allowed and fully applied: in force and in history.
    assert breakd(command, "24h").returncode == 0
    assert status()["state"] == ("snoozed" if command == "snooze" else "paused")
    [(action, until, at)] = query("SELECT action, until, at FROM actions")
    assert action == command and until - at == pytest.approx(24 * 3600, abs=2)
    help_text = breakd("--help").stdout
    assert "at most 24h" in help_text and "at most a year" in help_text
    assert daemon.alive()


def test_a_setting_past_the_schema_bound_is_refused_and_changes_nothing(
    daemon: DaemonProcess,
) -> None:
    for value in ("99999999999h", "9" * 400 + "s", "25h"):
        result = breakd("set", "interval", value)
        assert result.returncode == 2 and "to 24h" in result.stderr, result.stderr
        assert len(result.stderr) < 300
        assert status()["interval_seconds"] == 3600
    assert query("SELECT * FROM setting_changes") == []
    assert not user_config_file().exists()
    assert daemon.alive()


def test_quit_stops_cleanly(daemon: DaemonProcess) -> None:
    result = breakd("quit")
    assert result.returncode == 0 and "stopping" in result.stdout
    assert daemon.process.wait(10) == 0
    assert "stopping: asked to quit over the control channel" in daemon.log()
    [(reason,)] = query("SELECT end_reason FROM stretches")
    assert reason == "shutdown"
    assert not socket_path().exists()


def send_raw(payload: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(socket_path()))
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payload=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["v", "id", "cmd", "args", "x"]),
            st.one_of(
                st.integers(-3, 3),
                st.sampled_from([*COMMANDS, "ping", "nope"]),
                st.dictionaries(st.sampled_from(["duration", "key", "value"]), st.text(max_size=8)),
                st.none(),
            ),
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_fuzzed_requests_never_kill_the_daemon(daemon: DaemonProcess, payload: bytes) -> None:
    if b"quit" in payload:
        payload = payload.replace(b"quit", b"qui7")
    reply = send_raw(payload.replace(b"\n", b" ") + b"\n")
    for line in reply.splitlines():
        answer = json.loads(line)
        assert answer["v"] == 1 and isinstance(answer["ok"], bool)
    assert daemon.alive()
    assert status()["state"] in ("counting", "due", "snoozed", "paused", "break", "away")


def test_a_request_while_the_daemon_is_still_starting_gets_busy() -> None:
    """The socket opens before the daemon exists (to claim the single instance)."""
    from breakd.app import DaemonPort, open_control_channel
    from breakd.control.client import ControlError, request

    server = open_control_channel(DaemonPort())
    assert server is not None
    try:
        # The client asks again for a while (busy means nothing was done), then gives up.
        with pytest.raises(ControlError, match="still starting") as raised:
            request("status", timeout=1.0)
        assert raised.value.code == "busy"
    finally:
        server.stop()


def test_posture_standing_shows_in_status_and_in_todays_standing_time() -> None:
    """A sit-stand desk: `breakd posture standing`, then the status and a stats day say so."""
    running = DaemonProcess([*FAST, "--set", "posture.desk=sit-stand"])
    try:
        running.wait_log("breakd started")
        wait_for(lambda: breakd("status").returncode == 0, what="the control socket")
        wait_for(lambda: status()["state"] == "counting", what="a sitting stretch")
        told = breakd("posture", "standing")
        assert told.returncode == 0, told.stderr
        shown = status()
        assert shown["posture"] == "standing"
        assert "Standing" in breakd("status").stdout
        wait_for(
            lambda: (status()["today"] or {}).get("standing_seconds", 0) >= 1,
            what="standing time in today's figures",
        )
        wait_for(lambda: breakd("stats", "--json").returncode == 0, what="breakd stats")
        days = json.loads(breakd("stats", "--json").stdout)["days"]
        assert days[-1]["standing_seconds"] > 0
        assert "Standing" in breakd("stats", "--days", "1").stdout.splitlines()[2]
        # The walking-break and posture settings change while breakd runs.
        assert shown["next_break"] == "exercise"
        assert breakd("set", "long_every", "1").returncode == 0
        assert breakd("set", "long_length", "3m").returncode == 0
        assert breakd("set", "stand_for", "15m").returncode == 0
        shown = status()
        assert (shown["next_break"], shown["next_break_seconds"]) == ("walking", 180)
        assert "The next break is a walk of 3 min." in breakd("status").stdout
        wrong = breakd("set", "long_every", "21")
        assert wrong.returncode == 2 and "from 0 to 20" in wrong.stderr
        saved = tomllib.loads(user_config_file().read_text())
        assert saved["breaks"] == {"long_every": 1, "long_length": "3m"}
        assert saved["posture"] == {"stand_for": "15m"}
        assert breakd("posture", "sitting").returncode == 0
        assert status()["posture"] == "sitting"
        wrong = breakd("posture", "lying")
        assert wrong.returncode == 2 and status()["posture"] == "sitting"
    finally:
        if running.alive():
            running.kill()


def test_posture_is_refused_with_a_fixed_desk(daemon: DaemonProcess) -> None:
    wait_for(lambda: status()["state"] == "counting", what="a sitting stretch")
    refused = breakd("posture", "standing")
    assert refused.returncode == 1 and 'desk is set to "sitting"' in refused.stderr
    assert status()["posture"] == "sitting"
