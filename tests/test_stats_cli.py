"""``breakd stats`` on histories played through the engine: the table, JSON and CSV read
back, the period options, a missing file, read-only access and ``--forget``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_stats import MIN, Recorder, local, report_for, working_monday

from breakd.cli.stats import MAX_CHART_DAYS, choose_period, register
from breakd.config import load_config
from breakd.engine import StretchStarted
from breakd.files import default_history_path
from breakd.state import Posture
from breakd.stats import format_today, open_read_only
from breakd.store import HistoryStore

MONDAY = ["--from", "2026-03-02", "--to", "2026-03-02"]


def stats(*argv: str) -> int:
    """Run ``breakd stats`` as the command line would (with the global --set option)."""
    parser = argparse.ArgumentParser(prog="breakd")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    result: int = args.func(args)
    return result


@pytest.fixture
def monday() -> Iterator[Path]:
    """The scripted Monday, in the default history file."""
    path = default_history_path()
    working_monday(path).close()
    yield path


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal, with the user's answer in it."""

    def isatty(self) -> bool:
        return True


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = ("stretches", "reminders", "breaks", "actions", "setting_changes", "state")
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def test_table_and_summary(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", *MONDAY) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Sitting and breaks, 2 Mar 2026 (reminder interval 30 min)"
    header = lines[2].split()
    assert header[:6] == ["Day", "Sitting", "In", "calls", "Longest", "Over"]
    row = lines[4]
    assert lines[5] == ""  # no total under a single day
    cells = [c for c in row.split("  ") if c.strip()]
    assert [c.strip() for c in cells] == [
        "Mon 2 Mar",
        "5 h 25 min",
        "52 min",
        "2 h 10 min",
        "3",
        "1",
        "1",
        "3",
        "3",
        "1",
        "42 % of 12",
    ]
    # Columns line up: every cell of the row ends where its header does.
    assert len(row) == len(lines[2])
    assert lines[-1] == (
        "Mon 2 Mar 2026: 5 h 25 min sitting, 52 min of it in calls, longest stretch"
        " 2 h 10 min, 2 breaks, 3 natural breaks."
    )


def a_sit_stand_day(path: Path) -> Recorder:
    """At a sit-stand desk: 20 min sitting, 25 min standing, a walk every second break."""
    settings = replace(load_config().settings, desk="sit-stand", long_every=2)
    r = Recorder(path, local(2026, 3, 2, 9, 0), settings)
    r.sit(20 * MIN)
    r.apply(r.engine.set_posture(Posture.STANDING, "cli"))
    r.sit(25 * MIN)
    r.apply(r.engine.set_posture(Posture.SITTING, "cli"))
    r.sit(15 * MIN)  # the reminder came at 30 min after standing up: a break, then a walk
    r.take_break()
    r.sit(30 * MIN)
    r.take_break()
    r.sit(10 * MIN)
    r.end_day()
    return r


def test_standing_gets_a_column_and_walks_are_counted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    a_sit_stand_day(default_history_path()).close()
    assert stats("stats", *MONDAY) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:4] == ["Day", "Sitting", "Standing", "Longest"]
    cells = [c.strip() for c in lines[4].split("  ") if c.strip()]
    assert cells[:3] == ["Mon 2 Mar", "1 h 15 min", "25 min"]
    assert lines[-1].startswith(
        "Mon 2 Mar 2026: 1 h 15 min sitting, 25 min standing, longest stretch 1 h 00 min,"
        " 2 breaks, 1 of them a walk"
    )
    assert stats("stats", "--json", *MONDAY) == 0
    [day] = json.loads(capsys.readouterr().out)["days"]
    assert (day["standing_seconds"], day["breaks"], day["breaks_walking"]) == (25 * MIN, 2, 1)
    assert stats("stats", "--csv", *MONDAY) == 0
    [row] = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert (float(row["standing_seconds"]), row["breaks_walking"]) == (25 * MIN, "1")
    assert format_today({"breaks": 2, "standing_seconds": 25 * MIN, "longest_stretch": 0}) == (
        "Today: 25 min standing · 2 breaks · longest stretch 0 min"
    )


def test_days_without_reminders_say_so(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", "--from", "2026-03-01", "--to", "2026-03-02") == 0
    [sunday] = [line for line in capsys.readouterr().out.splitlines() if "Sun 1 Mar" in line]
    assert sunday.split()[-1] == "—"


def test_json_reads_back(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", "--json", "--from", "2026-03-01", "--to", "2026-03-02") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["from"], data["to"], data["interval_seconds"]) == (
        "2026-03-01",
        "2026-03-02",
        1800.0,
    )
    assert data["history"] == str(monday)
    sunday, day = data["days"]
    assert sunday["date"] == "2026-03-01" and sunday["sitting_seconds"] == 0
    assert sunday["break_share"] is None
    assert day == {
        "date": "2026-03-02",
        "sitting_seconds": 325 * MIN,
        "standing_seconds": 0.0,
        "call_seconds": 52 * MIN,
        "longest_stretch_seconds": 130 * MIN,
        "stretches_over_interval": 3,
        "breaks": 2,
        "breaks_completed": 1,
        "breaks_partial": 1,
        "breaks_natural": 3,
        "breaks_walking": 0,
        "reminders_shown": 12,
        "reminders_led_to_break": 5,
        "reminders_snoozed": 3,
        "reminders_skipped": 1,
        "break_share": round(5 / 12, 4),
    }
    assert data["total"] == {k: v for k, v in day.items() if k != "date"}


def test_csv_reads_back(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", "--csv", "--from", "2026-03-01", "--to", "2026-03-03") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["date"] for r in rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    report = report_for(monday, date(2026, 3, 1), date(2026, 3, 3))
    for row, day in zip(rows, report.days, strict=True):
        assert float(row["sitting_seconds"]) == pytest.approx(day.sitting_seconds)
        assert float(row["call_seconds"]) == pytest.approx(day.call_seconds)
        assert float(row["longest_stretch_seconds"]) == pytest.approx(day.longest_stretch)
        assert int(row["stretches_over_interval"]) == day.stretches_over_interval
        assert int(row["breaks_completed"]) == day.breaks_completed
        assert int(row["breaks_partial"]) == day.breaks_partial
        assert int(row["breaks_natural"]) == day.breaks_natural
        assert int(row["reminders_snoozed"]) == day.reminders_snoozed
        assert int(row["reminders_skipped"]) == day.reminders_skipped
        share = day.break_share
        assert row["break_share"] == ("" if share is None else str(round(share, 4)))


def test_the_interval_in_force_decides_what_is_over_it(
    monday: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser_args = ["--set", "interval=45m", "stats", "--json", *MONDAY]
    assert stats(*parser_args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["interval_seconds"] == 45 * MIN
    assert data["days"][0]["stretches_over_interval"] == 2  # 70 and 130 min, not 45


def test_choosing_the_period() -> None:
    now = local(2026, 3, 8, 12, 0)
    assert choose_period(None, None, None, now) == (date(2026, 3, 2), date(2026, 3, 8))
    assert choose_period(1, None, None, now) == (date(2026, 3, 8), date(2026, 3, 8))
    assert choose_period(30, None, None, now) == (date(2026, 2, 7), date(2026, 3, 8))
    assert choose_period(None, date(2026, 3, 5), None, now) == (date(2026, 3, 5), date(2026, 3, 8))
    assert choose_period(3, None, date(2026, 2, 1), now) == (date(2026, 1, 30), date(2026, 2, 1))
    for days, first, last in (
        (0, None, None),
        (3, date(2026, 3, 1), None),
        (None, date(2026, 3, 5), date(2026, 3, 1)),
    ):
        with pytest.raises(ValueError):
            choose_period(days, first, last, now)


def test_bad_periods_are_usage_errors(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", "--days", "0") == 2
    assert stats("stats", "--yes") == 2
    assert stats("stats", "--from", "2026-03-02", "--to", "2026-03-01") == 2
    assert "before" in capsys.readouterr().err
    assert stats("stats", "--days", str(MAX_CHART_DAYS + 1), "--chart", "x.png") == 2
    assert "at most" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        stats("stats", "--from", "2 March")
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_no_history_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert not default_history_path().exists()
    assert stats("stats") == 0
    assert "No breakd history yet" in capsys.readouterr().out
    assert not default_history_path().exists()


def test_an_unreadable_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    assert stats("stats", "--history", str(junk)) == 1
    assert "cannot read" in capsys.readouterr().err


def test_reads_only_while_the_daemon_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "live.sqlite3"
    daemon = Recorder(path, local(2026, 3, 2, 9, 0))
    daemon.sit(20 * MIN)
    with open_read_only(path) as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM stretches")
    assert stats("stats", "--json", "--history", str(path), *MONDAY) == 0
    day = json.loads(capsys.readouterr().out)["days"][0]
    assert day["sitting_seconds"] == 0  # the open stretch was seen only at 09:00
    daemon.store.touch(daemon.now)
    daemon.sit(5 * MIN)  # the daemon goes on writing
    daemon.end_day()
    daemon.close()
    assert stats("stats", "--json", "--history", str(path), *MONDAY) == 0
    assert json.loads(capsys.readouterr().out)["days"][0]["sitting_seconds"] == 25 * MIN


def test_forget_with_yes(monday: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert row_counts(monday)["stretches"] == 6
    assert stats("stats", "--forget", "--yes") == 0
    assert f"Deleted all breakd history in {monday}" in capsys.readouterr().out
    assert monday.exists()
    assert set(row_counts(monday).values()) == {0}
    assert stats("stats", "--json", *MONDAY) == 0
    assert json.loads(capsys.readouterr().out)["days"][0]["sitting_seconds"] == 0


def test_forget_asks_first(
    monday: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert stats("stats", "--forget") == 0
    out = capsys.readouterr().out
    assert f"Delete all breakd history in {monday}? [y/N]" in out
    assert "Nothing deleted" in out
    assert row_counts(monday)["stretches"] == 6
    monkeypatch.setattr("sys.stdin", Terminal(""))  # end of input: no
    assert stats("stats", "--forget") == 0
    assert row_counts(monday)["stretches"] == 6
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert stats("stats", "--forget") == 0
    assert "Deleted" in capsys.readouterr().out
    assert set(row_counts(monday).values()) == {0}


def test_forget_refuses_without_a_terminal_to_ask_on(
    monday: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert stats("stats", "--forget") == 1
    assert "--yes" in capsys.readouterr().err
    assert row_counts(monday)["stretches"] == 6


def test_forget_while_the_daemon_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "held.sqlite3"
    daemon = Recorder(path, local(2026, 3, 2, 9, 0))
    daemon.sit(45 * MIN)
    daemon.store.set_state("recent_exercises", "neck-turn")
    assert stats("stats", "--forget", "--yes", "--history", str(path)) == 0
    assert set(row_counts(path).values()) == {0}
    assert path.stat().st_size <= 64 * 1024
    # The daemon carries on: its stretch ends and is written whole.
    daemon.take_break()
    daemon.close()
    with sqlite3.connect(path) as db:
        written = db.execute("SELECT started_at, ended_at FROM stretches ORDER BY id").fetchall()
    assert written[0] == (local(2026, 3, 2, 9, 0).timestamp(), local(2026, 3, 2, 9, 45).timestamp())
    assert len(written) == 2 and written[1][1] is None
    # Nothing of the old rows is left in the file's bytes.
    store = HistoryStore(path)
    store.write(StretchStarted(local(2026, 3, 3, 9, 0)))
    store.forget_all()
    store.close()
    assert b"neck-turn" not in path.read_bytes()


def test_forget_with_no_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert stats("stats", "--forget", "--yes") == 0
    assert "No breakd history to delete" in capsys.readouterr().out
    assert not default_history_path().exists()
