"""Talking to a StatusNotifierItem from outside, as a tray would, for tests.

* ``spawn_watcher``: python-dbusmock owning ``org.kde.StatusNotifierWatcher`` whose
  ``RegisterStatusNotifierItem`` just records the call (``registrations``).
* ``SniClient``: dbus-python calls on the item and its menu, with the answers turned
  into plain Python values.
* ``SignalLog``: ``dbus-monitor`` on the private bus, writing every signal the item sends
  to a file the test reads.
* ``SniHost``: ``gtk-sni-tray-standalone --watcher``, a real GTK tray bar that draws
  StatusNotifierItems and their dbusmenu menus (Debian ``haskell-gtk-sni-tray-utils``).

A missing tool fails the test with the Debian package that has it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from support.daemon import wait_for
from support.sessionbus import Bus, MockService, spawn_mock
from support.xserver import XServer, require_tool

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
ITEM_PATH = "/StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
MENU_PATH = "/MenuBar"


def spawn_watcher(bus: Bus) -> MockService:
    """A StatusNotifierWatcher that accepts and records every registration."""
    template = Path(__file__).with_name("sni_watcher_template.py")
    return spawn_mock(bus, WATCHER, WATCHER_PATH, WATCHER, template=str(template))


def registrations(watcher: MockService) -> list[str]:
    """The names items registered with this watcher, oldest first."""
    calls = watcher.mock().GetMethodCalls("RegisterStatusNotifierItem")
    return [str(args[0]) for _when, args in calls]


def plain(value: Any) -> Any:
    """dbus-python's values as plain Python ones (structs become tuples)."""
    import dbus

    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, bytes | dbus.ByteArray):
        return bytes(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, dbus.Struct | tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class SniClient:
    """The item ``name`` and its menu, called as a tray would (dbus-python, introspected)."""

    def __init__(self, bus: Bus, name: str) -> None:
        import dbus

        self._dbus = dbus
        self.connection = bus.connect()
        self.name = name
        self.item = self.connection.get_object(name, ITEM_PATH)
        self.menu = self.connection.get_object(name, MENU_PATH)

    def item_property(self, prop: str) -> Any:
        return plain(self.item.Get(ITEM, prop, dbus_interface=PROPS, byte_arrays=True))

    def item_properties(self) -> dict[str, Any]:
        return dict(plain(self.item.GetAll(ITEM, dbus_interface=PROPS, byte_arrays=True)))

    def menu_properties(self) -> dict[str, Any]:
        return dict(plain(self.menu.GetAll(MENU, dbus_interface=PROPS)))

    def activate(self) -> None:
        self.item.Activate(0, 0, dbus_interface=ITEM)

    def layout(self, parent: int = 0, depth: int = -1, names: list[str] | None = None) -> Any:
        """(revision, (id, properties, children)) with children as plain tuples too."""
        revision, root = self.menu.GetLayout(
            parent, depth, self._dbus.Array(names or [], signature="s"), dbus_interface=MENU
        )
        return int(revision), plain(root)

    def find(self, *labels: str) -> tuple[int, dict[str, Any], list[Any]]:
        """The node reached by following labels from the root, e.g. ("Snooze", "10 min")."""
        _revision, node = self.layout()
        for label in labels:
            children = [child for child in node[2] if child[1].get("label") == label]
            if not children:
                shown = [child[1].get("label") for child in node[2]]
                raise AssertionError(f"no menu item {label!r} in {shown}")
            node = children[0]
        return node

    def click(self, *labels: str) -> None:
        number = self.find(*labels)[0]
        self.event(number, "clicked")

    def event(self, number: int, event: str = "clicked") -> None:
        self.menu.Event(
            number,
            event,
            self._dbus.String("", variant_level=1),
            self._dbus.UInt32(int(time.time())),
            dbus_interface=MENU,
        )

    def call_menu(self, method: str, *args: Any) -> Any:
        return plain(getattr(self.menu, method)(*args, dbus_interface=MENU))

    def introspect(self, path: str) -> str:
        obj = self.connection.get_object(self.name, path)
        return str(obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable"))

    def close(self) -> None:
        self.connection.close()


PROPS = "org.freedesktop.DBus.Properties"


def labels(node: Any) -> list[str]:
    """The labels of a node's children ("-" for a separator)."""
    return [
        "-" if child[1].get("type") == "separator" else str(child[1].get("label"))
        for child in node[2]
    ]


def shown(node: Any) -> list[Any]:
    """A node's children a host shows (``visible`` not false)."""
    return [child for child in node[2] if child[1].get("visible", True)]


def shown_labels(node: Any) -> list[str]:
    """The labels of the children a host shows ("-" for a separator)."""
    return labels((node[0], node[1], shown(node)))


class SignalLog:
    """``dbus-monitor`` writing the item's and its menu's signals to a file."""

    def __init__(self, bus: Bus) -> None:
        monitor = require_tool("dbus-monitor", "dbus-bin")
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            "w+", prefix="breakd-signals-", suffix=".txt"
        )
        self.process = subprocess.Popen(
            [monitor, "--address", bus.address,
             f"type='signal',path='{ITEM_PATH}'", f"type='signal',path='{MENU_PATH}'"],
            stdin=subprocess.DEVNULL,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        # The monitor has its match rules once the bus took its name back.
        wait_for(lambda: "member=NameLost" in self.text(), 10, "dbus-monitor to start")

    def text(self) -> str:
        return Path(self._file.name).read_text()

    def members(self) -> list[str]:
        """The signals seen so far, in order (e.g. "ItemsPropertiesUpdated")."""
        found = []
        for line in self.text().splitlines():
            if line.startswith("signal ") and "member=" in line:
                member = line.rsplit("member=", 1)[1].strip()
                if member not in ("NameAcquired", "NameLost"):
                    found.append(member)
        return found

    def mark(self) -> int:
        """How many signals were seen so far; ``since(mark)`` lists the ones after."""
        return len(self.members())

    def since(self, mark: int) -> list[str]:
        return self.members()[mark:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self._file.close()


def host_registered(connection: Any) -> bool:
    """Whether a StatusNotifierWatcher is on the bus with a host registered with it."""
    import dbus

    if not connection.name_has_owner(WATCHER):
        return False
    try:
        watcher = connection.get_object(WATCHER, WATCHER_PATH, introspect=False)
        value = watcher.Get(WATCHER, "IsStatusNotifierHostRegistered", dbus_interface=PROPS)
    except dbus.DBusException:
        return False  # the name changed hands meanwhile, or the watcher is still starting
    return bool(value)


class SniHost:
    """gtk-sni-tray-standalone with its own watcher: a tray bar along the top of the screen."""

    HEIGHT = 32

    def __init__(self, server: XServer, bus: Bus) -> None:
        host = require_tool("gtk-sni-tray-standalone", "haskell-gtk-sni-tray-utils")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "DISPLAY": server.display,
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
            "NO_AT_BRIDGE": "1",
        }
        self._args = [host, "--watcher", "--top", "--end", "--size", str(self.HEIGHT)]
        self._env = env
        self.process = self._start()
        connection = bus.connect()
        try:
            # The name alone is not enough: up is when its own host has registered with its
            # watcher. Now and then (one start in a few runs, on a busy machine) the tool
            # never gets there, or drops the watcher's name again, before breakd is even
            # started. One new start, as a user would restart a stuck panel, keeps the
            # tool's own start-up out of breakd's results; its output is printed.
            try:
                wait_for(lambda: host_registered(connection), 20, "the tray's watcher and host")
            except AssertionError:
                self._end()
                print(
                    f"gtk-sni-tray-standalone did not come up; starting it again:\n{self.output()}"
                )
                self.process = self._start()
                wait_for(lambda: host_registered(connection), 30, "the tray's watcher and host")
        finally:
            connection.close()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._args, env=self._env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log,
        )  # fmt: skip

    def _end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self._end()
        self._log.close()
