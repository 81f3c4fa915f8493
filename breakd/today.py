"""Today's figures in words, for ``breakd status`` and the tray.

A leaf module: the command line prints these words for every ``breakd status`` and
must not load the statistics (sqlite3, datetime) to do it. ``breakd.stats`` computes
the figures and re-exports these functions.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not loaded for `breakd status` either
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def format_today(today: Mapping[str, Any]) -> str:
    """ "Today: 2 h 10 min sitting · 3 breaks · longest stretch 52 min" (with the time
    standing, "· 40 min standing", after the sitting time at a sit-stand desk)."""
    breaks = int(today.get("breaks", 0))
    parts = ["Today:"]
    sitting = today.get("sitting_seconds")
    if sitting is not None:
        parts.append(f"{format_minutes(float(sitting))} sitting ·")
    if standing := float(today.get("standing_seconds") or 0):  # a sit-stand desk
        parts.append(f"{format_minutes(standing)} standing ·")
    parts.append(f"{breaks} {'break' if breaks == 1 else 'breaks'} ·")
    parts.append(f"longest stretch {format_minutes(float(today.get('longest_stretch', 0)))}")
    return " ".join(parts)


def format_minutes(seconds: float) -> str:
    """Sitting time for people, to the minute: "0 min", "52 min", "1 h 05 min"."""
    minutes = round(max(seconds, 0.0) / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
