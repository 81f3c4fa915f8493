"""History in a real SQLite file: records, crash recovery, corrupt files set aside."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from breakd.engine import (
    BreakRecorded,
    BreakStarted,
    PostureChanged,
    ReminderShown,
    StretchEnded,
    StretchStarted,
    UserAction,
)
from breakd.files import default_history_path
from breakd.state import BreakType, Posture
from breakd.stats import collect
from breakd.store import MIGRATIONS, SCHEMA_VERSION, HistoryStore, add_break_types

T0 = datetime(2026, 3, 2, 9, 0).astimezone()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_lives_in_the_user_data_dir_and_uses_wal() -> None:
    store = HistoryStore()
    assert store.path == default_history_path()
    assert "breakd" in str(store.path.parent)
    mode = store.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_each_record_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.write(StretchStarted(at(0)))
    assert rows(path, "SELECT started_at, ended_at FROM stretches") == [(at(0).timestamp(), None)]
    store.write(ReminderShown(at(30), 1800.0, 1), exercise_id="knee-press")
    store.write(UserAction(at(31), "snooze", at(41)))
    assert rows(path, "SELECT number, exercise_id, outcome FROM reminders") == [
        (1, "knee-press", "snoozed")
    ]
    store.write(StretchEnded(at(0), at(42), "break"))
    store.write(BreakRecorded("completed", at(42), at(44), 120.0, "reminder", ("a", "b")))
    assert rows(path, "SELECT ended_at, end_reason FROM stretches") == [
        (at(42).timestamp(), "break")
    ]
    [(kind, exercises)] = rows(path, "SELECT kind, exercises FROM breaks")
    assert kind == "completed" and json.loads(exercises) == ["a", "b"]
    store.close()


def test_reminder_outcomes_follow_what_the_user_did(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.write(ReminderShown(at(30), 1800.0, 1))
    store.write(BreakRecorded("natural", at(35), at(45), 0.0, "idle"))
    store.write(ReminderShown(at(75), 1800.0, 1))
    store.write(UserAction(at(76), "skip"))
    store.write(ReminderShown(at(106), 1800.0, 1))
    store.write(BreakRecorded("partial", at(107), at(108), 120.0, "tray"))
    outcomes = [r[0] for r in rows(store.path, "SELECT outcome FROM reminders ORDER BY id")]
    assert outcomes == ["natural", "skipped", "break"]
    store.close()


def test_an_outcome_is_given_only_to_the_reminders_of_its_own_stretch(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.write(StretchStarted(at(0)))
    store.write(ReminderShown(at(30), 1800.0, 1))
    # The daemon was killed: that reminder's outcome is unknown, and stays so.
    store.write(StretchStarted(at(120)))
    store.write(ReminderShown(at(150), 1800.0, 1))
    store.write(StretchEnded(at(120), at(151), "break"))
    store.write(BreakRecorded("completed", at(151), at(153), 120.0, "reminder"))
    outcomes = [r[0] for r in rows(store.path, "SELECT outcome FROM reminders ORDER BY id")]
    assert outcomes == [None, "break"]
    store.close()


def test_open_stretch_survives_for_recovery(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.write(StretchStarted(at(0)))
    store.touch(at(12))
    # No close: as if the process were killed here.
    reopened = HistoryStore(path)
    found = reopened.open_stretch()
    assert found is not None
    assert (found.started_at, found.last_seen) == (at(0).timestamp(), at(12).timestamp())
    assert reopened.close_interrupted_stretches() == 1
    assert rows(path, "SELECT ended_at, end_reason FROM stretches") == [
        (at(12).timestamp(), "interrupted")
    ]
    assert reopened.open_stretch() is None
    store.close()
    reopened.close()


def test_corrupt_file_is_set_aside_not_deleted(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    garbage = b"this is not a database at all\x00" * 200
    path.write_bytes(garbage)
    store = HistoryStore(path)
    assert store.set_aside is not None and store.set_aside.read_bytes() == garbage
    assert store.set_aside.name.startswith("h.sqlite3.corrupt-")
    store.write(StretchStarted(at(0)))
    assert len(rows(path, "SELECT * FROM stretches")) == 1
    store.close()


def test_damaged_pages_are_detected_and_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    for minute in range(400):
        store.write(
            ReminderShown(
                at(minute),
                60.0,
                1,
            ),
            exercise_id="x" * 200,
        )
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3 : page * 6] = b"\xff" * (page * 3)
    path.write_bytes(bytes(data))
    recovered = HistoryStore(path)
    assert recovered.set_aside is not None
    assert recovered.set_aside.stat().st_size == len(data)
    recovered.close()


def test_newer_schema_is_refused_without_touching_the_file(tmp_path: Path) -> None:
    import pytest

    from breakd.store import HistoryUnavailable

    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(HistoryUnavailable, match="newer breakd"):
        HistoryStore(path)
    assert path.read_bytes() == before


def test_trim_forgets_old_rows_only(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.write(StretchEnded(at(0), at(20), "natural-break"))
    store.write(StretchEnded(at(60 * 24 * 10), at(60 * 24 * 10 + 5), "natural-break"))
    store.trim(at(60 * 24 * 5))
    assert len(rows(store.path, "SELECT * FROM stretches")) == 1
    store.close()


def test_state_round_trip(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    assert store.get_state("recent") is None
    store.set_state("recent", "a,b")
    store.set_state("recent", "c")
    assert store.get_state("recent") == "c"
    store.close()


def test_a_schema_1_file_migrates_and_keeps_every_row(tmp_path: Path) -> None:
    """A history file written before crash recovery kept observed times."""
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO stretches (started_at, ended_at, end_reason, last_seen)"
            " VALUES (?, ?, 'break', ?)",
            (at(0).timestamp(), at(30).timestamp(), at(30).timestamp()),
        )
        db.execute(
            "INSERT INTO breaks (kind, started_at, ended_at, planned_seconds, trigger,"
            " exercises) VALUES ('completed', ?, ?, 120, 'reminder', '[\"neck-turn\"]')",
            (at(30).timestamp(), at(32).timestamp()),
        )
        # Left open by a killed daemon after the clock was set back: seen "before" it began.
        db.execute(
            "INSERT INTO stretches (started_at, last_seen) VALUES (?, ?)",
            (at(40).timestamp(), at(40 - 180).timestamp()),
        )
    store = HistoryStore(path)
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "SELECT kind, started_at, ended_at, trigger, exercises FROM breaks") == [
        ("completed", at(30).timestamp(), at(32).timestamp(), "reminder", '["neck-turn"]')
    ]
    legacy = store.open_stretch()
    assert legacy is not None and legacy.seen_mono is None and legacy.observed is None
    assert store.close_interrupted_stretches() == 1
    # Closed without a negative length.
    assert rows(path, "SELECT ended_at - started_at FROM stretches ORDER BY id") == [
        (30 * 60.0,),
        (0.0,),
    ]
    # The new kinds are allowed; the index is back.
    store.write(BreakStarted(at(50), 120.0, "cli"))
    assert rows(path, "SELECT name FROM sqlite_master WHERE name = 'breaks_started'")
    store.close()


def test_a_break_is_one_row_from_its_start_and_stats_count_it_once_over(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.write(StretchStarted(at(0)))
    store.write(ReminderShown(at(30), 1800.0, 1))
    store.write(BreakStarted(at(31), 120.0, "reminder", ("neck-turn",)))
    assert rows(path, "SELECT kind, ended_at FROM breaks") == [("running", None)]
    assert rows(path, "SELECT outcome FROM reminders") == [("break",)]
    day = at(0).date()

    def breaks() -> tuple[int, int]:
        with sqlite3.connect(path) as db:
            [figures] = collect(db, day, day, 1800.0, now=at(40)).days
        return figures.breaks_completed, figures.breaks_partial

    assert breaks() == (0, 0)  # not counted while it runs
    store.touch_break(at(32), seen_mono=100.0, boot_id="b", observed=60.0)
    store.write(BreakRecorded("completed", at(31), at(33), 120.0, "reminder", ("neck-turn",)))
    assert rows(path, "SELECT kind, started_at, ended_at FROM breaks") == [
        ("completed", at(31).timestamp(), at(33).timestamp())
    ]
    assert breaks() == (1, 0)
    store.write(BreakStarted(at(50), 120.0, "cli"))
    found = store.running_break()
    assert found is not None and found.started_at == at(50).timestamp()
    store.close_interrupted_break(found.row_id, at(50).timestamp(), at(51).timestamp())
    assert store.running_break() is None
    assert breaks() == (1, 1)  # an interrupted break counts as partial
    store.close()


def test_a_schema_2_file_migrates_and_records_posture_changes(tmp_path: Path) -> None:
    """A history file from before sit-stand desks gains the postures table, rows intact."""
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.executescript(MIGRATIONS[1])
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO stretches (started_at, ended_at, end_reason, last_seen)"
            " VALUES (?, ?, 'break', ?)",
            (at(0).timestamp(), at(30).timestamp(), at(30).timestamp()),
        )
    store = HistoryStore(path)
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "SELECT started_at, ended_at FROM stretches") == [
        (at(0).timestamp(), at(30).timestamp())
    ]
    store.write(PostureChanged(at(40), Posture.STANDING, "cli"))
    store.write(PostureChanged(at(50), Posture.SITTING, "natural-break"))
    assert rows(path, "SELECT at, posture, source FROM postures ORDER BY id") == [
        (at(40).timestamp(), "standing", "cli"),
        (at(50).timestamp(), "sitting", "natural-break"),
    ]
    store.close()


def test_break_types_migrate_idempotently_and_walks_are_recorded_and_counted(
    tmp_path: Path,
) -> None:
    """A file from before walking breaks: its guided breaks were exercise breaks, natural
    ones have no type; the migration may run again (numbering settled at a merge) harmlessly."""
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:3]:
            assert isinstance(script, str)
            db.executescript(script)
        db.execute("PRAGMA user_version = 3")
        for kind, minute in (("completed", 0), ("natural", 10), ("partial", 20)):
            db.execute(
                "INSERT INTO breaks (kind, started_at, ended_at, planned_seconds, trigger)"
                " VALUES (?, ?, ?, 120, 'reminder')",
                (kind, at(minute).timestamp(), at(minute + 2).timestamp()),
            )
    store = HistoryStore(path)
    typed = "SELECT kind, break_type FROM breaks ORDER BY id"
    before = [("completed", "exercise"), ("natural", None), ("partial", "exercise")]
    assert rows(path, typed) == before
    with sqlite3.connect(path) as db:
        add_break_types(db)  # again: nothing changes, nothing fails
    assert rows(path, typed) == before

    store.write(BreakStarted(at(30), 300.0, "reminder", ("walk-around",), BreakType.WALKING))
    assert rows(path, typed)[-1] == ("running", "walking")
    store.write(
        BreakRecorded(
            "completed", at(30), at(35), 300.0, "reminder", ("walk-around",), BreakType.WALKING
        )
    )
    store.write(BreakRecorded("natural", at(40), at(50), 0.0, "idle"))
    assert rows(path, typed)[-2:] == [("completed", "walking"), ("natural", None)]
    store.close()
    day = T0.date()
    with sqlite3.connect(path) as db:
        [figures] = collect(db, day, day, 1800.0, now=at(60)).days
    assert (figures.breaks, figures.breaks_walking, figures.breaks_natural) == (3, 1, 2)


def test_stats_count_standing_apart_from_sitting_and_within_its_stretch(tmp_path: Path) -> None:
    """Standing 10 min moves from sitting to standing; a standing row left without its
    end (a crash) counts only to the end of its stretch."""
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.write(StretchStarted(at(0)))
    store.write(PostureChanged(at(20), Posture.STANDING, "cli"))
    store.write(PostureChanged(at(30), Posture.SITTING, "cli"))
    store.write(StretchEnded(at(0), at(60), "natural-break"))
    store.write(StretchStarted(at(70)))
    store.write(PostureChanged(at(80), Posture.STANDING, "tray"))
    store.write(StretchEnded(at(70), at(85), "shutdown"))  # no "sitting" row after it
    store.write(StretchStarted(at(100)))
    store.write(StretchEnded(at(100), at(110), "natural-break"))
    store.close()
    day = T0.date()
    with sqlite3.connect(path) as db:
        [figures] = collect(db, day, day, 1800.0, now=at(120)).days
    assert figures.standing_seconds == 15 * 60.0
    assert figures.sitting_seconds == (60 + 15 + 10 - 15) * 60.0
    assert figures.as_dict()["standing_seconds"] == 900.0


def test_a_schema_3_file_migrates_and_records_calls(tmp_path: Path) -> None:
    """A history file from before call detection gains the calls table, rows intact; a
    call is written when it starts, kept fresh, closed at its end, and one a crash left
    open is closed when it was last seen."""
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:3]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 3")
        db.execute(
            "INSERT INTO stretches (started_at, ended_at, end_reason, last_seen)"
            " VALUES (?, ?, 'break', ?)",
            (at(0).timestamp(), at(30).timestamp(), at(30).timestamp()),
        )
        db.execute(
            "INSERT INTO postures (at, posture, source) VALUES (?, 'standing', 'cli')",
            (at(10).timestamp(),),
        )
    store = HistoryStore(path)
    assert rows(path, "PRAGMA user_version") == [(5,)] == [(SCHEMA_VERSION,)]
    assert rows(path, "SELECT started_at, ended_at FROM stretches") == [
        (at(0).timestamp(), at(30).timestamp())
    ]
    assert rows(path, "SELECT at, posture FROM postures") == [(at(10).timestamp(), "standing")]
    store.call_started(at(40))
    store.touch_call(at(45))
    assert rows(path, "SELECT started_at, ended_at, last_seen FROM calls") == [
        (at(40).timestamp(), None, at(45).timestamp())
    ]
    store.call_ended(at(52))
    store.call_started(at(60))
    store.touch_call(at(70))
    store.close()  # killed in the second call: it stays open in the file

    again = HistoryStore(path)
    assert again.close_interrupted_calls() == 1
    assert rows(path, "SELECT started_at, ended_at FROM calls ORDER BY id") == [
        (at(40).timestamp(), at(52).timestamp()),
        (at(60).timestamp(), at(70).timestamp()),
    ]
    report = collect(again.connection, T0.date(), T0.date(), 1800, now=at(120))
    assert report.days[0].call_seconds == 22 * 60
    assert report.total.as_dict()["call_seconds"] == 22 * 60
    again.close()
