"""Settings: one schema, four layers, clear errors, comment-preserving writes.

Layers, lowest first: the shipped ``config/default.toml`` (the documented defaults),
system-wide files an administrator deploys (``$XDG_CONFIG_DIRS/breakd/config.toml``),
the user's file, and command-line ``--set`` flags. Each key is validated on its own, so
one bad value falls back to the layer below it and the rest of the file still applies.

breakd never rewrites a file because of an error in it; changes made from the tray or the
CLI go through :func:`write_user_setting`, which edits just that key with tomlkit (keeping
the user's comments and order) and replaces the file atomically.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import reprlib
import stat
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import platformdirs

from breakd import APP_NAME, choices
from breakd.durations import DurationError, format_duration, parse_duration
from breakd.files import make_private_dir, write_atomically
from breakd.i18n import N_, _, ngettext
from breakd.resources import data_dir

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXERCISE_MIXES = ("alternate", "seated", "standing")
#: "sitting": a fixed desk (one position); "sit-stand": breakd also prompts to stand and sit.
DESKS = ("sitting", "sit-stand")
#: The most breaks between two walking breaks (``breaks.long_every``); 0 turns walks off.
MAX_LONG_EVERY = 20
LOG_LEVELS = ("debug", "info", "warning", "error")
NOTIFIER_BACKENDS = ("auto", "freedesktop", "desktop-notifier", "plyer", "log")
WINDOW_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
IDLE_SOURCES = (
    "auto", "x11", "gnome", "freedesktop", "wayland", "windows", "macos", "always-present",
)  # fmt: skip

#: A settings file is a few kilobytes; anything over this is refused unread, so a stray
#: huge file can never stall the daemon (its size is checked before reading, and at most
#: this many bytes plus one are ever read).
MAX_CONFIG_BYTES = 1024 * 1024
#: Settings nest two levels deep; the TOML parser recurses once per level, so a file
#: nested far deeper is refused before it is parsed.
MAX_NESTING = 32
#: Problems reported per file; the rest are counted, so a file of garbage gives a
#: readable report instead of thousands of lines.
MAX_PROBLEMS_PER_FILE = 20
#: Longest piece of the user's text quoted back in a message.
SHOWN_CHARS = 60
#: The name and source of the layer made of ``--set`` flags (translated where shown).
COMMAND_LINE = "command line"


def _close_matches(word: str, choices: Iterable[str], n: int) -> list[str]:
    """Up to ``n`` of ``choices`` like ``word``, for "did you mean" in a message.

    difflib is imported here: only a mistake needs it, and the daemon that reads a
    correct file keeps it out of its memory for good.
    """
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n)


@dataclass(frozen=True)
class Settings:
    """The values in force. Durations are in seconds."""

    interval: float
    remind_again: float
    max_reminders: int
    snooze: float
    grace_after_return: float
    break_length: float
    natural_break: float
    #: Every ``long_every``-th break is a walking break (0: never), of ``long_length``.
    long_every: int
    long_length: float
    exercise_mix: str
    window_corner: str
    working_hours_enabled: bool
    working_days: frozenset[int]
    work_start: time
    work_end: time
    keep_days: int
    log_level: str
    notifier: str
    quiet_when_inhibited: bool
    quiet_when_fullscreen: bool
    quiet_during_calls: bool
    idle_source: str
    calls_count_as_sitting: bool
    videos_count_as_sitting: bool
    autostart: bool
    desk: str
    stand_after: float
    stand_for: float
    language: str = "auto"


# --- value kinds -------------------------------------------------------------------


class Kind:
    """How one setting is read from TOML, checked, and written back."""

    @property
    def allowed(self) -> str:
        """What the setting accepts, in the user's language (a property: the language
        is chosen after the schema is built)."""
        return ""

    def parse(self, raw: object) -> Any:
        raise NotImplementedError

    def to_toml(self, value: Any) -> Any:
        return value

    def from_text(self, text: str) -> Any:
        """Read a value typed on the command line (always a string there)."""
        return self.parse(text)


@dataclass(frozen=True)
class DurationKind(Kind):
    minimum: float
    maximum: float

    @property
    def allowed(self) -> str:
        return _('a duration such as "30m", "45s" or "1h30m", from {minimum} to {maximum}').format(
            minimum=format_duration(self.minimum), maximum=format_duration(self.maximum)
        )

    def parse(self, raw: object) -> float:
        if not isinstance(raw, str):
            raise ValueError(wrong_type(raw))
        if len(raw) > SHOWN_CHARS:
            raise ValueError(_("{value} is too long to be a duration").format(value=_quote(raw)))
        try:
            seconds = parse_duration(raw)
        except DurationError as error:
            raise ValueError(str(error)) from None
        if not self.minimum <= seconds <= self.maximum:
            raise ValueError(_("{value} is out of range").format(value=_quote(raw)))
        return seconds

    def to_toml(self, value: Any) -> Any:
        return format_duration(float(value))


@dataclass(frozen=True)
class IntKind(Kind):
    minimum: int
    maximum: int

    @property
    def allowed(self) -> str:
        return _("a whole number from {minimum} to {maximum}").format(
            minimum=self.minimum, maximum=self.maximum
        )

    def parse(self, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(wrong_type(raw))
        if not self.minimum <= raw <= self.maximum:
            raise ValueError(_("{value} is out of range").format(value=_cut(str(raw))))
        return raw

    def from_text(self, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise ValueError(
                _("{value} is not a whole number").format(value=_quote(text))
            ) from None
        return self.parse(number)


@dataclass(frozen=True)
class ChoiceKind(Kind):
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:
        return _("one of {choices}").format(choices=", ".join(f'"{c}"' for c in self.choices))

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise ValueError(wrong_type(raw))
        if raw not in self.choices:
            close = _close_matches(raw[: SHOWN_CHARS * 2], self.choices, n=1)
            if close:
                raise ValueError(
                    _("{value} is not one of the choices (did you mean {close}?)").format(
                        value=_quote(raw), close=_quote(close[0])
                    )
                )
            raise ValueError(_("{value} is not one of the choices").format(value=_quote(raw)))
        return raw


class BoolKind(Kind):
    @property
    def allowed(self) -> str:
        return _("true or false")

    def parse(self, raw: object) -> bool:
        if not isinstance(raw, bool):
            raise ValueError(wrong_type(raw))
        return raw

    def from_text(self, text: str) -> bool:
        words = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
        try:
            return words[text.strip().lower()]
        except KeyError:
            raise ValueError(_("{value} is not true or false").format(value=_quote(text))) from None


class DaysKind(Kind):
    @property
    def allowed(self) -> str:
        return _('a list of day names such as ["mon", "tue", "wed", "thu", "fri"]')

    def parse(self, raw: object) -> frozenset[int]:
        if not isinstance(raw, list) or not raw:
            raise ValueError(wrong_type(raw))
        days: set[int] = set()
        for item in raw:
            if not isinstance(item, str) or item.lower() not in DAY_NAMES:
                shown = _quote(item) if isinstance(item, str) else _show(item)
                raise ValueError(_("{value} is not a day name").format(value=shown))
            days.add(DAY_NAMES.index(item.lower()))
        return frozenset(days)

    def to_toml(self, value: Any) -> Any:
        return [DAY_NAMES[d] for d in sorted(value)]

    def from_text(self, text: str) -> frozenset[int]:
        return self.parse([part.strip() for part in text.split(",") if part.strip()])


class LanguageKind(Kind):
    """ "auto" (the desktop's language) or a language code such as "de" or "pt_BR"."""

    _PATTERN = re.compile(r"^(auto|[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?)$")

    @property
    def allowed(self) -> str:
        return _('"auto" or a language code such as "de" or "pt_BR"')

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise ValueError(wrong_type(raw))
        if not self._PATTERN.match(raw):
            raise ValueError(_("{value} is not a language code").format(value=_quote(raw)))
        return raw


class ClockTimeKind(Kind):
    _PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

    @property
    def allowed(self) -> str:
        return _('a local time "HH:MM" on the 24-hour clock, such as "09:00"')

    def parse(self, raw: object) -> time:
        if not isinstance(raw, str):
            raise ValueError(wrong_type(raw))
        match = self._PATTERN.match(raw)
        if match is None:
            raise ValueError(_("{value} is not a time written HH:MM").format(value=_quote(raw)))
        return time(int(match.group(1)), int(match.group(2)))

    def to_toml(self, value: Any) -> Any:
        return f"{value.hour:02d}:{value.minute:02d}"


_REPR = reprlib.Repr()
_REPR.maxlevel = 2  # a value nested hundreds deep must not recurse
_REPR.maxlong = _REPR.maxstring = _REPR.maxother = SHOWN_CHARS


def _cut(text: str) -> str:
    """At most SHOWN_CHARS of the user's text, so a huge value cannot flood a message."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _quote(text: str) -> str:
    """A string value as it would be written in TOML (cut when long)."""
    return json.dumps(_cut(text), ensure_ascii=False)


def _show(raw: object) -> str:
    """What the user wrote where something else was expected, e.g. 'a number (30)'."""
    if isinstance(raw, bool):
        kind = _("a boolean")
    elif isinstance(raw, (int, float)):
        kind = _("a number")
    elif isinstance(raw, str):
        kind = _("a string")
    elif isinstance(raw, dict):
        kind = _("a table")
    elif isinstance(raw, list):
        kind = _("a list")
    else:  # a TOML date or time: its Python type's name is the best word there is
        kind = f"a {type(raw).__name__}"
    if isinstance(raw, str):
        shown = _quote(raw)
    elif isinstance(raw, bool):
        shown = "true" if raw else "false"
    else:
        shown = _cut(_REPR.repr(raw))
    # Translators: {kind} is "a number", "a string"...; {value} what the user wrote.
    return _("{kind} ({value})").format(kind=kind, value=shown)


def wrong_type(raw: object) -> str:
    """The complaint for a value of the wrong type: 'got a number (30)'."""
    return _("got {value}").format(value=_show(raw))


# --- the schema --------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    key: str  # "section.name" as written in the file
    attr: str  # the Settings field it fills
    kind: Kind
    #: What the settings window calls it, in English: a msgid, translated where shown.
    label: str = ""

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


SCHEMA: tuple[Spec, ...] = (
    Spec("reminders.interval", "interval", DurationKind(1, 24 * 3600), N_("Remind me after")),
    Spec(
        "reminders.remind_again",
        "remind_again",
        DurationKind(1, 24 * 3600),
        N_("Remind again after"),
    ),
    Spec("reminders.max_reminders", "max_reminders", IntKind(1, 20), N_("Reminders in all")),
    Spec("reminders.snooze", "snooze", DurationKind(1, 24 * 3600), N_("Snooze for")),
    Spec(
        "reminders.grace_after_return",
        "grace_after_return",
        DurationKind(0, 3600),
        N_("Quiet time after I come back"),
    ),
    Spec("breaks.length", "break_length", DurationKind(10, 3600), N_("Break length")),
    Spec(
        "breaks.natural_break",
        "natural_break",
        DurationKind(10, 4 * 3600),
        N_("Time away that counts as a break"),
    ),
    Spec("breaks.exercises", "exercise_mix", ChoiceKind(EXERCISE_MIXES), N_("Exercises")),
    Spec(
        "breaks.long_every",
        "long_every",
        IntKind(0, MAX_LONG_EVERY),
        N_("Walking break every (breaks, 0: off)"),
    ),
    Spec("breaks.long_length", "long_length", DurationKind(10, 3600), N_("Walking break length")),
    Spec(
        "breaks.window_corner",
        "window_corner",
        ChoiceKind(WINDOW_CORNERS),
        N_("Break window corner"),
    ),
    Spec(
        "working_hours.enabled",
        "working_hours_enabled",
        BoolKind(),
        N_("Only count and remind during working hours"),
    ),
    Spec("working_hours.days", "working_days", DaysKind(), N_("Working days")),
    Spec("working_hours.start", "work_start", ClockTimeKind(), N_("Start")),
    Spec("working_hours.end", "work_end", ClockTimeKind(), N_("End")),
    Spec("history.keep_days", "keep_days", IntKind(1, 36500), N_("Keep history for (days)")),
    Spec("logging.level", "log_level", ChoiceKind(LOG_LEVELS), N_("Log detail")),
    Spec(
        "notifications.backend",
        "notifier",
        ChoiceKind(NOTIFIER_BACKENDS),
        N_("Show reminders with"),
    ),
    Spec(
        "notifications.quiet_when_inhibited",
        "quiet_when_inhibited",
        BoolKind(),
        N_("Hold reminders while Do not disturb is on"),
    ),
    Spec(
        "notifications.quiet_when_fullscreen",
        "quiet_when_fullscreen",
        BoolKind(),
        N_("Hold reminders while a window is fullscreen"),
    ),
    Spec(
        "notifications.quiet_during_calls",
        "quiet_during_calls",
        BoolKind(),
        N_("Hold reminders during a call"),
    ),
    Spec("activity.idle_source", "idle_source", ChoiceKind(IDLE_SOURCES), N_("Idle time from")),
    Spec(
        "activity.calls_count_as_sitting",
        "calls_count_as_sitting",
        BoolKind(),
        N_("Count calls (microphone or camera in use) as sitting"),
    ),
    Spec(
        "activity.videos_count_as_sitting",
        "videos_count_as_sitting",
        BoolKind(),
        N_("Count playing videos as sitting"),
    ),
    Spec("general.language", "language", LanguageKind(), N_("Language")),
    Spec(
        "startup.autostart",
        "autostart",
        BoolKind(),
        N_("Turn on start at login at the first run"),
    ),
    Spec("posture.desk", "desk", ChoiceKind(DESKS), N_("Desk")),
    Spec(
        "posture.stand_after",
        "stand_after",
        DurationKind(60, 24 * 3600),
        N_("Stand up after sitting"),
    ),
    Spec(
        "posture.stand_for", "stand_for", DurationKind(60, 24 * 3600), N_("Sit down after standing")
    ),
)
SPECS_BY_KEY = {spec.key: spec for spec in SCHEMA}
SECTIONS = tuple(dict.fromkeys(spec.section for spec in SCHEMA))
SETTABLE = choices.SETTABLE


def find_spec(name: str) -> Spec:
    """Accept a full key ("reminders.interval") or its short name ("interval")."""
    if name in SPECS_BY_KEY:
        return SPECS_BY_KEY[name]
    short = [spec for spec in SCHEMA if spec.name == name or spec.attr == name]
    if len(short) == 1:
        return short[0]
    close = _close_matches(name, [*SPECS_BY_KEY, *(s.name for s in SCHEMA)], n=3)
    if close:
        raise ConfigError(
            _("unknown setting {name}; did you mean {close}? (see `breakd config show`)").format(
                name=_quote(name), close=", ".join(close)
            )
        )
    raise ConfigError(
        _("unknown setting {name} (see `breakd config show`)").format(name=_quote(name))
    )


# --- problems ------------------------------------------------------------------------


def not_allowed(error: Exception, spec: Spec) -> str:
    """Why a value was refused and what ``spec`` takes instead, as one sentence."""
    return _("{reason}; allowed: {allowed}").format(reason=error, allowed=spec.kind.allowed)


class ConfigError(Exception):
    """A request to read or change settings that cannot be carried out."""


class ConfigChanged(ConfigError):
    """The file changed after a change to it was prepared; nothing was written."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one layer; ``str()`` reads as a complete sentence for the user."""

    source: str
    line: int | None
    key: str | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = _source_name(self.source)
        if self.line and self.column:
            where = _("{source}, line {line}, column {column}").format(
                source=where, line=self.line, column=self.column
            )
        elif self.line:
            where = _("{source}, line {line}").format(source=where, line=self.line)
        subject = f": {self.key}" if self.key else ""
        return f"{where}{subject}: {self.message}"


def _source_name(source: str) -> str:
    """A layer's source as the user reads it: a path stays, "command line" is translated."""
    return _("command line") if source == COMMAND_LINE else source


@dataclass
class Layer:
    """One source of settings, already validated key by key."""

    name: str  # "default", "system", "user", "command line"
    source: str  # file path or "command line"
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line it was set on
    found: bool = False  # the file exists (it may still be unreadable)
    ignored: bool = False  # the whole file was refused (unreadable, too big, not TOML)


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    origins: Mapping[str, str]  # key -> layer name the value came from
    layers: Sequence[Layer]

    @property
    def problems(self) -> list[Problem]:
        return [problem for layer in self.layers for problem in layer.problems]

    @property
    def files(self) -> list[str]:
        """The settings files that exist (system-wide ones first), readable or not."""
        return [layer.source for layer in self.layers if layer.found and layer.name != "default"]

    def describe_sources(self) -> str:
        """Where the settings in force come from, e.g. 'defaults only (no settings file)'."""
        used = [layer.source for layer in self.layers[1:] if layer.found and not layer.ignored]
        ignored = [layer.source for layer in self.layers if layer.ignored]
        used = [_source_name(source) for source in used]
        if any(layer.name == COMMAND_LINE and layer.values for layer in self.layers):
            used.append(_("--set flags"))
        text = ", ".join([_("defaults"), *used]) if used else _("defaults only")
        if not self.files:
            text = _("{sources} (no settings file found)").format(sources=text)
        if ignored:
            text = _("{sources}; ignored until fixed: {files}").format(
                sources=text, files=", ".join(ignored)
            )
        return text


# --- paths -----------------------------------------------------------------------------


def default_config_file() -> Path:
    return data_dir("config") / "default.toml"


def user_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def user_config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def system_config_files() -> list[Path]:
    """Site-wide files, most important first (the order of $XDG_CONFIG_DIRS)."""
    joined = platformdirs.site_config_dir(APP_NAME, multipath=True)
    return [Path(part) / "config.toml" for part in joined.split(os.pathsep) if part]


# --- reading ----------------------------------------------------------------------------


class Unreadable(Exception):
    """A settings file that cannot be taken as text; the message is for the user."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB".replace(".0 MiB", " MiB")
    if count >= 1024:
        return f"{count / 1024:.0f} KiB"
    return ngettext("{count} byte", "{count} bytes", count).format(count=count)


def _too_big(count: int) -> str:
    return _(
        "is {size}, larger than the {limit} a settings file may be; breakd did not read it"
    ).format(size=_size(count), limit=_size(MAX_CONFIG_BYTES))


def read_config_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no file; Unreadable says why not.

    Only a regular file is read, and only when it is at most MAX_CONFIG_BYTES: the size
    is checked before reading and at most one byte more is read, so a huge file, a FIFO
    or a device can never stall the reader.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable(
                _("is a symbolic link to {target}, which does not exist").format(
                    target=os.readlink(path)
                )
            ) from None
        return None
    except IsADirectoryError:
        raise Unreadable(_("is a folder, not a file")) from None
    except PermissionError:
        raise Unreadable(
            _("cannot be read: permission denied (check the file's permissions)")
        ) from None
    except OSError as error:
        if error.errno == getattr(errno, "ELOOP", None):
            raise Unreadable(_("is a loop of symbolic links; it never reaches a file")) from None
        raise Unreadable(
            _("cannot be opened: {reason}").format(reason=error.strerror or error)
        ) from None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CONFIG_BYTES:
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable(_("is a folder, not a file"))
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(_("is not a regular file (a device, pipe or socket)"))
        raise Unreadable(_too_big(info.st_size))
    with os.fdopen(fd, "rb", buffering=0) as stream:
        chunks: list[bytes] = []
        remaining = MAX_CONFIG_BYTES + 1
        try:
            while remaining > 0 and (chunk := stream.read(remaining)):
                chunks.append(chunk)
                remaining -= len(chunk)
        except OSError as error:
            raise Unreadable(
                _("cannot be read: {reason}").format(reason=error.strerror or error)
            ) from None
    data = b"".join(chunks)
    if len(data) > MAX_CONFIG_BYTES:  # it grew after the size check
        raise Unreadable(_too_big(len(data)))
    return data


def decode_config(data: bytes) -> str:
    """UTF-8 text, a leading byte-order mark dropped (Windows editors write one)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[start : error.start].decode("utf-8", "replace")) + 1
        raise Unreadable(
            _("is not UTF-8 text (byte {byte}); save it as UTF-8").format(
                byte=f"0x{data[error.start]:02x}"
            ),
            line,
            column,
        ) from None


# Tokens that matter for nesting: strings and comments (skipped whole, but their lines
# counted), brackets, and what separates keys from values.
_NESTING_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""(?!")|\'\'\'.*?\'\'\'(?!\')'
    r'|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|\#[^\n]*|[\[\]{}\n.=,]',
    re.DOTALL,
)


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) where the nesting first goes past MAX_NESTING, if it does.

    Brackets and braces nest values; dots in a key (``a.b.c = 1``) nest tables. Both
    make the TOML parser recurse or slow down, so both count.
    """
    if sum(text.count(c) for c in "[{.") <= MAX_NESTING:
        return None
    depth = dots = 0
    in_key = True
    line, line_start = 1, 0
    for match in _NESTING_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            in_key = in_key or token == "{"
            dots = 0
        elif token in "]}":
            depth = max(0, depth - 1)
        elif token == ".":
            dots += in_key
        elif token == "=":
            in_key, dots = False, 0
        elif token == ",":
            in_key, dots = True, 0
        elif token == "\n":
            line, line_start = line + 1, match.end()
            in_key, dots = depth == 0, 0
        elif "\n" in token:  # a multi-line string
            line += token.count("\n")
            line_start = match.start() + token.rfind("\n") + 1
        if depth + dots > MAX_NESTING:
            return line, match.start() - line_start + 1
    return None


def _parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads, with every way it can fail turned into Unreadable."""
    if where := _too_deep(text):
        raise Unreadable(
            _("is nested more than {levels} levels deep; settings need two").format(
                levels=MAX_NESTING
            ),
            *where,
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if found:
            message = message[: found.start()]
        what = message[:1].lower() + message[1:]
        raise Unreadable(
            _("is not valid TOML ({reason})").format(reason=what),
            int(found.group(1)) if found else None,
            int(found.group(2)) if found else None,
        ) from None
    except ValueError:  # e.g. an integer of thousands of digits
        long_number = re.search(r"[0-9_]{4000,}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        raise Unreadable(_("has a number too long to read"), line) from None
    except RecursionError:  # _too_deep should have caught it; never let it escape
        raise Unreadable(_("is nested too deeply to read")) from None


def _key_lines(text: str) -> dict[str, int]:
    """Line of each ``[section]`` header and each key (with its section), in one pass.

    Best effort: a key written in an inline table has no line of its own here.
    """
    lines: dict[str, int] = {}
    current = ""
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
    assignment = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if match := header.match(line):
            current = match.group(1).strip("\"' ")
            lines.setdefault(f"[{current}]", number)
            continue
        if match := assignment.match(line):
            parts = [part.strip().strip("\"'") for part in match.group(1).split(".")]
            full = [current, *parts] if current else parts
            for end in range(1, len(full) + 1):
                lines.setdefault(".".join(full[:end]), number)
    return lines


def read_layer(path: Path, name: str, *, missing_ok: bool = True) -> Layer:
    """Read and validate one TOML file; every problem is collected, nothing is raised."""
    try:
        data = read_config_bytes(path)
    except Unreadable as error:
        layer = Layer(name=name, source=str(path), found=True)
        _refuse(layer, error)
        return layer
    if data is None:
        layer = Layer(name=name, source=str(path))
        if not missing_ok:
            layer.problems.append(Problem(str(path), None, None, _("file not found")))
        return layer
    return layer_from_bytes(data, path, name)


def layer_from_bytes(data: bytes, path: Path, name: str) -> Layer:
    """Validate a settings file's content as if read from ``path``."""
    layer = Layer(name=name, source=str(path), found=True)
    try:
        text = decode_config(data)
        document = _parse_toml(text)
    except Unreadable as error:
        _refuse(layer, error)
        return layer
    _validate_document(document, _key_lines(text), layer)
    if len(layer.problems) > MAX_PROBLEMS_PER_FILE:
        hidden = len(layer.problems) - MAX_PROBLEMS_PER_FILE
        del layer.problems[MAX_PROBLEMS_PER_FILE:]
        layer.problems.append(
            Problem(
                layer.source,
                None,
                None,
                ngettext(
                    "{count} more problem like these not shown",
                    "{count} more problems like these not shown",
                    hidden,
                ).format(count=hidden),
            )
        )
    return layer


def _refuse(layer: Layer, error: Unreadable) -> None:
    layer.ignored = True
    layer.problems.append(
        Problem(
            layer.source,
            error.line,
            None,
            _("{reason}; every setting in this file is ignored until it is fixed").format(
                reason=error
            ),
            error.column,
        )
    )


def _validate_document(document: Mapping[str, Any], lines: Mapping[str, int], layer: Layer) -> None:
    for section, body in document.items():
        # Past the problems shown, skip the (slow) "did you mean" for the ones only counted.
        hints = len(layer.problems) < MAX_PROBLEMS_PER_FILE
        if section not in SECTIONS:
            close = _close_matches(section[:100], SECTIONS, n=1) if hints else []
            known_sections = ", ".join(f"[{s}]" for s in SECTIONS)
            if close:
                message = _(
                    "unknown section (did you mean {close}?); known sections are {known}"
                ).format(close=f"[{close[0]}]", known=known_sections)
            else:
                message = _("unknown section; known sections are {known}").format(
                    known=known_sections
                )
            layer.problems.append(
                Problem(
                    layer.source,
                    lines.get(f"[{section}]", lines.get(section)),
                    f"[{_cut(section)}]",
                    message,
                )
            )
            continue
        if not isinstance(body, dict):
            layer.problems.append(
                Problem(layer.source, lines.get(section), section, _("must be a [table]"))
            )
            continue
        known = [spec.name for spec in SCHEMA if spec.section == section]
        for name, raw in body.items():
            key = f"{section}.{name}"
            line = lines.get(key, lines.get(f"[{key}]"))
            spec = SPECS_BY_KEY.get(key)
            if spec is None:
                hints = len(layer.problems) < MAX_PROBLEMS_PER_FILE
                close = _close_matches(name[:100], known, n=1) if hints else []
                if close:
                    message = _(
                        "unknown key (did you mean {close}?); keys in {section} are {known}"
                    ).format(close=close[0], section=f"[{section}]", known=", ".join(known))
                else:
                    message = _("unknown key; keys in {section} are {known}").format(
                        section=f"[{section}]", known=", ".join(known)
                    )
                layer.problems.append(
                    Problem(layer.source, line, f"{section}.{_cut(name)}", message)
                )
                continue
            try:
                layer.values[key] = spec.kind.parse(raw)
            except ValueError as error:
                layer.problems.append(Problem(layer.source, line, key, not_allowed(error, spec)))
            else:
                if line is not None:
                    layer.lines[key] = line


def command_line_layer(assignments: Iterable[str]) -> Layer:
    """Turn ``--set key=value`` flags into a layer; bad ones become problems."""
    layer = Layer(name=COMMAND_LINE, source=COMMAND_LINE)
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            layer.problems.append(
                Problem(
                    COMMAND_LINE, None, assignment, _("write --set KEY=VALUE, e.g. interval=45m")
                )
            )
            continue
        try:
            spec = find_spec(name.strip())
            layer.values[spec.key] = spec.kind.from_text(text.strip())
        except ConfigError as error:
            layer.problems.append(Problem(COMMAND_LINE, None, name.strip(), str(error)))
        except ValueError as error:
            spec = find_spec(name.strip())
            layer.problems.append(Problem(COMMAND_LINE, None, spec.key, not_allowed(error, spec)))
    return layer


def load_config(
    overrides: Iterable[str] = (),
    *,
    user_file: Path | None = None,
    system_files: Sequence[Path] | None = None,
    user_data: bytes | None = None,
) -> LoadedConfig:
    """Merge every layer into the settings in force; never raises for bad user input.

    ``user_data``, when given, stands for the user's file's content: the settings a
    change would give, worked out before the file is written.
    """
    default = read_layer(default_config_file(), "default", missing_ok=False)
    if default.problems or len(default.values) != len(SCHEMA):
        missing = sorted(set(SPECS_BY_KEY) - set(default.values))
        raise RuntimeError(
            "breakd's shipped defaults are broken: "
            + "; ".join([*map(str, default.problems), *(f"missing {k}" for k in missing)])
        )
    systems = system_config_files() if system_files is None else list(system_files)
    layers = [default]
    # $XDG_CONFIG_DIRS lists the most important folder first, so apply it last.
    layers += [read_layer(path, "system") for path in reversed(systems)]
    user_path = user_file or user_config_file()
    if user_data is None:
        layers.append(read_layer(user_path, "user"))
    else:
        layers.append(layer_from_bytes(user_data, user_path, "user"))
    layers.append(command_line_layer(overrides))
    return _merge(layers)


#: Keys checked together: one is only wrong next to the other.
_WORKING_HOURS = ("working_hours.start", "working_hours.end")


def _merge(layers: Sequence[Layer]) -> LoadedConfig:
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for layer in layers:
        # A layer's keys are checked together: start = "18:00" with end = "20:00" is fine
        # even though 18:00 is not before the end in force below it.
        taken = dict(layer.values)
        below = {key: name for key, name in origins.items() if key not in taken}
        if layer.name != "default" and (reason := cross_check({**values, **taken}, below)):
            keys = [key for key in _WORKING_HOURS if key in taken]
            lines = [layer.lines[key] for key in keys if key in layer.lines]
            layer.problems.append(
                Problem(
                    layer.source,
                    min(lines, default=None),
                    " and ".join(keys),
                    (
                        _("{reason}; these values are ignored")
                        if len(keys) > 1
                        else _("{reason}; this value is ignored")
                    ).format(reason=reason),
                )
            )
            for key in keys:
                del taken[key]
        for key, value in taken.items():
            values[key] = value
            origins[key] = layer.name
    settings = Settings(**{SPECS_BY_KEY[k].attr: v for k, v in values.items()})
    return LoadedConfig(settings=settings, origins=origins, layers=list(layers))


def cross_check(values: Mapping[str, Any], origins: Mapping[str, str] | None = None) -> str | None:
    """Why keys that are fine alone cannot go together (key -> parsed value), or None;
    shared by the config files and the settings window so both refuse the same.
    ``origins`` names the layer of each value, for the message."""
    origins = origins or {}
    start, end = (values.get(key) for key in _WORKING_HOURS)
    if start is None or end is None or start < end:
        return None
    # Say where a value not set in this layer comes from ("end 18:00 from default").
    start_shown, end_shown = (
        _("{time} from {layer}").format(time=f"{moment:%H:%M}", layer=origins[key])
        if key in origins
        else f"{moment:%H:%M}"
        for key, moment in zip(_WORKING_HOURS, (start, end), strict=True)
    )
    return _(
        "working hours must start before they end, on the same day (start {start}, end {end})"
    ).format(start=start_shown, end=end_shown)


def display_value(spec: Spec, value: Any) -> str:
    """The value as it would be written in the TOML file."""
    shown = spec.kind.to_toml(value)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, str):
        return f'"{shown}"'
    if isinstance(shown, list):
        return "[" + ", ".join(f'"{item}"' for item in shown) + "]"
    return str(shown)


# --- writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStamp:
    """What identifies one version of a file without reading it again."""

    inode: int
    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        return cls(info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class UserChange:
    """A setting ready to be written: the file's new content and the version it edits."""

    spec: Spec
    value: Any
    path: Path
    data: bytes
    before: FileStamp | None


def write_user_setting(key: str, text: str, *, path: Path | None = None) -> tuple[Spec, Any]:
    """Validate ``text`` for ``key`` and store it in the user's file, changing nothing else.

    Refuses (ConfigError) when the value is invalid or the user's file cannot be parsed:
    breakd must never overwrite a file it does not understand.
    """
    change = prepare_user_setting(key, text, path=path)
    commit_user_change(change)
    return change.spec, change.value


def prepare_user_setting(key: str, text: str, *, path: Path | None = None) -> UserChange:
    """Everything a change needs that may take a while (reading, parsing), writing nothing."""
    spec = find_spec(key)
    try:
        value = spec.kind.from_text(text)
    except ValueError as error:
        raise ConfigError(f"{spec.key}: {not_allowed(error, spec)}") from None
    return prepare_user_value(spec, value, path=path)


def prepare_user_value(spec: Spec, value: Any, *, path: Path | None = None) -> UserChange:
    """The user's file with one already-validated value changed, as bytes to write."""
    import tomlkit  # only for writing: it costs the daemon memory it rarely needs

    target = path or user_config_file()
    before = FileStamp.of(target)
    try:
        original = read_config_bytes(target)
    except Unreadable as error:
        raise ConfigError(
            _("{file} {reason}; breakd will not change it").format(file=target, reason=error)
        ) from None
    bom = b""
    if original is None:
        document = tomlkit.document()
        document.add(tomlkit.comment("breakd settings; see `breakd config show` for every key."))
        document.add(tomlkit.nl())
    else:
        # Check with the same reader breakd loads settings with (it also refuses what
        # would make tomlkit recurse too deep) before tomlkit sees the text.
        checked = layer_from_bytes(original, target, "user")
        if checked.ignored:
            raise ConfigError(
                _("{problem}; fix it by hand first, breakd will not overwrite it").format(
                    problem=checked.problems[0]
                )
            )
        if original.startswith(codecs.BOM_UTF8):
            bom = codecs.BOM_UTF8  # keep the file as the user's editor saved it
        try:
            document = tomlkit.parse(decode_config(original))
        except Exception as error:
            raise ConfigError(
                _(
                    "{file} is not valid TOML ({reason}); fix it by hand first,"
                    " breakd will not overwrite it"
                ).format(file=target, reason=_cut(str(error)))
            ) from None
    if spec.section not in document:
        document.add(spec.section, tomlkit.table())
    table = document[spec.section]
    if not isinstance(table, (tomlkit.items.Table, tomlkit.items.InlineTable)):
        raise ConfigError(
            _("{file}: {section} is not a table; fix it by hand first").format(
                file=target, section=spec.section
            )
        )
    table[spec.name] = spec.kind.to_toml(value)
    data = bom + tomlkit.dumps(document).encode("utf-8")
    return UserChange(spec, value, target, data, before)


def commit_user_change(change: UserChange) -> None:
    """Write a prepared change atomically, unless the file changed since it was read.

    The file keeps its mode and group; a symlinked file (a dotfiles repository) is
    written through the link; a new file is 0600 in a 0700 folder, since it is nobody
    else's business how the user sits.
    """
    if FileStamp.of(change.path) != change.before:
        raise ConfigChanged(
            _(
                "{file} changed while breakd was saving {key}; nothing was written, try again"
            ).format(file=change.path, key=change.spec.key)
        )
    if not change.path.is_symlink():
        make_private_dir(change.path.parent)
    write_atomically(change.path, change.data, None)


def describe_settings(loaded: LoadedConfig) -> list[tuple[str, str, str]]:
    """(key, value as written in TOML, layer) rows for ``breakd config show``."""
    return [
        (
            spec.key,
            display_value(spec, getattr(loaded.settings, spec.attr)),
            loaded.origins[spec.key],
        )
        for spec in SCHEMA
    ]


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    """JSON-friendly form (key -> TOML value)."""
    return {spec.key: spec.kind.to_toml(getattr(settings, spec.attr)) for spec in SCHEMA}
