"""breakd's StatusNotifierItem on three real tray hosts, driven with real clicks.

Hosts: gtk-sni-tray-standalone and xfce4-panel's Status Tray under Xvfb, and waybar's
tray on headless sway (see ``support.trayhosts``). On each, the real daemon runs on the
host's private session bus; the test finds the icon in a screenshot of the bar, changes
the daemon's state just as the menu opens (the moment the menu used to come up
scrolled on xfce4-panel), checks from a screenshot that the menu is drawn whole, then
picks "Remind me after ▸ 45 min" with the pointer and checks the daemon and the config
file. Screenshots go to ``$BREAKD_TEST_ARTIFACTS`` (or the test's tmp_path).

On the X hosts the state change is the real one: the daemon watches X idle time, the
user has been away, and the click that opens the menu is what brings them back. Sway
has no X idle time for the daemon to read, so there the daemon is paused and resumed
while its menu opens.
"""

from __future__ import annotations

import colorsys
import os
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from support.daemon import DaemonProcess, breakd, log_path, status, wait_for
from support.menushot import Box, MenuShot, find_menu, read_menu
from support.screen import artifacts
from support.sessionbus import Bus, private_bus
from support.sni import SniClient, shown
from support.trayhosts import BAR, SCREEN, GtkSniTray, SwayWaybar, TrayHost, XfcePanel
from support.xserver import running_xvfb

from breakd.config import user_config_file

pytestmark = [pytest.mark.linux_desktop, pytest.mark.slow]

SHOWN = "tray: icon shown (sni backend)"
#: On X: the daemon reads X idle time, and 10 s without input is a natural break (away).
WATCHING_X = [
    "--set", "activity.idle_source=x11", "--set", "natural_break=10s", "--set", "interval=30m",
]  # fmt: skip
#: On sway: present all the time (the state change there is a pause and a resume).
PRESENT = ["--set", "activity.idle_source=always-present", "--set", "interval=30m"]
HOSTS = ("gtk-sni-tray", "xfce4-panel", "waybar")


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as bus:
        yield bus


@pytest.fixture(params=HOSTS)
def host(
    request: pytest.FixtureRequest, session_bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrayHost]:
    name = str(request.param)
    if name == "waybar":
        monkeypatch.delenv("DISPLAY", raising=False)
        sway = SwayWaybar(session_bus)
        yield from _stopping(sway)
        return
    with running_xvfb(*SCREEN) as server:
        monkeypatch.setenv("DISPLAY", server.display)
        if name == "xfce4-panel":
            config = Path(os.environ["XDG_CONFIG_HOME"])
            yield from _stopping(XfcePanel(server, session_bus, config))
        else:
            yield from _stopping(GtkSniTray(server, session_bus))


def _stopping(started: TrayHost) -> Iterator[TrayHost]:
    try:
        yield started
    except BaseException:
        print(f"--- {started.name} said:\n{started.output()}")
        raise
    finally:
        started.stop()


def icon_box(picture: Image.Image) -> Box | None:
    """Where breakd's teal icon is in the bar, if it is there."""
    bar = picture.crop((0, 0, picture.width, BAR)).convert("RGB")
    spots = Image.new("L", bar.size)
    pixels, marks = bar.load(), spots.load()
    for x in range(bar.width):
        for y in range(bar.height):
            r, g, b = pixels[x, y]
            h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
            if 0.42 < h < 0.54 and s > 0.4 and v > 0.3:
                marks[x, y] = 255
    found = spots.getbbox()
    if found is None or found[2] - found[0] < 12:
        return None
    return Box(found[0], found[1], found[2] - found[0], found[3] - found[1])


def settled(host: TrayHost, box: Callable[[Image.Image], Box | None], what: str) -> Image.Image:
    """A screenshot once ``box`` is found and looks the same in two screenshots in a row."""
    previous: Image.Image | None = None

    def still() -> Image.Image | None:
        nonlocal previous
        picture = host.screenshot()
        area = box(picture)
        if area is None:
            previous = None
            return None
        now = area.crop(picture)
        same = previous is not None and previous.size == now.size
        if same and previous is not None:
            same = ImageChops.difference(previous, now).getbbox() is None
        previous = now
        if not same:
            time.sleep(0.1)  # the interval between two looks, not a guess at drawing time
            return None
        return picture

    return wait_for(still, 30, what)


def shown_items(client: SniClient, *path: str) -> list[str]:
    """The labels of the items a host shows at ``path`` (separators left out)."""
    node = client.find(*path)
    return [str(child[1]["label"]) for child in shown(node) if child[1].get("type") != "separator"]


def assert_whole(shot: MenuShot, items: int, picture: Image.Image, saved: Path) -> None:
    picture.save(saved)
    problems = shot.problems(items, SCREEN)
    assert not problems, f"the menu is not drawn whole ({'; '.join(problems)}); see {saved}"


def test_the_menu_opens_whole_after_a_state_change_and_sets_the_interval(
    host: TrayHost, session_bus: Bus, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    folder = artifacts(tmp_path)
    on_x = host.name != "waybar"
    if on_x:
        host.move(SCREEN[0] // 2, SCREEN[1] // 2)  # input: the daemon starts out sitting
    daemon = DaemonProcess(
        WATCHING_X if on_x else PRESENT, env={"PYSTRAY_BACKEND": "", **host.display_env()}
    )
    daemons.append(daemon)
    daemon.wait_log(SHOWN, timeout=60)
    icon = wait_for(lambda: icon_box(host.screenshot()), 30, f"the icon in {host.name}'s bar")
    host.screenshot().crop((0, 0, SCREEN[0], BAR * 2)).save(folder / f"{host.name}-bar.png")
    client = SniClient(session_bus, f"org.kde.StatusNotifierItem-{daemon.pid}-1")
    try:
        # The state changes as the menu opens.
        if on_x:
            wait_for(lambda: status()["state"] == "away", 60, "the daemon to see the user away")
        else:
            assert breakd("pause", "30m").returncode == 0
            wait_for(lambda: status()["state"] == "paused", 20, "the pause")
        host.click(icon.x + icon.width // 2, icon.y + icon.height // 2, right=True)
        opening = wait_for(lambda: find_menu(host.screenshot(), BAR), 30, "the menu to open")
        if not on_x:
            assert breakd("resume").returncode == 0
        wait_for(lambda: status()["state"] == "counting", 30, "the daemon to count sitting")
        # Off the icon, so its tooltip does not cover the menu; no item under the pointer.
        host.move(SCREEN[0] // 2, SCREEN[1] - 4)
        # The host is told of the new state: the status line says "Sitting".
        wait_for(lambda: shown_items(client)[0].startswith("Sitting"), 20, "the new status")
        items = shown_items(client)
        picture = settled(host, lambda p: find_menu(p, BAR), "the menu to be drawn")
        menu = read_menu(picture, find_menu(picture, BAR) or opening)
        assert_whole(menu, len(items), picture, folder / f"{host.name}-menu.png")

        # Remind me after ▸ 45 min, with the pointer.
        row = menu.rows[items.index("Remind me after")]
        host.click(menu.box.x + menu.box.width // 3, row.middle)

        def submenu(p: Image.Image) -> Box | None:
            return find_menu(p, BAR, outside=menu.box, least=40)

        picture = settled(host, submenu, "the submenu to be drawn")
        sub = read_menu(picture, submenu(picture) or menu.box)
        choices = shown_items(client, "Remind me after")
        assert choices == ["20 min", "30 min", "45 min", "60 min", "90 min"]
        assert_whole(sub, len(choices), picture, folder / f"{host.name}-submenu.png")
        host.click(sub.box.x + sub.box.width // 3, sub.rows[choices.index("45 min")].middle)
        wait_for(lambda: status()["interval_seconds"] == 2700, 20, "the new interval")
        assert tomllib.loads(user_config_file().read_text())["reminders"]["interval"] == "45m"
        wait_for(lambda: find_menu(host.screenshot(), BAR) is None, 20, "the menu to close")
        host.screenshot().save(folder / f"{host.name}-after.png")
    finally:
        client.close()
    assert daemon.stop(timeout=20) == 0
    assert "Traceback" not in log_path().read_text()
