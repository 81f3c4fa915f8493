"""SleepDetector on a FakeClock, and on injected kernel-clock readings."""

from __future__ import annotations

import sys

import pytest

from breakd.activity.sleep_detector import SleepDetector, kernel_readings
from breakd.clock import FakeClock, SystemClock


def test_first_check_has_nothing_to_compare() -> None:
    assert SleepDetector(FakeClock()).check() is None


def test_a_suspend_is_reported_once_with_its_length() -> None:
    clock = FakeClock()
    detector = SleepDetector(clock)
    clock.advance(10)
    assert detector.check() is None
    clock.freeze_for(3600)
    clock.advance(5)
    assert detector.check() == pytest.approx(3600)
    clock.advance(10)
    assert detector.check() is None


def test_short_freezes_are_jitter_not_sleep() -> None:
    clock = FakeClock()
    detector = SleepDetector(clock, threshold=30)
    clock.freeze_for(29)
    assert detector.check() is None
    clock.freeze_for(31)
    assert detector.check() == pytest.approx(31)


def test_gaps_are_measured_between_checks_not_accumulated() -> None:
    clock = FakeClock()
    detector = SleepDetector(clock)
    for _ in range(5):
        clock.freeze_for(20)  # 20 s each time: never over the threshold between checks
        assert detector.check() is None


def test_wall_clock_set_back_is_not_a_sleep() -> None:
    clock = FakeClock()
    detector = SleepDetector(clock)
    clock.jump_wall(-7200)
    assert detector.check() is None


def test_wall_clock_set_forward_looks_like_a_sleep_without_kernel_clocks() -> None:
    """The documented limit of the wall-clock fallback."""
    clock = FakeClock()
    detector = SleepDetector(clock)
    assert detector.source == "wall clock"
    clock.jump_wall(600)
    assert detector.check() == pytest.approx(600)


def test_kernel_clock_pair_sees_only_sleep() -> None:
    """BOOTTIME-like and MONOTONIC-like readings: their difference is sleep only."""
    boottime, monotonic = [100.0], [50.0]
    detector = SleepDetector(FakeClock(), readings=lambda: (boottime[0], monotonic[0]))
    assert detector.source == "given clocks"
    boottime[0] += 60
    monotonic[0] += 60
    assert detector.check() is None
    boottime[0] += 900  # suspended for 900 s: only BOOTTIME moved
    assert detector.check() == pytest.approx(900)


def test_real_clock_uses_kernel_clocks_where_there_are_some() -> None:
    detector = SleepDetector(SystemClock())
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        assert kernel_readings() is not None
        assert detector.source == "kernel clocks"
    assert detector.check() is None  # this machine did not just sleep
