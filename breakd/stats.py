"""Statistics over the history file, one local calendar day at a time.

Pure computation: the only I/O is reading the sqlite3 connection it is given, so the
command line, the daemon's status and the tray can all ask the same questions and get
the same answers.

How the figures are counted:

* Times in the file are Unix seconds. A day runs from one local midnight to the next,
  worked out per day in the local time zone, so a daylight-saving change gives a day of
  23 or 25 hours and never creates or loses sitting time.
* A stretch that crosses midnight is split: each day gets the part sat on it, and the
  longest stretch of a day is the longest such part. A stretch longer than the reminder
  interval is counted once, on the day it went past the interval.
* A stretch still open in the file (no ``ended_at``) counts up to its ``last_seen``.
  The newest open stretch is the live one when it was seen within :data:`LIVE_SLACK`
  of now (the daemon refreshes it every minute while the user sits); the live one counts
  up to now. A caller that knows better (the daemon) says so with ``live=``.
* Calls (the microphone or the camera in use) are split at midnight like stretches; a
  call still open counts up to its ``last_seen``, or up to now when it was seen within
  :data:`LIVE_SLACK`. Time in calls is also sitting time: it is shown beside it, not
  added to it.
* Breaks count on the day they started, once over; one cut short by a crash
  (``interrupted``) counts as partial. Walking breaks are breaks like the others, and
  are also counted apart. Reminders count on the day they were shown. Every
  reminder shown ends up led to a break (outcome ``break`` or ``natural``), snoozed,
  skipped or unanswered, so those counts add up to the reminders shown.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

from breakd.i18n import _, format_day, ngettext

# Their home is breakd.today (a leaf for `breakd status`); re-exported for the callers here.
from breakd.today import format_minutes as format_minutes
from breakd.today import format_today as format_today

#: How recently the newest open stretch must have been seen to count it up to "now".
#: Shorter than the natural-break threshold, so an idle user is never counted as
#: sitting for longer than the engine itself would.
LIVE_SLACK = 180.0

EN_DASH = "\N{EN DASH}"

BreakOutcome = Literal["completed", "partial", "natural"]
Outcome = Literal["break", "natural", "snoozed", "skipped"]


# --- rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stretch:
    """One sitting stretch, with its end settled (see the module notes on open ones)."""

    started_at: float
    ended_at: float
    live: bool = False

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended_at - self.started_at)


@dataclass(frozen=True)
class BreakEvent:
    outcome: BreakOutcome
    started_at: float
    ended_at: float
    #: A guided break's type ("exercise" or "walking"); None for a natural break.
    break_type: str | None = None


@dataclass(frozen=True)
class ReminderEvent:
    shown_at: float
    outcome: Outcome | None


@dataclass(frozen=True)
class History:
    """The rows that touch a window of time, in time order."""

    stretches: tuple[Stretch, ...] = ()
    breaks: tuple[BreakEvent, ...] = ()
    reminders: tuple[ReminderEvent, ...] = ()
    #: Times standing at a sit-stand desk, as (from, to) in Unix seconds.
    standing: tuple[tuple[float, float], ...] = ()
    #: Calls, as (from, to) in Unix seconds.
    calls: tuple[tuple[float, float], ...] = ()


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read, so the daemon's writes are never held up."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.execute("PRAGMA busy_timeout = 2000")
    return db


def has_history_tables(connection: sqlite3.Connection) -> bool:
    """False for a file breakd never wrote a schema into (nothing to read yet)."""
    row = connection.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
        " AND name IN ('stretches', 'breaks', 'reminders')"
    ).fetchone()
    return bool(row and row[0] == 3)


def read_history(
    connection: sqlite3.Connection,
    start: float,
    end: float,
    *,
    now: float,
    live: bool | None = None,
) -> History:
    """The stretches, breaks and reminders between ``start`` and ``end`` (Unix seconds).

    ``live`` says whether the newest open stretch is being sat right now; ``None``
    guesses from how recently it was seen.
    """
    newest_open = connection.execute(
        "SELECT MAX(id) FROM stretches WHERE ended_at IS NULL"
    ).fetchone()[0]
    stretches: list[Stretch] = []
    for row_id, started_at, ended_at, last_seen in connection.execute(
        "SELECT id, started_at, ended_at, last_seen FROM stretches"
        " WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?)"
        " ORDER BY started_at, id",
        (end, start),
    ):
        started = float(started_at)
        if ended_at is not None:
            stretches.append(Stretch(started, float(ended_at)))
            continue
        seen = float(last_seen)
        is_live = row_id == newest_open and (
            (0.0 <= now - seen <= LIVE_SLACK) if live is None else live
        )
        until = max(now, seen) if is_live else seen
        if until > start:
            stretches.append(Stretch(started, max(started, until), live=is_live))
    # A file the daemon has not yet migrated to break types: all its breaks were exercise.
    typed = _has_column(connection, "breaks", "break_type")
    breaks = tuple(
        BreakEvent(outcome, float(started_at), float(ended_at), break_type)
        for outcome, started_at, ended_at, break_type in connection.execute(
            # A break cut short by a crash counts as partial; one still running, not yet.
            "SELECT CASE kind WHEN 'interrupted' THEN 'partial' ELSE kind END,"
            f" started_at, ended_at, {'break_type' if typed else 'NULL'} FROM breaks"
            " WHERE started_at >= ? AND started_at < ? AND ended_at IS NOT NULL"
            " ORDER BY started_at, id",
            (start, end),
        )
    )
    reminders = tuple(
        ReminderEvent(float(shown_at), outcome)
        for shown_at, outcome in connection.execute(
            "SELECT shown_at, outcome FROM reminders"
            " WHERE shown_at >= ? AND shown_at < ? ORDER BY shown_at, id",
            (start, end),
        )
    )
    standing = _standing(connection, stretches, end)
    calls = _calls(connection, start, end, now)
    return History(tuple(stretches), breaks, reminders, standing, calls)


def _calls(
    connection: sqlite3.Connection, start: float, end: float, now: float
) -> tuple[tuple[float, float], ...]:
    """Calls that touch ``start`` to ``end``; an open one up to when it was last seen (or
    now, when that was recent: it is going on)."""
    has_table = connection.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'calls'"
    ).fetchone()[0]
    if not has_table:
        return ()
    found: list[tuple[float, float]] = []
    for started_at, ended_at, last_seen in connection.execute(
        "SELECT started_at, ended_at, last_seen FROM calls"
        " WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at, id",
        (end, start),
    ):
        began = float(started_at)
        if ended_at is not None:
            until = float(ended_at)
        else:
            seen = float(last_seen)
            until = max(now, seen) if 0.0 <= now - seen <= LIVE_SLACK else seen
        if until > began:
            found.append((began, until))
    return tuple(found)


def _has_column(connection: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in connection.execute(f"PRAGMA table_info({table})"))


def _standing(
    connection: sqlite3.Connection, stretches: list[Stretch], end: float
) -> tuple[tuple[float, float], ...]:
    """Standing times within ``stretches``: from a "standing" row to the next posture row,
    and never past the end of the stretch it began in (a crash writes no "sitting" row)."""
    has_table = connection.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'postures'"
    ).fetchone()[0]
    if not has_table or not stretches:
        return ()
    rows = [
        (float(at), posture)
        for at, posture in connection.execute(
            "SELECT at, posture FROM postures WHERE at >= ? AND at < ? ORDER BY at, id",
            (stretches[0].started_at, end),
        )
    ]
    found: list[tuple[float, float]] = []
    for index, (at, posture) in enumerate(rows):
        if posture != "standing":
            continue
        until = rows[index + 1][0] if index + 1 < len(rows) else float("inf")
        for stretch in stretches:
            if stretch.started_at <= at < stretch.ended_at:
                found.append((at, min(until, stretch.ended_at)))
                break
    return tuple(found)


# --- days -------------------------------------------------------------------------------


def local_midnight(day: date, tz: tzinfo | None = None) -> float:
    """The Unix time at which ``day`` begins (``tz`` None: the system's local zone)."""
    if tz is None:
        return datetime.combine(day, time.min).astimezone().timestamp()
    return datetime.combine(day, time.min, tzinfo=tz).timestamp()


def utc_offset(moment: float, tz: tzinfo | None = None) -> float:
    """Seconds the local clock is ahead of UTC at ``moment``."""
    local = datetime.fromtimestamp(moment, UTC).astimezone(tz)
    offset = local.utcoffset()
    return 0.0 if offset is None else offset.total_seconds()


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Figures:
    """What one day (or a whole period) adds up to."""

    sitting_seconds: float = 0.0
    standing_seconds: float = 0.0
    call_seconds: float = 0.0
    longest_stretch: float = 0.0
    stretches_over_interval: int = 0
    breaks_completed: int = 0
    breaks_partial: int = 0
    breaks_natural: int = 0
    #: Of the breaks taken on purpose, those that were walking breaks.
    breaks_walking: int = 0
    reminders_shown: int = 0
    reminders_led_to_break: int = 0
    reminders_snoozed: int = 0
    reminders_skipped: int = 0

    @property
    def breaks(self) -> int:
        """Breaks taken on purpose (completed or partial); natural ones are counted apart."""
        return self.breaks_completed + self.breaks_partial

    @property
    def break_share(self) -> float | None:
        """The share of reminders that led to a break; None when none were shown."""
        if self.reminders_shown == 0:
            return None
        return self.reminders_led_to_break / self.reminders_shown

    def add(self, other: Figures) -> None:
        self.sitting_seconds += other.sitting_seconds
        self.standing_seconds += other.standing_seconds
        self.call_seconds += other.call_seconds
        self.longest_stretch = max(self.longest_stretch, other.longest_stretch)
        self.stretches_over_interval += other.stretches_over_interval
        self.breaks_completed += other.breaks_completed
        self.breaks_partial += other.breaks_partial
        self.breaks_natural += other.breaks_natural
        self.breaks_walking += other.breaks_walking
        self.reminders_shown += other.reminders_shown
        self.reminders_led_to_break += other.reminders_led_to_break
        self.reminders_snoozed += other.reminders_snoozed
        self.reminders_skipped += other.reminders_skipped

    def as_dict(self) -> dict[str, Any]:
        """JSON- and CSV-friendly values (seconds rounded to a tenth)."""
        share = self.break_share
        return {
            "sitting_seconds": round(self.sitting_seconds, 1),
            "standing_seconds": round(self.standing_seconds, 1),
            "call_seconds": round(self.call_seconds, 1),
            "longest_stretch_seconds": round(self.longest_stretch, 1),
            "stretches_over_interval": self.stretches_over_interval,
            "breaks": self.breaks,
            "breaks_completed": self.breaks_completed,
            "breaks_partial": self.breaks_partial,
            "breaks_natural": self.breaks_natural,
            "breaks_walking": self.breaks_walking,
            "reminders_shown": self.reminders_shown,
            "reminders_led_to_break": self.reminders_led_to_break,
            "reminders_snoozed": self.reminders_snoozed,
            "reminders_skipped": self.reminders_skipped,
            "break_share": None if share is None else round(share, 4),
        }


@dataclass
class DayStats(Figures):
    day: date = date.min


@dataclass(frozen=True)
class Piece:
    """The part of a stretch that falls on one day; ``whole`` is the full stretch length."""

    started_at: float
    ended_at: float
    whole: float
    live: bool = False


@dataclass
class DayTimeline:
    """One day's stretches and breaks, for drawing."""

    day: date
    start: float
    end: float
    pieces: list[Piece] = field(default_factory=list)
    breaks: list[BreakEvent] = field(default_factory=list)
    #: Calls on that day, as (from, to) in Unix seconds.
    calls: list[tuple[float, float]] = field(default_factory=list)
    #: Times standing at a sit-stand desk on this day, as (from, to) in Unix seconds.
    standing: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    """Statistics for a run of days, and what they add up to."""

    first: date
    last: date
    interval: float
    days: tuple[DayStats, ...]
    total: Figures
    timelines: tuple[DayTimeline, ...]


class _Days:
    """Local-midnight boundaries of consecutive days, for placing Unix times."""

    def __init__(self, first: date, last: date, tz: tzinfo | None) -> None:
        self.dates = day_range(first, last)
        self.bounds = [local_midnight(d, tz) for d in self.dates]
        self.bounds.append(local_midnight(last + timedelta(days=1), tz))

    @property
    def start(self) -> float:
        return self.bounds[0]

    @property
    def end(self) -> float:
        return self.bounds[-1]

    def index(self, moment: float) -> int | None:
        """Which day ``moment`` falls on, or None outside the range."""
        if not self.start <= moment < self.end:
            return None
        return bisect_right(self.bounds, moment) - 1


def compute(
    history: History,
    first: date,
    last: date,
    interval: float,
    tz: tzinfo | None = None,
) -> Report:
    """Per-day figures for ``first`` to ``last`` (inclusive) from already-read rows."""
    if last < first:
        raise ValueError(f"the period ends ({last}) before it begins ({first})")
    days = _Days(first, last, tz)
    stats = [DayStats(day=d) for d in days.dates]
    lines = [DayTimeline(d, days.bounds[i], days.bounds[i + 1]) for i, d in enumerate(days.dates)]
    for stretch in history.stretches:
        _add_stretch(stretch, days, stats, lines, interval)
    for began, ended in history.standing:
        _add_standing(began, ended, days, stats, lines)
    for began, ended in history.calls:
        for n, part_start, part_end in _split(began, ended, days):
            stats[n].call_seconds += part_end - part_start
            lines[n].calls.append((part_start, part_end))
    for taken in history.breaks:
        i = days.index(taken.started_at)
        if i is None:
            continue
        lines[i].breaks.append(taken)
        day = stats[i]
        if taken.outcome == "completed":
            day.breaks_completed += 1
        elif taken.outcome == "partial":
            day.breaks_partial += 1
        else:
            day.breaks_natural += 1
        if taken.outcome != "natural" and taken.break_type == "walking":
            day.breaks_walking += 1
    for reminder in history.reminders:
        i = days.index(reminder.shown_at)
        if i is None:
            continue
        day = stats[i]
        day.reminders_shown += 1
        if reminder.outcome in ("break", "natural"):
            day.reminders_led_to_break += 1
        elif reminder.outcome == "snoozed":
            day.reminders_snoozed += 1
        elif reminder.outcome == "skipped":
            day.reminders_skipped += 1
    total = Figures()
    for day in stats:
        total.add(day)
    return Report(first, last, interval, tuple(stats), total, tuple(lines))


def _add_stretch(
    stretch: Stretch,
    days: _Days,
    stats: list[DayStats],
    lines: list[DayTimeline],
    interval: float,
) -> None:
    begin = max(stretch.started_at, days.start)
    finish = min(stretch.ended_at, days.end)
    if finish <= begin:
        return
    whole = stretch.seconds
    i = days.index(begin)
    assert i is not None
    while i < len(stats) and days.bounds[i] < finish:
        part_start = max(begin, days.bounds[i])
        part_end = min(finish, days.bounds[i + 1])
        if part_end > part_start:
            part = part_end - part_start
            stats[i].sitting_seconds += part
            stats[i].longest_stretch = max(stats[i].longest_stretch, part)
            lines[i].pieces.append(Piece(part_start, part_end, whole, stretch.live))
        i += 1
    if whole > interval:
        passed = days.index(stretch.started_at + interval)
        if passed is not None:
            stats[passed].stretches_over_interval += 1


def _split(began: float, ended: float, days: _Days) -> Iterator[tuple[int, float, float]]:
    """The parts of ``began`` to ``ended`` on each day of ``days``: (day index, from, to)."""
    begin, finish = max(began, days.start), min(ended, days.end)
    i = days.index(begin) if finish > begin else None
    while i is not None and i < len(days.dates) and days.bounds[i] < finish:
        part_start, part_end = max(begin, days.bounds[i]), min(finish, days.bounds[i + 1])
        if part_end > part_start:
            yield i, part_start, part_end
        i += 1


def _add_standing(
    began: float, ended: float, days: _Days, stats: list[DayStats], lines: list[DayTimeline]
) -> None:
    """Standing time moves from a day's sitting to its standing (it was counted at the desk)."""
    for n, part_start, part_end in _split(began, ended, days):
        part = part_end - part_start
        stats[n].standing_seconds += part
        stats[n].sitting_seconds = max(0.0, stats[n].sitting_seconds - part)
        lines[n].standing.append((part_start, part_end))


def collect(
    connection: sqlite3.Connection,
    first: date,
    last: date,
    interval: float,
    *,
    now: datetime,
    live: bool | None = None,
    tz: tzinfo | None = None,
) -> Report:
    """Read the history file and work out the figures for ``first`` to ``last``."""
    days = _Days(first, last, tz)
    history = read_history(connection, days.start, days.end, now=now.timestamp(), live=live)
    return compute(history, first, last, interval, tz)


def last_days(count: int, now: datetime) -> tuple[date, date]:
    """The ``count`` calendar days ending with today."""
    if count < 1:
        raise ValueError("a period has at least one day")
    today = now.astimezone().date()
    return today - timedelta(days=count - 1), today


# --- the "Today" line -----------------------------------------------------------------


def today_line(
    connection: sqlite3.Connection,
    now: datetime,
    interval: float,
    *,
    live: bool | None = None,
) -> dict[str, Any]:
    """Today's figures for ``breakd status`` and the tray.

    The daemon passes ``live=True`` while the user sits (the open stretch counts up to
    ``now``) and ``live=False`` otherwise; without it the freshness of the open stretch
    decides.
    """
    today = now.astimezone().date()
    report = collect(connection, today, today, interval, now=now, live=live)
    figures = report.days[0]
    return {
        "date": today.isoformat(),
        "breaks": figures.breaks,
        "natural_breaks": figures.breaks_natural,
        "sitting_seconds": round(figures.sitting_seconds, 1),
        "standing_seconds": round(figures.standing_seconds, 1),
        "call_seconds": round(figures.call_seconds, 1),
        "longest_stretch": round(figures.longest_stretch, 1),
        "stretches_over_interval": figures.stretches_over_interval,
        "reminders_shown": figures.reminders_shown,
        "break_share": figures.as_dict()["break_share"],
    }


# --- words ------------------------------------------------------------------------------


def format_share(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"


def period_name(first: date, last: date, today: date) -> str:
    """How the one-line summary names the period: "Today", "Last 7 days", or dates."""
    count = (last - first).days + 1
    if last == today:
        if count == 1:
            return _("Today")
        return ngettext("Last {count} day", "Last {count} days", count).format(count=count)
    if first == last:
        return format_day(first, with_year=True)
    return (
        f"{format_day(first, weekday=False)} {EN_DASH}"
        f" {format_day(last, with_year=True, weekday=False)}"
    )


def summary_line(report: Report, today: date) -> str:
    """ "Last 7 days: 4 h 20 min sitting, longest stretch 1 h 05 min, 9 breaks"."""
    total = report.total
    parts = [_("{duration} sitting").format(duration=format_minutes(total.sitting_seconds))]
    if total.standing_seconds:
        parts.append(
            _("{duration} standing").format(duration=format_minutes(total.standing_seconds))
        )
    parts += [
        _("longest stretch {duration}").format(duration=format_minutes(total.longest_stretch)),
        ngettext("{count} break", "{count} breaks", total.breaks).format(count=total.breaks),
    ]
    if total.call_seconds >= 60:
        in_calls = format_minutes(total.call_seconds)
        parts.insert(1, _("{duration} of it in calls").format(duration=in_calls))
    if walks := total.breaks_walking:
        parts.append(
            ngettext("{count} of them a walk", "{count} of them walks", walks).format(count=walks)
        )
    if natural := total.breaks_natural:
        parts.append(
            ngettext("{count} natural break", "{count} natural breaks", natural).format(
                count=natural
            )
        )
    period = period_name(report.first, report.last, today)
    return _("{period}: {figures}").format(period=period, figures=", ".join(parts))


def iter_rows(report: Report) -> Iterable[dict[str, Any]]:
    """One flat dictionary per day, date first (for CSV and JSON)."""
    for day in report.days:
        yield {"date": day.day.isoformat(), **day.as_dict()}
