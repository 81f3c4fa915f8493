"""The posture rules of a sit-stand desk, on the fake clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from breakd.engine import (
    AwayReason,
    PostureChanged,
    PromptPosture,
    StretchEnded,
    WithdrawReminder,
)
from breakd.state import Posture
from tests.test_engine import MIN, Harness, defaults, records, refused, shows


def prompts(h: Harness) -> list[PromptPosture]:
    return [e for e in h.effects if isinstance(e, PromptPosture)]


def sit_stand(**changes: object) -> Harness:
    return Harness(defaults(desk="sit-stand", **changes))


def test_a_fixed_desk_never_prompts_and_refuses_standing() -> None:
    h = Harness()
    h.run(45 * MIN, step=5)
    assert prompts(h) == []
    assert not any(shown.offer_stand for shown in shows(h.effects))
    with refused('desk is set to "sitting"'):
        h.engine.set_posture(Posture.STANDING, "cli")
    assert h.engine.status().posture is Posture.SITTING


def test_sitting_stand_after_prompts_to_stand_before_the_break_reminder() -> None:
    h = sit_stand(stand_after=20 * MIN)
    h.run(20 * MIN - 1)
    assert prompts(h) == []
    h.run(1)
    [prompt] = prompts(h)
    assert prompt == PromptPosture(Posture.STANDING, 20 * MIN)
    h.run(10 * MIN - 1)
    assert len(prompts(h)) == 1  # once per posture
    h.run(1)
    [reminder] = shows(h.effects)
    assert reminder.sitting_seconds == 30 * MIN and reminder.offer_stand


def test_with_the_defaults_the_reminder_itself_offers_standing_once() -> None:
    h = sit_stand()
    h.run(30 * MIN)
    [reminder] = shows(h.effects)
    assert reminder.offer_stand
    assert prompts(h) == []  # no second notification at the same moment


def test_standing_up_answers_the_reminder_and_prompts_to_sit_after_stand_for() -> None:
    h = sit_stand()
    h.run(30 * MIN)
    effects = h.log(h.engine.set_posture(Posture.STANDING, "reminder"))
    assert any(isinstance(e, WithdrawReminder) for e in effects)
    [changed] = records(effects, PostureChanged)
    assert changed == PostureChanged(
        datetime(2026, 3, 2, 9, 30).astimezone(), Posture.STANDING, "reminder"
    )
    status = h.engine.status()
    assert status.posture is Posture.STANDING and status.reminders_shown == 0
    h.run(6 * MIN)
    assert h.engine.status().posture_seconds == 6 * MIN
    h.run(4 * MIN - 1)
    assert prompts(h) == []
    h.run(1)
    assert prompts(h) == [PromptPosture(Posture.SITTING, 10 * MIN)]
    # Saying the same posture again changes nothing and writes nothing.
    assert h.engine.set_posture(Posture.STANDING, "cli") == []
    h.log(h.engine.set_posture(Posture.SITTING, "cli"))
    assert h.engine.status().posture is Posture.SITTING
    # The reminder clock counts from standing up: the next reminder 30 min after it.
    h.run(20 * MIN - 1)
    assert len(shows(h.effects)) == 1
    h.run(1)
    assert shows(h.effects)[-1].offer_stand


def test_a_natural_break_while_standing_ends_standing_at_the_last_input() -> None:
    h = sit_stand()
    h.run(5 * MIN)
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    h.effects.clear()
    h.run(10 * MIN, idle_from=3 * MIN)  # leaves at 9:08, confirmed at 9:13
    assert h.engine.status().posture is Posture.SITTING
    [ended] = records(h.effects, StretchEnded)
    [sat] = records(h.effects, PostureChanged)
    assert sat.posture is Posture.SITTING and sat.source == "natural-break"
    assert sat.at == ended.ended == datetime(2026, 3, 2, 9, 8).astimezone()
    assert prompts(h) == []  # no sit prompt for the time away
    h.run(1)  # back: a new stretch, sitting, whose stand prompt counts from the return
    assert h.engine.status().posture is Posture.SITTING
    assert h.engine.status().posture_seconds == 0


def test_a_short_absence_keeps_standing() -> None:
    h = sit_stand()
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    h.run(3 * MIN, idle_from=1 * MIN)
    h.run(1)
    assert h.engine.status().posture is Posture.STANDING


def test_a_snooze_postpones_the_posture_prompt_and_it_comes_again() -> None:
    h = sit_stand()
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    h.run(10 * MIN)
    assert len(prompts(h)) == 1
    h.log(h.engine.snooze(5 * MIN))
    h.run(5 * MIN - 1)
    assert len(prompts(h)) == 1
    h.run(1)
    assert prompts(h)[-1] == PromptPosture(Posture.SITTING, 15 * MIN)


def test_a_pause_holds_the_posture_prompt_back_until_resumed() -> None:
    h = sit_stand()
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    h.log(h.engine.pause(None))
    h.run(15 * MIN, step=5)
    assert prompts(h) == []
    h.log(h.engine.resume())
    assert prompts(h) == [PromptPosture(Posture.SITTING, 15 * MIN)]


def test_posture_is_refused_away_or_on_a_break_and_changes_nothing() -> None:
    h = sit_stand()
    h.log(h.engine.start_break("cli"))
    with refused("already running"):
        h.engine.set_posture(Posture.STANDING, "cli")
    h.log(h.engine.end_break_early())
    h.log(h.engine.away(AwayReason.LOCK))
    with refused("while you are away"):
        h.engine.set_posture(Posture.STANDING, "cli")
    assert h.engine.status().posture is Posture.SITTING


def test_turning_the_desk_back_to_fixed_ends_standing() -> None:
    h = sit_stand()
    h.log(h.engine.set_posture(Posture.STANDING, "cli"))
    effects = h.engine.apply_settings(defaults(desk="sitting"))
    [sat] = records(effects, PostureChanged)
    assert sat.posture is Posture.SITTING and sat.source == "settings"
    assert h.engine.status().posture is Posture.SITTING


def test_the_next_deadline_includes_the_posture_prompt() -> None:
    h = sit_stand(stand_after=10 * MIN)
    assert h.engine.next_deadline() == pytest.approx(h.clock.monotonic() + 10 * MIN)
