"""``breakd status``, ``break``, ``snooze``, ``pause``, ``resume``, ``set``, ``quit``.

Each one sends a single request to the running daemon over the control channel and
prints what the daemon answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from breakd.cli.exits import EXIT_ERROR, EXIT_NOT_RUNNING, EXIT_OK, EXIT_USAGE, Subcommands
from breakd.config import SETTABLE
from breakd.control.client import ControlError, DaemonNotRunning, request
from breakd.durations import humanize
from breakd.i18n import _, format_clock
from breakd.state import State
from breakd.stats import format_today


def register(commands: Subcommands) -> None:
    status = commands.add_parser("status", help=_("what the running daemon sees now"))
    status.add_argument("--json", action="store_true", help=_("print JSON"))
    status.set_defaults(func=_sender("status"))

    take = commands.add_parser(
        "break", help=_("start a break now (breaks.length, 2 min by default)")
    )
    take.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    take.set_defaults(func=_sender("break"))

    snooze = commands.add_parser(
        "snooze", help=_("postpone reminders (default: the snooze setting; at most 24h)")
    )
    snooze.add_argument("duration", nargs="?", help=_('how long, e.g. "10m" (at most 24h)'))
    snooze.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    snooze.set_defaults(func=_sender("snooze", "duration"))

    skip = commands.add_parser("skip", help=_("dismiss the due reminder and count again"))
    skip.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    skip.set_defaults(func=_sender("skip"))

    pause = commands.add_parser(
        "pause", help=_("stop reminders for a while (at most a year, or until resumed)")
    )
    pause.add_argument(
        "duration",
        nargs="?",
        default="forever",
        help=_(
            'how long: a duration such as "30m" or "2h" (at most a year, 8760h), "tomorrow",'
            ' or "forever" (default)'
        ),
    )
    pause.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    pause.set_defaults(func=_sender("pause", "duration"))

    resume = commands.add_parser("resume", help=_("end a pause"))
    resume.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    resume.set_defaults(func=_sender("resume"))

    change = commands.add_parser(
        "set",
        help=_("change a setting now and keep it ({settings})").format(
            settings=", ".join(SETTABLE)
        ),
    )
    change.add_argument("key", choices=SETTABLE, metavar="KEY", help=", ".join(SETTABLE))
    change.add_argument("value", help=_('the new value, e.g. "45m"'))
    change.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    change.set_defaults(func=_sender("set", "key", "value"))

    stop = commands.add_parser("quit", help=_("stop the daemon cleanly"))
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
            print(_("breakd is stopping"))
        else:
            print(describe_status(result))
        return EXIT_OK

    return send


def describe_status(status: dict[str, Any]) -> str:
    """The daemon's status in a few plain lines."""
    state = State(status["state"])
    lines = []
    if state in (State.COUNTING, State.DUE, State.SNOOZED):
        lines.append(
            _("Sitting for {duration}.").format(duration=humanize(status["sitting_seconds"]))
        )
    headline: str | None = None
    if state is State.DUE:
        headline = _("A break is due.")
    elif state is State.SNOOZED:
        headline = _("Snoozed until {time}.").format(time=_clock(status["snoozed_until"]))
    elif state is State.PAUSED and status["paused_until"]:
        headline = _("Paused until {time}.").format(time=_clock(status["paused_until"]))
    elif state is State.PAUSED:
        headline = _("Paused until you resume (`breakd resume`).")
    elif state is State.BREAK:
        headline = _("On a break: {duration} to go.").format(
            duration=humanize(status["break_remaining"] or 0)
        )
    elif state is State.AWAY:
        headline = _("Away from the computer.")
    elif state is State.OFF_HOURS:
        headline = _("Outside working hours.")
    if headline:
        lines.append(headline)
    if status["next_reminder_in"] is not None:
        lines.append(
            _("Next reminder in {duration} (at {time}).").format(
                duration=humanize(status["next_reminder_in"]),
                time=_clock(status["next_reminder_at"]),
            )
        )
    today = status.get("today")
    if today:
        lines.append(format_today(today))
    lines.append(
        _("Activity from: {source}; notifications: {notifier}.").format(
            source=status["idle_source"], notifier=status["notifier"]
        )
    )
    return "\n".join(lines)


def _clock(iso: str | None) -> str:
    return "?" if iso is None else format_clock(datetime.fromisoformat(iso))
