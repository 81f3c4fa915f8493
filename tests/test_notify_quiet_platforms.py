"""Do not disturb where no session bus answers: what Windows' and macOS's readings mean,
and mako's modes, as plain functions over sample readings (run on every platform; the
readings themselves are taken on the real systems in test_native_platforms.py). The
macOS source also reads a real Assertions.json from a folder standing in for the home."""

from __future__ import annotations

import json
import logging
import plistlib
import sys
from datetime import datetime
from pathlib import Path

import pytest

from breakd.notify import quiet
from breakd.notify.quiet import QuietRules, default_sources
from breakd.notify.quiet.base import SourceFailed
from breakd.notify.quiet.macos import (
    ASSERTIONS,
    MacFocusSource,
    dnd_from_ncprefs,
    dnd_from_notificationcenterui,
    focus_from_assertions,
    major_version,
)
from breakd.notify.quiet.mako import modes_say_quiet
from breakd.notify.quiet.windows import (
    NotificationState,
    WindowsQuietSource,
    focus_assist_reason,
    state_reason,
)

#: Assertions.json as macOS 14 writes it with "Do Not Disturb" turned on in Control Centre.
FOCUS_ON = {
    "data": [
        {
            "storeAssertionRecords": [
                {
                    "assertionUUID": "0E0B6A57-2E43-4A4D-9B57-0F6C2B3C9F11",
                    "assertionSource": {"assertionClientIdentifier": "com.apple.controlcenter"},
                    "assertionStartDateTimestamp": 729345600.5,
                    "assertionDetails": {
                        "assertionDetailsIdentifier": "com.apple.controlcenter.dnd",
                        "assertionDetailsModeIdentifier": "com.apple.donotdisturb.mode.default",
                        "assertionDetailsReason": "user-action",
                    },
                }
            ]
        }
    ],
    "header": {"timestamp": 729345600.6, "version": 1},
}
#: ... and after it was turned off again: the records are gone.
FOCUS_OFF = {"data": [{}], "header": {"timestamp": 729349200.1, "version": 1}}


def test_windows_notification_states_that_hold_a_reminder() -> None:
    quiet_states = {
        NotificationState.NOT_PRESENT,
        NotificationState.BUSY,
        NotificationState.RUNNING_D3D_FULL_SCREEN,
        NotificationState.PRESENTATION_MODE,
        NotificationState.QUIET_TIME,
    }
    for state in NotificationState:
        assert (state_reason(state) is not None) == (state in quiet_states), state
    assert state_reason(NotificationState.PRESENTATION_MODE) == "presentation mode is on (Windows)"
    assert state_reason(5) is None  # QUNS_ACCEPTS_NOTIFICATIONS
    assert state_reason(7) is None  # QUNS_APP: a Store app fullscreen, not a desktop one
    assert state_reason(0) is None and state_reason(99) is None  # not a documented value


def test_focus_assist_profiles() -> None:
    assert focus_assist_reason(0) is None
    assert focus_assist_reason(1) == "do not disturb (Focus Assist: priority only)"
    assert focus_assist_reason(2) == "do not disturb (Focus Assist: alarms only)"
    assert focus_assist_reason(3) == "do not disturb (Focus Assist)"


@pytest.mark.skipif(sys.platform == "win32", reason="elsewhere than Windows")
def test_the_windows_source_says_where_it_works() -> None:
    with pytest.raises(SourceFailed, match="only on Windows"):
        WindowsQuietSource()


def test_each_platform_has_its_own_sources() -> None:
    if sys.platform == "win32":
        assert [s.name for s in default_sources(platform="win32")] == ["windows"]
    assert [s.name for s in default_sources(platform="darwin")] == ["macOS Focus"]
    linux = [s.name for s in default_sources({"XDG_CURRENT_DESKTOP": "sway"}, platform="linux")]
    assert linux == ["notification server", "xfce", "dunst", "mako", "swaync"]


def test_mako_modes() -> None:
    assert modes_say_quiet(["default", "do-not-disturb"])
    assert not modes_say_quiet(["default"])
    assert not modes_say_quiet([])
    assert not modes_say_quiet(["do-not-disturb-later"])  # a mode of the user's own


def test_macos_12_and_later_assertions() -> None:
    assert focus_from_assertions(FOCUS_ON)
    assert not focus_from_assertions(FOCUS_OFF)
    assert not focus_from_assertions({"data": [{"storeAssertionRecords": []}]})
    assert not focus_from_assertions({"header": {}})
    with pytest.raises(ValueError):
        focus_from_assertions([1, 2])


def test_macos_11_and_older_preferences() -> None:
    def ncprefs(enabled: bool) -> dict[str, object]:
        inner = {
            "dndDisplayLock": False,
            "scheduledTime": {"enabled": False, "start": 1320.0, "end": 420.0},
            "userPref": {"enabled": enabled, "date": datetime(2021, 3, 1, 9, 0), "reason": 1},
        }
        return {"dnd_prefs": plistlib.dumps(inner, fmt=plistlib.FMT_BINARY), "other": 1}

    assert dnd_from_ncprefs(ncprefs(True))
    assert not dnd_from_ncprefs(ncprefs(False))
    assert not dnd_from_ncprefs({})  # never switched
    assert dnd_from_notificationcenterui({"doNotDisturb": True, "dndStart": 1320.0})
    assert not dnd_from_notificationcenterui({"doNotDisturb": False})
    assert not dnd_from_notificationcenterui({})
    assert [major_version(v) for v in ("14.2.1", "12.0", "11.7", "10.15.7", "")] == [
        14, 12, 11, 10, 0,
    ]  # fmt: skip


def test_the_macos_source_reads_the_file_without_any_bus(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=quiet.__name__)
    source = MacFocusSource(home=tmp_path, release="14.2")
    rules = QuietRules(when_inhibited=True, when_fullscreen=False, environ={}, sources=[source])
    path = tmp_path / ASSERTIONS
    try:
        assert rules.reason() is None  # Focus never used: no file at all
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(FOCUS_ON, indent=2))
        assert rules.reason() == "do not disturb (macOS Focus)"
        path.write_text(json.dumps(FOCUS_OFF))
        assert rules.reason() is None
        path.write_text('{"data": [')  # caught mid-write, or a format this does not know
        assert [rules.reason() for _ in range(3)] == [None] * 3
        path.write_text(json.dumps(FOCUS_ON))
        assert rules.reason() == "do not disturb (macOS Focus)"
    finally:
        rules.close()
    assert [m.split(":")[0] for m in caplog.messages] == [
        "do not disturb (macOS Focus) is off",
        "do not disturb (macOS Focus) works again",
    ]
