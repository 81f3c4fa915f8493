"""What the control channel may ask of the running daemon, and what it answers.

Each request is checked here (names, durations) on the server's thread, then carried out
on the daemon's owner thread; the reply is a small JSON-friendly dict. The same table
drives the CLI, so ``breakd snooze 10m`` and a script sending ``{"cmd": "snooze", "args":
{"duration": "10m"}}`` do exactly the same thing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

from breakd.config import SETTABLE, ConfigError, find_spec, not_allowed
from breakd.daemon import Daemon, NotRun, SettingsFileChanged
from breakd.durations import DurationError, parse_duration
from breakd.engine import MAX_PAUSE, MAX_SNOOZE
from breakd.i18n import _
from breakd.state import Posture
from breakd.status import status_json


class BadArguments(Exception):
    """The request's arguments are wrong; the message names the argument and what is allowed."""


def _duration(args: Mapping[str, Any], name: str, maximum: float, bound: str) -> float | None:
    """The duration argument ``name`` in seconds, refused unless in (0, ``maximum``].

    A bound keeps every moment breakd works out finite and representable, so a request
    is refused whole instead of failing halfway through.
    """
    raw = args.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise BadArguments(_('{name} must be a duration string such as "10m"').format(name=name))
    shown = raw if len(raw) <= 40 else f"{raw[:37]}..."
    try:
        seconds = parse_duration(raw)
    except DurationError:
        raise BadArguments(
            _(
                '{name}: {value} is not a duration; write it like "30m", "45s", "2h" or "1h30m"'
            ).format(name=name, value=repr(shown))
        ) from None
    if seconds <= 0:
        raise BadArguments(_("{name} must be longer than zero").format(name=name))
    if not seconds <= maximum:
        raise BadArguments(
            _("{name} {value} is too long; at most {bound}").format(
                name=name, value=repr(shown), bound=bound
            )
        )
    return seconds


def _pause_length(args: Mapping[str, Any]) -> float | Literal["tomorrow"] | None:
    raw = args.get("duration", "forever")
    if raw in ("forever", "indefinitely"):
        return None
    if raw == "tomorrow":
        return "tomorrow"
    return _duration(args, "duration", MAX_PAUSE, _("a year (8760h); for longer, pause forever"))


#: Every request the daemon answers (the server answers "ping" itself).
COMMANDS = ("status", "break", "snooze", "skip", "pause", "resume", "posture", "set", "quit")


class CommandHandler:
    """Turns one decoded request into work on the owner thread and a reply."""

    def __init__(self, daemon: Daemon, *, timeout: float = 4.0) -> None:
        self.daemon = daemon
        self.timeout = timeout
        self._table: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "status": self._status,
            "break": self._break,
            "snooze": self._snooze,
            "skip": self._skip,
            "pause": self._pause,
            "resume": self._resume,
            "posture": self._posture,
            "set": self._set,
            "quit": self._quit,
        }

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(self._table)

    def handle(self, command: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Raises BadArguments or CommandRefused with a message meant for the user."""
        return self._table[command](args)

    def _on_owner(self, work: Callable[[], Any], timeout: float | None = None) -> dict[str, Any]:
        daemon = self.daemon

        def run() -> dict[str, Any]:
            work()
            return status_json(daemon.status())

        return daemon.call(run, self.timeout if timeout is None else timeout)

    def _status(self, args: Mapping[str, Any]) -> dict[str, Any]:
        daemon = self.daemon
        return daemon.call(lambda: status_json(daemon.status()), self.timeout)

    def _break(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return self._on_owner(lambda: self.daemon.start_break("cli"))

    def _snooze(self, args: Mapping[str, Any]) -> dict[str, Any]:
        seconds = _duration(args, "duration", MAX_SNOOZE, "24h")
        return self._on_owner(lambda: self.daemon.snooze(seconds))

    def _skip(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return self._on_owner(self.daemon.skip)

    def _pause(self, args: Mapping[str, Any]) -> dict[str, Any]:
        length = _pause_length(args)
        return self._on_owner(lambda: self.daemon.pause(length))

    def _resume(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return self._on_owner(self.daemon.resume)

    def _posture(self, args: Mapping[str, Any]) -> dict[str, Any]:
        raw = args.get("posture")
        try:
            posture = Posture(raw)
        except ValueError:
            allowed = " or ".join(p.value for p in Posture)
            raise BadArguments(f"posture must be {allowed}") from None
        return self._on_owner(lambda: self.daemon.set_posture(posture, "cli"))

    def _set(self, args: Mapping[str, Any]) -> dict[str, Any]:
        key, value = args.get("key"), args.get("value")
        if not isinstance(key, str) or not isinstance(value, str):
            raise BadArguments(_("set needs a key and a value, e.g. interval 45m"))
        try:
            spec = find_spec(key)
        except ConfigError as error:
            raise BadArguments(str(error)) from None
        if spec.name not in SETTABLE:
            raise BadArguments(
                _(
                    "{key} cannot be changed while breakd runs; settable: {settable}"
                    " (edit the config file for the rest)"
                ).format(key=key, settable=", ".join(SETTABLE))
            )
        try:
            # Checked here, before the owner thread, so a bad value is a bad argument
            # (exit 2) and not a refusal; the daemon checks it again when it writes.
            spec.kind.from_text(value)
        except ValueError as error:
            raise BadArguments(f"{spec.key}: {not_allowed(error, spec)}") from None
        daemon = self.daemon
        deadline = time.monotonic() + self.timeout
        while True:
            # Reading and editing the file happen here, off the owner thread; only the
            # write and the switch to the new settings run there, all or nothing.
            prepared = daemon.prepare_setting(spec.key, value)
            left = deadline - time.monotonic()
            if left <= 0:
                raise NotRun(
                    _(
                        "breakd could not prepare the change of {key} in time;"
                        " nothing was changed, try again"
                    ).format(key=spec.key)
                )
            try:
                commit = partial(daemon.commit_setting, prepared, source="cli")
                return self._on_owner(commit, left)
            except SettingsFileChanged:
                if time.monotonic() >= deadline:
                    raise
                # Another change (the tray, a second `breakd set`) came first: redo it.

    def _quit(self, args: Mapping[str, Any]) -> dict[str, Any]:
        self.daemon.request_stop("asked to quit over the control channel (`breakd quit`)")
        return {"stopping": True}
