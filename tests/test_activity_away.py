"""Lock and suspend watchers against python-dbusmock services on private buses: a
logind on a stand-in system bus, screensavers on a session bus."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest
from support.daemon import wait_for
from support.sessionbus import (
    GNOME_SCREENSAVER,
    LOGIND_MANAGER,
    LOGIND_SESSION,
    SCREENSAVER,
    Bus,
    MockService,
    private_bus,
    spawn_freedesktop_screensaver,
    spawn_gnome_screensaver,
    spawn_logind,
    spawn_mock,
)

from breakd.activity.away import AwayWatcher
from breakd.activity.logind import LogindLockWatcher, LogindSleepWatcher
from breakd.activity.screensaver import ScreenSaverWatcher
from breakd.activity.select import start_away_watchers

pytestmark = pytest.mark.linux_desktop

WAIT = 3.0  # seconds: a signal crosses a local bus in milliseconds

Event = tuple[str, str]


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SYSTEM_BUS_ADDRESS") as bus:
        yield bus


class Recorder:
    """The callbacks a watcher reports to, queued for the test to wait on."""

    def __init__(self) -> None:
        self.events: queue.Queue[Event] = queue.Queue()

    def away(self, reason: str) -> None:
        self.events.put(("away", reason))

    def back(self, reason: str) -> None:
        self.events.put(("back", reason))

    def next(self) -> Event:
        try:
            return self.events.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no callback within {WAIT}s") from None

    def nothing_more(self, wait: float = 0.3) -> None:
        try:
            event = self.events.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected callback {event}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def watchers() -> Iterator[list[AwayWatcher]]:
    started: list[AwayWatcher] = []
    yield started
    for watcher in started:
        watcher.stop()


def prepare_for_sleep(logind: MockService, sleeping: bool) -> None:
    logind.emit(LOGIND_MANAGER, "PrepareForSleep", "b", [sleeping])


def test_prepare_for_sleep_means_away_then_back(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus)
    watcher = LogindSleepWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    prepare_for_sleep(logind, True)
    assert recorder.next() == ("away", "suspend")
    prepare_for_sleep(logind, False)
    assert recorder.next() == ("back", "suspend")
    logind.stop()


def test_session_lock_and_unlock(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus, session_id="7")
    watcher = LogindLockWatcher(
        recorder.away,
        recorder.back,
        environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address, "XDG_SESSION_ID": "7"},
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    assert watcher.session_path == "/org/freedesktop/login1/session/7"
    session = logind.interface(LOGIND_SESSION, watcher.session_path)
    session.Lock()
    assert recorder.next() == ("away", "lock")
    session.Unlock()
    assert recorder.next() == ("back", "lock")
    logind.stop()


def test_locked_hint_moves_the_same_state_once(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus)
    watcher = LogindLockWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason  # found through GetSessionByPID
    assert watcher.session_path is not None
    session = logind.interface(LOGIND_SESSION, watcher.session_path)
    session.Lock()  # logind asks the locker...
    session.SetLockedHint(True)  # ...and the locker confirms: still one "away"
    assert recorder.next() == ("away", "lock")
    recorder.nothing_more()
    session.SetLockedHint(False)
    assert recorder.next() == ("back", "lock")
    logind.stop()


def test_a_session_locked_at_start_is_reported(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus, locked=True)
    watcher = LogindLockWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    assert recorder.next() == ("away", "lock")
    logind.stop()


def test_freedesktop_screensaver_active_changed(
    session_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    saver = spawn_freedesktop_screensaver(session_bus)
    watcher = ScreenSaverWatcher(
        recorder.away, recorder.back, environ={"DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    saver.emit(SCREENSAVER, "ActiveChanged", "b", [True])
    assert recorder.next() == ("away", "lock")
    saver.emit(SCREENSAVER, "ActiveChanged", "b", [False])
    assert recorder.next() == ("back", "lock")
    saver.stop()


def test_gnome_screensaver_active_changed(
    session_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    saver = spawn_gnome_screensaver(session_bus)
    watcher = ScreenSaverWatcher(
        recorder.away, recorder.back, environ={"DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    screensaver = saver.interface(GNOME_SCREENSAVER)
    screensaver.SetActive(True)
    assert recorder.next() == ("away", "lock")
    screensaver.SetActive(False)
    assert recorder.next() == ("back", "lock")
    saver.stop()


def test_signals_from_an_impostor_are_ignored(
    session_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    """Only the owner of the screensaver's name is listened to."""
    saver = spawn_freedesktop_screensaver(session_bus)
    impostor = spawn_mock(
        session_bus, "org.example.Impostor", "/org/freedesktop/ScreenSaver", SCREENSAVER
    )
    watcher = ScreenSaverWatcher(
        recorder.away, recorder.back, environ={"DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start(), watcher.reason
    impostor.emit(SCREENSAVER, "ActiveChanged", "b", [True])
    recorder.nothing_more()
    saver.emit(SCREENSAVER, "ActiveChanged", "b", [True])
    assert recorder.next() == ("away", "lock")
    impostor.stop()
    saver.stop()


def test_a_failing_callback_does_not_stop_the_watcher(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus)

    def broken(reason: str) -> None:
        raise RuntimeError("daemon bug")

    watcher = LogindSleepWatcher(
        broken, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start()
    prepare_for_sleep(logind, True)
    prepare_for_sleep(logind, False)
    assert recorder.next() == ("back", "suspend")
    assert watcher.running
    logind.stop()


def test_no_service_disables_only_that_watcher(
    system_bus: Bus, session_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    """logind is there, no screensaver is: the two logind watchers start, the other not."""
    logind = spawn_logind(system_bus)
    environ = {
        "DBUS_SYSTEM_BUS_ADDRESS": system_bus.address,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
    }
    running, notes = start_away_watchers(recorder.away, recorder.back, environ, "linux")
    watchers.extend(running)
    assert sorted(w.name for w in running) == ["logind-lock", "logind-sleep"]
    assert len(notes) == 1 and notes[0].startswith("screensaver: neither")
    prepare_for_sleep(logind, True)
    assert recorder.next() == ("away", "suspend")
    logind.stop()


def test_no_buses_at_all(recorder: Recorder) -> None:
    environ = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/system_bus_socket"}
    running, notes = start_away_watchers(recorder.away, recorder.back, environ, "linux")
    assert running == []
    assert [note.split(":")[0] for note in notes] == [
        "logind-sleep",
        "logind-lock",
        "screensaver",
    ]
    assert "no D-Bus session bus" in notes[2]


def test_logind_absent_from_the_system_bus(system_bus: Bus, recorder: Recorder) -> None:
    watcher = LogindSleepWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    assert not watcher.start()
    assert watcher.reason == "no org.freedesktop.login1 (logind) on the system bus"
    watcher.stop()  # harmless


def test_stop_is_prompt_and_final(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus)
    watcher = LogindSleepWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    assert watcher.start()
    assert watcher.running
    watcher.stop()
    assert not watcher.running
    prepare_for_sleep(logind, True)
    recorder.nothing_more()
    logind.stop()


def test_the_bus_going_away_ends_the_watcher_quietly(
    system_bus: Bus, recorder: Recorder, watchers: list[AwayWatcher]
) -> None:
    logind = spawn_logind(system_bus)
    watcher = LogindSleepWatcher(
        recorder.away, recorder.back, environ={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}
    )
    watchers.append(watcher)
    assert watcher.start()
    logind.stop()
    system_bus.stop()
    wait_for(lambda: not watcher.running, WAIT, "the watcher to end")


def test_other_platforms_have_no_watchers(recorder: Recorder) -> None:
    for platform in ("win32", "darwin"):
        running, notes = start_away_watchers(recorder.away, recorder.back, {}, platform)
        assert running == [] and notes
