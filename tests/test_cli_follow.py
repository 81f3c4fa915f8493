"""``breakd status --follow`` against the real daemon, through the real socket.

The daemon pushes a line at once and one whenever what a status line shows changes;
the follower never asks again. Each test runs real processes and waits on what they
print; only the test of a minute of sitting waits for time itself to pass.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.daemon import DaemonProcess, breakd

from breakd.cli.control import follow_line, waybar_line
from breakd.control.client import request
from breakd.control.paths import socket_path
from breakd.control.protocol import decode_event, decode_reply, encode_request
from breakd.feed import MAX_FOLLOWERS

pytestmark = pytest.mark.linux_desktop

#: A long interval and snooze, so nothing changes unless a test makes it change.
QUIET = ["--set", "interval=1h", "--set", "activity.idle_source=always-present"]
#: Generous: a slow, busy machine still answers well within it.
WAIT = 20.0


class Follower:
    """One ``breakd status --follow`` process; its lines arrive on a queue as printed."""

    def __init__(self, *flags: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "breakd", "status", "--follow", *flags],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = WAIT) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout:g} s") from None

    def next_status(self, timeout: float = WAIT) -> dict[str, Any]:
        return dict(json.loads(self.next_line(timeout)))

    def wait_for_state(self, state: str, timeout: float = WAIT) -> dict[str, Any]:
        """The first line showing ``state`` (earlier lines are passed over)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next_status(max(0.1, deadline - time.monotonic()))
            if line["state"] == state:
                return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture
def followers() -> Iterator[list[Follower]]:
    started: list[Follower] = []
    yield started
    for follower in started:
        follower.stop()


def start_daemon(daemons: list[DaemonProcess], *args: str) -> DaemonProcess:
    daemon = DaemonProcess([*QUIET, *args])
    daemons.append(daemon)
    daemon.wait_ready()
    return daemon


def follow(followers: list[Follower], *flags: str) -> Follower:
    follower = Follower(*flags)
    followers.append(follower)
    return follower


def test_a_line_at_once_then_one_per_change(
    daemons: list[DaemonProcess], followers: list[Follower]
) -> None:
    start_daemon(daemons)
    follower = follow(followers, "--json")
    first = follower.next_status()
    assert first["state"] == "counting"
    assert first["text"].startswith("Sitting")
    assert set(first) >= {"sitting_seconds", "next_reminder_in", "today", "percentage"}

    assert breakd("snooze", "1m").returncode == 0
    assert follower.next_status()["state"] == "snoozed"
    assert breakd("pause", "30m").returncode == 0
    paused = follower.next_status()
    assert paused["state"] == "paused"
    assert paused["text"].startswith("Paused until ")
    assert breakd("resume").returncode == 0
    assert follower.next_status()["state"] in ("counting", "snoozed")
    # A command that changes nothing shown pushes nothing.
    assert breakd("status").returncode == 0
    assert breakd("pause").returncode == 0
    assert follower.next_status()["state"] == "paused"


def test_text_and_waybar_lines(daemons: list[DaemonProcess], followers: list[Follower]) -> None:
    start_daemon(daemons)
    text = follow(followers)
    waybar = follow(followers, "--format", "waybar")
    assert text.next_line().startswith("Sitting less than a minute · next break in ")
    module = json.loads(waybar.next_line())
    assert set(module) == {"text", "tooltip", "class", "percentage"}
    assert module["class"] == "counting"
    assert "Activity from: always-present" in module["tooltip"]
    assert breakd("pause").returncode == 0
    assert text.next_line() == "Paused"
    assert json.loads(waybar.next_line())["class"] == "paused"


def test_a_minute_of_sitting_brings_a_line(
    daemons: list[DaemonProcess], followers: list[Follower]
) -> None:
    """Time passing is the point here: the feed looks again at the next whole minute,
    with no command and nothing else happening."""
    start_daemon(daemons)
    follower = follow(followers, "--json")
    first = follower.next_status()
    to_next_minute = 60 - first["sitting_seconds"] % 60
    later = follower.next_status(timeout=to_next_minute + WAIT)
    assert later["state"] == "counting"
    assert later["sitting_seconds"] // 60 == first["sitting_seconds"] // 60 + 1
    assert later["text"].startswith("Sitting 1 min")


def test_the_follower_ends_with_exit_3_when_the_daemon_stops(
    daemons: list[DaemonProcess], followers: list[Follower]
) -> None:
    daemon = start_daemon(daemons)
    follower = follow(followers)
    follower.next_line()
    assert breakd("quit").returncode == 0
    assert follower.process.wait(WAIT) == 3
    assert follower.process.stderr is not None
    assert follower.process.stderr.read().strip() == (
        "breakd: breakd stopped; `breakd start` starts it again"
    )
    assert daemon.process.wait(WAIT) == 0


def test_following_nothing_exits_3() -> None:
    result = breakd("status", "--follow")
    assert result.returncode == 3
    assert "breakd is not running" in result.stderr


def test_a_follower_whose_reader_went_away_ends_quietly(daemons: list[DaemonProcess]) -> None:
    """``breakd status --follow | head -1``: the next line fails to go out, and the
    follower ends as every breakd command does when its reader is gone."""
    start_daemon(daemons)
    read_end, write_end = os.pipe()
    follower = subprocess.Popen(
        [sys.executable, "-m", "breakd", "status", "--follow"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline().startswith(b"Sitting")
        assert breakd("pause").returncode == 0  # the next line has nowhere to go
        assert follower.wait(WAIT) == 141
        assert follower.stderr is not None
        assert follower.stderr.read() == ""
    finally:
        if follower.poll() is None:
            follower.kill()


def subscribe_raw(receive_buffer: int | None = None) -> socket.socket:
    """A follower at the socket level, which reads only what the test asks it to."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(WAIT)
    sock.connect(str(socket_path()))
    sock.sendall(encode_request("subscribe", request_id=1))
    return sock


def read_lines(sock: socket.socket, count: int) -> list[bytes]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        assert chunk, "the daemon closed the connection"
        data += chunk
    return data.split(b"\n")[:count]


def test_the_protocol_a_reply_then_status_events(daemons: list[DaemonProcess]) -> None:
    start_daemon(daemons)
    sock = subscribe_raw()
    try:
        reply_line, event_line = read_lines(sock, 2)
        reply = decode_reply(reply_line)
        assert (reply.ok, reply.id, reply.result) == (True, 1, {"following": "status"})
        event = decode_event(event_line)
        assert event.kind == "status"
        assert event.body["state"] == "counting"
    finally:
        sock.close()


def test_a_follower_that_stops_reading_is_dropped_and_holds_nobody_up(
    daemons: list[DaemonProcess], followers: list[Follower]
) -> None:
    daemon = start_daemon(daemons)
    stalled = subscribe_raw(receive_buffer=4096)
    reading = follow(followers, "--json")
    try:
        reading.next_status()
        text = "dropped a `breakd status --follow`"
        changes = 0
        while daemon.log().count(text) == 0:
            assert changes < 2000, "the follower that stopped reading was never dropped"
            started = time.monotonic()
            request("pause" if changes % 2 == 0 else "resume")
            changes += 1
            # The daemon keeps answering at its usual pace while a follower stalls.
            assert time.monotonic() - started < 5.0
        assert breakd("status").returncode == 0
        # The reader that kept reading got every change, in order, and nothing else.
        seen = [reading.next_status()["state"] for _ in range(changes)]
        assert seen == ["paused" if n % 2 == 0 else "counting" for n in range(changes)]
        # The stalled one gets what was buffered, then the end of the stream.
        stalled.settimeout(WAIT)
        while stalled.recv(65536):
            pass
    finally:
        stalled.close()


def test_followers_over_the_cap_are_told_to_try_later(daemons: list[DaemonProcess]) -> None:
    start_daemon(daemons)
    socks = [subscribe_raw() for _ in range(MAX_FOLLOWERS)]
    try:
        for sock in socks:
            reply, _event = read_lines(sock, 2)
            assert decode_reply(reply).ok
        extra = subscribe_raw()
        try:
            refusal = decode_reply(read_lines(extra, 1)[0])
            assert (refusal.ok, refusal.error_code) == (False, "busy")
        finally:
            extra.close()
        # The commands still get through beside a full house of followers.
        assert breakd("status").returncode == 0
    finally:
        for sock in socks:
            sock.close()


def context_switches(pid: int) -> int:
    """How often the daemon's threads went to sleep waiting for something, so far."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except OSError:
            continue  # a thread that just ended
        for line in text.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def test_twenty_followers_wake_the_daemon_no_more_than_one(
    daemons: list[DaemonProcess], followers: list[Follower]
) -> None:
    """Followers wait for pushes, and one snapshot and one line serve them all: with
    twenty, the daemon's threads go to sleep (and so wake) as often as with one, over
    the same changes. Measured in sleeps (/proc's voluntary context switches), not in
    time, so a slow machine changes nothing; the spans are where time passing is the
    point: a follower that polled would show there."""
    daemon = start_daemon(daemons)
    followers.append(Follower("--json"))

    def wakes_while_changing(newcomers: list[Follower]) -> int:
        for follower in newcomers:
            follower.next_status()  # each has its first line: the subscriptions are done
        before = context_switches(daemon.pid)
        for command in ("pause", "resume"):
            request(command)
            for follower in followers:
                follower.next_status()
        time.sleep(5.0)
        return context_switches(daemon.pid) - before

    with_one = wakes_while_changing(followers[:])
    newcomers = [Follower("--json") for _ in range(19)]
    followers.extend(newcomers)
    with_twenty = wakes_while_changing(newcomers)
    # Twenty followers that each cost a wake-up a second would add a hundred here.
    assert with_twenty <= 2 * with_one + 10, (with_one, with_twenty)


def test_the_line_forms_from_one_status() -> None:
    status = {
        "state": "snoozed",
        "sitting_seconds": 1500.0,
        "snoozed_until": "2026-03-02T16:05:12+01:00",
        "next_reminder_in": 290.0,
        "next_reminder_at": "2026-03-02T16:10:02+01:00",
        "interval_seconds": 1800.0,
        "paused_until": None,
        "break_remaining": None,
        "today": None,
        "idle_source": "x11",
        "notifier": "freedesktop",
    }
    assert follow_line(status, "text") == "Sitting 25 min · snoozed until 16:05"
    as_json = json.loads(follow_line(status, "json"))
    assert as_json["percentage"] == 83
    assert as_json["text"] == "Sitting 25 min · snoozed until 16:05"
    assert json.loads(waybar_line(status))["class"] == "snoozed"
