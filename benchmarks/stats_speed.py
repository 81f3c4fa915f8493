"""How fast ``breakd stats`` answers over a year of history.

Run:  python benchmarks/stats_speed.py [--days 250] [--seed 1] [--direct] [--json out.json]

It builds a realistic year in a temporary history file: about 250 working days, each
played through the engine with a fake clock (arrival, stretches, reminders answered by a
break, a partial break, a snooze or a skip, lunch and other walks away, home time), every
record written by the real store. ``--direct`` writes comparable rows straight into the
file instead, which builds faster and times the same reading. Then it times the reading
side: the whole year, the default week, the "Today" line, the week chart and the
command itself, and prints a table (and JSON).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing, redirect_stdout
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from breakd.chart import render_week
from breakd.cli.stats import register
from breakd.clock import FakeClock
from breakd.config import load_config
from breakd.engine import Effect, Engine, Write
from breakd.stats import collect, last_days, open_read_only, today_line
from breakd.store import HistoryStore

TARGETS = {"year_seconds": 1.0}
MIN = 60.0
STEP = 30.0  # seconds between idle samples, as the daemon takes them while the user sits


class Day:
    """One working day played through the engine; the store writes every record."""

    def __init__(self, store: HistoryStore, clock: FakeClock, rng: random.Random) -> None:
        self.store, self.clock, self.rng = store, clock, rng
        self.settings = load_config().settings
        self.engine = Engine(self.settings, clock)
        self.apply(self.engine.sample(0))

    def apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Write):
                self.store.write(effect.record)

    def run(self, seconds: float, *, idle: bool) -> None:
        elapsed = idle_for = 0.0
        while elapsed < seconds:
            step = min(STEP, seconds - elapsed)
            self.clock.advance(step)
            elapsed += step
            idle_for = idle_for + step if idle else 0.0
            self.apply(self.engine.sample(idle_for))
        if idle:
            self.apply(self.engine.sample(0))

    def play(self, home_time: datetime) -> None:
        lunch_done = False
        while self.clock.now() < home_time:
            self.run(self.rng.choice([10, 15, 20, 25, 30, 35, 40, 50, 65]) * MIN, idle=False)
            if not lunch_done and self.clock.now().hour >= 12:
                self.run(self.rng.uniform(30, 60) * MIN, idle=True)
                lunch_done = True
                continue
            due = self.engine.status().reminder_due
            choice = self.rng.random()
            if due and choice < 0.5:
                self.apply(self.engine.start_break("reminder", ("neck-turn", "shoulder-roll")))
                self.run(self.settings.break_length, idle=False)
            elif due and choice < 0.6:
                self.apply(self.engine.start_break("reminder", ("neck-turn",)))
                self.run(self.rng.uniform(20, 100), idle=False)
                self.apply(self.engine.end_break_early())
            elif due and choice < 0.75:
                self.apply(self.engine.snooze())
            elif due and choice < 0.8:
                self.apply(self.engine.skip())
            elif choice < 0.9:
                self.run(self.rng.uniform(6, 20) * MIN, idle=True)
        self.apply(self.engine.shutdown())


def working_days(count: int, last: date) -> list[date]:
    """The ``count`` weekdays ending on or before ``last``."""
    days: list[date] = []
    day = last
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def build_through_engine(path: Path, days: list[date], rng: random.Random) -> None:
    store = HistoryStore(path)
    first = days[0]
    clock = FakeClock(datetime(first.year, first.month, first.day, 8, 0).astimezone())
    for day in days:
        arrive = datetime(day.year, day.month, day.day, 8, 0).astimezone()
        arrive += timedelta(minutes=rng.randint(0, 90))
        clock.advance(max(0.0, (arrive - clock.now()).total_seconds()))
        leave = datetime(day.year, day.month, day.day, 17, 0).astimezone()
        Day(store, clock, rng).play(leave + timedelta(minutes=rng.randint(0, 90)))
    store.close()


def build_directly(path: Path, days: list[date], rng: random.Random) -> None:
    """Rows of the same shape, inserted in one transaction (fast to build)."""
    HistoryStore(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        for day in days:
            t = datetime(day.year, day.month, day.day, 8, 0).astimezone().timestamp()
            t += rng.randint(0, 90) * MIN
            end = t + 9 * 3600
            while t < end:
                sat = rng.choice([10, 15, 20, 25, 30, 35, 40, 50, 65]) * MIN
                db.execute(
                    "INSERT INTO stretches (started_at, ended_at, end_reason, last_seen)"
                    " VALUES (?, ?, 'break', ?)",
                    (t, t + sat, t + sat),
                )
                t += sat
                if sat >= 30 * MIN:
                    for n in range(min(3, int((sat - 30 * MIN) // (5 * MIN)) + 1)):
                        db.execute(
                            "INSERT INTO reminders (shown_at, sitting_seconds, number, outcome)"
                            " VALUES (?, ?, ?, 'break')",
                            (t - sat + 30 * MIN + n * 5 * MIN, 30 * MIN + n * 5 * MIN, n + 1),
                        )
                kind = rng.choice(["completed", "completed", "partial", "natural", "natural"])
                length = 120.0 if kind != "natural" else rng.uniform(6, 40) * MIN
                db.execute(
                    "INSERT INTO breaks (kind, started_at, ended_at, planned_seconds, trigger)"
                    " VALUES (?, ?, ?, 120, 'reminder')",
                    (kind, t, t + length),
                )
                t += length


def timed(action: Callable[[], Any], repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=250, help="working days of history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--direct", action="store_true", help="insert rows, skip the engine")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    now = datetime.now().astimezone()
    days = working_days(args.days, now.date() - timedelta(days=1))
    interval = load_config().settings.interval
    with tempfile.TemporaryDirectory(prefix="breakd-stats-") as folder:
        path = Path(folder) / "history.sqlite3"
        start = time.perf_counter()
        (build_directly if args.direct else build_through_engine)(path, days, rng)
        build = time.perf_counter() - start
        with closing(open_read_only(path)) as db:
            counts = {
                table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("stretches", "reminders", "breaks", "actions")
            }
            year_first, year_last = last_days(365, now)
            week_first, week_last = last_days(7, now)
            year = collect(db, year_first, year_last, interval, now=now)
            figures = {
                "year_seconds": timed(
                    lambda: collect(db, year_first, year_last, interval, now=now)
                ),
                "week_seconds": timed(
                    lambda: collect(db, week_first, week_last, interval, now=now)
                ),
                "today_line_seconds": timed(lambda: today_line(db, now, interval)),
                "week_chart_seconds": timed(lambda: render_week(db, 7, interval, now=now)),
            }
        command = argparse.ArgumentParser(prog="breakd")
        register(command.add_subparsers(dest="command"))
        cli = command.parse_args(["stats", "--history", str(path), "--days", "365", "--json"])
        sink = io.StringIO()
        with redirect_stdout(sink):
            figures["command_year_json_seconds"] = timed(lambda: cli.func(cli))
        size_kb = path.stat().st_size / 1024

    result: dict[str, Any] = {
        "build": "direct inserts" if args.direct else "engine with a fake clock",
        "build_seconds": round(build, 2),
        "working_days": len(days),
        "rows": counts,
        "file_kb": round(size_kb),
        "year_sitting_hours": round(year.total.sitting_seconds / 3600),
        **{key: round(value, 4) for key, value in figures.items()},
    }
    width = max(len(key) for key in result)
    for key, value in result.items():
        target = TARGETS.get(key)
        mark = "" if target is None else f"  (target < {target} s)"
        print(f"{key:<{width}}  {value}{mark}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    slow = [key for key, limit in TARGETS.items() if figures[key] >= limit]
    if slow:
        print(f"slower than the target: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
