"""Idle inhibitors (a video playing) read from GNOME's session manager and from logind:
python-dbusmock on private session and system buses, logind from dbusmock's own
template (real inhibitor locks: a file descriptor, dropped when it is closed)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support.daemon import wait_for
from support.sessionbus import Bus, MockService, private_bus, spawn_mock

from breakd.activity.inhibitors import (
    ABSENT_RETRY,
    GNOME_SESSION,
    GNOME_SESSION_PATH,
    LOGIND,
    LOGIND_MANAGER,
    LOGIND_PATH,
    GnomeSessionSource,
    IdleInhibitors,
    LogindInhibitor,
    LogindSource,
    idle_inhibitor,
    keeps_idle_away,
)

pytestmark = pytest.mark.linux_desktop

#: The uid dbusmock's logind template gives every inhibitor it hands out.
TEMPLATE_UID = 1000
#: IsInhibited(flags): true while an inhibitor holds any of the flags asked about; the
#: flags held are the mock's InhibitedActions property, as on a real gnome-session.
IS_INHIBITED = 'ret = bool(self.Get("org.gnome.SessionManager", "InhibitedActions") & args[0])'


@dataclass
class Buses:
    session: Bus
    system: Bus

    @property
    def environ(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.session.address,
            "DBUS_SYSTEM_BUS_ADDRESS": self.system.address,
        }


@pytest.fixture(scope="module")
def buses() -> Iterator[Buses]:
    with private_bus() as session, private_bus() as system:
        yield Buses(session, system)


def spawn_gnome_session(bus: Bus) -> MockService:
    service = spawn_mock(bus, GNOME_SESSION, GNOME_SESSION_PATH, GNOME_SESSION)
    mock = service.mock()
    mock.AddProperties(GNOME_SESSION, {"InhibitedActions": _uint32(0)})
    mock.AddMethod(GNOME_SESSION, "IsInhibited", "u", "b", IS_INHIBITED)
    return service


def spawn_logind_template(bus: Bus) -> MockService:
    return spawn_mock(bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, system=True, template="logind")


def _uint32(value: int) -> object:
    import dbus

    return dbus.UInt32(value)


def set_inhibited(service: MockService, flags: int) -> None:
    service.mock().UpdateProperties(GNOME_SESSION, {"InhibitedActions": _uint32(flags)})


def test_which_logind_locks_keep_idle_away() -> None:
    def lock(what: str, mode: str = "block", uid: int = 1000) -> LogindInhibitor:
        return LogindInhibitor(what, "mpv", "Playing", mode, uid, 42)

    assert keeps_idle_away(lock("idle"), 1000)
    assert keeps_idle_away(lock("sleep:idle"), 1000)
    assert not keeps_idle_away(lock("sleep"), 1000)
    assert not keeps_idle_away(lock("handle-lid-switch"), 1000)
    assert not keeps_idle_away(lock("idle", mode="delay"), 1000)
    assert not keeps_idle_away(lock("idle", uid=1001), 1000)
    entries = [lock("sleep"), lock("idle", uid=7), lock("idle:sleep")]
    assert idle_inhibitor(entries, 1000) == entries[2]
    assert idle_inhibitor(entries[:2], 1000) is None


def test_gnome_and_logind_inhibitors_and_their_absence(
    buses: Buses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "breakd.activity.inhibitors")
    now = [0.0]
    inhibitors = IdleInhibitors(
        (GnomeSessionSource(), LogindSource(uid=TEMPLATE_UID)),
        environ=buses.environ,
        monotonic=lambda: now[0],
    )
    try:
        # Neither service on its bus: no inhibitor, and nothing worth a log line.
        assert inhibitors.held() is None
        assert caplog.records == []

        gnome = spawn_gnome_session(buses.session)
        logind = spawn_logind_template(buses.system)
        try:
            set_inhibited(gnome, 8)
            # Absent services are left unasked for a while (no round trip at each look) ...
            now[0] += ABSENT_RETRY - 1
            assert inhibitors.held() is None
            # ... and then found.
            now[0] += 2
            assert inhibitors.held() == "an application (GNOME session)"
            set_inhibited(gnome, 0)
            assert inhibitors.held() is None
            set_inhibited(gnome, 4)  # suspend only: an update, not a video
            assert inhibitors.held() is None
            set_inhibited(gnome, 4 | 8)  # idle: a video plays in a GNOME session
            assert inhibitors.held() == "an application (GNOME session)"
            set_inhibited(gnome, 0)

            manager = logind.interface(LOGIND_MANAGER)
            sleep_lock = manager.Inhibit("sleep", "updater", "Installing", "block")
            idle_lock = manager.Inhibit("idle:sleep", "mpv", "Playing a video", "block")
            assert inhibitors.held() == "mpv (logind: Playing a video)"
            # The same locks seen as another user's: nothing of this user plays.
            others = IdleInhibitors((LogindSource(uid=TEMPLATE_UID + 1),), buses.environ)
            assert others.held() is None
            others.close()
            os.close(idle_lock.take())  # the player stops: its lock goes with the fd
            wait_for(lambda: inhibitors.held() is None, what="the idle lock to be dropped")
            os.close(sleep_lock.take())

            # A source that is there but fails says so once, and is asked again.
            gnome.mock().AddMethod(
                GNOME_SESSION,
                "IsInhibited",
                "u",
                "b",
                'raise dbus.exceptions.DBusException("broken", name="org.gnome.Broken")',
            )
            assert inhibitors.held() is None
            assert inhibitors.held() is None
            warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1 and "from gnome cannot be read" in warnings[0]
            gnome.mock().AddMethod(GNOME_SESSION, "IsInhibited", "u", "b", IS_INHIBITED)
            set_inhibited(gnome, 8)
            assert inhibitors.held() == "an application (GNOME session)"
            assert "idle inhibitors from gnome can be read again" in caplog.text
        finally:
            gnome.stop()
            logind.stop()
    finally:
        inhibitors.close()


def test_a_system_bus_that_is_not_there_is_left_unasked_until_it_may_be(
    buses: Buses, tmp_path: os.PathLike[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "breakd.activity.inhibitors")
    now = [0.0]
    # A container without a system bus: its socket's path leads nowhere.
    environ = {"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus"}
    inhibitors = IdleInhibitors(
        (LogindSource(uid=TEMPLATE_UID),), environ=environ, monotonic=lambda: now[0]
    )
    logind = spawn_logind_template(buses.system)
    try:
        assert inhibitors.held() is None
        assert caplog.records == []  # absent is not a failure
        # The bus comes up (here: is found at another address) with a video playing ...
        environ["DBUS_SYSTEM_BUS_ADDRESS"] = buses.system.address
        manager = logind.interface(LOGIND_MANAGER)
        idle_lock = manager.Inhibit("idle", "mpv", "Playing a video", "block")
        # ... and is not tried again at every look, only once the wait is over.
        now[0] += ABSENT_RETRY - 1
        assert inhibitors.held() is None
        now[0] += 2
        assert inhibitors.held() == "mpv (logind: Playing a video)"
        os.close(idle_lock.take())
    finally:
        inhibitors.close()
        logind.stop()
