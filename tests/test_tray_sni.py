"""The StatusNotifierItem tray (breakd.tray.sni) with real parts.

The real daemon runs on a private session bus. A tray is played by python-dbusmock
(a StatusNotifierWatcher that records registrations) and by dbus-python calls on the
item and its menu; ``dbus-monitor`` records the signals the item sends. The last test
uses a real StatusNotifierItem host, ``gtk-sni-tray-standalone`` under Xvfb, and drives
its menu with the mouse and keyboard. Screenshots go to ``$BREAKD_TEST_ARTIFACTS``.
"""

from __future__ import annotations

import colorsys
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageGrab
from support.daemon import DaemonProcess, breakd, log_count, log_path, query, status, wait_for
from support.screen import artifacts, changed, grab, key, teal_share, wait_still
from support.sessionbus import Bus, MockService, private_bus
from support.sni import (
    MENU_PATH,
    SignalLog,
    SniClient,
    SniHost,
    labels,
    registrations,
    shown,
    shown_labels,
    spawn_watcher,
)
from support.xserver import XServer, require_tool

from breakd.config import user_config_file
from breakd.tray.select import WATCHER, choose_backend

pytestmark = pytest.mark.linux_desktop

#: The daemon's own settings for these tests: no dependence on X idle time.
STEADY = ["--set", "activity.idle_source=always-present", "--set", "interval=30m"]
#: No backend asked for: the daemon picks one as it would on a desktop.
CHOSEN = {"PYSTRAY_BACKEND": ""}
SHOWN = "tray: icon shown (sni backend)"


def from_argb32(width: int, height: int, data: bytes) -> Image.Image:
    """An ``IconPixmap`` entry back into a picture (ARGB32, network byte order)."""
    alpha, red, green, blue = Image.frombytes("RGBA", (width, height), data).split()
    return Image.merge("RGBA", (red, green, blue, alpha))


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture
def watcher(session_bus: Bus) -> Iterator[MockService]:
    service = spawn_watcher(session_bus)
    yield service
    service.stop()


def start_daemon(daemons: list[DaemonProcess], env: dict[str, str] = CHOSEN) -> DaemonProcess:
    daemon = DaemonProcess(STEADY, env=env)
    daemons.append(daemon)
    return daemon


def registered_item(watcher: MockService, daemon: DaemonProcess) -> str:
    names = wait_for(lambda: registrations(watcher), 10, "a registration with the watcher")
    assert names[-1] == f"org.kde.StatusNotifierItem-{daemon.pid}-1"
    return names[-1]


# --- which backend ---------------------------------------------------------------------


def test_the_sni_backend_is_chosen_when_a_watcher_is_on_the_bus(
    xserver: XServer, session_bus: Bus
) -> None:
    with_bus = {"DISPLAY": xserver.display, "DBUS_SESSION_BUS_ADDRESS": session_bus.address}
    choice = choose_backend(with_bus, "linux")
    assert choice.name in ("gtk", "xorg")
    assert choice.notes[0] == (
        f"sni: no StatusNotifierItem tray here ({WATCHER} is not on the session bus)"
    )
    service = spawn_watcher(session_bus)
    try:
        assert choose_backend(with_bus, "linux").name == "sni"
        assert choose_backend({**with_bus, "PYSTRAY_BACKEND": "sni"}, "linux").name == "sni"
        # pystray's own AppIndicator backend stays reachable by name.
        asked = choose_backend({**with_bus, "PYSTRAY_BACKEND": "appindicator"}, "linux")
        assert asked.name == "appindicator" or "appindicator:" in asked.notes[0]
    finally:
        service.stop()
    no_bus = choose_backend({**with_bus, "DBUS_SESSION_BUS_ADDRESS": ""}, "linux")
    assert no_bus.notes[0].startswith("sni: no D-Bus session bus")


# --- the protocol, with a recording watcher ----------------------------------------------


def test_the_item_registers_and_exports_its_icon_and_tooltip_without_gtk(
    xserver: XServer,
    session_bus: Bus,
    watcher: MockService,
    daemons: list[DaemonProcess],
    tmp_path: Path,
) -> None:
    daemon = start_daemon(daemons)
    daemon.wait_log("tray: sni backend")
    daemon.wait_log(SHOWN)
    name = registered_item(watcher, daemon)
    client = SniClient(session_bus, name)
    try:
        props = client.item_properties()
        assert props["Id"] == "breakd"
        assert props["Category"] == "ApplicationStatus"
        assert props["Status"] == "Active"
        assert props["Menu"] == MENU_PATH
        assert props["ItemIsMenu"] is False
        assert client.item_property("Title") == "breakd"  # the application's name, always
        wait_for(
            lambda: client.item_property("ToolTip")[3].startswith("Sitting"), 10, "the tooltip"
        )
        _icon, _pixmaps, tip_title, _tip_text = client.item_property("ToolTip")
        assert tip_title == "breakd"
        pixmaps = client.item_property("IconPixmap")
        assert [(w, h) for w, h, _ in pixmaps] == [(s, s) for s in (16, 22, 24, 32, 48)]
        assert all(len(data) == w * h * 4 for w, h, data in pixmaps)
        picture = from_argb32(*pixmaps[-1])
        picture.save(artifacts(tmp_path) / "sni-icon-48.png")
        assert teal_share(picture) > 0.25  # the colours survived the byte order
        assert picture.getpixel((0, 0))[3] == 0  # and the corners are transparent

        menu = client.menu_properties()
        assert menu["Version"] == 3 and menu["Status"] == "normal"
        assert "org.kde.StatusNotifierItem" in client.introspect("/StatusNotifierItem")
        assert "com.canonical.dbusmenu" in client.introspect(MENU_PATH)
    finally:
        client.close()
    mapped = Path(f"/proc/{daemon.pid}/maps").read_text()
    for library in ("libgtk-3", "libgobject-2.0", "_gi."):
        assert library not in mapped, f"{library} is loaded in the daemon"
    assert daemon.stop(timeout=10) == 0
    assert "Traceback" not in log_path().read_text()


def test_the_menu_follows_the_daemon_and_its_clicks_run_the_actions(
    xserver: XServer,
    session_bus: Bus,
    watcher: MockService,
    daemons: list[DaemonProcess],
) -> None:
    daemon = start_daemon(daemons)
    daemon.wait_log(SHOWN)
    client = SniClient(session_bus, registered_item(watcher, daemon))
    signals = SignalLog(session_bus)
    try:
        revision, root = client.layout()
        assert root[0] == 0 and root[1]["children-display"] == "submenu"
        top = labels(root)
        assert top[1:6] == ["Start a 2-minute break now", "Snooze", "Pause", "Resume", "-"]
        # A sit-stand desk's items are there, hidden at a fixed desk (and the separator
        # after them, which would double the one before).
        assert top[6:9] == ["I'm sitting", "I'm standing", "-"]
        assert top[9:12] == ["Remind me after", "Break length", "Exercises"]
        assert top[-2:] == ["Start at login", "Quit"]
        assert client.find("Resume")[1]["enabled"] is False  # greyed, not gone
        hidden = [i for i, child in enumerate(root[2]) if child[1]["visible"] is not True]
        assert hidden == [6, 7, 8]
        status_line = root[2][0][1]
        assert status_line["label"].startswith("Sitting") and status_line["enabled"] is False
        separators = [child[0] for child in root[2] if child[1].get("type") == "separator"]
        assert len(separators) == len(set(separators)) == top.count("-")
        assert len({node[0] for node in walk(root)}) == len(list(walk(root)))  # unique ids
        login = client.find("Start at login")[1]
        assert (login["toggle-type"], login["toggle-state"]) == ("checkmark", 0)
        remind = client.find("Remind me after")
        assert remind[1]["children-display"] == "submenu"
        assert shown_labels(remind) == ["20 min", "30 min", "45 min", "60 min", "90 min"]
        assert labels(remind)[-1] == "30 min (custom)"  # there, hidden: for a value of one's own
        assert [c[1]["toggle-type"] for c in shown(remind)] == ["radio"] * 5
        assert [c[1]["toggle-state"] for c in shown(remind)] == [0, 1, 0, 0, 0]

        # The other dbusmenu calls a host makes.
        number = client.find("Quit")[0]
        assert client.call_menu("GetProperty", number, "label") == "Quit"
        assert client.call_menu("GetGroupProperties", [number], ["label", "enabled"]) == [
            (number, {"label": "Quit", "enabled": True})
        ]
        shallow = client.layout(remind[0], 0, ["label"])[1]
        assert shallow == (remind[0], {"label": "Remind me after"}, [])
        assert client.call_menu("AboutToShow", 0) in (True, False)
        events = [(9999, "clicked", "", 0), (number, "hovered", "", 0)]
        assert client.call_menu("EventGroup", events) == [9999]  # the unknown id
        with pytest.raises(Exception, match="InvalidArgs"):
            client.event(9999)

        # Remind me after ▸ 45 min: the engine and the file change, the radio follows,
        # and hosts hear of it.
        mark = signals.mark()
        client.click("Remind me after", "45 min")
        wait_for(lambda: status()["interval_seconds"] == 2700, 10, "the new interval")
        assert tomllib.loads(user_config_file().read_text())["reminders"]["interval"] == "45m"
        wait_for(
            lambda: (
                [c[1]["toggle-state"] for c in shown(client.find("Remind me after"))]
                == [0, 0, 1, 0, 0]
            ),
            10,
            "the radio to move",
        )
        wait_for(lambda: "ItemsPropertiesUpdated" in signals.since(mark), 10, "the update")
        assert client.layout()[0] == revision  # new properties, the same layout

        # The desk becomes a sit-stand one: "I'm sitting" and "I'm standing" show, as
        # radio items, and a click on one tells the daemon the posture.
        assert breakd("set", "desk", "sit-stand").returncode == 0
        wait_for(lambda: client.find("I'm standing")[1]["visible"], 10, "the posture items")
        posture = [client.find(label)[1] for label in ("I'm sitting", "I'm standing")]
        assert [(p["toggle-type"], p["toggle-state"]) for p in posture] == [
            ("radio", 1),
            ("radio", 0),
        ]
        client.click("I'm standing")
        wait_for(lambda: status()["posture"] == "standing", 10, "standing")
        wait_for(
            lambda: client.find("I'm standing")[1]["toggle-state"] == 1, 10, "the radio to move"
        )
        assert client.find("I'm sitting")[1]["toggle-state"] == 0
        assert client.layout()[0] == revision  # shown, not rebuilt

        # Snooze ▸ 10 min: a new icon and tooltip go out; the title stays.
        mark = signals.mark()
        client.click("Snooze", "10 min")
        snoozed = wait_for(lambda: (s := status())["state"] == "snoozed" and s, 10, "the snooze")
        until = datetime.fromisoformat(str(snoozed["snoozed_until"]))
        assert abs((until - datetime.now().astimezone()).total_seconds() - 600) < 30
        wait_for(
            lambda: {"NewIcon", "NewToolTip"} <= set(signals.since(mark)),
            10,
            "NewIcon and NewToolTip",
        )
        assert client.item_property("ToolTip")[3].startswith("Snoozed until")
        assert "NewTitle" not in signals.since(mark)
        assert client.item_property("Title") == "breakd"

        # Pause ▸ 30 min greys Pause and Snooze out and Resume in: properties only, the
        # layout (and its revision) stays, so a host never rebuilds an opening menu.
        mark = signals.mark()
        revision, before = client.layout()
        client.click("Pause", "30 min")
        wait_for(lambda: status()["state"] == "paused", 10, "the pause")
        wait_for(lambda: client.find("Resume")[1]["enabled"] is True, 10, "Resume enabled")
        wait_for(lambda: "ItemsPropertiesUpdated" in signals.since(mark), 10, "the update")
        assert "LayoutUpdated" not in signals.since(mark)
        assert client.layout()[0] == revision
        assert client.find("Pause")[1]["enabled"] is False
        assert client.find("Snooze")[1]["enabled"] is False
        assert labels(client.layout()[1])[1:] == labels(before)[1:]  # all but the status line
        assert client.call_menu("AboutToShow", 0) is False  # nothing to fetch again
        client.click("Resume")
        wait_for(lambda: status()["state"] != "paused", 10, "the resume")

        # Activate (a left click on the icon) starts a break, as the default item.
        client.activate()
        wait_for(lambda: status()["state"] == "break", 10, "the break")
        wait_for(lambda: client.find()[2][1][1]["enabled"] is False, 10, "the button off")
    finally:
        signals.stop()
        client.close()
    assert query("SELECT action FROM actions ORDER BY rowid") == [
        ("snooze",), ("pause",), ("resume",)
    ]  # fmt: skip
    assert query("SELECT key, new, source FROM setting_changes") == [
        ("interval", "2700.0", "tray"),
        ("desk", "sit-stand", "cli"),
    ]
    assert query("SELECT posture, source FROM postures") == [("standing", "tray")]
    assert daemon.stop(timeout=10) == 0
    assert "Traceback" not in log_path().read_text()


def walk(node: tuple) -> Iterator[tuple]:
    yield node
    for child in node[2]:
        yield from walk(child)


def test_a_watcher_that_starts_late_or_restarts_gets_the_item_again(
    xserver: XServer, session_bus: Bus, daemons: list[DaemonProcess]
) -> None:
    # Asked for by name, the backend starts before any tray (a login race).
    daemon = start_daemon(daemons, {"PYSTRAY_BACKEND": "sni"})
    daemon.wait_log("tray: sni backend")
    first = spawn_watcher(session_bus)
    try:
        registered_item(first, daemon)
        daemon.wait_log(SHOWN)
    finally:
        first.stop()
    daemon.wait_log("the system tray went away")
    second = spawn_watcher(session_bus)
    try:
        name = registered_item(second, daemon)
        wait_for(lambda: log_count(SHOWN) == 2, 10, "the icon shown again")
        client = SniClient(session_bus, name)
        try:
            assert client.item_property("Status") == "Active"
        finally:
            client.close()
    finally:
        second.stop()
    assert status()["state"] == "counting"
    assert daemon.stop(timeout=10) == 0
    assert "Traceback" not in log_path().read_text()


# --- a real StatusNotifierItem host ------------------------------------------------------


def icon_box(server: XServer) -> tuple[int, int, int, int] | None:
    """Where breakd's teal icon is in the host's bar (x, y, width, height), if it is."""
    width = ImageGrab.grab(xdisplay=server.display).width
    bar = grab(server, (0, 0, width, SniHost.HEIGHT)).convert("RGB")
    mask = bar.point(lambda _: 0).convert("L")
    pixels = bar.load()
    spots = mask.load()
    for x in range(bar.width):
        for y in range(bar.height):
            r, g, b = pixels[x, y]
            h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
            if 0.42 < h < 0.54 and s > 0.4 and v > 0.3:
                spots[x, y] = 255
    found = mask.getbbox()
    if found is None or (found[2] - found[0]) < 12:
        return None
    return found[0], found[1], found[2] - found[0], found[3] - found[1]


def open_menu(server: XServer, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Right-click the icon and wait for the host to draw the menu; the area it is in."""
    xdotool = require_tool("xdotool", "xdotool")
    x, y = box[0] + box[2] // 2, box[1] + box[3] // 2
    left = max(0, x - 600)
    area = (left, SniHost.HEIGHT, x + 40 - left, 420)
    before = grab(server, area)
    subprocess.run([xdotool, "mousemove", str(x), str(y), "click", "3"], check=True)
    wait_for(lambda: changed(before, grab(server, area)), 10, "the menu to open")
    wait_still(server, area)
    return left, 0, area[2], SniHost.HEIGHT + 420


def test_a_real_sni_host_shows_the_icon_and_its_menu_drives_the_daemon(
    xserver: XServer, session_bus: Bus, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    host = SniHost(xserver, session_bus)
    try:
        daemon = start_daemon(daemons)
        daemon.wait_log(SHOWN, timeout=60)  # a busy machine starts a GTK host slowly
        box = wait_for(lambda: icon_box(xserver), 15, "the icon in the host's bar")
        folder = artifacts(tmp_path)
        icon = grab(xserver, box)
        grab(xserver, (box[0] - 200, 0, box[2] + 200, SniHost.HEIGHT)).save(
            folder / "sni-host-bar.png"
        )
        assert status()["state"] == "counting"

        # Remind me after ▸ 45 min: past the status line (disabled), Start a break,
        # Snooze and Pause; into the submenu; 20, 30, 45.
        area = open_menu(xserver, box)
        key("Down", "Down", "Down", "Down", "Right", "Down", "Down")
        grab(xserver, area).save(folder / "sni-host-menu.png")
        key("Return")
        wait_for(lambda: status()["interval_seconds"] == 2700, 10, "the new interval")
        assert tomllib.loads(user_config_file().read_text())["reminders"]["interval"] == "45m"

        # Snooze ▸ 10 min.
        area = open_menu(xserver, box)
        key("Down", "Down", "Right", "Down")
        grab(xserver, area).save(folder / "sni-host-menu-snooze.png")
        key("Return")
        snoozed = wait_for(lambda: (s := status())["state"] == "snoozed" and s, 10, "the snooze")
        until = datetime.fromisoformat(str(snoozed["snoozed_until"]))
        assert abs((until - datetime.now().astimezone()).total_seconds() - 600) < 30
        assert query("SELECT action FROM actions") == [("snooze",)]
        assert query("SELECT key, new, source FROM setting_changes") == [
            ("interval", "2700.0", "tray")
        ]
        # The host redraws the icon with the snooze badge, without being asked.
        wait_for(lambda: changed(icon, grab(xserver, box)), 10, "the snoozed icon")
        grab(xserver, box).save(folder / "sni-host-icon-snoozed.png")

        assert daemon.stop(timeout=10) == 0
        assert "Traceback" not in log_path().read_text()
        assert daemon.output().strip() == "", "the daemon printed to stdout/stderr"
    except BaseException:
        print(host.output())
        raise
    finally:
        host.stop()
