"""What the running daemon keeps loaded, and the pieces that keep it small.

The daemon runs all day, so the libraries it holds after start-up are its cost. With
the default backends on Linux (the StatusNotifierItem tray, reminders over jeepney)
none of the heavy packages below may be loaded once it has settled: the daemon says
at debug level which top-level packages it has, and the test reads that line. No
timings are asserted; only what is loaded.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from support.daemon import DaemonProcess
from support.sessionbus import Bus, MockService, private_bus, spawn_mock
from support.sni import spawn_watcher
from support.xserver import XServer

from breakd import footprint
from breakd.tray.icon import render
from breakd.tray.looks import IconState, Look, all_states
from breakd.tray.pixmaps import PIXMAP_SIZES, PixmapCache, default_file

#: Packages the settled daemon must not hold with the default backends on Linux, and why
#: each would be there by accident.
HEAVY = {
    "PIL": "drawing the tray icon (it comes drawn from a file)",
    "pystray": "the tray (the StatusNotifierItem needs no toolkit)",
    "gi": "GTK",
    "asyncio": "desktop-notifier's loop",
    "dbus_fast": "desktop-notifier's D-Bus",
    "desktop_notifier": "the desktop-notifier backend, chosen only by name on Linux",
    "tomlkit": "writing the settings file (loaded only to write)",
    "hashlib": "libcrypto, through secrets or hmac",
    "_hashlib": "libcrypto",
    "html": "escaping three characters",
    "email": "an import of convenience",
    "http": "an import of convenience",
    "tkinter": "the break window (a process of its own)",
    "Xlib": "python-xlib (the fullscreen check speaks to libX11 itself)",
    "pulsectl": "call detection with no sound server to ask (no socket, no PULSE_SERVER)",
}
TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")
NOTIFICATIONS = "org.freedesktop.Notifications"
#: The settled line comes footprint.SETTLE_AFTER (10 s) after start; a busy machine may
#: take much longer to get there.
SETTLED_WAIT = 120.0
ARGS = ["--set", "logging.level=debug", "--set", "activity.idle_source=always-present"]


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def desktop(xserver: XServer, session_bus: Bus) -> Iterator[tuple[MockService, MockService]]:
    """A tray (a StatusNotifierWatcher) and a notification server on the private bus."""
    watcher = spawn_watcher(session_bus)
    server = spawn_mock(
        session_bus,
        NOTIFICATIONS,
        "/org/freedesktop/Notifications",
        NOTIFICATIONS,
        template=TEMPLATE,
        parameters=json.dumps({}),
    )
    yield watcher, server
    server.stop()
    watcher.stop()


def settled_packages(daemon: DaemonProcess) -> set[str]:
    line = daemon.wait_log(footprint.LOADED_PACKAGES, timeout=SETTLED_WAIT)
    listed = line.split(footprint.LOADED_PACKAGES, 1)[1].split("\n", 1)[0]
    return set(listed.split())


@pytest.mark.linux_desktop
@pytest.mark.slow
def test_the_settled_daemon_holds_none_of_the_heavy_packages(
    desktop: tuple[MockService, MockService], daemons: list[DaemonProcess]
) -> None:
    daemon = DaemonProcess(ARGS, env={"PYSTRAY_BACKEND": ""})
    daemons.append(daemon)
    daemon.wait_log("tray: sni backend")
    daemon.wait_log("notifications via freedesktop")
    loaded = settled_packages(daemon)
    assert {"breakd", "jeepney", "sqlite3"} <= loaded  # the line lists what is there
    held = {name: why for name, why in HEAVY.items() if name in loaded}
    assert not held, f"the settled daemon holds {held}"
    assert default_file().is_file()  # the icon came drawn from the cache
    maps = Path(f"/proc/{daemon.pid}/maps").read_text()
    for library in ("libcrypto", "_imaging", "libjpeg", "libfreetype", "libgtk-3", "libpulse"):
        assert library not in maps, f"{library} is mapped into the daemon"
    assert daemon.stop(timeout=30) == 0


@pytest.mark.linux_desktop
@pytest.mark.slow
def test_desktop_notifier_chosen_by_name_brings_its_stack(
    desktop: tuple[MockService, MockService], daemons: list[DaemonProcess]
) -> None:
    """The same line with the backend that needs asyncio: the check sees what it guards."""
    daemon = DaemonProcess(
        [*ARGS, "--set", "notifications.backend=desktop-notifier"], env={"PYSTRAY_BACKEND": ""}
    )
    daemons.append(daemon)
    loaded = settled_packages(daemon)
    assert {"asyncio", "desktop_notifier"} <= loaded
    assert "PIL" not in loaded
    assert daemon.stop(timeout=30) == 0


# --- the icon file -------------------------------------------------------------------------


def as_argb(state: IconState, size: int) -> bytes:
    red, green, blue, alpha = render(state, size).split()
    return Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def test_the_icon_file_is_drawn_once_and_holds_every_state_as_drawn(tmp_path: Path) -> None:
    path = tmp_path / "icons" / "tray-test.argb"
    older = tmp_path / "icons" / "tray-older.argb"
    older.parent.mkdir()
    older.write_bytes(b"an older drawing")
    cache = PixmapCache(path)
    for state in all_states():
        pixmaps = cache.pixmaps(state)
        assert [(w, h) for w, h, _ in pixmaps] == [(s, s) for s in PIXMAP_SIZES]
        assert all(data == as_argb(state, w) for w, _, data in pixmaps), state
    assert path.stat().st_mode & 0o777 == 0o600
    assert not older.exists(), "the file of an older drawing is left behind"
    drawn = path.stat().st_mtime_ns
    PixmapCache(path).pixmaps(IconState(Look.DUE))
    assert path.stat().st_mtime_ns == drawn, "an intact file was drawn again"


def test_a_damaged_icon_file_is_drawn_again(tmp_path: Path) -> None:
    path = tmp_path / "tray-test.argb"
    path.write_bytes(b"\0" * 1000)
    pixmaps = PixmapCache(path).pixmaps(IconState(Look.BREAK))
    assert pixmaps[-1][2] == as_argb(IconState(Look.BREAK), PIXMAP_SIZES[-1])
    assert path.stat().st_size > 1000


def test_without_a_writable_cache_the_icon_is_drawn_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    caplog.set_level(logging.INFO)
    pixmaps = PixmapCache(blocker / "icons" / "tray-test.argb").pixmaps(IconState(Look.PAUSED))
    assert pixmaps[0][2] == as_argb(IconState(Look.PAUSED), PIXMAP_SIZES[0])
    assert "drawing the icons failed" in caplog.text
    assert "drawing the icon in the daemon" in caplog.text


def test_the_drawing_key_follows_the_sizes() -> None:
    assert default_file() == default_file(PIXMAP_SIZES)
    assert default_file((16, 32)) != default_file()


# --- the settling ----------------------------------------------------------------------------


def test_settling_lists_the_loaded_packages_at_debug_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="breakd.footprint")
    try:
        footprint.settle()
    finally:
        gc.unfreeze()  # the rest of the test run keeps its collector
    [line] = [r.getMessage() for r in caplog.records if footprint.LOADED_PACKAGES in r.getMessage()]
    assert "breakd" in line.split() and "pytest" in line.split()


@pytest.mark.linux_desktop
def test_resident_memory_is_read_and_one_malloc_arena_can_be_asked_for_on_linux() -> None:
    resident = footprint.resident_kb()
    assert resident is not None and resident > 1000
    assert footprint.limit_malloc_arenas(8) is True  # glibc; 8 leaves pytest as it was
