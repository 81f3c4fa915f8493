"""History in SQLite: every event committed the moment it happens.

The file lives in the user's data folder. It runs in WAL mode, so each small commit is
cheap and a ``kill -9`` loses nothing that was committed. The schema is versioned with
``PRAGMA user_version`` and migrated forward. A file SQLite cannot read is renamed aside
(never deleted) and a fresh one started. When the disk refuses a write (full, read-only)
the event is kept in memory and retried with the next one, and the log says so once.
That queue holds at most :data:`MAX_PENDING` events (a saved "still sitting" replaces
the one before it, so a long outage fills it only with real events); beyond it the
oldest are dropped. Every loss is logged, once with its count: when writes work again,
or when breakd stops with the disk still refusing them.

What a crash leaves: the open stretch and a running break, each with the last moment it
was known to last, on the wall clock *and* on the monotonic (boot) clock, with the boot's
id and the seconds observed so far. Recovery counts only observed seconds, so a wall
clock set forward or back meanwhile can neither invent nor remove time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from breakd.engine import (
    BreakRecorded,
    BreakStarted,
    PostureChanged,
    Record,
    ReminderShown,
    StretchEnded,
    StretchStarted,
    UserAction,
)
from breakd.files import (
    create_private_file,
    default_history_path,
    make_private_dir,
)

log = logging.getLogger(__name__)

#: How many events wait in memory for a disk that refuses writes (a few days' worth).
MAX_PENDING = 10_000


def add_break_types(db: sqlite3.Connection) -> None:
    """The break-types migration: each guided break's type ("exercise" or "walking").

    Idempotent (the column is added only where it is missing, and only rows without a
    type get one), so it is safe whatever number it runs under. Breaks written before it
    were all exercise breaks; natural breaks (time away) have no type.
    """
    columns = {str(row[1]) for row in db.execute("PRAGMA table_info(breaks)")}
    if "break_type" not in columns:
        db.execute(
            "ALTER TABLE breaks ADD COLUMN break_type TEXT"
            " CHECK (break_type IS NULL OR break_type IN ('exercise', 'walking'))"
        )
    db.execute(
        "UPDATE breaks SET break_type = 'exercise' WHERE break_type IS NULL AND kind != 'natural'"
    )


#: One step of the schema: SQL statements, or a function for a step that must look first.
Migration = str | Callable[[sqlite3.Connection], None]

MIGRATIONS: tuple[Migration, ...] = (
    # 1: the first schema. Times are Unix seconds; the local day is worked out when read.
    """
    CREATE TABLE stretches (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT,
        last_seen REAL NOT NULL
    );
    CREATE INDEX stretches_started ON stretches(started_at);
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        shown_at REAL NOT NULL,
        sitting_seconds REAL NOT NULL,
        number INTEGER NOT NULL,
        exercise_id TEXT,
        outcome TEXT CHECK (outcome IN ('break', 'natural', 'snoozed', 'skipped'))
    );
    CREATE INDEX reminders_shown ON reminders(shown_at);
    CREATE TABLE breaks (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('completed', 'partial', 'natural')),
        started_at REAL NOT NULL,
        ended_at REAL NOT NULL,
        planned_seconds REAL NOT NULL,
        trigger TEXT NOT NULL,
        exercises TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX breaks_started ON breaks(started_at);
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        action TEXT NOT NULL,
        until REAL
    );
    CREATE TABLE setting_changes (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        key TEXT NOT NULL,
        old TEXT,
        new TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: what crash recovery needs. The open stretch and a running break carry the last
    # moment they were seen on the monotonic clock (seen_mono) of a boot (boot_id) and
    # the seconds observed (observed). A break is written when it starts (ended_at NULL,
    # kind 'running') and one cut short by a crash is closed as 'interrupted'; SQLite
    # cannot change a CHECK, so the breaks table is rebuilt with its rows.
    """
    ALTER TABLE stretches ADD COLUMN seen_mono REAL;
    ALTER TABLE stretches ADD COLUMN boot_id TEXT;
    ALTER TABLE stretches ADD COLUMN observed REAL;
    CREATE TABLE breaks_v2 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL
            CHECK (kind IN ('completed', 'partial', 'natural', 'interrupted', 'running')),
        started_at REAL NOT NULL,
        ended_at REAL,
        planned_seconds REAL NOT NULL,
        trigger TEXT NOT NULL,
        exercises TEXT NOT NULL DEFAULT '[]',
        last_seen REAL,
        seen_mono REAL,
        boot_id TEXT,
        observed REAL
    );
    INSERT INTO breaks_v2 (id, kind, started_at, ended_at, planned_seconds, trigger, exercises)
        SELECT id, kind, started_at, ended_at, planned_seconds, trigger, exercises FROM breaks;
    DROP TABLE breaks;
    ALTER TABLE breaks_v2 RENAME TO breaks;
    CREATE INDEX breaks_started ON breaks(started_at);
    """,
    # 3: posture changes of a sit-stand desk (each row: from ``at`` on, the user is so).
    """
    CREATE TABLE postures (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        posture TEXT NOT NULL CHECK (posture IN ('sitting', 'standing')),
        source TEXT NOT NULL
    );
    CREATE INDEX postures_at ON postures(at);
    """,
    # 4: calls (the microphone or the camera in use). A row is written when the call
    # starts (ended_at NULL) and its last_seen kept fresh while it lasts, so a call a
    # crash cut short ends when it was last seen.
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        last_seen REAL NOT NULL
    );
    CREATE INDEX calls_started ON calls(started_at);
    """,
    # 5: break types (walking breaks); see add_break_types.
    add_break_types,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryUnavailable(Exception):
    """The history file cannot be used at all (e.g. written by a newer breakd)."""


@dataclass(frozen=True)
class OpenStretch:
    """A stretch (or break) a previous run left open (the daemon was killed meanwhile).

    ``seen_mono``, ``boot_id`` and ``observed`` are None in rows written before
    schema 2 (and ``boot_id`` where the platform has none).
    """

    row_id: int
    started_at: float
    last_seen: float
    seen_mono: float | None = None
    boot_id: str | None = None
    observed: float | None = None


class HistoryStore:
    """The history file. Used from the daemon's owner thread only."""

    def __init__(self, path: Path | None = None, *, max_pending: int = MAX_PENDING) -> None:
        self.path = path or default_history_path()
        self.set_aside: Path | None = None
        self._pending: deque[tuple[str, tuple[object, ...]]] = deque(maxlen=max_pending)
        self._write_failing = False
        self._dropped = 0
        self._break_running = False
        self._db = self._open()

    # --- opening -------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        make_private_dir(self.path.parent)
        try:
            return self._connect_and_migrate()
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and not _looks_corrupt(error):
                # A full or read-only disk: the file is fine and stays as it is.
                raise HistoryUnavailable(
                    f"cannot open {self.path} ({error}); history is off until breakd is"
                    " restarted with the disk writable"
                ) from error
            self.set_aside = self._set_aside(error)
            return self._connect_and_migrate()

    def _connect_and_migrate(self) -> sqlite3.Connection:
        # SQLite gives -wal, -shm and journals the main file's mode: 0600 makes them all private.
        create_private_file(self.path)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 2000")
            check = db.execute("PRAGMA quick_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryUnavailable(
                    f"{self.path} was written by a newer breakd (schema {version}, this one"
                    f" knows {SCHEMA_VERSION}); history is off until breakd is upgraded"
                )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            for number in range(version, SCHEMA_VERSION):
                with _transaction(db):
                    migration = MIGRATIONS[number]
                    if callable(migration):
                        migration(db)
                    else:
                        for statement in _statements(migration):
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, error: Exception) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(Path(f"{aside}{suffix}"))
        log.error(
            "history file %s could not be read (%s); it was moved to %s and a new one started",
            self.path,
            error,
            aside,
        )
        return aside

    def close(self) -> None:
        self._flush_pending()
        if self._pending or self._dropped:
            log.error(
                "history: %d event(s) could not be written to %s before breakd stopped"
                " and are lost",
                len(self._pending) + self._dropped,
                self.path,
            )
            self._pending.clear()
            self._dropped = 0
        self._db.close()

    # --- writing ---------------------------------------------------------------------

    def _execute(self, sql: str, params: tuple[object, ...], *, merges: bool = False) -> None:
        """Commit one statement; on a disk error keep it for the next try.

        ``merges``: a waiting copy of the same statement just before is out of date (a
        newer "still sitting"); the two become one, the new values winning where given.
        """
        if merges and self._pending and self._pending[-1][0] == sql:
            waiting = self._pending[-1][1]
            merged = tuple(o if n is None else n for n, o in zip(params, waiting, strict=True))
            self._pending[-1] = (sql, merged)
        else:
            if len(self._pending) == self._pending.maxlen:
                self._dropped += 1
                if self._dropped == 1:
                    log.error(
                        "history: %d events wait for %s; from now on the oldest are"
                        " dropped (the count is logged when this ends)",
                        len(self._pending),
                        self.path,
                    )
            self._pending.append((sql, params))
        self._flush_pending()

    def _flush_pending(self) -> None:
        """Write what waits, oldest first.

        While writes fail, only the oldest event is tried (one cheap attempt per new
        event); once it goes through, the rest follow in one transaction, so a long
        backlog costs one commit and the write-ahead log one copy of each page.
        """
        if not self._pending:
            return
        try:
            self._write_oldest()
            if self._pending:
                self._write_backlog()
        except sqlite3.OperationalError as error:
            if not self._write_failing:
                log.error(
                    "cannot write history to %s (%s); events are kept in memory and"
                    " written when it works again",
                    self.path,
                    error,
                )
                self._write_failing = True
            return
        if self._write_failing:
            log.warning("history writes to %s work again", self.path)
            self._write_failing = False
        if self._dropped:
            log.error(
                "history: %d event(s) were lost while %s could not be written",
                self._dropped,
                self.path,
            )
            self._dropped = 0

    def _write_oldest(self) -> None:
        """Commit the oldest waiting event; a disk error is raised, any other drops it."""
        sql, params = self._pending[0]
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as error:
            if isinstance(error, sqlite3.OperationalError) and _is_disk_trouble(error):
                raise
            log.exception("history write failed and was dropped: %s", sql)
        self._pending.popleft()

    def _write_backlog(self) -> None:
        """Commit every waiting event in one transaction, or none (disk error raised)."""
        failed: list[int] = []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for index, (sql, params) in enumerate(self._pending):
                try:
                    self._db.execute(sql, params)
                except sqlite3.Error as error:
                    if isinstance(error, sqlite3.OperationalError) and _is_disk_trouble(error):
                        raise
                    failed.append(index)
                    log.exception("history write failed and was dropped: %s", sql)
            self._db.execute("COMMIT")
        except sqlite3.OperationalError:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            for index in reversed(failed):
                del self._pending[index]
            raise
        self._pending.clear()

    def write(self, record: Record, *, exercise_id: str | None = None) -> None:
        """Commit one engine record."""
        match record:
            case StretchStarted(at=at):
                self._execute(
                    "INSERT INTO stretches (started_at, last_seen) VALUES (?, ?)",
                    (at.timestamp(), at.timestamp()),
                )
            case StretchEnded(started=started, ended=ended, reason=reason):
                self._close_stretch(started.timestamp(), ended.timestamp(), reason)
            case ReminderShown(at=at, sitting_seconds=sitting, number=number):
                self._execute(
                    "INSERT INTO reminders (shown_at, sitting_seconds, number, exercise_id)"
                    " VALUES (?, ?, ?, ?)",
                    (at.timestamp(), sitting, number, exercise_id),
                )
            case BreakStarted():
                began = record.started.timestamp()
                self._execute(
                    "INSERT INTO breaks (kind, started_at, planned_seconds, trigger, exercises,"
                    " last_seen, observed, break_type) VALUES ('running', ?, ?, ?, ?, ?, 0, ?)",
                    (
                        began,
                        record.planned_seconds,
                        record.trigger,
                        json.dumps(list(record.exercises)),
                        began,
                        record.break_type.value,
                    ),
                )
                self._break_running = True
                self._answer_reminders("break", record.started)
            case BreakRecorded() if record.outcome != "natural" and self._break_running:
                # The row written when the break started gets its end.
                self._break_running = False
                self._execute(
                    "UPDATE breaks SET kind = ?, started_at = ?, ended_at = ?, exercises = ?,"
                    " last_seen = ?"
                    " WHERE id = (SELECT MAX(id) FROM breaks WHERE kind = 'running')",
                    (
                        record.outcome,
                        record.started.timestamp(),
                        record.ended.timestamp(),
                        json.dumps(list(record.exercises)),
                        record.ended.timestamp(),
                    ),
                )
            case BreakRecorded():
                self._execute(
                    "INSERT INTO breaks (kind, started_at, ended_at, planned_seconds, trigger,"
                    " exercises, break_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.outcome,
                        record.started.timestamp(),
                        record.ended.timestamp(),
                        record.planned_seconds,
                        record.trigger,
                        json.dumps(list(record.exercises)),
                        None if record.break_type is None else record.break_type.value,
                    ),
                )
                self._answer_reminders(
                    "natural" if record.outcome == "natural" else "break", record.started
                )
            case UserAction(at=at, action=action, until=until):
                self._execute(
                    "INSERT INTO actions (at, action, until) VALUES (?, ?, ?)",
                    (at.timestamp(), action, None if until is None else until.timestamp()),
                )
                if action in ("snooze", "skip"):
                    self._answer_reminders("snoozed" if action == "snooze" else "skipped", at)
            case PostureChanged(at=at, posture=posture, source=source):
                self._execute(
                    "INSERT INTO postures (at, posture, source) VALUES (?, ?, ?)",
                    (at.timestamp(), posture.value, source),
                )

    def _close_stretch(self, started: float, ended: float, reason: str) -> None:
        if self.open_stretch() is not None:
            # The start is written again: the engine gives both ends on today's wall
            # clock, so a clock set forward or back meanwhile does not change the length.
            self._execute(
                "UPDATE stretches SET started_at = ?, ended_at = ?, end_reason = ?,"
                " last_seen = ?"
                " WHERE id = (SELECT MAX(id) FROM stretches WHERE ended_at IS NULL)",
                (started, ended, reason, ended),
            )
        else:
            self._execute(
                "INSERT INTO stretches (started_at, ended_at, end_reason, last_seen)"
                " VALUES (?, ?, ?, ?)",
                (started, ended, reason, ended),
            )

    def _answer_reminders(self, outcome: str, at: datetime) -> None:
        """Give the open reminders of the stretch under way at ``at`` their outcome.

        Only that stretch's: a reminder left open by an earlier one (the daemon was
        killed, or paused) has no known outcome and must not be credited to this one.
        """
        self._execute(
            "UPDATE reminders SET outcome = ? WHERE outcome IS NULL AND shown_at >= COALESCE("
            "(SELECT MAX(started_at) FROM stretches WHERE started_at <= ?), 0)",
            (outcome, at.timestamp()),
        )

    def touch(
        self,
        when: datetime,
        *,
        seen_mono: float | None = None,
        boot_id: str | None = None,
        observed: float | None = None,
        started: datetime | None = None,
    ) -> None:
        """Note that the user was still sitting at ``when`` (so a crash loses little).

        ``seen_mono`` is the same moment on the monotonic clock of boot ``boot_id`` and
        ``observed`` the stretch's length so far on that clock; ``started`` rewrites its
        start on today's wall clock (after the wall clock was set).
        """
        self._execute(
            "UPDATE stretches SET last_seen = ?, seen_mono = ?, boot_id = ?, observed = ?,"
            " started_at = COALESCE(?, started_at) WHERE ended_at IS NULL",
            (
                when.timestamp(),
                seen_mono,
                boot_id,
                observed,
                None if started is None else started.timestamp(),
            ),
            merges=True,
        )

    def touch_break(
        self,
        when: datetime,
        *,
        seen_mono: float,
        boot_id: str | None,
        observed: float,
        started: datetime | None = None,
    ) -> None:
        """Note that the running break was still on at ``when`` (see :meth:`touch`)."""
        self._execute(
            "UPDATE breaks SET last_seen = ?, seen_mono = ?, boot_id = ?, observed = ?,"
            " started_at = COALESCE(?, started_at) WHERE kind = 'running'",
            (
                when.timestamp(),
                seen_mono,
                boot_id,
                observed,
                None if started is None else started.timestamp(),
            ),
            merges=True,
        )

    def call_started(self, when: datetime) -> None:
        """A call began (any call still open, from a run that was killed, is closed first)."""
        self.close_interrupted_calls()
        self._execute(
            "INSERT INTO calls (started_at, last_seen) VALUES (?, ?)",
            (when.timestamp(), when.timestamp()),
        )

    def touch_call(self, when: datetime) -> None:
        """The call under way was still on at ``when`` (so a crash loses little of it)."""
        self._execute(
            "UPDATE calls SET last_seen = ? WHERE ended_at IS NULL",
            (when.timestamp(),),
            merges=True,
        )

    def call_ended(self, when: datetime) -> None:
        """The call under way ended at ``when``."""
        self._execute(
            "UPDATE calls SET ended_at = MAX(started_at, ?), last_seen = MAX(started_at, ?)"
            " WHERE ended_at IS NULL",
            (when.timestamp(), when.timestamp()),
        )

    def close_interrupted_calls(self) -> int:
        """Close calls a killed daemon left open, at the last moment they were seen."""
        before = self._db.total_changes
        self._execute("UPDATE calls SET ended_at = last_seen WHERE ended_at IS NULL", ())
        return self._db.total_changes - before

    def record_setting_change(
        self, when: datetime, key: str, old: str | None, new: str, source: str
    ) -> None:
        self._execute(
            "INSERT INTO setting_changes (at, key, old, new, source) VALUES (?, ?, ?, ?, ?)",
            (when.timestamp(), key, old, new, source),
        )

    # --- crash recovery ----------------------------------------------------------------

    def open_stretch(self) -> OpenStretch | None:
        row = self._db.execute(
            "SELECT id, started_at, last_seen, seen_mono, boot_id, observed FROM stretches"
            " WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _open_row(row)

    def running_break(self) -> OpenStretch | None:
        """A break a killed daemon left running."""
        row = self._db.execute(
            "SELECT id, started_at, COALESCE(last_seen, started_at), seen_mono, boot_id,"
            " observed FROM breaks WHERE kind = 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _open_row(row)

    def close_stretch(self, row_id: int, started: float, ended: float, reason: str) -> None:
        """Close one stretch a killed daemon left open, with the ends recovery settled."""
        self._execute(
            "UPDATE stretches SET started_at = ?, ended_at = ?, end_reason = ?, last_seen = ?"
            " WHERE id = ?",
            (started, ended, reason, ended, row_id),
        )

    def close_interrupted_break(self, row_id: int, started: float, ended: float) -> None:
        """Close a break a killed daemon left running, as interrupted, with its length."""
        self._execute(
            "UPDATE breaks SET kind = 'interrupted', started_at = ?, ended_at = ?,"
            " last_seen = ? WHERE id = ?",
            (started, ended, ended, row_id),
        )

    def close_interrupted_stretches(self, *, keep: int | None = None) -> int:
        """Close stretches a killed daemon left open, at the last moment they were seen
        (all but row ``keep``, the one being resumed).

        A row whose wall times disagree (seen before it started: the clock was set back)
        keeps its observed length, or none.
        """
        before = self._db.total_changes
        self._execute(
            "UPDATE stretches SET end_reason = 'interrupted',"
            " started_at = CASE WHEN observed IS NOT NULL THEN last_seen - observed"
            " ELSE MIN(started_at, last_seen) END,"
            " ended_at = last_seen WHERE ended_at IS NULL AND id IS NOT ?",
            (keep,),
        )
        return self._db.total_changes - before

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO state (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def trim(self, before: datetime) -> None:
        """Forget history older than ``before`` (the ``history.keep_days`` setting)."""
        cutoff = before.timestamp()
        for sql in (
            "DELETE FROM stretches WHERE ended_at IS NOT NULL AND ended_at < ?",
            "DELETE FROM reminders WHERE shown_at < ?",
            "DELETE FROM breaks WHERE ended_at < ?",
            "DELETE FROM actions WHERE at < ?",
            "DELETE FROM setting_changes WHERE at < ?",
            "DELETE FROM calls WHERE ended_at IS NOT NULL AND ended_at < ?",
        ):
            self._execute(sql, (cutoff,))

    def forget_all(self) -> None:
        """Delete all history (``breakd stats --forget``), leaving no trace in the file.

        Rows are deleted rather than the file, because the running daemon may hold it
        open; freed pages are zeroed, the file compacted and the write-ahead log emptied.
        """
        self._pending.clear()
        self._db.execute("PRAGMA secure_delete = ON")
        tables = (
            "stretches",
            "reminders",
            "breaks",
            "actions",
            "setting_changes",
            "postures",
            "calls",
            "state",
        )
        with _transaction(self._db):
            for table in tables:
                self._db.execute(f"DELETE FROM {table}")
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def connection(self) -> sqlite3.Connection:
        """For read-only queries (statistics, tests)."""
        return self._db


def _open_row(row: tuple[object, ...]) -> OpenStretch:
    row_id, started, seen, mono, boot, observed = row
    return OpenStretch(
        int(str(row_id)),
        float(str(started)),
        float(str(seen)),
        None if mono is None else float(str(mono)),
        None if boot is None else str(boot),
        None if observed is None else float(str(observed)),
    )


def _is_disk_trouble(error: sqlite3.OperationalError) -> bool:
    """Errors that may go away on their own: a full, read-only or busy disk or file."""
    text = str(error).lower()
    words = ("disk", "full", "readonly", "read-only", "locked", "unable to open")
    return any(word in text for word in words)


def _looks_corrupt(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _statements(script: str) -> Iterator[str]:
    for part in script.split(";"):
        if part.strip():
            yield part.strip()


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (autocommit connections)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
