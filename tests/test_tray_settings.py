"""The settings window: every setting of the schema, checked as strictly as the config
file, each problem said once; and the real Tk window on Xvfb typed into with xdotool,
printing what the tray hands to the daemon, which writes only the changed keys."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageGrab
from support.daemon import wait_for
from support.screen import artifacts, changed, wait_still
from support.xserver import XServer, require_tool

from breakd.config import SCHEMA, load_config, read_layer, write_user_setting
from breakd.tray.settings_window import (
    FIELD_LABELS,
    WINDOW_TITLE,
    SettingsLauncher,
    current_texts,
    handle_lines,
    open_config_file,
    tabs,
    validate,
)

pytestmark = pytest.mark.linux_desktop

VALUES = {
    "reminders.interval": "30m",
    "reminders.remind_again": "5m",
    "reminders.max_reminders": "3",
    "reminders.snooze": "10m",
    "reminders.grace_after_return": "2m",
    "breaks.length": "2m",
    "breaks.natural_break": "5m",
    "breaks.exercises": "alternate",
    "breaks.long_every": "4",
    "breaks.long_length": "5m",
    "breaks.window_corner": "bottom-right",
    "working_hours.enabled": "false",
    "working_hours.days": "mon, tue, wed, thu, fri",
    "working_hours.start": "09:00",
    "working_hours.end": "18:00",
    "history.keep_days": "365",
    "logging.level": "info",
    "notifications.backend": "auto",
    "notifications.quiet_when_inhibited": "true",
    "notifications.quiet_when_fullscreen": "true",
    "notifications.quiet_during_calls": "true",
    "activity.idle_source": "auto",
    "general.language": "auto",
    "activity.calls_count_as_sitting": "true",
    "activity.videos_count_as_sitting": "true",
    "startup.autostart": "true",
    "posture.desk": "sitting",
    "posture.stand_after": "30m",
    "posture.stand_for": "10m",
}


def test_current_texts_cover_every_setting_written_as_the_window_shows_them() -> None:
    assert current_texts(load_config().settings) == VALUES
    assert set(VALUES) == {spec.key for spec in SCHEMA}


def test_every_setting_of_the_schema_has_one_labelled_place_in_the_tabs() -> None:
    """Fails when a key is added to the schema without a label for the window (the field
    itself is generated from the schema, so it is always there)."""
    placed = [spec.key for _, specs in tabs() for spec in specs]
    assert sorted(placed) == sorted(spec.key for spec in SCHEMA)
    assert len(placed) == len(set(placed))
    assert set(FIELD_LABELS) == {spec.key for spec in SCHEMA}
    titles = [title for title, _ in tabs()]
    assert titles[:4] == ["Reminders", "Breaks", "Working hours", "Notifications"]


def test_validate_takes_what_the_config_takes_and_reports_the_rest() -> None:
    typed = {
        **VALUES,
        "reminders.interval": "45m",
        "breaks.length": "2 m",  # the same value, spelt differently: no change
        "reminders.snooze": "soon",
        "breaks.natural_break": "5s",
        "reminders.max_reminders": "many",
    }
    changes, errors = validate(typed, VALUES)
    assert changes == {}, "nothing is saved while a field is wrong"
    assert set(errors) == {"reminders.snooze", "breaks.natural_break", "reminders.max_reminders"}
    assert "is not a duration" in errors["reminders.snooze"]
    assert "out of range" in errors["breaks.natural_break"]
    for message in errors.values():
        assert message.count("allowed") == 1
    # The advice is given once, not once by the parser and again by the window.
    assert errors["reminders.snooze"].count('"30m"') == 1
    typed = {**typed, "reminders.snooze": "10m", "breaks.natural_break": "6m"}
    typed["reminders.max_reminders"] = "4"
    typed["breaks.exercises"] = "seated"
    typed["notifications.quiet_when_fullscreen"] = "false"
    typed["working_hours.days"] = "mon, wed"
    changes, errors = validate(typed, VALUES)
    assert errors == {}
    assert changes == {
        "reminders.interval": "45m",
        "breaks.natural_break": "6m",
        "reminders.max_reminders": "4",
        "breaks.exercises": "seated",
        "notifications.quiet_when_fullscreen": "false",
        "working_hours.days": "mon, wed",
    }
    assert validate(VALUES, VALUES) == ({}, {})


def test_working_hours_are_checked_together_as_the_config_checks_them() -> None:
    late_start = {**VALUES, "working_hours.start": "19:00"}
    changes, errors = validate(late_start, VALUES)
    assert changes == {}
    assert list(errors) == ["working_hours.end"]
    assert "must start before they end" in errors["working_hours.end"]
    moved = {**VALUES, "working_hours.start": "19:00", "working_hours.end": "23:30"}
    changes, errors = validate(moved, VALUES)
    assert errors == {}
    # Written one by one, the new end goes first, so the file never says 19:00 to 18:00.
    assert list(changes.items()) == [
        ("working_hours.end", "23:30"),
        ("working_hours.start", "19:00"),
    ]
    earlier = {**VALUES, "working_hours.start": "06:00", "working_hours.end": "08:00"}
    assert list(validate(earlier, VALUES)[0]) == ["working_hours.start", "working_hours.end"]
    no_days = {**VALUES, "working_hours.days": ""}
    assert validate(no_days, VALUES)[1] == {"working_hours.days": "choose at least one day"}


def test_only_well_formed_lines_for_known_settings_are_applied(
    caplog: pytest.LogCaptureFixture,
) -> None:
    applied: list[tuple[str, str]] = []
    opened: list[bool] = []
    lines = io.StringIO(
        '{"key": "reminders.interval", "value": "45m"}\n'
        "not json\n"
        '{"key": "logging.level", "value": "debug"}\n'
        '{"key": "breaks.exercises", "value": 3}\n'
        '{"key": "no.such", "value": "x"}\n'
        '{"open_config": true}\n'
        '{"key": "breaks.exercises", "value": "standing"}\n'
    )
    count = handle_lines(
        lines, lambda key, text: applied.append((key, text)), lambda: opened.append(True)
    )
    assert count == 3
    assert applied == [
        ("reminders.interval", "45m"),
        ("logging.level", "debug"),
        ("breaks.exercises", "standing"),
    ]
    assert opened == [True]
    assert caplog.text.count("ignored a line from the window") == 3


def test_open_config_file_creates_a_commented_file_and_tells_the_path_without_an_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    target = tmp_path / "breakd" / "config.toml"
    told: list[tuple[str, str]] = []
    assert open_config_file(target, "linux", tell=lambda t, b: told.append((t, b))) is None
    assert target.read_text().startswith("# breakd settings")
    assert len(told) == 1 and str(target) in told[0][1]
    target.write_text("# mine\n")
    open_config_file(target, "linux")
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


def test_save_through_the_tray_writes_only_the_changed_key_keeping_comments(
    xserver: XServer, tmp_path: Path
) -> None:
    """The tray's launcher starts the real window; what Save prints is written the way
    ``breakd set`` writes (the daemon's change_setting calls the same function)."""
    user_file = tmp_path / "config.toml"
    original = '# my settings\n[breaks]\n# short breaks for me\nlength = "1m"\n'
    user_file.write_text(original)
    written: list[str] = []

    def apply(key: str, text: str) -> None:
        write_user_setting(key, text, path=user_file)
        written.append(key)

    launcher = SettingsLauncher(apply, lambda: {**VALUES, "breaks.length": "1m"})
    launcher.open()
    xdotool = require_tool("xdotool", "xdotool")
    found = subprocess.run(
        [xdotool, "search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    assert found, "the settings window did not open"
    box = window_box(found[0])
    subprocess.run([xdotool, "mousemove", str(box[0] + box[2] // 2), str(box[1] + 8)], check=True)
    wait_still(xserver, box)
    subprocess.run([xdotool, "type", "--delay", "30", "45m"], check=True)
    subprocess.run([xdotool, "key", "Return"], check=True)
    process = launcher.process
    assert process is not None and process.wait(15) == 0
    wait_for(lambda: written, 10, "the change to be applied")
    assert written == ["reminders.interval"]
    text = user_file.read_text()
    assert text.startswith(original), "the user's comments and values are kept"
    assert 'interval = "45m"' in text
    layer = read_layer(user_file, "user")
    assert layer.problems == []
    assert set(layer.values) == {"breaks.length", "reminders.interval"}


def window_box(window: str) -> tuple[int, int, int, int]:
    xdotool = require_tool("xdotool", "xdotool")
    shell = subprocess.run(
        [xdotool, "getwindowgeometry", "--shell", window], capture_output=True, text=True
    ).stdout
    values = dict(line.split("=", 1) for line in shell.split())
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


# --- the window asked what it shows -----------------------------------------------------------

PROBE = Path(__file__).parent / "support" / "settings_probe.py"


class Probe:
    """The real settings window in its own process, answering what is on screen."""

    def __init__(self, server: XServer) -> None:
        self.server = server
        self.xdotool = require_tool("xdotool", "xdotool")
        self.process = subprocess.Popen(
            [sys.executable, str(PROBE), json.dumps(VALUES)],
            env={**os.environ, "DISPLAY": server.display},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        found = subprocess.run(
            [self.xdotool, "search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.split()
        assert len(found) == 1, f"windows titled {WINDOW_TITLE!r}: {found}"
        self.id = int(found[0])  # Tk's wrapper: the window the desktop sees

    def ask(self, command: str = "report") -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the window exited: {self.process.communicate(timeout=5)}"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def box(self) -> tuple[int, int, int, int]:
        x, y, width, height = self.ask()["box"]
        return x, y, width, height

    def shot(self, path: Path) -> Image.Image:
        box = self.box()
        wait_still(self.server, box)
        x, y, width, height = box
        picture = ImageGrab.grab(xdisplay=self.server.display).crop((x, y, x + width, y + height))
        picture.save(path)
        return picture

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


@pytest.fixture
def probe(xserver: XServer) -> Iterator[Probe]:
    opened = Probe(xserver)
    yield opened
    opened.close()


def test_the_window_is_breakds_own_with_its_theme_and_icon(probe: Probe, tmp_path: Path) -> None:
    from Xlib import Xatom, display

    screen = display.Display(probe.server.display)
    try:
        wrapper = screen.create_resource_object("window", probe.id)
        assert wrapper.get_wm_class() == ("breakd", "Breakd")
        icon = wrapper.get_full_property(screen.intern_atom("_NET_WM_ICON"), Xatom.CARDINAL)
        assert icon is not None and icon.value[0] >= 16 and icon.value[1] >= 16
        assert wrapper.get_wm_name() == WINDOW_TITLE
    finally:
        screen.close()
    report = probe.ask()
    assert report["theme"] == "clam" and report["icon"] is True
    # breakd's light background, not Tk's grey (#d9d9d9), behind the tabs.
    picture = probe.shot(artifacts(tmp_path) / "tray-settings-theme.png").convert("RGB")
    assert picture.getpixel((4, picture.height // 2)) == (0xF6, 0xF8, 0xF8)


def test_every_setting_has_a_field_on_its_tab(probe: Probe, tmp_path: Path) -> None:
    """Fails when a user-facing key of the schema gets no field in the real window."""
    report = probe.ask()
    assert set(report["fields"]) == {spec.key for spec in SCHEMA}
    assert report["typed"] == VALUES
    folder = artifacts(tmp_path)
    for index, (title, specs) in enumerate(tabs()):
        report = probe.ask(f"select {index}")
        assert report["tab"] == index
        hidden = [s.key for s in specs if not report["fields"][s.key]["mapped"]]
        assert hidden == [], f"not shown on the {title} tab: {hidden}"
        picture = probe.shot(folder / f"tray-settings-{title.lower().replace(' ', '-')}.png")
        assert picture.width > 300 and picture.height > 200


def test_a_bad_value_is_shown_once_under_its_field(probe: Probe, tmp_path: Path) -> None:
    x, y, width, _ = probe.box()
    subprocess.run([probe.xdotool, "mousemove", str(x + width // 2), str(y + 8)], check=True)
    subprocess.run([probe.xdotool, "type", "--delay", "30", "soon"], check=True)
    wait_for(lambda: probe.ask()["typed"]["reminders.interval"] == "soon", 15, "the typed text")
    subprocess.run([probe.xdotool, "key", "Return"], check=True)
    report = wait_for(
        lambda: (r := probe.ask())["fields"]["reminders.interval"]["message"] and r,
        15,
        "the problem under its field",
    )
    probe.shot(artifacts(tmp_path) / "tray-settings-error.png")
    shown = [f["message"] for f in report["fields"].values() if f["message"]]
    assert len(shown) == 1
    [message] = shown
    assert message.startswith("'soon' is not a duration; allowed: a duration such as")
    assert message.count('"30m"') == 1
    assert report["status"] == "1 setting to fix before saving"
    assert report["output"] == ""  # nothing saved


def test_open_config_file_button_asks_the_tray(probe: Probe) -> None:
    report = probe.ask()
    assert report["output"] == ""
    x, y, _, height = report["box"]
    # "Open config file" is the bottom-left button.
    subprocess.run(
        [probe.xdotool, "mousemove", str(x + 50), str(y + height - 24), "click", "1"], check=True
    )
    answer = wait_for(lambda: probe.ask()["output"], 15, "the request to open the file")
    assert json.loads(answer) == {"open_config": True}
