"""The pure parts of the Windows and macOS backends, which run only there."""

from __future__ import annotations

import ctypes

from breakd.activity import macos, windows


def test_idle_is_the_tick_difference() -> None:
    assert windows.idle_milliseconds(10_000, 4_000) == 6_000


def test_idle_across_the_49_day_wrap() -> None:
    last_input = 2**32 - 1_000  # just before the 32-bit tick count wraps
    now = 500  # just after
    assert windows.idle_milliseconds(now, last_input) == 1_500


def test_input_stamped_slightly_ahead_reads_as_no_idle() -> None:
    assert windows.idle_milliseconds(1_000, 1_020) == 0


def test_lastinputinfo_layout_matches_winuser_h() -> None:
    assert ctypes.sizeof(windows._LastInputInfo) == 8
    assert windows._LastInputInfo.dwTime.offset == 4


def test_coregraphics_constants_match_cgeventtypes_h() -> None:
    assert macos.K_CG_EVENT_SOURCE_STATE_COMBINED_SESSION_STATE == 0
    assert ctypes.c_uint32(~0).value == macos.K_CG_ANY_INPUT_EVENT_TYPE
