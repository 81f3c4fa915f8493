"""What the daemon and its break-window process say to each other: JSON, one per line.

The window runs in a process of its own (so Tk can never block the daemon, and so it
gets the main thread it needs on macOS). The daemon writes the session as the first
line of the child's stdin, then commands; the child answers with events on stdout.

Daemon to window (stdin)::

    {"session": {"steps": [{"exercise_id": "knee-press", "seconds": 30.0}, ...],
                 "length_seconds": 120.0, "interval_seconds": 1800.0,
                 "break_type": "exercise"},
     "corner": "bottom-right", "started_at": <time.time() when the break began>}
    {"cmd": "over", "completed": true, "next_reminder_in": 1800.0}

Window to daemon (stdout)::

    {"event": "ready", "window": "0x1e00003", "buttons": {"next": [x, y, w, h], ...}}
    {"event": "showing", "exercise": "knee-press", "index": 0, "count": 4}
    {"event": "paused"}
    {"event": "resumed"}
    {"event": "ended", "elapsed": 42.5, "exercises_done": ["knee-press", "forward-bend"]}
    {"event": "finished"}

``ready`` gives the window's X id and its buttons' screen rectangles (for the log, and
for tests that click them). ``finished`` means the window's own countdown ran out; the
engine completes the break on its own clock, so it needs no answer. When stdin closes
(the daemon is gone), the window closes too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from breakd.coach.base import BreakSession, CoachStep
from breakd.config import WINDOW_CORNERS
from breakd.state import BreakType

CORNERS = WINDOW_CORNERS


class ProtocolError(ValueError):
    """A line that is not the expected JSON object."""


@dataclass(frozen=True)
class WindowStart:
    """Everything the window needs to show one break."""

    session: BreakSession
    corner: str = "bottom-right"
    #: Wall-clock time the break began, so the window can count the seconds it took
    #: to start; None counts from when the window appears.
    started_at: float | None = None


def encode(message: dict[str, Any]) -> str:
    """One protocol line, newline included."""
    return json.dumps(message, separators=(",", ":")) + "\n"


def decode(line: str | bytes) -> dict[str, Any]:
    """Parse one protocol line into its JSON object."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"not a JSON object: {message!r}")
    return message


def start_message(start: WindowStart) -> str:
    session = start.session
    return encode(
        {
            "session": {
                "steps": [
                    {"exercise_id": step.exercise_id, "seconds": step.seconds}
                    for step in session.steps
                ],
                "length_seconds": session.length_seconds,
                "interval_seconds": session.interval_seconds,
                "break_type": session.break_type.value,
            },
            "corner": start.corner,
            "started_at": start.started_at,
        }
    )


def parse_start(message: dict[str, Any]) -> WindowStart:
    """The first line the window reads; ProtocolError names what is wrong."""
    raw = message.get("session")
    if not isinstance(raw, dict):
        raise ProtocolError("the first line must carry a 'session' object")
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list):
        raise ProtocolError("session.steps must be a list")
    steps = []
    for item in steps_raw:
        if not isinstance(item, dict) or not isinstance(item.get("exercise_id"), str):
            raise ProtocolError(f"a step needs an exercise_id: {item!r}")
        steps.append(CoachStep(item["exercise_id"], _number(item.get("seconds"), "seconds")))
    length = _number(raw.get("length_seconds"), "length_seconds")
    if length <= 0:
        raise ProtocolError(f"length_seconds must be positive, not {length}")
    interval = _number(raw.get("interval_seconds"), "interval_seconds")
    try:
        # Absent from a daemon older than walking breaks: an exercise break.
        break_type = BreakType(raw.get("break_type", BreakType.EXERCISE.value))
    except ValueError:
        raise ProtocolError(f"unknown break_type {raw.get('break_type')!r}") from None
    corner = message.get("corner", "bottom-right")
    if corner not in CORNERS:
        raise ProtocolError(f"corner must be one of {', '.join(CORNERS)}, not {corner!r}")
    started = message.get("started_at")
    return WindowStart(
        BreakSession(tuple(steps), length, interval, break_type),
        corner,
        None if started is None else _number(started, "started_at"),
    )


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"{name} must be a number, not {value!r}")
    return float(value)
