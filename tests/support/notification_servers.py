"""Real notification servers from Debian's packages, on a private bus and an Xvfb display.

``start_server`` runs dunst, xfce4-notifyd (with the xfconfd it reads its settings
from) or notification-daemon and waits until it owns ``org.freedesktop.Notifications``.
``bubbles`` finds the server's windows with xdotool; ``NotifyRecorder`` watches the bus
as a monitor (``BecomeMonitor``) and keeps every ``Notify`` call with the id the server
answered, and every ``ActionInvoked`` and ``NotificationClosed``, so a test can check
what reached the server as well as what it drew. ``first_button`` finds where a bubble's
first button is drawn, from a screenshot. A missing program fails the test naming the
Debian package that has it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from jeepney import HeaderFields, MessageType  # type: ignore[import-untyped]
from jeepney.bus_messages import Monitoring  # type: ignore[import-untyped]
from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
from PIL import Image

from support.daemon import wait_for
from support.sessionbus import Bus
from support.xserver import require_tool

NAME = "org.freedesktop.Notifications"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServerKind:
    """One server of the matrix: where Debian puts it and how to recognise its windows."""

    key: str  # the test id: "dunst"
    package: str  # the Debian package
    program: str  # a name on PATH or an absolute path
    window_class: str  # WM_CLASS instance name of its bubbles (xdotool --classname)
    server_name: str  # what GetServerInformation answers


DUNST = ServerKind("dunst", "dunst", "dunst", "Dunst", "dunst")
XFCE = ServerKind(
    "xfce4-notifyd",
    "xfce4-notifyd",
    "/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd",
    "xfce4-notifyd",
    "Xfce Notify Daemon",
)
NOTIFICATION_DAEMON = ServerKind(
    "notification-daemon",
    "notification-daemon",
    "/usr/lib/notification-daemon/notification-daemon",
    "notification-daemon",
    "Notification Daemon",
)
XFCONFD = "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"
SERVERS = (DUNST, XFCE, NOTIFICATION_DAEMON)

#: dunst's own mouse defaults, written out so a dunstrc on the machine cannot change
#: them: the left button closes, the middle one invokes the "default" action.
DUNSTRC = """[global]
    mouse_left_click = close_current
    mouse_middle_click = do_action, close_current
    mouse_right_click = close_all
"""


def require_program(program: str, package: str) -> str:
    """The program's path (on PATH or absolute), or a failure naming its package."""
    if os.path.isabs(program):
        if not os.access(program, os.X_OK):
            pytest.fail(f"{program} not found: install the Debian package {package}", pytrace=False)
        return program
    return require_tool(program, package)


@dataclass
class RunningServer:
    kind: ServerKind
    processes: list[subprocess.Popen[bytes]]
    log: IO[bytes]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        self.log.close()


def _owned(bus: Bus, name: str) -> bool:
    connection = bus.connect()
    try:
        return bool(connection.name_has_owner(name))
    finally:
        connection.close()


@contextmanager
def running_server(kind: ServerKind, bus: Bus, folder: Path) -> Iterator[RunningServer]:
    """``kind`` running on ``bus`` and ``$DISPLAY``, until the ``with`` block ends."""
    program = require_program(kind.program, kind.package)
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open while it runs; stop() closes it
    server = RunningServer(kind, [], log)

    def spawn(*args: str) -> None:
        server.processes.append(
            subprocess.Popen(list(args), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        )

    def owns(name: str) -> bool:
        if not server.alive():
            raise AssertionError(f"{kind.key} exited:\n{server.output()}")
        return _owned(bus, name)

    try:
        if kind is XFCE:
            # xfce4-notifyd reads its settings from xfconfd over the same bus.
            spawn(require_program(XFCONFD, "xfconf"))
            wait_for(lambda: owns("org.xfce.Xfconf"), START_TIMEOUT, "xfconfd on the bus")
            spawn(program)
        elif kind is DUNST:
            dunstrc = folder / "dunstrc"
            dunstrc.write_text(DUNSTRC)
            spawn(program, "-config", str(dunstrc))
        else:
            spawn(program)
        wait_for(lambda: owns(NAME), START_TIMEOUT, f"{kind.key} to own {NAME}")
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Window:
    id: str
    x: int
    y: int
    width: int
    height: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.width, self.height)


def bubbles(kind: ServerKind) -> list[Window]:
    """The server's visible bubble windows (helper windows of a few pixels left out)."""
    xdotool = require_tool("xdotool", "xdotool")
    found = subprocess.run(
        [xdotool, "search", "--onlyvisible", "--classname", f"^{kind.window_class}$"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    windows = []
    for window in found:
        shell = subprocess.run(
            [xdotool, "getwindowgeometry", "--shell", window],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        values = dict(line.split("=", 1) for line in shell.split() if "=" in line)
        if not {"X", "Y", "WIDTH", "HEIGHT"} <= values.keys():
            continue  # it went away meanwhile
        geometry = Window(
            window, int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])
        )
        if geometry.width > 50 and geometry.height > 20:
            windows.append(geometry)
    return windows


def click(x: int, y: int, button: int = 1) -> None:
    """A real pointer click: move there, press and release."""
    xdotool = require_tool("xdotool", "xdotool")
    subprocess.run(
        [xdotool, "mousemove", "--sync", str(x), str(y), "click", str(button)],
        check=True,
        timeout=30,
    )


def dunst_displayed() -> int:
    """How many notifications dunst has on screen, by its own count."""
    dunstctl = require_tool("dunstctl", "dunst")
    result = subprocess.run(
        [dunstctl, "count", "displayed"], capture_output=True, text=True, timeout=30
    )
    return int(result.stdout.strip())


def first_button(picture: Image.Image, inset: int = 10, min_band: int = 8) -> tuple[int, int]:
    """Where to click the first button of a bubble, in the picture's coordinates.

    Buttons are the lowest band of drawing in the bubble taller than a frame line; the
    first is its leftmost drawing (a button's border, or a flat button's label).
    """
    rgb = picture.convert("RGB")
    width, height = rgb.size
    colours = rgb.getcolors(width * height) or []
    background = max(colours)[1]
    pixels = rgb.load()
    assert pixels is not None

    def ink(x: int, y: int) -> bool:
        r, g, b = pixels[x, y]  # type: ignore[misc]
        return abs(r - background[0]) + abs(g - background[1]) + abs(b - background[2]) > 60

    columns = range(inset, width - inset)
    rows = [any(ink(x, y) for x in columns) for y in range(height)]
    bands: list[tuple[int, int]] = []
    start: int | None = None
    for y, drawn in enumerate([*rows, False]):
        if drawn and start is None:
            start = y
        elif not drawn and start is not None:
            bands.append((start, y))
            start = None
    tall = [band for band in bands if band[1] - band[0] >= min_band]
    assert tall, "no buttons drawn in the bubble"
    top, bottom = tall[-1]
    left = min(x for x in columns for y in range(top, bottom) if ink(x, y))
    return left + 8, (top + bottom) // 2


# --- what reaches the server ------------------------------------------------------------


@dataclass
class NotifyCall:
    """One ``Notify`` call as the server received it, and the id it answered."""

    sender: str
    serial: int
    app_name: str
    replaces_id: int
    title: str
    body: str
    actions: dict[str, str]
    expire_timeout: int
    urgency: int | None
    answered_id: int | None = None


@dataclass
class NotifyRecorder:
    """Every Notify call and ActionInvoked/NotificationClosed signal on the bus."""

    calls: list[NotifyCall] = field(default_factory=list)
    signals: list[tuple[str, int, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def breakd_calls(self) -> list[NotifyCall]:
        """breakd's reminders (they have buttons; its other notifications do not)."""
        with self.lock:
            return [call for call in self.calls if call.app_name == "breakd" and call.actions]

    def seen(self, member: str, identifier: int) -> list[Any]:
        with self.lock:
            return [
                value for kind, id_, value in self.signals if (kind, id_) == (member, identifier)
            ]

    def _take(self, message: Any) -> None:
        fields = message.header.fields
        kind = message.header.message_type
        with self.lock:
            if kind == MessageType.method_call and fields.get(HeaderFields.member) == "Notify":
                app, replaces, _icon, title, body, actions, hints, expire = message.body
                urgency = hints.get("urgency")
                self.calls.append(
                    NotifyCall(
                        sender=str(fields.get(HeaderFields.sender)),
                        serial=message.header.serial,
                        app_name=app,
                        replaces_id=replaces,
                        title=title,
                        body=body,
                        actions=dict(zip(actions[::2], actions[1::2], strict=True)),
                        expire_timeout=expire,
                        urgency=None if urgency is None else int(urgency[1]),
                    )
                )
            elif kind == MessageType.method_return:
                for call in self.calls:
                    if (call.sender, call.serial) == (
                        fields.get(HeaderFields.destination),
                        fields.get(HeaderFields.reply_serial),
                    ):
                        call.answered_id = int(message.body[0])
            elif kind == MessageType.signal and fields.get(HeaderFields.member) in (
                "ActionInvoked",
                "NotificationClosed",
            ):
                member = str(fields.get(HeaderFields.member))
                self.signals.append((member, int(message.body[0]), message.body[1]))


@contextmanager
def recording(bus: Bus) -> Iterator[NotifyRecorder]:
    """A bus monitor for the duration of the ``with`` block."""
    recorder = NotifyRecorder()
    connection = open_dbus_connection(bus.address)
    rules = [
        f"type='method_call',interface='{NAME}',member='Notify'",
        "type='method_return'",
        f"type='signal',interface='{NAME}'",
    ]
    connection.send_and_get_reply(Monitoring().BecomeMonitor(rules))
    stopping = threading.Event()

    def read() -> None:
        while not stopping.is_set():
            try:
                message = connection.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, EOFError, ValueError):
                return
            recorder._take(message)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        stopping.set()
        thread.join(5)
        connection.close()
