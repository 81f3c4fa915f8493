"""The small Wayland client breakd shares (idle time, the fullscreen quiet rule).

Why the wire protocol by hand rather than pywayland: pywayland's wheels carry only the
core protocol, and the ones breakd needs (``ext_idle_notifier_v1``,
``org_kde_kwin_idle``, ``zwlr_foreign_toplevel_manager_v1``) would have to be generated
from XML files Debian does not ship by default. The few messages needed (bind, a
request or two, a handful of events) fit here, need no new dependency, and are the
format ``tests/support/wayland.py`` speaks too.

A connection is used by one thread at a time: set up (registry, bind, round trip) on
the caller's thread, then handed to a reader thread of the user's own.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from breakd.activity.base import CALL_TIMEOUT
from breakd.backends import BackendUnavailable

DISPLAY = 1  # wl_display's object id, fixed by the protocol
_HEADER = struct.Struct("=II")
_MAX_MESSAGE = 4096
#: Takes each event (sender, opcode, body) a round trip passes over.
Handler = Callable[[int, int, bytes], None]


class WaylandUnavailable(BackendUnavailable):
    """No compositor to talk to, or it lacks what is needed; the message says why."""


class WaylandProtocolError(WaylandUnavailable):
    """The compositor sent an error or closed the connection."""


def socket_path(environ: Mapping[str, str]) -> Path:
    """Where the compositor listens: ``WAYLAND_DISPLAY``, under ``XDG_RUNTIME_DIR`` if
    relative, as libwayland resolves it."""
    display = environ.get("WAYLAND_DISPLAY", "")
    if not display:
        raise WaylandUnavailable("no Wayland session (WAYLAND_DISPLAY is not set)")
    path = Path(display)
    if path.is_absolute():
        return path
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if not runtime:
        raise WaylandUnavailable("WAYLAND_DISPLAY is relative but XDG_RUNTIME_DIR is not set")
    return Path(runtime) / path


def encode_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("=I", len(data)) + data + b"\0" * (-len(data) % 4)


def decode_uint_array(body: bytes, offset: int = 0) -> list[int]:
    """A ``wl_array`` of 32-bit values (a byte length, then the values, padded)."""
    (length,) = struct.unpack_from("=I", body, offset)
    start = offset + 4
    data = body[start : start + length]
    if len(data) != length or length % 4:
        raise WaylandProtocolError(f"a malformed array of {length} bytes")
    return list(struct.unpack(f"={length // 4}I", data))


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
            raise WaylandUnavailable(
                f"cannot connect to the compositor at {path}: {error}"
            ) from error
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
                    if sender == DISPLAY and opcode == 0:  # wl_display.error
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
        self.send(DISPLAY, 1, struct.pack("=I", self.registry))  # get_registry
        found: dict[str, Global] = {}

        def collect(sender: int, opcode: int, body: bytes) -> None:
            if sender == self.registry and opcode == 0:  # wl_registry.global
                name, length = struct.unpack_from("=II", body)
                interface = body[8 : 8 + length - 1].decode(errors="replace")
                (version,) = struct.unpack_from("=I", body, 8 + length + (-length % 4))
                found.setdefault(interface, Global(name, version))

        self.roundtrip(collect)
        return found

    def roundtrip(self, handle: Handler | None = None) -> None:
        """``wl_display.sync``, passing every event until it is done to ``handle``."""
        callback = self.new_id()
        self.send(DISPLAY, 0, struct.pack("=I", callback))
        while True:
            sender, opcode, body = self.read_event()
            if sender == callback:  # wl_callback.done
                return
            if handle is not None:
                handle(sender, opcode, body)

    def bind(self, interface: str, offered: Global, version: int) -> int:
        number = self.new_id()
        body = struct.pack("=I", offered.name) + encode_string(interface)
        self.send(self.registry, 0, body + struct.pack("=II", version, number))
        return number

    def close(self) -> None:
        self._socket.close()


class EventReader:
    """Reads a set-up connection's events on a thread of its own and hands each to
    ``handle`` there, until ``close`` or a failure (kept in ``failure``, for the owner
    to find on its next look; ``on_failure`` is told as well)."""

    def __init__(
        self,
        connection: WaylandConnection,
        handle: Handler,
        name: str,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self._connection = connection
        self._handle = handle
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._failure: str | None = None
        self._closing = False
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def failure(self) -> str | None:
        """Why reading stopped ("closed" after ``close``), or None while it runs."""
        with self._lock:
            return "closed" if self._closing else self._failure

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
        except (OSError, WaylandUnavailable) as error:
            with self._lock:
                if self._closing:
                    return
                self._failure = str(error) or type(error).__name__
            if self._on_failure is not None:
                self._on_failure()
        finally:
            os.close(self._wake_read)
            connection.close()

    def close(self) -> None:
        """Stop reading and close the connection (idempotent)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        with contextlib.suppress(OSError):  # the reader stopped on an error, closed its end
            os.write(self._wake_write, b"x")
        self._thread.join(CALL_TIMEOUT * 5)
        os.close(self._wake_write)
