"""How a reminder is worded for each kind of server, and its buttons' labels (no server)."""

from __future__ import annotations

import pytest

from breakd.notify.base import Reminder, how_to_start, length_words
from breakd.notify.freedesktop import ServerInfo, compose

CAPS = frozenset({"actions", "body", "body-markup", "persistence"})


def reminder(break_seconds: float = 60, snooze_seconds: float = 180) -> Reminder:
    return Reminder(
        title="You've been sitting for 31 minutes",
        body="Knees & hips <level>",
        exercise_id="x",
        number=1,
        break_seconds=break_seconds,
        snooze_seconds=snooze_seconds,
    )


def server(name: str, capabilities: frozenset[str] = CAPS) -> ServerInfo:
    return ServerInfo(name, "vendor", "1.0", capabilities)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(120, "2-min"), (60, "1-min"), (45, "45-second"), (5400, "1 h 30 min"), (3600, "1 h")],
)
def test_length_words(seconds: float, words: str) -> None:
    assert length_words(seconds) == words


def test_labels_say_what_the_buttons_do() -> None:
    assert reminder().break_label == "Start 1-min break"
    assert reminder().snooze_label == "Snooze 3 min"
    assert reminder(120, 600).break_label == "Start 2-min break"
    assert reminder(120, 600).snooze_label == "Snooze 10 min"


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Notification Daemon", "Click to start a 1-min break."),
        ("Some future server", "Click to start a 1-min break."),
        ("dunst", "Middle-click to start a 1-min break."),
        ("Xfce Notify Daemon", "Press \u201cStart 1-min break\u201d to begin."),
    ],
)
def test_the_hint_matches_what_a_click_does_there(name: str, hint: str) -> None:
    outgoing = compose(reminder(), server(name))
    assert outgoing.body == f"Knees &amp; hips &lt;level&gt;\n{hint}"
    assert outgoing.actions == (
        "default", "",
        "break", "Start 1-min break",
        "snooze", "Snooze 3 min",
        "skip", "Skip",
    )  # fmt: skip


def test_a_server_without_actions_gets_none_and_is_told_another_way() -> None:
    outgoing = compose(reminder(), server("Notification Daemon", frozenset({"body"})))
    assert outgoing.actions == ()
    # No "body-markup": the text goes as it is.
    assert outgoing.body == f"Knees & hips <level>\n{how_to_start()}"


def test_the_reminder_after_a_call_says_how_long_the_call_was() -> None:
    from breakd.daemon import call_title

    assert call_title(52 * 60 + 20) == "You sat through a 52-minute call — time for a break"
    assert call_title(60) == "You sat through a 1-minute call — time for a break"
    assert call_title(45) == "You sat through a 45-second call — time for a break"
