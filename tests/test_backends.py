"""The one way a backend is chosen: in order, passing over those that cannot work here."""

from __future__ import annotations

import pytest

from breakd.backends import BackendUnavailable, Chosen, check_choice, choose


def unavailable(why: str) -> object:
    raise BackendUnavailable(why)


REGISTRY = {
    "first": lambda why: unavailable(f"first: {why}"),
    "second": lambda why: f"second built ({why})",
    "third": lambda why: "third built",
}


def test_the_first_that_builds_is_chosen_and_those_before_it_are_noted() -> None:
    chosen, notes = choose(["first", "second", "third"], REGISTRY, "no bus")
    assert chosen == Chosen("second", "second built (no bus)")
    assert notes == ["first: first: no bus"]


def test_none_when_every_one_is_passed_over_and_the_note_can_be_worded() -> None:
    chosen, notes = choose(
        ["first"], REGISTRY, "no bus", note=lambda name, error: f"{name} is off ({error})"
    )
    assert chosen is None
    assert notes == ["first is off (first: no bus)"]


def test_an_error_that_is_not_unavailability_is_a_bug_and_propagates() -> None:
    registry = {"broken": lambda context: 1 // 0}
    with pytest.raises(ZeroDivisionError):
        choose(["broken"], registry, None)
    chosen, notes = choose(["broken"], registry, None, passed_over=(ZeroDivisionError,))
    assert chosen is None and notes == ["broken: integer division or modulo by zero"]


def test_an_unknown_preference_lists_the_choices() -> None:
    check_choice("auto", ("auto", "x11"), "idle backend")
    with pytest.raises(ValueError, match="unknown idle backend 'qt'; use one of: auto, x11"):
        check_choice("qt", ("auto", "x11"), "idle backend")
