"""The settings window: validation as strict as the config file's, and the real Tk window
on Xvfb typed into with xdotool, printing what the tray hands to the daemon."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab
from support.daemon import wait_for
from support.screen import artifacts, changed
from support.xserver import XServer, require_tool

from breakd.config import load_config
from breakd.tray.settings_window import (
    WINDOW_TITLE,
    current_texts,
    handle_lines,
    open_config_file,
    validate,
)

pytestmark = pytest.mark.linux_desktop

VALUES = {
    "reminders.interval": "30m",
    "breaks.length": "2m",
    "breaks.exercises": "alternate",
    "reminders.snooze": "10m",
    "reminders.remind_again": "5m",
    "breaks.natural_break": "5m",
}


def test_current_texts_are_written_the_way_the_file_writes_them() -> None:
    assert current_texts(load_config().settings) == VALUES


def test_validate_takes_what_the_config_takes_and_reports_the_rest() -> None:
    typed = {
        **VALUES,
        "reminders.interval": "45m",
        "breaks.length": "2 m",  # the same value, spelt differently: no change
        "breaks.exercises": "seated",
        "reminders.snooze": "soon",
        "breaks.natural_break": "5s",
    }
    changes, errors = validate(typed, VALUES)
    assert changes == {"reminders.interval": "45m", "breaks.exercises": "seated"}
    assert set(errors) == {"reminders.snooze", "breaks.natural_break"}
    assert "is not a duration" in errors["reminders.snooze"]
    assert "allowed: a duration" in errors["reminders.snooze"]
    assert "out of range" in errors["breaks.natural_break"]
    assert validate(VALUES, VALUES) == ({}, {})


def test_only_well_formed_settable_lines_are_applied(caplog: pytest.LogCaptureFixture) -> None:
    applied: list[tuple[str, str]] = []
    lines = io.StringIO(
        '{"key": "reminders.interval", "value": "45m"}\n'
        "not json\n"
        '{"key": "logging.level", "value": "debug"}\n'
        '{"key": "breaks.exercises", "value": 3}\n'
        '{"key": "breaks.exercises", "value": "standing"}\n'
    )
    assert handle_lines(lines, lambda key, text: applied.append((key, text))) == 2
    assert applied == [("reminders.interval", "45m"), ("breaks.exercises", "standing")]
    assert caplog.text.count("ignored a line from the window") == 3


def test_open_config_file_creates_a_commented_file_and_says_when_it_cannot_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    target = tmp_path / "breakd" / "config.toml"
    open_config_file(target, platform="linux")
    assert target.read_text().startswith("# breakd settings")
    assert "xdg-open is not installed" in caplog.text
    target.write_text("# mine\n")
    open_config_file(target, platform="linux")
    assert target.read_text() == "# mine\n"  # never overwritten


class Window:
    """The real settings window process on the test's X server."""

    def __init__(self, server: XServer) -> None:
        self.server = server
        self.xdotool = require_tool("xdotool", "xdotool")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "breakd.tray.settings_window", "--values", json.dumps(VALUES)],
            env={**os.environ, "DISPLAY": server.display},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.id = wait_for(self._find, 15, "the settings window")
        shell = subprocess.run(
            [self.xdotool, "getwindowgeometry", "--shell", self.id], capture_output=True, text=True
        ).stdout
        values = dict(line.split("=", 1) for line in shell.split())
        self.box = tuple(int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        x, y, width, _ = self.box
        # No window manager: the keyboard goes to the window under the pointer.
        subprocess.run([self.xdotool, "mousemove", str(x + width // 2), str(y + 8)], check=True)
        time.sleep(0.3)

    def _find(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"the window exited: {self.process.communicate()}")
        found = subprocess.run(
            [self.xdotool, "search", "--name", WINDOW_TITLE], capture_output=True, text=True
        ).stdout.split()
        return found[0] if found else None

    def type(self, text: str) -> None:
        subprocess.run([self.xdotool, "type", "--delay", "30", text], check=True)

    def key(self, *names: str) -> None:
        subprocess.run([self.xdotool, "key", "--delay", "30", *names], check=True)

    def picture(self) -> Image.Image:
        shell = subprocess.run(
            [self.xdotool, "getwindowgeometry", "--shell", self.id], capture_output=True, text=True
        ).stdout
        values = dict(line.split("=", 1) for line in shell.split())
        x, y, width, height = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        grab = ImageGrab.grab(xdisplay=self.server.display)
        return grab.crop((x, y, x + width, y + height))

    def screenshot(self, path: Path) -> None:
        self.picture().save(path)

    def finish(self) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=10)
        return self.process.returncode, out

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def window(xserver: XServer) -> Iterator[Window]:
    opened = Window(xserver)
    yield opened
    opened.kill()


def test_the_window_refuses_a_bad_value_then_saves_a_good_one(
    window: Window, tmp_path: Path
) -> None:
    # The first field ("Remind me after") has the focus, its text selected.
    window.type("soon")
    typed = window.picture()
    window.key("Return")
    wait_for(lambda: changed(typed, window.picture()), 10, "the window to show the problem")
    assert window.process.poll() is None, "a bad value must not close the window"
    window.screenshot(artifacts(tmp_path) / "tray-settings-error.png")
    window.key(*["BackSpace"] * 4)
    window.type("45m")
    window.key("Return")
    code, out = window.finish()
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"key": "reminders.interval", "value": "45m"}
    ]


def test_escape_closes_the_window_without_changes(window: Window) -> None:
    window.type("45m")
    window.key("Escape")
    assert window.finish() == (0, "")
