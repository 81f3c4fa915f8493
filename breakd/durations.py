"""Durations the way people write them: "30m", "2m", "45s", "1h30m"."""

from __future__ import annotations

import re

from breakd.i18n import SOURCE_LANGUAGE, _, format_units, language

_UNITS = {"h": 3600, "m": 60, "s": 1}
# Patterns, not compiled here: ``breakd status`` loads this module for humanize() alone.
_PART = r"(\d+(?:\.\d+)?)\s*([hms])"
_WHOLE = r"^\s*(?:\d+(?:\.\d+)?\s*[hms]\s*)+$"


class DurationError(ValueError):
    """A duration string that does not read as hours, minutes and seconds."""


def parse_duration(text: str) -> float:
    """Return the number of seconds in ``text`` such as "1h30m" or "45s".

    A bare number is refused on purpose: "30" could mean seconds or minutes.
    """
    cleaned = text.strip().lower()
    if not re.match(_WHOLE, cleaned):
        raise DurationError(
            _('{text} is not a duration; write it like "30m", "45s", "2h" or "1h30m"').format(
                text=repr(text)
            )
        )
    seen: set[str] = set()
    total = 0.0
    for number, unit in re.findall(_PART, cleaned):
        if unit in seen:
            raise DurationError(
                _("{text} gives {unit} twice").format(text=repr(text), unit=repr(unit))
            )
        seen.add(unit)
        total += float(number) * _UNITS[unit]
    return total


def format_duration(seconds: float) -> str:
    """Write ``seconds`` back in the same notation, e.g. 5400 -> "1h30m"."""
    whole = round(seconds)
    if whole <= 0:
        return "0s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)


def humanize(seconds: float) -> str:
    """Words for people: "34 min", "1 h 5 min", "45 s".

    English is breakd's own short style; a translated language gets its own unit
    abbreviations from Babel's locale data ("34 Min.", "1 Std., 5 Min.").
    """
    whole = round(max(seconds, 0))
    if language() != SOURCE_LANGUAGE:
        return _in_language(whole)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _in_language(whole: int) -> str:
    if whole < 60:
        return format_units([(whole, "second")])
    hours, minutes = divmod(whole // 60, 60)
    if not hours:
        return format_units([(minutes, "minute")])
    return format_units([(hours, "hour"), (minutes, "minute")] if minutes else [(hours, "hour")])
