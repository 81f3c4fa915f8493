"""Idle time on Wayland desktops other than GNOME: sway, Hyprland, river, labwc, niri, KDE.

Wayland gives clients no idle counter to read; the compositor instead tells a client
when the user has been idle for a timeout it asked for, and when they came back. Two
protocols do this: ``ext_idle_notifier_v1`` (the standard one; version 2's
``get_input_idle_notification`` ignores idle inhibitors, so a playing video does not
hide that the user left) and the older ``org_kde_kwin_idle`` (KWin, and wlroots up to
0.17, e.g. sway 1.7 in Debian 12). This monitor asks for one short timeout and keeps
the time the user went idle: ``idle_seconds`` is 0 while they are active and
``now - (moment of "idle" - timeout)`` after, so the engine sees the same seconds an
X11 counter would show, to within the short timeout.

Why the wire protocol by hand rather than pywayland: pywayland's wheels carry only the
core protocol, and these two would have to be generated from XML files Debian does not
ship by default (``org_kde_kwin_idle`` lives in plasma-wayland-protocols). The few
messages needed here (bind, one request, two events) fit in this module, need no new
dependency, and are the same format ``tests/support/wayland.py`` already speaks.

Threading: a reader thread owns the socket after set-up and only updates two floats
under a lock; ``idle_seconds`` (owner thread) reads them and never blocks on the socket.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from breakd.activity.base import CALL_TIMEOUT, IdleMonitor, IdleUnavailable

EXT_IDLE = "ext_idle_notifier_v1"
KDE_IDLE = "org_kde_kwin_idle"
SEAT = "wl_seat"
#: Seconds without input after which the compositor says "idle": short, so a user who
#: stops counts as idle from within this long, and cheap (one event each way per pause).
ACTIVE_TIMEOUT = 5.0

_DISPLAY = 1  # wl_display's object id, fixed by the protocol
_HEADER = struct.Struct("=II")
_MAX_MESSAGE = 4096
#: Takes each event (sender, opcode, body) a round trip passes over.
_Handler = Callable[[int, int, bytes], None]


class WaylandProtocolError(IdleUnavailable):
    """The compositor sent an error or closed the connection."""


def socket_path(environ: Mapping[str, str]) -> Path:
    """Where the compositor listens: ``WAYLAND_DISPLAY``, under ``XDG_RUNTIME_DIR`` if
    relative, as libwayland resolves it."""
    display = environ.get("WAYLAND_DISPLAY", "")
    if not display:
        raise IdleUnavailable("no Wayland session (WAYLAND_DISPLAY is not set)")
    path = Path(display)
    if path.is_absolute():
        return path
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if not runtime:
        raise IdleUnavailable("WAYLAND_DISPLAY is relative but XDG_RUNTIME_DIR is not set")
    return Path(runtime) / path


def _string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("=I", len(data)) + data + b"\0" * (-len(data) % 4)


@dataclass(frozen=True)
class Global:
    """One global the compositor announced."""

    name: int
    version: int


class WaylandConnection:
    """A bare Wayland client connection: send requests, read and decode events."""

    def __init__(self, path: Path, timeout: float = CALL_TIMEOUT) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        try:
            self._socket.connect(str(path))
        except OSError as error:
            self._socket.close()
            raise IdleUnavailable(f"cannot connect to the compositor at {path}: {error}") from error
        self._buffer = b""
        self._next_id = 2
        self.registry = 0  # set by ``globals``

    def new_id(self) -> int:
        number = self._next_id
        self._next_id += 1
        return number

    def send(self, target: int, opcode: int, body: bytes = b"") -> None:
        size = _HEADER.size + len(body)
        self._socket.sendall(_HEADER.pack(target, (size << 16) | opcode) + body)

    def settimeout(self, timeout: float | None) -> None:
        self._socket.settimeout(timeout)

    def fileno(self) -> int:
        return self._socket.fileno()

    def read_event(self) -> tuple[int, int, bytes]:
        """The next event (sender, opcode, body); waits at most the socket's timeout."""
        while True:
            if len(self._buffer) >= _HEADER.size:
                sender, word = _HEADER.unpack_from(self._buffer)
                size, opcode = word >> 16, word & 0xFFFF
                if size < _HEADER.size or size > _MAX_MESSAGE:
                    raise WaylandProtocolError(f"a malformed message of {size} bytes")
                if len(self._buffer) >= size:
                    body, self._buffer = self._buffer[_HEADER.size : size], self._buffer[size:]
                    if sender == _DISPLAY and opcode == 0:  # wl_display.error
                        _object, code = struct.unpack_from("=II", body)
                        message = body[12:].split(b"\0")[0].decode(errors="replace")
                        raise WaylandProtocolError(f"protocol error {code}: {message}")
                    return sender, opcode, body
            chunk = self._socket.recv(_MAX_MESSAGE)
            if not chunk:
                raise WaylandProtocolError("the compositor closed the connection")
            self._buffer += chunk

    def pending(self) -> bool:
        """Whether a whole message is already buffered (so select would not show it)."""
        if len(self._buffer) < _HEADER.size:
            return False
        word: int = _HEADER.unpack_from(self._buffer)[1]
        return len(self._buffer) >= word >> 16

    def globals(self) -> dict[str, Global]:
        """Every global on offer (``get_registry`` and one round trip); the registry's id
        is kept for ``bind``."""
        self.registry = self.new_id()
        self.send(_DISPLAY, 1, struct.pack("=I", self.registry))  # get_registry
        found: dict[str, Global] = {}

        def collect(sender: int, opcode: int, body: bytes) -> None:
            if sender == self.registry and opcode == 0:  # wl_registry.global
                name, length = struct.unpack_from("=II", body)
                interface = body[8 : 8 + length - 1].decode(errors="replace")
                (version,) = struct.unpack_from("=I", body, 8 + length + (-length % 4))
                found.setdefault(interface, Global(name, version))

        self.roundtrip(collect)
        return found

    def roundtrip(self, handle: _Handler | None = None) -> None:
        """``wl_display.sync``, passing every event until it is done to ``handle``."""
        callback = self.new_id()
        self.send(_DISPLAY, 0, struct.pack("=I", callback))
        while True:
            sender, opcode, body = self.read_event()
            if sender == callback:  # wl_callback.done
                return
            if handle is not None:
                handle(sender, opcode, body)

    def bind(self, interface: str, offered: Global, version: int) -> int:
        number = self.new_id()
        body = struct.pack("=I", offered.name) + _string(interface)
        self.send(self.registry, 0, body + struct.pack("=II", version, number))
        return number

    def close(self) -> None:
        self._socket.close()


class WaylandIdleMonitor(IdleMonitor):
    """Idle time from the compositor's idle notifications, read on a thread of its own."""

    name = "wayland"

    def __init__(
        self, environ: Mapping[str, str] = os.environ, timeout: float = ACTIVE_TIMEOUT
    ) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle_since: float | None = None
        self._failure: str | None = None
        self._closing = False
        self._connection = WaylandConnection(socket_path(environ))
        try:
            self.protocol = self._subscribe(self._connection)
        except (OSError, IdleUnavailable) as error:
            self._connection.close()
            if isinstance(error, IdleUnavailable):
                raise
            raise IdleUnavailable(f"the compositor did not answer: {error}") from error
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="wayland-idle", daemon=True)
        self._thread.start()

    def _subscribe(self, connection: WaylandConnection) -> str:
        """Ask for the idle notification; the protocol used, for the log."""
        offered = connection.globals()
        if SEAT not in offered:
            raise IdleUnavailable("the compositor offers no seat (wl_seat)")
        seat = connection.bind(SEAT, offered[SEAT], 1)
        milliseconds = max(1, round(self._timeout * 1000))
        if EXT_IDLE in offered:
            version = min(offered[EXT_IDLE].version, 2)
            notifier = connection.bind(EXT_IDLE, offered[EXT_IDLE], version)
            self._notification = connection.new_id()
            # v2's get_input_idle_notification (opcode 2) ignores idle inhibitors.
            opcode, protocol = (2, f"{EXT_IDLE} v2 (input)") if version >= 2 else (1, EXT_IDLE)
            args = struct.pack("=III", self._notification, milliseconds, seat)
            connection.send(notifier, opcode, args)
        elif KDE_IDLE in offered:
            manager = connection.bind(KDE_IDLE, offered[KDE_IDLE], 1)
            self._notification = connection.new_id()
            args = struct.pack("=III", self._notification, seat, milliseconds)
            connection.send(manager, 0, args)  # get_idle_timeout
            protocol = KDE_IDLE
        else:
            raise IdleUnavailable(f"the compositor offers neither {EXT_IDLE} nor {KDE_IDLE}")
        connection.roundtrip(self._handle)  # a refusal shows up now, not on the thread
        return protocol

    def _handle(self, sender: int, opcode: int, body: bytes) -> None:
        """Both protocols' notification objects send idle (0) and resumed (1)."""
        if sender != self._notification:
            return
        now = time.monotonic()
        with self._lock:
            if opcode == 0 and self._idle_since is None:
                self._idle_since = now - self._timeout
            elif opcode == 1:
                self._idle_since = None

    def _run(self) -> None:
        connection = self._connection
        try:
            connection.settimeout(None)  # select says when; a message is read whole
            while True:
                if not connection.pending():
                    ready, _, _ = select.select([connection.fileno(), self._wake_read], [], [])
                    if self._wake_read in ready:
                        return
                self._handle(*connection.read_event())
        except (OSError, IdleUnavailable) as error:
            with self._lock:
                if not self._closing:
                    self._failure = str(error)
        finally:
            os.close(self._wake_read)
            connection.close()

    def idle_seconds(self) -> float:
        with self._lock:
            if self._failure is not None:
                raise IdleUnavailable(self._failure)
            if self._closing:
                raise IdleUnavailable("closed")
            since = self._idle_since
        return 0.0 if since is None else max(0.0, time.monotonic() - since)

    def close(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
        with contextlib.suppress(OSError):  # the reader stopped on an error, closed its end
            os.write(self._wake_write, b"x")
        self._thread.join(CALL_TIMEOUT * 5)
        os.close(self._wake_write)
