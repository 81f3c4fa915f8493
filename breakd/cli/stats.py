"""``breakd stats``: sitting time and breaks day by day, as a table, JSON, CSV or a chart.

The history file is opened read-only (an SQLite ``mode=ro`` URI), so looking at the
statistics never gets in the way of the running daemon. ``--forget`` is the one action
that writes: it empties the file after asking.
"""

from __future__ import annotations

import argparse
import json
import sys

from breakd.cli.arguments import path
from breakd.cli.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from breakd.i18n import _, format_day, ngettext

# Every `breakd` command registers this one: the statistics (sqlite3, datetime), the
# settings and csv load only when `breakd stats` runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime
    from pathlib import Path
    from typing import Any

    from breakd.cli.exits import Subcommands
    from breakd.stats import Figures, Report

DEFAULT_DAYS = 7
MAX_DAYS = 36600
#: A chart row per day stays readable up to about two months.
MAX_CHART_DAYS = 62


def register(subparsers: Subcommands) -> None:
    """Add the ``stats`` command to breakd's command line."""
    stats = subparsers.add_parser(
        "stats",
        help=_("your sitting time and breaks, day by day"),
        description=_(
            "Sitting time and breaks per day: total sitting, the longest unbroken stretch,"
            " stretches longer than the reminder interval, breaks completed, partial and"
            " natural, reminders snoozed and skipped, and the share of reminders that led to"
            " a break. Shows today and the {days} days before unless told otherwise."
        ).format(days=DEFAULT_DAYS - 1),
    )
    period = stats.add_argument_group("period")
    period.add_argument(
        "--days",
        type=int,
        metavar="N",
        help=_("the last N days, today included (default {days})").format(days=DEFAULT_DAYS),
    )
    period.add_argument(
        "--from",
        dest="first",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help=_("the first day to show (until --to, or today)"),
    )
    period.add_argument(
        "--to",
        dest="last",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help=_("the last day to show"),
    )
    output = stats.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    output.add_argument("--csv", action="store_true", help=_("print CSV, one row per day"))
    stats.add_argument(
        "--chart",
        type=path,
        metavar="FILE.png",
        help=_("also draw the days as a PNG timeline (up to {days} days)").format(
            days=MAX_CHART_DAYS
        ),
    )
    stats.add_argument(
        "--forget",
        action="store_true",
        help=_("delete all history (asks first)"),
    )
    stats.add_argument("--yes", action="store_true", help=_("with --forget: do not ask"))
    stats.add_argument(
        "--history",
        type=path,
        metavar="FILE",
        help=_("the history file to read (default: breakd's own, in its data folder)"),
    )
    stats.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    import sqlite3
    from contextlib import closing
    from datetime import datetime

    from breakd.config import load_config
    from breakd.files import default_history_path
    from breakd.stats import collect, has_history_tables, open_read_only

    path: Path = args.history or default_history_path()
    if args.forget:
        return forget(path, assume_yes=args.yes)
    if args.yes:
        return _usage(_("--yes goes with --forget"))
    now = datetime.now().astimezone()
    try:
        first, last = choose_period(args.days, args.first, args.last, now)
    except ValueError as error:
        return _usage(str(error))
    if args.chart is not None and (last - first).days + 1 > MAX_CHART_DAYS:
        return _usage(
            _(
                "the chart shows at most {count} days; choose fewer with --days or --from/--to"
            ).format(count=MAX_CHART_DAYS)
        )
    if not path.exists():
        print(_("No breakd history yet ({path} does not exist).").format(path=path))
        return EXIT_OK
    interval = load_config(getattr(args, "overrides", [])).settings.interval
    try:
        with closing(open_read_only(path)) as db:
            if not has_history_tables(db):
                print(_("No breakd history yet ({path} holds none).").format(path=path))
                return EXIT_OK
            report = collect(db, first, last, interval, now=now)
    except sqlite3.Error as error:
        print(
            _("breakd: cannot read the history in {path}: {reason}").format(
                path=path, reason=error
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR

    if args.json:
        print(json.dumps(as_json(report, path), indent=2, ensure_ascii=False))
    elif args.csv:
        write_csv(report)
    else:
        print(format_report(report, now.date()))
    if args.chart is not None:
        return _write_chart(report, args.chart, now, quiet=args.json or args.csv)
    return EXIT_OK


def choose_period(
    days: int | None, first: date | None, last: date | None, now: datetime
) -> tuple[date, date]:
    """The first and last day asked for; ValueError with a message saying what is wrong."""
    from breakd.stats import last_days

    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValueError(
            _("--days must be 1 to {maximum}, not {days}").format(maximum=MAX_DAYS, days=days)
        )
    if days is not None and first is not None:
        raise ValueError(_("give either --days or --from, not both"))
    today = now.astimezone().date()
    if first is None:
        start, end = last_days(days or DEFAULT_DAYS, now)
        if last is not None:
            start, end = last - (end - start), last
    else:
        start, end = first, last or today
    if end < start:
        raise ValueError(
            _("--to ({last}) is before --from ({first})").format(last=end, first=start)
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(_("at most {count} days at once").format(count=MAX_DAYS))
    return start, end


# --- output ------------------------------------------------------------------------------


def as_json(report: Report, path: Path) -> dict[str, Any]:
    from breakd.stats import iter_rows

    return {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "interval_seconds": report.interval,
        "history": str(path.resolve()),
        "days": list(iter_rows(report)),
        "total": report.total.as_dict(),
    }


def write_csv(report: Report) -> None:
    import csv

    from breakd.stats import iter_rows

    rows = list(iter_rows(report))
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def format_report(report: Report, today: date) -> str:
    """The table a person reads at a glance, with a one-line summary under it."""
    from breakd.stats import EN_DASH, format_minutes, summary_line

    interval = format_minutes(report.interval)
    with_year = report.first.year != report.last.year or report.last.year != today.year
    # A sit-stand desk: standing gets a column of its own (a fixed desk never stands).
    standing = report.total.standing_seconds > 0
    # Calls likewise: a column only for someone who has been in one in the period.
    calls = report.total.call_seconds > 0
    headers = (
        _("Day"),
        _("Sitting"),
        *((_("Standing"),) if standing else ()),
        *((_("In calls"),) if calls else ()),
        _("Longest"),
        _("Over {interval}").format(interval=interval),
        _("Breaks"),
        _("Partial"),
        _("Natural"),
        _("Snoozed"),
        _("Skipped"),
        _("Led to break"),
    )
    body: list[Sequence[str]] = []
    for day in report.days:
        label = format_day(day.day, with_year=with_year)
        body.append(_cells(label, day, standing=standing, calls=calls))
    total = _cells(_("Total"), report.total, standing=standing, calls=calls)
    widths = [max(len(row[i]) for row in (headers, *body, total)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    rule = "  ".join("─" * width for width in widths)
    period = format_day(report.first, with_year=True, weekday=False)
    if report.last != report.first:
        period = (
            f"{format_day(report.first, weekday=False)} {EN_DASH}"
            f" {format_day(report.last, with_year=True, weekday=False)}"
        )
    lines = [
        _("Sitting and breaks, {period} (reminder interval {interval})").format(
            period=period, interval=interval
        ),
        "",
        line(headers),
        rule,
        *(line(row) for row in body),
    ]
    if len(body) > 1:
        lines += [rule, line(total)]
    lines += ["", summary_line(report, today) + "."]
    return "\n".join(lines)


def _cells(
    label: str, figures: Figures, *, standing: bool = False, calls: bool = False
) -> tuple[str, ...]:
    from breakd.stats import format_minutes, format_share

    share = figures.break_share
    led = "—" if share is None else f"{format_share(share)} of {figures.reminders_shown}"
    return (
        label,
        format_minutes(figures.sitting_seconds),
        *((format_minutes(figures.standing_seconds),) if standing else ()),
        *((format_minutes(figures.call_seconds),) if calls else ()),
        format_minutes(figures.longest_stretch),
        str(figures.stretches_over_interval),
        str(figures.breaks_completed),
        str(figures.breaks_partial),
        str(figures.breaks_natural),
        str(figures.reminders_snoozed),
        str(figures.reminders_skipped),
        led,
    )


def _write_chart(report: Report, out: Path, now: datetime, *, quiet: bool) -> int:
    from breakd.chart import render_report  # Pillow is only needed here

    image = render_report(report, now=now)
    try:
        image.save(out, format="PNG")
    except (OSError, ValueError) as error:
        print(
            _("breakd: cannot write {path}: {reason}").format(path=out, reason=error),
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(
        ngettext(
            "{path}: chart of {count} day, {width}x{height} px",
            "{path}: chart of {count} days, {width}x{height} px",
            len(report.days),
        ).format(path=out, count=len(report.days), width=image.width, height=image.height),
        file=sys.stderr if quiet else sys.stdout,
    )
    return EXIT_OK


# --- forgetting ---------------------------------------------------------------------------


def forget(path: Path, *, assume_yes: bool) -> int:
    """Empty the history file after asking (``--yes`` does not ask)."""
    import sqlite3

    if not path.exists():
        print(_("No breakd history to delete ({path} does not exist).").format(path=path))
        return EXIT_OK
    if not assume_yes:
        if not sys.stdin.isatty():
            print(
                _(
                    "breakd: not deleting the history without asking; run"
                    " `breakd stats --forget --yes` to delete it without a question"
                ),
                file=sys.stderr,
            )
            return EXIT_ERROR
        try:
            answer = input(_("Delete all breakd history in {path}? [y/N] ").format(path=path))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print(_("Nothing deleted."))
            return EXIT_OK
    # The one action that writes, so the only one that needs the daemon's store.
    from breakd.store import HistoryStore, HistoryUnavailable

    try:
        store = HistoryStore(path)
        try:
            store.forget_all()
        finally:
            store.close()
    except (HistoryUnavailable, sqlite3.Error, OSError) as error:
        print(
            _("breakd: could not delete the history in {path}: {reason}").format(
                path=path, reason=error
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(_("Deleted all breakd history in {path}.").format(path=path))
    return EXIT_OK


def _iso_date(text: str) -> date:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02").format(
                value=repr(text)
            )
        ) from None


def _usage(message: str) -> int:
    print(f"breakd: {message}", file=sys.stderr)
    return EXIT_USAGE
