"""A virtual pointer on a wlroots compositor (sway), spoken over the Wayland socket.

Why: headless sway has no input devices, so its seat has no pointer and
``swaymsg seat - cursor press`` reaches no client. A client of the compositor's
``zwlr_virtual_pointer_manager_v1`` is a real pointer device to it (as wlrctl's or
wayvnc's are): the seat gains a pointer and clients get ordinary motion and button
events. Debian has no wlrctl, and the protocol needs only a handful of messages, so
this speaks the Wayland wire format itself (no library needed).
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

#: Linux input button codes.
BTN_LEFT = 0x110
BTN_RIGHT = 0x111
MANAGER = "zwlr_virtual_pointer_manager_v1"

_DISPLAY = 1  # wl_display's object id, fixed by the protocol


class WaylandError(RuntimeError):
    """The compositor refused us, or lacks the virtual pointer protocol."""


def _string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("=I", len(data)) + data + b"\0" * (-len(data) % 4)


class VirtualPointer:
    """One virtual pointer on the compositor listening at ``socket_path``."""

    def __init__(self, socket_path: Path, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.connect(str(socket_path))
        self._buffer = b""
        self._next_id = 2
        registry = self._new_id()
        self._send(_DISPLAY, 1, struct.pack("=I", registry))  # get_registry
        globals_ = self._roundtrip(registry)
        if MANAGER not in globals_:
            raise WaylandError(f"the compositor has no {MANAGER}")
        name, version = globals_[MANAGER]
        manager = self._new_id()
        bind = struct.pack("=I", name) + _string(MANAGER)
        self._send(registry, 0, bind + struct.pack("=II", min(version, 1), manager))
        self._pointer = self._new_id()
        self._send(manager, 0, struct.pack("=II", 0, self._pointer))  # create_virtual_pointer
        self._roundtrip(registry)

    def _new_id(self) -> int:
        number = self._next_id
        self._next_id += 1
        return number

    def _send(self, target: int, opcode: int, body: bytes) -> None:
        size = 8 + len(body)
        self._socket.sendall(struct.pack("=II", target, (size << 16) | opcode) + body)

    def _roundtrip(self, registry: int) -> dict[str, tuple[int, int]]:
        """``wl_display.sync`` and read until it is done; the globals announced meanwhile."""
        callback = self._new_id()
        self._send(_DISPLAY, 0, struct.pack("=I", callback))
        found: dict[str, tuple[int, int]] = {}
        self._socket.settimeout(10)
        while True:
            while len(self._buffer) < 8:
                chunk = self._socket.recv(4096)
                if not chunk:
                    raise WaylandError("the compositor closed the connection")
                self._buffer += chunk
            sender, word = struct.unpack_from("=II", self._buffer)
            size, opcode = word >> 16, word & 0xFFFF
            while len(self._buffer) < size:
                chunk = self._socket.recv(4096)
                if not chunk:
                    raise WaylandError("the compositor closed the connection")
                self._buffer += chunk
            body, self._buffer = self._buffer[8:size], self._buffer[size:]
            if sender == _DISPLAY and opcode == 0:  # wl_display.error
                _object, code = struct.unpack_from("=II", body)
                message = body[12:].split(bytes(1))[0].decode(errors="replace")
                raise WaylandError(f"protocol error {code}: {message}")
            if sender == registry and opcode == 0:  # wl_registry.global
                (name, length) = struct.unpack_from("=II", body)
                interface = body[8 : 8 + length - 1].decode()
                (version,) = struct.unpack_from("=I", body, 8 + length + (-length % 4))
                found[interface] = (name, version)
            if sender == callback:  # wl_callback.done
                return found

    def _stamp(self) -> int:
        return int(time.monotonic() * 1000) & 0xFFFFFFFF

    def move(self, x: int, y: int) -> None:
        """Put the pointer at (x, y) of the output layout."""
        self._send(
            self._pointer, 1, struct.pack("=IIIII", self._stamp(), x, y, self.width, self.height)
        )
        self._send(self._pointer, 4, b"")  # frame

    def click(self, x: int, y: int, button: int = BTN_LEFT) -> None:
        """Move to (x, y), then press and release ``button``."""
        self.move(x, y)
        for state in (1, 0):
            self._send(self._pointer, 2, struct.pack("=III", self._stamp(), button, state))
            self._send(self._pointer, 4, b"")
            time.sleep(0.05)  # a press and a release, as a hand makes them

    def close(self) -> None:
        self._socket.close()
