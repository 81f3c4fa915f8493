"""The tray menu model against a real daemon: live texts, checks, and what each item does.

The daemon is the real one (engine, SQLite history in tmp_path, the user's config file
in the test's private XDG folders) on a FakeClock, with its loop running in a thread as
it does beside the tray. No display is needed: the model knows no toolkit.
"""

from __future__ import annotations

import importlib
import json
import logging
import random
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image
from support.daemon import wait_for

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.app import ContentPlanner
from breakd.autostart import StartAtLogin
from breakd.autostart.linux import LinuxAutostart
from breakd.clock import FakeClock
from breakd.config import load_config, user_config_file
from breakd.daemon import Daemon
from breakd.notify.log_only import LogOnlyNotifier
from breakd.status import status_json
from breakd.store import HistoryStore
from breakd.tray.icon import IconState, icon_state
from breakd.tray.model import (
    MenuEntry,
    StatusCache,
    TrayActions,
    build_menu,
    find,
    next_change,
    shown,
    status_line,
    title,
    today_line,
)
from breakd.tray.pystray_tray import pystray_menu
from breakd.tray.settings_window import SettingsLauncher, current_texts, open_config_file
from breakd.tray.statistics import StatisticsLauncher


class Running:
    """A real daemon on a FakeClock, its loop in a thread, and the tray's model of it."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = FakeClock()
        self.store_path = tmp_path / "history.sqlite3"
        self.daemon = Daemon(
            load_config(),
            clock=self.clock,
            store=HistoryStore(self.store_path),
            idle=AlwaysPresentMonitor(),
            notifier=LogOnlyNotifier(),
            planner=ContentPlanner(random.Random(7)),
        )
        self.thread = threading.Thread(target=self.daemon.run, name="breakd-owner", daemon=True)
        self.thread.start()
        assert self.daemon.ready.wait(5)
        self.opened: list[str] = []
        self.cache = StatusCache(self.daemon)
        self.cache.attach()
        self.menu = build_menu(
            self.cache,
            TrayActions(
                self.daemon,
                open_settings=lambda: self.opened.append("settings"),
                open_config=lambda: self.opened.append("config"),
                open_statistics=lambda: self.opened.append("statistics"),
                start_at_login=StartAtLogin(LinuxAutostart()),
            ),
        )

    def settle(self) -> None:
        """Let the loop carry out everything posted so far, then one pass of its timers.

        The pass runs on the owner thread as a command of its own, so it follows what
        was posted before it however the loop's own passes fall.
        """
        self.daemon.call(self.daemon._step)

    def later(self, seconds: float) -> None:
        """Let time pass and have the tray learn of it (as its look at the minute does)."""
        self.clock.advance(seconds)
        self.settle()
        self.daemon.call(self.cache.status_changed)

    def pick(self, *path: str) -> None:
        entry = find(self.menu, *path)
        assert entry.enabled(), f"{path} is disabled"
        assert entry.action is not None
        entry.action()
        self.settle()

    def labels(self, entries: tuple[MenuEntry, ...] | None = None) -> list[str]:
        return [e.label for e in shown(self.menu if entries is None else entries)]

    def checked(self, *path: str) -> list[str]:
        submenu = find(self.menu, *path).submenu
        return [e.label for e in shown(submenu) if e.checked]

    def status(self) -> dict[str, object]:
        return status_json(self.daemon.call(self.daemon.status))

    def history(self, sql: str) -> list[tuple[object, ...]]:
        return self.daemon.call(lambda: self.daemon.store.connection.execute(sql).fetchall())

    def stop(self) -> None:
        self.daemon.request_stop()
        self.thread.join(5)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[], Running]]:
    started: list[Running] = []

    def make() -> Running:
        running = Running(tmp_path)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


def saved() -> dict[str, dict[str, object]]:
    return tomllib.loads(user_config_file().read_text())


def test_menu_shows_the_state_and_the_settings(start: Callable[[], Running]) -> None:
    tray = start()
    tray.later(23 * 60)
    menu = shown(tray.menu)
    assert [e.label for e in menu] == [
        "Sitting 23 min · next break in 7 min",
        "Start a 2-minute break now",
        "Snooze",
        "Pause",
        "Resume",
        "",
        "Remind me after",
        "Break length",
        "Exercises",
        "",
        "Today: 23 min sitting · 0 breaks · longest stretch 23 min",
        "Statistics…",
        "",
        "Settings…",
        "Open config file",
        "Start at login",
        "Quit",
    ]
    status, start_break = menu[0], menu[1]
    assert not status.enabled and start_break.enabled and start_break.default
    assert not menu[10].enabled  # the "Today" line is information only
    assert not find(tray.menu, "Resume").enabled()  # shown, greyed: the menu keeps its height
    assert title(tray.cache.current) == "Sitting 23 min · next break in 7 min"

    remind = find(tray.menu, "Remind me after").submenu
    assert tray.labels(remind) == ["20 min", "30 min", "45 min", "60 min", "90 min"]
    assert all(e.radio for e in shown(remind))
    assert tray.checked("Remind me after") == ["30 min"]
    assert tray.checked("Break length") == ["2 min"]
    assert tray.checked("Exercises") == ["Alternate seated and standing"]
    assert tray.labels(find(tray.menu, "Snooze").submenu) == [
        "5 min", "10 min", "15 min", "30 min", "1 hour",
    ]  # fmt: skip
    assert tray.labels(find(tray.menu, "Pause").submenu) == [
        "30 min", "1 hour", "2 hours", "4 hours", "Until tomorrow", "Indefinitely",
    ]  # fmt: skip
    assert icon_state(tray.cache.current.status) == IconState("counting", 9)


def test_settings_from_the_menu_apply_at_once_and_are_saved(
    start: Callable[[], Running],
) -> None:
    tray = start()
    tray.pick("Remind me after", "45 min")
    assert tray.status()["interval_seconds"] == 45 * 60
    assert saved()["reminders"]["interval"] == "45m"
    assert tray.checked("Remind me after") == ["45 min"]
    assert status_line(tray.cache.current) == "Sitting less than a minute · next break in 45 min"

    tray.pick("Break length", "5 min")
    assert saved()["breaks"]["length"] == "5m"
    assert find(tray.menu, "Start a 5-minute break now").default
    assert tray.checked("Break length") == ["5 min"]

    tray.pick("Exercises", "Standing only")
    assert saved()["breaks"]["exercises"] == "standing"
    assert tray.checked("Exercises") == ["Standing only"]

    changes = tray.history("SELECT key, new, source FROM setting_changes ORDER BY id")
    assert changes == [
        ("interval", "2700.0", "tray"),
        ("break_length", "300.0", "tray"),
        ("exercise_mix", "standing", "tray"),
    ]
    # Choosing the value already in force writes nothing.
    before = user_config_file().stat().st_mtime_ns
    tray.pick("Remind me after", "45 min")
    assert user_config_file().stat().st_mtime_ns == before
    assert len(tray.history("SELECT * FROM setting_changes")) == 3


def test_a_custom_value_from_the_file_shows_as_its_own_checked_entry(
    start: Callable[[], Running],
) -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('# mine\n[reminders]\ninterval = "25m"\n[breaks]\nlength = "90s"\n')
    tray = start()
    assert tray.checked("Remind me after") == ["25 min (custom)"]
    assert tray.labels(find(tray.menu, "Remind me after").submenu)[-1] == "25 min (custom)"
    assert tray.checked("Break length") == ["1 min 30 s (custom)"]
    assert find(tray.menu, "Start a 90-second break now").enabled()
    tray.pick("Remind me after", "20 min")
    assert tray.checked("Remind me after") == ["20 min"]
    assert "25 min (custom)" not in tray.labels(find(tray.menu, "Remind me after").submenu)
    text = path.read_text()
    assert text.startswith("# mine\n") and 'interval = "20m"' in text


def test_snooze_pause_resume_and_break_from_the_menu(start: Callable[[], Running]) -> None:
    tray = start()
    tray.later(31 * 60)
    assert tray.status()["state"] == "due"
    assert title(tray.cache.current) == "Sitting 31 min · a break is due"
    assert icon_state(tray.cache.current.status) == IconState("due")

    tray.pick("Snooze", "10 min")
    status = tray.status()
    assert status["state"] == "snoozed"
    assert title(tray.cache.current) == "Snoozed until 09:41"
    assert status_line(tray.cache.current) == "Sitting 31 min · snoozed until 09:41"
    assert find(tray.menu, "Snooze").enabled()  # a snooze can be changed while snoozed
    labels_before = tray.labels()
    [(action, until, at)] = tray.history("SELECT action, until, at FROM actions")
    assert action == "snooze" and until - at == pytest.approx(600)

    tray.pick("Pause", "1 hour")
    assert tray.status()["state"] == "paused"
    assert title(tray.cache.current) == "Paused until 10:31"
    # Paused: the same items, so a menu opening as the state changes keeps its height;
    # what does not apply is greyed out.
    assert tray.labels()[1:] == labels_before[1:]  # all but the status line
    assert find(tray.menu, "Resume").enabled()
    assert not find(tray.menu, "Pause").enabled() and not find(tray.menu, "Snooze").enabled()
    assert icon_state(tray.cache.current.status) == IconState("paused")
    tray.pick("Resume")
    assert tray.status()["state"] in ("counting", "due", "snoozed")
    tray.pick("Pause", "Until tomorrow")
    assert title(tray.cache.current).startswith("Paused until tomorrow ")
    tray.pick("Resume")
    tray.pick("Pause", "Indefinitely")
    assert title(tray.cache.current) == "Paused"
    tray.pick("Resume")
    assert [a for (a,) in tray.history("SELECT action FROM actions ORDER BY id")] == [
        "snooze", "pause", "resume", "pause", "resume", "pause", "resume",
    ]  # fmt: skip

    tray.pick("Start a 2-minute break now")
    assert tray.status()["state"] == "break"
    assert title(tray.cache.current) == "On a break — 2 min to go"
    assert not find(tray.menu, "Start a 2-minute break now").enabled()
    assert not find(tray.menu, "Snooze").enabled()
    assert icon_state(tray.cache.current.status) == IconState("break")
    # Whole minutes, counted down as a clock does: 1:10 to go is "2 min".
    tray.later(50)
    assert title(tray.cache.current) == "On a break — 2 min to go"
    tray.later(25)
    assert title(tray.cache.current) == "On a break — less than a minute to go"
    tray.later(45)
    assert tray.status()["state"] == "counting"
    assert tray.history("SELECT kind, trigger FROM breaks") == [("completed", "tray")]
    assert (
        today_line(tray.cache.current) == "Today: 31 min sitting · 1 break · longest stretch 31 min"
    )


def test_a_refused_command_is_logged_not_raised(
    start: Callable[[], Running], caplog: pytest.LogCaptureFixture
) -> None:
    tray = start()
    tray.pick("Start a 2-minute break now")
    entry = find(tray.menu, "Start a 2-minute break now")
    assert entry.action is not None
    with caplog.at_level(logging.INFO, logger="breakd.tray.model"):
        entry.action()  # what a stale menu would still offer
        tray.settle()
    assert "tray: break not done: a break is already running" in caplog.text


def test_settings_config_and_quit(start: Callable[[], Running]) -> None:
    tray = start()
    tray.pick("Settings…")
    tray.pick("Open config file")
    assert tray.opened == ["settings", "config"]
    entry = find(tray.menu, "Quit")
    assert entry.action is not None
    entry.action()
    assert tray.daemon.stopped.wait(5)


def test_away_and_title_words(start: Callable[[], Running]) -> None:
    tray = start()
    tray.daemon.call(lambda: tray.daemon.away("lock"))
    tray.settle()
    assert title(tray.cache.current) == "Away"
    assert icon_state(tray.cache.current.status) == IconState("away")
    assert "Snooze" in tray.labels() and not find(tray.menu, "Snooze").enabled()


def _pystray(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """pystray's menu classes; its "dummy" backend imports without a display."""
    if "pystray" not in sys.modules:
        monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    return importlib.import_module("pystray")


def test_pystray_items_follow_the_model(
    start: Callable[[], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    tray = start()
    pystray = _pystray(monkeypatch)
    menu = pystray_menu(pystray, tray.menu)
    items = list(menu)
    texts = [item.text for item in items if item is not pystray.Menu.SEPARATOR]
    assert texts == [e.label for e in shown(tray.menu) if not e.separator]
    remind = next(item for item in items if item.text == "Remind me after").submenu
    assert [(i.text, i.checked, i.radio) for i in remind] == [
        ("20 min", False, True),
        ("30 min", True, True),
        ("45 min", False, True),
        ("60 min", False, True),
        ("90 min", False, True),
    ]
    assert not items[0].enabled  # the status line
    list(remind)[2](None)  # what a click on "45 min" does
    tray.settle()
    assert [i.checked for i in remind] == [False, False, True, False, False]
    assert saved()["reminders"]["interval"] == "45m"
    menu(None)  # the default action: a left click on the icon
    tray.settle()
    assert tray.status()["state"] == "break"
    assert next(iter(menu)).text == "On a break — 2 min to go"


def test_a_sit_stand_desk_gets_posture_radio_items_and_a_walk_offers_itself(
    start: Callable[[], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "I'm sitting" and "I'm standing" (sit-stand desks only) tell the daemon the posture,
    the one in force checked, in the model and in pystray; the break button names a walk
    when the next break is one."""
    path = user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[posture]\ndesk = "sit-stand"\n[breaks]\nlong_every = 1\n')
    tray = start()
    labels = tray.labels()
    assert labels[5:9] == ["", "I'm sitting", "I'm standing", ""]
    posture = [e for e in shown(tray.menu) if e.label.startswith("I'm")]
    assert [(e.radio, e.checked, e.enabled) for e in posture] == [
        (True, True, True),
        (True, False, True),
    ]
    assert labels[1] == "Start a 5-minute walk now"

    tray.later(6 * 60)
    tray.pick("I'm standing")
    assert tray.status()["posture"] == "standing"
    assert [e.checked for e in shown(tray.menu) if e.label.startswith("I'm")] == [False, True]
    assert title(tray.cache.current) == "Standing less than a minute · next break in 30 min"
    tray.later(4 * 60)
    assert status_line(tray.cache.current) == "Standing 4 min · next break in 26 min"

    pystray = _pystray(monkeypatch)
    items = [i for i in pystray_menu(pystray, tray.menu) if i is not pystray.Menu.SEPARATOR]
    sitting = next(item for item in items if item.text == "I'm sitting")
    assert (sitting.radio, sitting.checked) == (True, False)
    sitting(None)  # what a click on it does
    tray.settle()
    assert tray.status()["posture"] == "sitting" and sitting.checked
    assert tray.history("SELECT posture, source FROM postures ORDER BY id") == [
        ("standing", "tray"),
        ("sitting", "tray"),
    ]

    tray.pick("Start a 5-minute walk now")
    assert tray.status()["state"] == "break"
    # Away from the desk (on a break) the items stay, greyed out.
    assert not find(tray.menu, "I'm standing").enabled()
    assert tray.history("SELECT break_type, planned_seconds FROM breaks") == [("walking", 300.0)]


def test_changes_from_the_settings_window_reach_the_daemon_and_the_file(
    start: Callable[[], Running],
) -> None:
    tray = start()
    actions = TrayActions(tray.daemon)
    lines = [
        {"key": "reminders.interval", "value": "45m"},
        {"key": "reminders.snooze", "value": "7m"},
        # Beyond what `breakd set` offers: the window covers every setting.
        {"key": "notifications.quiet_when_fullscreen", "value": "false"},
        {"key": "breaks.window_corner", "value": "top-left"},
    ]
    script = "".join(f"print({json.dumps(json.dumps(line))})\n" for line in lines)
    # A stand-in for the Tk window: prints what Save prints (it gets --values too).
    launcher = SettingsLauncher(
        actions.change,
        lambda: current_texts(tray.cache.current.settings),
        command=[sys.executable, "-c", script],
    )
    launcher.open()
    assert launcher.process is not None
    launcher.process.wait(10)
    wait_for(lambda: tray.status()["interval_seconds"] == 2700, 10, "the new interval")
    wait_for(lambda: "snooze" in saved()["reminders"], 10, "the snooze setting saved")
    assert saved()["reminders"] == {"interval": "45m", "snooze": "7m"}
    assert tray.daemon.engine.settings.snooze == 420
    wait_for(lambda: "breaks" in saved(), 10, "the break window corner saved")
    assert saved()["notifications"] == {"quiet_when_fullscreen": False}
    assert saved()["breaks"] == {"window_corner": "top-left"}
    assert tray.daemon.engine.settings.window_corner == "top-left"


def test_open_config_file_without_an_editor_tells_the_path_through_the_daemon(
    start: Callable[[], Running],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="breakd.notify")
    tray = start()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    target = tmp_path / "config.toml"
    assert open_config_file(target, "linux", tell=tray.daemon.tell_user) is None
    tray.settle()
    told = "breakd settings file - No graphical text editor is installed."
    assert f"{told} Your settings are in {target}" in caplog.text


def test_start_at_login_is_the_same_switch_as_the_cli(
    start: Callable[[], Running], private_xdg: Path
) -> None:
    tray = start()
    entry = private_xdg / "config" / "autostart" / "breakd.desktop"
    item = find(tray.menu, "Start at login")
    assert item.checked is not None and not item.checked()
    tray.pick("Start at login")
    assert entry.exists() and item.checked()
    assert LinuxAutostart().is_enabled()
    tray.pick("Start at login")
    assert not entry.exists() and not item.checked()
    # The user has chosen: a later first run must not turn it back on.
    assert (private_xdg / "state" / "breakd" / "autostart-decided").exists()


def test_statistics_draws_the_last_seven_days_from_the_history(
    start: Callable[[], Running],
) -> None:
    tray = start()
    tray.pick("Statistics…")
    assert tray.opened == ["statistics"]
    tray.later(40 * 60)
    tray.pick("Start a 2-minute break now")
    tray.later(150)
    shown_files: list[Path] = []
    launcher = StatisticsLauncher(tray.store_path, lambda: 1800.0, show=shown_files.append)
    worker = launcher.open()
    assert worker is not None
    worker.join(120)  # drawn by a process of its own, which loads Pillow
    [chart] = shown_files
    with Image.open(chart) as image:
        assert image.format == "PNG" and image.width >= 400
        # One row per day: the chart is not blank.
        colours = image.convert("RGB").getcolors(maxcolors=100_000)
        assert colours is not None and len(colours) > 5


def test_the_words_change_when_next_change_says(start: Callable[[], Running]) -> None:
    """The tray refreshes at ``next_change``: the words must be the same just before it
    and different just after, and there must be no words with seconds to go stale."""
    tray = start()
    tray.later(20)
    assert title(tray.cache.current) == "Sitting less than a minute · next break in 30 min"
    assert next_change(tray.cache.current) == pytest.approx(40)
    tray.later(39)
    assert title(tray.cache.current) == "Sitting less than a minute · next break in 30 min"
    tray.later(2)
    assert title(tray.cache.current) == "Sitting 1 min · next break in 29 min"
    assert next_change(tray.cache.current) == pytest.approx(59)

    tray.pick("Start a 2-minute break now")
    assert title(tray.cache.current) == "On a break — 2 min to go"
    assert next_change(tray.cache.current) == pytest.approx(60)
    tray.later(61)
    assert title(tray.cache.current) == "On a break — less than a minute to go"
    assert next_change(tray.cache.current) is None  # only the break's end changes it now

    tray.later(60)
    tray.pick("Pause", "1 hour")
    assert next_change(tray.cache.current) is None
