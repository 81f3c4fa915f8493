"""The daemon's side of guiding a break: the window runner's child process and protocol,
the notification-guided runner's timing, and the choice between them.

The window runner is exercised here with a small stand-in program in place of the Tk
window, so each rule (relay, one window at a time, over, close, crash) is checked on
its own; the real window is driven under Xvfb in test_coach_window.py.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.daemon import wait_for

from breakd.coach.base import BreakSession, CoachStep
from breakd.coach.notification_guided import NotificationGuidedRunner
from breakd.coach.select import choose_runner, window_unavailable
from breakd.coach.window_runner import CoachWindowRunner
from breakd.content import load_exercises

pytestmark = pytest.mark.linux_desktop

SESSION = BreakSession((CoachStep("knee-press", 30), CoachStep("forward-bend", 30)), 60, 1800)

#: Stands in for the window: reads the session, does what ``mode`` says, and notes
#: every line it got in ``record`` (one JSON object per line).
CHILD = r"""
import json, os, sys, time
mode, record = sys.argv[1], sys.argv[2]
def note(message):
    with open(record, "a") as out:
        out.write(json.dumps(message) + "\n")
def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
note({"pid": os.getpid(), "start": json.loads(sys.stdin.readline())})
if mode == "relay":
    say({"event": "ready", "window": "0x1", "buttons": {"end": [1, 2, 3, 4]}})
    say({"event": "showing", "exercise": "knee-press", "index": 0, "count": 2})
    say({"event": "paused"})
    say({"event": "resumed"})
    print("this line is not JSON", flush=True)
    say({"event": "ended", "elapsed": 4.2, "exercises_done": ["knee-press"]})
elif mode == "crash-paused":
    say({"event": "paused"})
    time.sleep(0.2)
    sys.stderr.write("Traceback: something broke\n")
    sys.exit(3)
elif mode == "deaf":  # never reads its stdin again, so never sees it close
    while True:
        time.sleep(1)
for line in sys.stdin:
    note(json.loads(line))
"""


class Recorder:
    """BreakEvents that remember what they were told, from any thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self._lock = threading.Lock()

    def _add(self, name: str, ids: tuple[str, ...] = ()) -> None:
        with self._lock:
            self.calls.append((name, ids))

    def paused(self) -> None:
        self._add("paused")

    def resumed(self) -> None:
        self._add("resumed")

    def ended_early(self, exercises_done: tuple[str, ...]) -> None:
        self._add("ended", exercises_done)


def fake_runner(events: Recorder, mode: str, record: Path) -> CoachWindowRunner:
    return CoachWindowRunner(
        events, corner="top-right", command=[sys.executable, "-c", CHILD, mode, str(record)]
    )


def lines(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_window_events_reach_the_engine_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="breakd.coach.window_runner")
    events, record = Recorder(), tmp_path / "record"
    runner = fake_runner(events, "relay", record)
    runner.begin(SESSION)
    wait_for(lambda: len(events.calls) == 3, timeout=10, what="three events")
    assert events.calls == [("paused", ()), ("resumed", ()), ("ended", ("knee-press",))]
    [first] = wait_for(lambda: lines(record), timeout=5, what="the session line")
    start = first["start"]
    assert start["corner"] == "top-right"
    assert start["session"]["steps"][0] == {"exercise_id": "knee-press", "seconds": 30}
    assert abs(start["started_at"] - time.time()) < 10
    # Ended in the window: nothing for the window to say, the daemon may speak.
    assert runner.over(False, 1800) is False
    wait_for(lambda: len(lines(record)) == 2, timeout=5, what="the over command")
    assert lines(record)[1] == {"cmd": "over", "completed": False, "next_reminder_in": 1800}
    runner.close()
    assert "break window shows knee-press (1 of 2)" in caplog.text
    assert "buttons: end=1,2,3x4" in caplog.text
    assert "unexpectedly" not in caplog.text


def test_one_window_at_a_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    events, record = Recorder(), tmp_path / "record"
    runner = fake_runner(events, "wait", record)
    runner.begin(SESSION)
    wait_for(lambda: lines(record), timeout=10, what="the first window")
    runner.begin(SESSION)
    wait_for(lambda: "already open; not opening another" in caplog.text, 10, "the refusal")
    assert len([line for line in lines(record) if "pid" in line]) == 1
    # The window says "Done" itself, so the daemon need not notify; once the break is
    # over, that note makes way for the next break's window.
    assert runner.over(True, 1800) is True
    runner.begin(SESSION)
    pids = wait_for(
        lambda: [line["pid"] for line in lines(record) if "pid" in line][1:],
        timeout=10,
        what="the second window",
    )
    assert len(pids) == 1
    runner.close()


def test_close_ends_a_window_that_does_not_listen(tmp_path: Path) -> None:
    events, record = Recorder(), tmp_path / "record"
    runner = fake_runner(events, "deaf", record)
    runner.begin(SESSION)
    wait_for(lambda: lines(record), timeout=10, what="the window")
    child = runner._child
    assert child is not None
    began = time.monotonic()
    runner.close()
    assert time.monotonic() - began < 5
    assert child.process.poll() is not None
    assert runner.over(True, 60) is False  # harmless after close: no window said it
    runner.close()


def test_a_crash_is_logged_once_and_releases_a_pause(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events, record = Recorder(), tmp_path / "record"
    runner = fake_runner(events, "crash-paused", record)
    runner.begin(SESSION)
    wait_for(lambda: ("resumed", ()) in events.calls, timeout=10, what="the released hold")
    assert events.calls == [("paused", ()), ("resumed", ())]
    crashes = [r for r in caplog.records if "stopped unexpectedly" in r.getMessage()]
    assert len(crashes) == 1
    assert crashes[0].levelno == logging.ERROR
    assert "exit code 3" in crashes[0].getMessage()
    assert "something broke" in crashes[0].getMessage()
    runner.close()


def test_a_window_program_that_cannot_start_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    runner = CoachWindowRunner(Recorder(), command=["/nonexistent/breakd-window"])
    runner.begin(SESSION)
    assert runner.over(True, 60) is False  # no window: the daemon's notification says it
    runner.close()
    assert "the break window cannot start" in caplog.text


def test_unknown_corner_is_refused() -> None:
    with pytest.raises(ValueError, match="corner"):
        CoachWindowRunner(Recorder(), corner="middle")


# --- guided by notifications ----------------------------------------------------------


class Told:
    name = "fake"

    def __init__(self) -> None:
        self.messages: list[tuple[float, str, str]] = []

    def tell(self, title: str, body: str) -> None:
        self.messages.append((time.monotonic(), title, body))

    def show_reminder(self, reminder: object) -> None:
        pass

    def withdraw_reminder(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_one_notification_per_exercise_on_time() -> None:
    exercises = {e.id: e for e in load_exercises().exercises}
    notifier = Told()
    runner = NotificationGuidedRunner(notifier, exercises=lambda: exercises)
    session = BreakSession((CoachStep("knee-press", 0.3), CoachStep("forward-bend", 0.6)), 0.9, 60)
    began = time.monotonic()
    runner.begin(session)
    wait_for(lambda: len(notifier.messages) == 2, timeout=5, what="two notifications")
    (t1, title1, body1), (t2, title2, body2) = notifier.messages
    assert (title1, body1) == (
        f"{exercises['knee-press'].title} (1 of 2)",
        exercises["knee-press"].cue,
    )
    assert title2 == f"{exercises['forward-bend'].title} (2 of 2)"
    assert body2 == exercises["forward-bend"].cue
    assert t1 - began < 0.2 and 0.25 < t2 - began < 1.0
    runner.over(True, 60)
    runner.close()


def test_over_cancels_the_exercises_still_to_come() -> None:
    notifier = Told()
    runner = NotificationGuidedRunner(notifier, exercises=dict)
    runner.begin(BreakSession((CoachStep("a", 0.3), CoachStep("b", 0.3)), 0.6, 60))
    wait_for(lambda: notifier.messages, timeout=5, what="the first notification")
    runner.over(False, 60)
    time.sleep(0.6)  # the moment the cancelled exercise was due passes: the point of the test
    assert [title for _, title, _ in notifier.messages] == ["a (1 of 2)"]
    # A new break starts afresh, and close stops it too.
    runner.begin(BreakSession((CoachStep("c", 5),), 5, 60))
    wait_for(lambda: len(notifier.messages) == 2, timeout=5, what="the next break")
    began = time.monotonic()
    runner.close()
    assert time.monotonic() - began < 1


# --- the choice -------------------------------------------------------------------------


class LogNotifier(Told):
    name = "log"


def test_a_display_and_tk_give_the_window() -> None:
    runner, notes = choose_runner(Recorder(), Told(), environ={"DISPLAY": ":0"}, platform="linux")
    assert runner.name == "window" and notes == []
    for platform in ("win32", "darwin"):
        runner, notes = choose_runner(Recorder(), Told(), environ={}, platform=platform)
        assert runner.name == "window"


def test_no_display_gives_notifications_and_says_why() -> None:
    runner, notes = choose_runner(Recorder(), Told(), environ={}, platform="linux")
    assert runner.name == "notifications"
    assert notes == [
        "break window off: no display (DISPLAY is not set); each exercise of a break comes"
        " as a notification"
    ]
    _, notes = choose_runner(Recorder(), LogNotifier(), environ={}, platform="linux")
    assert notes == [
        "break window off: no display (DISPLAY is not set); each exercise of a break goes"
        " to the log"
    ]


def test_wayland_alone_cannot_show_tk() -> None:
    reason = window_unavailable({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert reason is not None and "Xwayland" in reason


def test_no_tkinter_gives_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "_tkinter", None)  # as if python3-tk were missing
    runner, notes = choose_runner(Recorder(), Told(), environ={"DISPLAY": ":0"}, platform="linux")
    assert runner.name == "notifications"
    assert "tkinter is not available" in notes[0] and "python3-tk" in notes[0]
