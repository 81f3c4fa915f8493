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

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

import platformdirs

from breakd import APP_NAME
from breakd.durations import DurationError, format_duration, parse_duration
from breakd.files import write_atomically
from breakd.resources import data_dir

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXERCISE_MIXES = ("alternate", "seated", "standing")
LOG_LEVELS = ("debug", "info", "warning", "error")
NOTIFIER_BACKENDS = ("auto", "desktop-notifier", "plyer", "log")
WINDOW_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
IDLE_SOURCES = ("auto", "x11", "gnome", "freedesktop", "windows", "macos", "always-present")


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
    idle_source: str
    autostart: bool


# --- value kinds -------------------------------------------------------------------


class Kind:
    """How one setting is read from TOML, checked, and written back."""

    allowed: str = ""

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
    def allowed(self) -> str:  # type: ignore[override]
        return (
            f'a duration such as "30m", "45s" or "1h30m", from {format_duration(self.minimum)}'
            f" to {format_duration(self.maximum)}"
        )

    def parse(self, raw: object) -> float:
        if not isinstance(raw, str):
            raise ValueError(f"got {_show(raw)}")
        try:
            seconds = parse_duration(raw)
        except DurationError as error:
            raise ValueError(str(error)) from None
        if not self.minimum <= seconds <= self.maximum:
            shown = raw if len(raw) <= 40 else f"{raw[:37]}..."
            raise ValueError(f"{shown!r} is out of range")
        return seconds

    def to_toml(self, value: Any) -> Any:
        return format_duration(float(value))


@dataclass(frozen=True)
class IntKind(Kind):
    minimum: int
    maximum: int

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return f"a whole number from {self.minimum} to {self.maximum}"

    def parse(self, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"got {_show(raw)}")
        if not self.minimum <= raw <= self.maximum:
            raise ValueError(f"{raw} is out of range")
        return raw

    def from_text(self, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        return self.parse(number)


@dataclass(frozen=True)
class ChoiceKind(Kind):
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(f'"{c}"' for c in self.choices)

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str) or raw not in self.choices:
            raise ValueError(f"got {_show(raw)}")
        return raw


class BoolKind(Kind):
    allowed = "true or false"

    def parse(self, raw: object) -> bool:
        if not isinstance(raw, bool):
            raise ValueError(f"got {_show(raw)}")
        return raw

    def from_text(self, text: str) -> bool:
        words = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
        try:
            return words[text.strip().lower()]
        except KeyError:
            raise ValueError(f"{text!r} is not true or false") from None


class DaysKind(Kind):
    allowed = 'a list of day names such as ["mon", "tue", "wed", "thu", "fri"]'

    def parse(self, raw: object) -> frozenset[int]:
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"got {_show(raw)}")
        days: set[int] = set()
        for item in raw:
            if not isinstance(item, str) or item.lower() not in DAY_NAMES:
                raise ValueError(f"{_show(item)} is not a day name")
            days.add(DAY_NAMES.index(item.lower()))
        return frozenset(days)

    def to_toml(self, value: Any) -> Any:
        return [DAY_NAMES[d] for d in sorted(value)]

    def from_text(self, text: str) -> frozenset[int]:
        return self.parse([part.strip() for part in text.split(",") if part.strip()])


class ClockTimeKind(Kind):
    allowed = 'a local time "HH:MM" on the 24-hour clock, such as "09:00"'
    _PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

    def parse(self, raw: object) -> time:
        match = self._PATTERN.match(raw) if isinstance(raw, str) else None
        if match is None:
            raise ValueError(f"got {_show(raw)}")
        return time(int(match.group(1)), int(match.group(2)))

    def to_toml(self, value: Any) -> Any:
        return f"{value.hour:02d}:{value.minute:02d}"


def _show(raw: object) -> str:
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(raw), f"a {type(raw).__name__}"
    )
    return f"{kind} ({raw!r})"


# --- the schema --------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    key: str  # "section.name" as written in the file
    attr: str  # the Settings field it fills
    kind: Kind

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


SCHEMA: tuple[Spec, ...] = (
    Spec("reminders.interval", "interval", DurationKind(1, 24 * 3600)),
    Spec("reminders.remind_again", "remind_again", DurationKind(1, 24 * 3600)),
    Spec("reminders.max_reminders", "max_reminders", IntKind(1, 20)),
    Spec("reminders.snooze", "snooze", DurationKind(1, 24 * 3600)),
    Spec("reminders.grace_after_return", "grace_after_return", DurationKind(0, 3600)),
    Spec("breaks.length", "break_length", DurationKind(10, 3600)),
    Spec("breaks.natural_break", "natural_break", DurationKind(10, 4 * 3600)),
    Spec("breaks.exercises", "exercise_mix", ChoiceKind(EXERCISE_MIXES)),
    Spec("breaks.window_corner", "window_corner", ChoiceKind(WINDOW_CORNERS)),
    Spec("working_hours.enabled", "working_hours_enabled", BoolKind()),
    Spec("working_hours.days", "working_days", DaysKind()),
    Spec("working_hours.start", "work_start", ClockTimeKind()),
    Spec("working_hours.end", "work_end", ClockTimeKind()),
    Spec("history.keep_days", "keep_days", IntKind(1, 36500)),
    Spec("logging.level", "log_level", ChoiceKind(LOG_LEVELS)),
    Spec("notifications.backend", "notifier", ChoiceKind(NOTIFIER_BACKENDS)),
    Spec("notifications.quiet_when_inhibited", "quiet_when_inhibited", BoolKind()),
    Spec("notifications.quiet_when_fullscreen", "quiet_when_fullscreen", BoolKind()),
    Spec("activity.idle_source", "idle_source", ChoiceKind(IDLE_SOURCES)),
    Spec("startup.autostart", "autostart", BoolKind()),
)
SPECS_BY_KEY = {spec.key: spec for spec in SCHEMA}
SECTIONS = tuple(dict.fromkeys(spec.section for spec in SCHEMA))


def find_spec(name: str) -> Spec:
    """Accept a full key ("reminders.interval") or its short name ("interval")."""
    if name in SPECS_BY_KEY:
        return SPECS_BY_KEY[name]
    short = [spec for spec in SCHEMA if spec.name == name or spec.attr == name]
    if len(short) == 1:
        return short[0]
    close = difflib.get_close_matches(name, [*SPECS_BY_KEY, *(s.name for s in SCHEMA)], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(f"unknown setting {name!r}{hint} (see `breakd config show`)")


# --- problems ------------------------------------------------------------------------


class ConfigError(Exception):
    """A request to read or change settings that cannot be carried out."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one layer; ``str()`` reads as a complete sentence for the user."""

    source: str
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = self.source + (f", line {self.line}" if self.line else "")
        subject = f": {self.key}" if self.key else ""
        return f"{where}{subject}: {self.message}"


@dataclass
class Layer:
    """One source of settings, already validated key by key."""

    name: str  # "default", "system", "user", "command line"
    source: str  # file path or "command line"
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    origins: Mapping[str, str]  # key -> layer name the value came from
    layers: Sequence[Layer]

    @property
    def problems(self) -> list[Problem]:
        return [problem for layer in self.layers for problem in layer.problems]


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


def _key_line(text: str, section: str, name: str | None) -> int | None:
    """Best-effort line number of ``[section] name = ...`` (or of the section header)."""
    current = ""
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
    assignment = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if match := header.match(line):
            current = match.group(1).strip("\"' ")
            if name is None and current == section:
                return number
            continue
        if name is not None and (match := assignment.match(line)):
            dotted = match.group(1).strip("\"'")
            full = f"{current}.{dotted}" if current else dotted
            if full == f"{section}.{name}":
                return number
    return None


def read_layer(path: Path, name: str, *, missing_ok: bool = True) -> Layer:
    """Read and validate one TOML file; every problem is collected, nothing is raised."""
    layer = Layer(name=name, source=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not missing_ok:
            layer.problems.append(Problem(str(path), None, None, "file not found"))
        return layer
    except (OSError, UnicodeDecodeError) as error:
        layer.problems.append(Problem(str(path), None, None, f"cannot be read ({error})"))
        return layer
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        layer.problems.append(
            Problem(
                str(path),
                int(found.group(1)) if found else None,
                None,
                f"not valid TOML ({error}); every setting in this file is ignored"
                " until it is fixed",
            )
        )
        return layer
    _validate_document(document, text, layer)
    return layer


def _validate_document(document: Mapping[str, Any], text: str, layer: Layer) -> None:
    for section, body in document.items():
        if section not in SECTIONS:
            close = difflib.get_close_matches(section, SECTIONS, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            layer.problems.append(
                Problem(
                    layer.source,
                    _key_line(text, section, None),
                    f"[{section}]",
                    f"unknown section{hint}; known sections are "
                    + ", ".join(f"[{s}]" for s in SECTIONS),
                )
            )
            continue
        if not isinstance(body, dict):
            layer.problems.append(
                Problem(layer.source, _key_line(text, "", section), section, "must be a [table]")
            )
            continue
        known = [spec.name for spec in SCHEMA if spec.section == section]
        for name, raw in body.items():
            key = f"{section}.{name}"
            line = _key_line(text, section, name)
            spec = SPECS_BY_KEY.get(key)
            if spec is None:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                layer.problems.append(
                    Problem(
                        layer.source,
                        line,
                        key,
                        f"unknown key{hint}; keys in [{section}] are {', '.join(known)}",
                    )
                )
                continue
            try:
                layer.values[key] = spec.kind.parse(raw)
            except ValueError as error:
                layer.problems.append(
                    Problem(layer.source, line, key, f"{error}; allowed: {spec.kind.allowed}")
                )


def command_line_layer(assignments: Iterable[str]) -> Layer:
    """Turn ``--set key=value`` flags into a layer; bad ones become problems."""
    layer = Layer(name="command line", source="command line")
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            layer.problems.append(
                Problem(
                    "command line", None, assignment, "write --set KEY=VALUE, e.g. interval=45m"
                )
            )
            continue
        try:
            spec = find_spec(name.strip())
            layer.values[spec.key] = spec.kind.from_text(text.strip())
        except ConfigError as error:
            layer.problems.append(Problem("command line", None, name.strip(), str(error)))
        except ValueError as error:
            spec = find_spec(name.strip())
            layer.problems.append(
                Problem("command line", None, spec.key, f"{error}; allowed: {spec.kind.allowed}")
            )
    return layer


def load_config(
    overrides: Iterable[str] = (),
    *,
    user_file: Path | None = None,
    system_files: Sequence[Path] | None = None,
) -> LoadedConfig:
    """Merge every layer into the settings in force; never raises for bad user input."""
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
    layers.append(read_layer(user_file or user_config_file(), "user"))
    layers.append(command_line_layer(overrides))
    return _merge(layers)


def _merge(layers: Sequence[Layer]) -> LoadedConfig:
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for layer in layers:
        for key, value in layer.values.items():
            candidate = {**values, key: value}
            if layer.name != "default" and (reason := _cross_check(candidate)):
                layer.problems.append(Problem(layer.source, None, key, reason))
                continue
            values[key] = value
            origins[key] = layer.name
    settings = Settings(**{SPECS_BY_KEY[k].attr: v for k, v in values.items()})
    return LoadedConfig(settings=settings, origins=origins, layers=list(layers))


def _cross_check(values: Mapping[str, Any]) -> str | None:
    start, end = values.get("working_hours.start"), values.get("working_hours.end")
    if start is not None and end is not None and not start < end:
        return (
            f"working hours must start before they end (start {start:%H:%M}, end {end:%H:%M});"
            " this value is ignored"
        )
    return None


def settings_with(settings: Settings, key: str, value: Any) -> Settings:
    """A copy of ``settings`` with one key (full or short name) changed."""
    return replace(settings, **{find_spec(key).attr: value})


def setting_value(settings: Settings, key: str) -> Any:
    return getattr(settings, find_spec(key).attr)


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


def write_user_setting(key: str, text: str, *, path: Path | None = None) -> tuple[Spec, Any]:
    """Validate ``text`` for ``key`` and store it in the user's file, changing nothing else.

    Refuses (ConfigError) when the value is invalid or the user's file cannot be parsed:
    breakd must never overwrite a file it does not understand.
    """
    spec = find_spec(key)
    try:
        value = spec.kind.from_text(text)
    except ValueError as error:
        raise ConfigError(f"{spec.key}: {error}; allowed: {spec.kind.allowed}") from None
    store_user_value(spec, value, path=path)
    return spec, value


def store_user_value(spec: Spec, value: Any, *, path: Path | None = None) -> None:
    """Write an already-validated value into the user's file, atomically."""
    import tomlkit  # only for writing: it costs the daemon memory it rarely needs

    target = path or user_config_file()
    try:
        original = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        original = None
    if original is None:
        document = tomlkit.document()
        document.add(tomlkit.comment("breakd settings; see `breakd config show` for every key."))
        document.add(tomlkit.nl())
    else:
        try:
            document = tomlkit.parse(original)
        except Exception as error:
            raise ConfigError(
                f"{target} is not valid TOML ({error}); fix it by hand first, breakd will not"
                " overwrite it"
            ) from None
        if any(p.key is None for p in read_layer(target, "user").problems):
            raise ConfigError(f"{target} cannot be parsed; fix it by hand first")
    if spec.section not in document:
        document.add(spec.section, tomlkit.table())
    table = document[spec.section]
    if not isinstance(table, (tomlkit.items.Table, tomlkit.items.InlineTable)):
        raise ConfigError(f"{target}: {spec.section} is not a table; fix it by hand first")
    table[spec.name] = spec.kind.to_toml(value)
    _atomic_write(target, tomlkit.dumps(document))


def _atomic_write(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` in one step, keeping the file's permissions."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    write_atomically(target, text.encode("utf-8"), mode)


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
