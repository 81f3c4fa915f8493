"""``breakd status``, ``break``, ``snooze``, ``pause``, ``resume``, ``set``, ``quit``.

Each one sends a single request to the running daemon over the control channel and
prints what the daemon answers.
"""

from __future__ import annotations

import json
import sys

from breakd.choices import SETTABLE
from breakd.cli.exits import EXIT_ERROR, EXIT_NOT_RUNNING, EXIT_OK, EXIT_USAGE
from breakd.control.client import ControlError, DaemonNotRunning, request
from breakd.durations import humanize
from breakd.state import State
from breakd.today import format_today

# Status bars run `breakd status` every few seconds: this module loads only the control
# client and words (no settings, no statistics, no datetime, no typing).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from breakd.cli.exits import Subcommands


def register(commands: Subcommands) -> None:
    status = commands.add_parser("status", help="what the running daemon sees now")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_sender("status"))

    take = commands.add_parser("break", help="start a break now (breaks.length, 2 min by default)")
    take.add_argument("--json", action="store_true", help="print the new state as JSON")
    take.set_defaults(func=_sender("break"))

    snooze = commands.add_parser(
        "snooze", help="postpone reminders (default: the snooze setting; at most 24h)"
    )
    snooze.add_argument("duration", nargs="?", help='how long, e.g. "10m" (at most 24h)')
    snooze.add_argument("--json", action="store_true", help="print the new state as JSON")
    snooze.set_defaults(func=_sender("snooze", "duration"))

    skip = commands.add_parser("skip", help="dismiss the due reminder and count again")
    skip.add_argument("--json", action="store_true", help="print the new state as JSON")
    skip.set_defaults(func=_sender("skip"))

    pause = commands.add_parser(
        "pause", help="stop reminders for a while (at most a year, or until resumed)"
    )
    pause.add_argument(
        "duration",
        nargs="?",
        default="forever",
        help=(
            'how long: a duration such as "30m" or "2h" (at most a year, 8760h), "tomorrow",'
            ' or "forever" (default)'
        ),
    )
    pause.add_argument("--json", action="store_true", help="print the new state as JSON")
    pause.set_defaults(func=_sender("pause", "duration"))

    resume = commands.add_parser("resume", help="end a pause")
    resume.add_argument("--json", action="store_true", help="print the new state as JSON")
    resume.set_defaults(func=_sender("resume"))

    change = commands.add_parser(
        "set", help="change a setting now and keep it (" + ", ".join(SETTABLE) + ")"
    )
    change.add_argument("key", choices=SETTABLE, metavar="KEY", help=", ".join(SETTABLE))
    change.add_argument("value", help='the new value, e.g. "45m"')
    change.add_argument("--json", action="store_true", help="print the new state as JSON")
    change.set_defaults(func=_sender("set", "key", "value"))

    stop = commands.add_parser("quit", help="stop the daemon cleanly")
    stop.set_defaults(func=_sender("quit"))


def _sender(command: str, *names: str) -> Any:
    def send(args: argparse.Namespace) -> int:
        payload = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
        try:
            result = request(command, payload)
        except DaemonNotRunning as error:
            print(f"breakd: {error}", file=sys.stderr)
            return EXIT_NOT_RUNNING
        except ControlError as error:
            print(f"breakd: {error.message}", file=sys.stderr)
            return EXIT_USAGE if error.code == "bad-arguments" else EXIT_ERROR
        if getattr(args, "json", False):
            print(json.dumps(result, indent=2))
        elif command == "quit":
            print("breakd is stopping")
        else:
            print(describe_status(result))
        return EXIT_OK

    return send


def describe_status(status: dict[str, Any]) -> str:
    """The daemon's status in a few plain lines."""
    state = State(status["state"])
    lines = []
    if state in (State.COUNTING, State.DUE, State.SNOOZED):
        lines.append(f"Sitting for {humanize(status['sitting_seconds'])}.")
    headline = {
        State.COUNTING: None,
        State.DUE: "A break is due.",
        State.SNOOZED: f"Snoozed until {_clock(status['snoozed_until'])}.",
        State.PAUSED: (
            f"Paused until {_clock(status['paused_until'])}."
            if status["paused_until"]
            else "Paused until you resume (`breakd resume`)."
        ),
        State.BREAK: f"On a break: {humanize(status['break_remaining'] or 0)} to go.",
        State.AWAY: "Away from the computer.",
        State.OFF_HOURS: "Outside working hours.",
    }.get(state)
    if headline:
        lines.append(headline)
    if status["next_reminder_in"] is not None:
        lines.append(
            f"Next reminder in {humanize(status['next_reminder_in'])}"
            f" (at {_clock(status['next_reminder_at'])})."
        )
    today = status.get("today")
    if today:
        lines.append(format_today(today))
    lines.append(f"Activity from: {status['idle_source']}; notifications: {status['notifier']}.")
    return "\n".join(lines)


def _clock(iso: str | None) -> str:
    """ "16:05" from the daemon's "2026-03-02T16:05:12+01:00" (``status_json``'s form).

    Read off the text rather than parsed with ``datetime``, which would cost every
    ``breakd status`` more than the rest of this module.
    """
    if iso is None or len(iso) < 16 or iso[10] != "T" or iso[13] != ":":
        return "?"
    return iso[11:16]
