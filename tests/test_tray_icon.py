"""The tray icon's pictures: every state at tray sizes, told apart by their pixels.

A strip of all of them is kept in ``$BREAKD_TEST_ARTIFACTS`` (or the test's tmp_path),
so a person can look at what users will see.
"""

from __future__ import annotations

import colorsys
import itertools
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from support.screen import artifacts

from breakd.engine import Phase, Status
from breakd.status import DaemonStatus
from breakd.tray.icon import PROGRESS_STEPS, IconState, icon_state, render, strip

SIZES = (16, 22, 32)
STATES = [
    IconState("counting", 0),
    IconState("counting", 4),
    IconState("counting", 8),
    IconState("counting", PROGRESS_STEPS),
    IconState("due"),
    IconState("snoozed"),
    IconState("paused"),
    IconState("break"),
    IconState("away"),
]


def pixels(picture: Image.Image) -> list[tuple[int, int, int, int]]:
    data = picture.convert("RGBA").tobytes()
    return [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0..255) between two same-size pictures."""
    diff = pixels(ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")))
    return sum(sum(p) for p in diff) / (len(diff) * 4)


def share_of(picture: Image.Image, test: str) -> float:
    """The share of opaque pixels whose colour passes ``test`` ("amber", "blue", "grey")."""
    opaque = [p for p in pixels(picture) if p[3] > 200]
    count = 0
    for r, g, b, _ in opaque:
        h, s, _ = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        if (
            (test == "amber" and 0.07 < h < 0.14 and s > 0.6)
            or (test == "blue" and 0.58 < h < 0.7 and s > 0.4)
            or (test == "grey" and s < 0.12)
        ):
            count += 1
    return count / len(opaque)


@pytest.mark.parametrize("size", SIZES)
def test_every_state_renders_and_the_states_differ(size: int) -> None:
    pictures = {state: render(state, size) for state in STATES}
    for picture in pictures.values():
        assert picture.size == (size, size) and picture.mode == "RGBA"
        assert picture.getchannel("A").getextrema()[1] == 255  # not blank
    for (a, pa), (b, pb) in itertools.combinations(pictures.items(), 2):
        assert difference(pa, pb) > 2.0, f"{a} and {b} look alike at {size} px"


@pytest.mark.parametrize("size", SIZES)
def test_the_states_differ_in_ways_that_survive_small_sizes(size: int) -> None:
    assert share_of(render(IconState("due"), size), "amber") > 0.08
    assert share_of(render(IconState("counting", 6), size), "amber") < 0.01
    assert share_of(render(IconState("break"), size), "blue") > 0.4
    assert share_of(render(IconState("counting", 6), size), "blue") < 0.01
    assert share_of(render(IconState("paused"), size), "grey") > 0.5
    assert share_of(render(IconState("away"), size), "grey") > 0.8
    assert share_of(render(IconState("counting", 6), size), "grey") < 0.4


def test_the_ring_fills_as_sitting_time_nears_the_interval() -> None:
    empty, half, full = (render(IconState("counting", step), 32) for step in (0, 6, 12))

    def light(picture: Image.Image) -> int:
        """The ring is white where it has filled: more light pixels as it fills."""
        return sum(1 for r, g, b, a in pixels(picture) if a > 200 and min(r, g, b) > 200)

    assert light(empty) < light(half) < light(full)


def daemon_status(
    phase: Phase, sitting: float = 0, interval: float = 1800, snoozed: bool = False
) -> DaemonStatus:
    now = datetime(2026, 3, 2, 9, 0).astimezone()
    engine = Status(
        phase, sitting, False, 0, None, now if snoozed else None, False, None, None, None
    )
    return DaemonStatus(engine, now, None, "test", "test", interval)


def test_progress_is_quantised_so_the_icon_changes_rarely() -> None:
    def state(sitting: float, interval: float = 1800) -> IconState:
        return icon_state(daemon_status(Phase.SITTING, sitting, interval))

    assert state(0) == state(149) == IconState("counting", 0)
    assert state(150) == IconState("counting", 1)
    assert state(900) == IconState("counting", 6)
    assert state(1800) == state(5000) == IconState("counting", PROGRESS_STEPS)
    changes = {state(second) for second in range(0, 1800, 5)}
    assert len(changes) == PROGRESS_STEPS  # at most 12 redraws over a 30-minute stretch
    assert icon_state(daemon_status(Phase.OFF_HOURS)) == IconState("away")
    assert icon_state(daemon_status(Phase.SITTING, 2000, snoozed=True)) == IconState("snoozed")


def test_renders_are_cached_and_sizes_checked() -> None:
    assert render(IconState("due"), 22) is render(IconState("due"), 22)
    with pytest.raises(ValueError):
        render(IconState("due"), 4)


def test_strip_of_all_states_for_people_to_look_at(tmp_path: Path) -> None:
    sheet = strip(STATES, SIZES)
    big = sheet.resize((sheet.width * 4, sheet.height * 4), Image.Resampling.NEAREST)
    target = artifacts(tmp_path) / "tray-icon-states.png"
    big.save(target)
    assert target.stat().st_size > 1000
