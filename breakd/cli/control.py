"""``breakd status``, ``break``, ``snooze``, ``pause``, ``resume``, ``set``, ``quit``.

Each one sends a single request to the running daemon over the control channel and
prints what the daemon answers. ``breakd status --follow`` instead stays connected and
prints a line at once and one whenever the status a bar shows changes (the daemon
pushes them; see :mod:`breakd.feed`), as text, JSON or waybar's JSON.
"""

from __future__ import annotations

import json
import sys

from breakd.choices import SETTABLE
from breakd.cli.exits import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    EXIT_USAGE,
)
from breakd.control.client import ControlError, DaemonNotRunning, DaemonStopped, follow, request
from breakd.durations import humanize
from breakd.i18n import _, format_clock, formatting_locale
from breakd.state import State
from breakd.today import format_today

# Status bars run `breakd status` every few seconds: this module loads only the control
# client and words (no settings, no statistics, no datetime, no typing).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

    from breakd.cli.exits import Subcommands


def register(commands: Subcommands) -> None:
    status = commands.add_parser("status", help=_("what the running daemon sees now"))
    status.add_argument("--json", action="store_true", help=_("print JSON"))
    status.add_argument(
        "--follow",
        action="store_true",
        help=_("keep running: one line now and one whenever the status changes (status bars)"),
    )
    status.add_argument(
        "--format",
        choices=FORMATS,
        help=_("text, json (as --json) or waybar (waybar's custom module JSON)"),
    )
    status.set_defaults(func=_status)

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

    posture = commands.add_parser(
        "posture", help=_('tell breakd you now stand or sit (posture.desk = "sit-stand")')
    )
    posture.add_argument("posture", choices=("standing", "sitting"), help=_("standing or sitting"))
    posture.add_argument("--json", action="store_true", help=_("print the new state as JSON"))
    posture.set_defaults(func=_sender("posture", "posture"))

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


def _sender(
    command: str, *names: str, show: Callable[[dict[str, Any]], None] | None = None
) -> Callable[[argparse.Namespace], int]:
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
        if show is not None:
            show(result)
        elif getattr(args, "json", False):
            print(json.dumps(result, indent=2))
        elif command == "quit":
            print(_("breakd is stopping"))
        else:
            print(describe_status(result))
        return EXIT_OK

    return send


#: The forms ``breakd status`` prints in.
FORMATS = ("text", "json", "waybar")


def _status(args: argparse.Namespace) -> int:
    form = args.format or ("json" if args.json else "text")
    if args.follow:
        return _follow(form)
    if form == "waybar":
        return _sender("status", show=lambda status: print(waybar_line(status)))(args)
    args.json = form == "json"
    return _sender("status")(args)


def _follow(form: str) -> int:
    """Print a line per status the daemon pushes until it stops (exit 3) or the reader
    goes away (BrokenPipeError: 141, as for every command)."""

    def show(status: dict[str, Any]) -> None:
        print(follow_line(status, form), flush=True)

    try:
        follow(show)
    except DaemonNotRunning as error:
        print(f"breakd: {error}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    except DaemonStopped:
        print("breakd: breakd stopped; `breakd start` starts it again", file=sys.stderr)
        return EXIT_NOT_RUNNING
    except ControlError as error:
        print(f"breakd: {error.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return EXIT_OK  # not reached: following ends only by one of the above


def follow_line(status: dict[str, Any], form: str) -> str:
    """One line of ``breakd status --follow``: words, JSON (the keys of ``status --json``
    plus ``text`` and ``percentage``) or waybar's JSON."""
    if form == "waybar":
        return waybar_line(status)
    if form == "json":
        return json.dumps({**status, "text": status_line(status), "percentage": percentage(status)})
    return status_line(status)


def waybar_line(status: dict[str, Any]) -> str:
    """What waybar's custom module reads with ``"return-type": "json"``."""
    return json.dumps(
        {
            "text": status_line(status),
            "tooltip": describe_status(status),
            "class": status["state"],
            "percentage": percentage(status),
        }
    )


def status_line(status: dict[str, Any]) -> str:
    """The status in one short line, in whole minutes: "Sitting 23 min · next break in 7 min"."""
    state = State(status["state"])
    if state is State.PAUSED:
        until = status["paused_until"]
        return _("Paused until {time}").format(time=_clock(until)) if until else _("Paused")
    if state is State.BREAK:
        remaining = _minutes_to_go(status["break_remaining"] or 0)
        return _("On a break: {duration} to go").format(duration=remaining)
    if state is State.AWAY:
        return _("Away")
    if state is State.OFF_HOURS:
        return _("Outside working hours")
    sitting = _("Sitting {duration}").format(duration=_minutes_gone(status["sitting_seconds"]))
    if status.get("call"):
        sitting = _("In a call — sitting {duration}").format(
            duration=_minutes_gone(status["sitting_seconds"])
        )
    if status.get("posture") == "standing":
        sitting = _("Standing {duration}").format(
            duration=_minutes_gone(status.get("posture_seconds") or 0)
        )
    if state is State.SNOOZED:
        return _("{sitting} · snoozed until {time}").format(
            sitting=sitting, time=_clock(status["snoozed_until"])
        )
    next_in = status["next_reminder_in"]
    if state is State.DUE or next_in is None:
        return _("{sitting} · a break is due").format(sitting=sitting)
    return _("{sitting} · next break in {remaining}").format(
        sitting=sitting, remaining=_minutes_to_go(next_in)
    )


def percentage(status: dict[str, Any]) -> int:
    """How much of the interval has been sat, 0 to 100 (0 when not sitting)."""
    interval = float(status.get("interval_seconds") or 0)
    if State(status["state"]) not in (State.COUNTING, State.DUE, State.SNOOZED) or interval <= 0:
        return 0
    return min(100, round(100 * float(status["sitting_seconds"]) / interval))


def _minutes_gone(seconds: float) -> str:
    """Rounded down, as time gone by is (and as the daemon decides a line is new)."""
    return _("less than a minute") if seconds < 60 else humanize(60 * (seconds // 60))


def _minutes_to_go(seconds: float) -> str:
    """Rounded up, as a countdown is."""
    return _("less than a minute") if seconds < 60 else humanize(60 * -(-seconds // 60))


def describe_status(status: dict[str, Any]) -> str:
    """The daemon's status in a few plain lines."""
    state = State(status["state"])
    lines = []
    if state in (State.COUNTING, State.DUE, State.SNOOZED):
        sitting = humanize(status["sitting_seconds"])
        if status.get("call"):
            lines.append(_("In a call — sitting for {duration}.").format(duration=sitting))
        else:
            lines.append(_("Sitting for {duration}.").format(duration=sitting))
        if status.get("posture") == "standing":
            standing = _minutes_gone(status.get("posture_seconds") or 0)
            lines.append(_("Standing {duration}.").format(duration=standing))
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
    if status.get("next_break") == "walking" and state is not State.BREAK:
        lines.append(
            _("The next break is a walk of {duration}.").format(
                duration=humanize(status.get("next_break_seconds") or 0)
            )
        )
    if status.get("quiet"):
        lines.append(_("Quiet: {reason}.").format(reason=quiet_words(status["quiet"])))
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
    """ "16:05" from the daemon's "2026-03-02T16:05:12+01:00" (``status_json``'s form).

    Read off the text rather than parsed with ``datetime``, which would cost every
    ``breakd status`` more than the rest of this module.
    """
    if iso is None or len(iso) < 16 or iso[10] != "T" or iso[13] != ":":
        return "?"
    if formatting_locale() is None:
        return iso[11:16]
    from datetime import datetime  # a locale's own clock ("2:30 PM") needs the time itself

    return format_clock(datetime.fromisoformat(iso))


def quiet_words(reason: str) -> str:
    """Why reminders wait, in the user's language (``--json`` keeps the daemon's English,
    which scripts match on); a reason this version does not know stays as it came."""
    translated = _(reason)
    if translated != reason:
        return translated
    import re

    if switch := re.fullmatch(r"do not disturb \((.+)\)", reason):
        return _("do not disturb ({source})").format(source=switch[1])
    return reason
