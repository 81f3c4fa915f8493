"""Walking breaks: every ``breaks.long_every``-th break is a walk of ``breaks.long_length``.

The rules on the engine's fake clock; what the reminder says and that the count survives
a restart through the real daemon and its SQLite history on the fake clock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.simulated import SimulatedDaemon

from breakd.config import load_config
from breakd.engine import (
    BeginBreak,
    BreakOver,
    BreakRecorded,
    BreakStarted,
    PostureChanged,
)
from breakd.state import BreakType, Posture
from tests.test_engine import MIN, Harness, defaults, records, shows

EXERCISE, WALKING = BreakType.EXERCISE, BreakType.WALKING


def take_break(h: Harness, *, sit: float = 30 * MIN) -> BreakType:
    """Sit until the reminder, take the break it offers and let it run to its end."""
    h.run(sit, step=30)
    offered = shows(h.effects)[-1].break_type
    h.log(h.engine.start_break("reminder"))
    [*_, began] = [e for e in h.effects if isinstance(e, BeginBreak)]
    assert began.break_type is offered
    h.run(began.length_seconds, step=30)
    return offered


def test_every_fourth_break_is_a_walk_of_the_long_length() -> None:
    h = Harness()
    assert h.engine.status().next_break is EXERCISE
    assert [take_break(h) for _ in range(3)] == [EXERCISE] * 3
    status = h.engine.status()
    assert (status.next_break, status.next_break_seconds) == (WALKING, 5 * MIN)

    assert take_break(h) is WALKING
    began = [e for e in h.effects if isinstance(e, BeginBreak)]
    assert [b.length_seconds for b in began] == [2 * MIN] * 3 + [5 * MIN]
    started = records(h.effects, BreakStarted)
    assert [s.break_type for s in started] == [EXERCISE] * 3 + [WALKING]
    walk = records(h.effects, BreakRecorded)[-1]
    assert (walk.outcome, walk.break_type) == ("completed", WALKING)
    assert (walk.ended - walk.started).total_seconds() == 5 * MIN
    over = [e for e in h.effects if isinstance(e, BreakOver)][-1]
    assert (over.outcome, over.break_type) == ("completed", WALKING)
    # The count starts again: three exercise breaks, then the next walk.
    assert h.engine.breaks_since_walk == 0
    assert [take_break(h) for _ in range(4)] == [EXERCISE] * 3 + [WALKING]


def test_only_breaks_that_reset_sitting_count_towards_the_walk() -> None:
    h = Harness(defaults(long_every=2))
    assert take_break(h) is EXERCISE
    assert h.engine.next_break_type() is WALKING
    # A natural break is no guided break: the walk still comes.
    h.run(10 * MIN, step=30)
    h.run(6 * MIN, idle_from=0, step=30)
    h.run(1 * MIN, step=30)
    assert records(h.effects, BreakRecorded)[-1].outcome == "natural"
    assert records(h.effects, BreakRecorded)[-1].break_type is None
    assert h.engine.next_break_type() is WALKING
    # A walk ended after one minute of five did not reset sitting: still a walk to come.
    h.log(h.engine.start_break("tray"))
    h.run(1 * MIN, step=30)
    h.log(h.engine.end_break_early(("walk-around",)))
    cut = records(h.effects, BreakRecorded)[-1]
    assert (cut.outcome, cut.break_type, cut.planned_seconds) == ("partial", WALKING, 5 * MIN)
    assert h.engine.next_break_type() is WALKING
    # Three minutes of five is most of it: sitting starts again, and so does the count.
    h.log(h.engine.start_break("tray"))
    h.run(3 * MIN, step=30)
    h.log(h.engine.end_break_early())
    assert h.engine.sitting_seconds() == 0
    assert h.engine.next_break_type() is EXERCISE


def test_long_every_zero_never_walks() -> None:
    h = Harness(defaults(long_every=0))
    assert [take_break(h, sit=30 * MIN) for _ in range(5)] == [EXERCISE] * 5
    h.engine.restore_breaks_since_walk(100)
    assert h.engine.status().next_break is EXERCISE


def test_new_settings_change_the_next_break_at_once() -> None:
    h = Harness()
    take_break(h)
    h.log(h.engine.apply_settings(defaults(long_every=2, long_length=7 * MIN)))
    status = h.engine.status()
    assert (status.next_break, status.next_break_seconds) == (WALKING, 7 * MIN)
    h.log(h.engine.apply_settings(defaults(long_every=3)))
    assert h.engine.status().next_break is EXERCISE
    h.engine.restore_breaks_since_walk(-3)  # a damaged saved count is taken as none
    assert h.engine.breaks_since_walk == 0


def test_a_walk_taken_while_standing_ends_standing() -> None:
    """Standing at a sit-stand desk, the walk's reminder offers no "Stand up now"; the
    walk ends the stretch, so the user comes back sitting."""
    h = Harness(defaults(desk="sit-stand", long_every=1))
    h.run(5 * MIN, step=30)
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    h.run(30 * MIN, step=30)
    [reminder] = shows(h.effects)
    assert reminder.break_type is WALKING and not reminder.offer_stand
    h.log(h.engine.start_break("reminder"))
    h.run(5 * MIN, step=30)
    assert records(h.effects, PostureChanged)[-1] == PostureChanged(
        records(h.effects, BreakRecorded)[-1].started, Posture.SITTING, "break"
    )
    assert h.engine.status().posture is Posture.SITTING


def test_the_walk_reminder_says_so_and_the_count_survives_a_restart(tmp_path: Path) -> None:
    """The real daemon and history on the fake clock: one break taken, a restart, and the
    next reminder offers the walk in words ("Time for a 5-minute walk")."""
    history = tmp_path / "history.sqlite3"
    config = load_config(["breaks.long_every=2"])
    first = SimulatedDaemon(config, history, Harness().clock)
    first.start()
    first.run(30 * MIN)
    [exercise] = [shown.reminder for shown in first.notifier.shown]
    assert exercise.break_type is EXERCISE and exercise.title.startswith("You've been sitting")
    assert exercise.break_label == "Start 2-min break"
    first.command(lambda: first.daemon.start_break("cli"))
    first.run(2 * MIN + 1)
    assert first.daemon.status().engine.next_break is WALKING
    first.finish()

    again = SimulatedDaemon(config, history, first.clock)
    again.start()
    assert again.daemon.engine.breaks_since_walk == 1
    again.run(30 * MIN)
    [walk] = [shown.reminder for shown in again.notifier.shown]
    assert walk.break_type is WALKING and walk.break_seconds == 5 * MIN
    assert (walk.title, walk.break_label) == ("Time for a 5-minute walk", "Start 5-min walk")
    again.command(lambda: again.daemon.start_break("reminder"))
    again.run(5 * MIN + 1)
    assert again.daemon.engine.breaks_since_walk == 0
    again.finish()
    with sqlite3.connect(history) as db:
        rows = db.execute("SELECT kind, break_type, planned_seconds FROM breaks ORDER BY id")
        assert rows.fetchall() == [
            ("completed", "exercise", 120.0),
            ("completed", "walking", 300.0),
        ]
