"""A test compositor offering only ``wl_seat`` and ``ext_idle_notifier_v1``.

Why: no compositor in Debian 12 offers ext-idle-notify (sway 1.7 has only the KDE
protocol), so this one global is served here, over a real Unix socket in the Wayland
wire format, and the test decides when the user goes idle and comes back.
"""

from __future__ import annotations

import socket
import struct
import tempfile
import threading
from pathlib import Path

NOTIFIER = "ext_idle_notifier_v1"


def _string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("=I", len(data)) + data + b"\0" * (-len(data) % 4)


class IdleCompositor:
    """Serves one client; ``requests`` records (opcode, timeout ms) of its notification
    requests, ``idle``/``resume`` send the events."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.folder = Path(tempfile.mkdtemp(prefix="bkw-"))
        self.socket = self.folder / "wayland-test"
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.socket))
        self._server.listen(1)
        self._client: socket.socket | None = None
        self._interfaces: dict[int, str] = {}
        self.requests: list[tuple[int, int]] = []
        self.notification = 0
        self._sending = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _send(self, target: int, opcode: int, body: bytes = b"") -> None:
        assert self._client is not None
        with self._sending:
            header = struct.pack("=II", target, ((8 + len(body)) << 16) | opcode)
            self._client.sendall(header + body)

    def _serve(self) -> None:
        self._client, _ = self._server.accept()
        buffer = b""
        while chunk := self._client.recv(4096):
            buffer += chunk
            while len(buffer) >= 8:
                target, word = struct.unpack_from("=II", buffer)
                size = word >> 16
                if len(buffer) < size:
                    break
                body, buffer = buffer[8:size], buffer[size:]
                self._request(target, word & 0xFFFF, body)

    def _request(self, target: int, opcode: int, body: bytes) -> None:
        if target == 1 and opcode == 0:  # wl_display.sync
            (callback,) = struct.unpack_from("=I", body)
            self._send(callback, 0, struct.pack("=I", 0))
        elif target == 1 and opcode == 1:  # wl_display.get_registry
            (registry,) = struct.unpack_from("=I", body)
            self._interfaces[registry] = "wl_registry"
            for name, interface, version in ((1, "wl_seat", 7), (2, NOTIFIER, self.version)):
                self._send(registry, 0, struct.pack("=I", name) + _string(interface)
                           + struct.pack("=I", version))  # fmt: skip
        elif self._interfaces.get(target) == "wl_registry":  # bind
            _name, length = struct.unpack_from("=II", body)
            interface = body[8 : 8 + length - 1].decode()
            _version, new = struct.unpack_from("=II", body, 8 + length + (-length % 4))
            self._interfaces[new] = interface
        elif self._interfaces.get(target) == NOTIFIER and opcode in (1, 2):
            self.notification, timeout, _seat = struct.unpack_from("=III", body)
            self.requests.append((opcode, timeout))

    def idle(self) -> None:
        self._send(self.notification, 0)  # ext_idle_notification_v1.idled

    def resume(self) -> None:
        self._send(self.notification, 1)  # ext_idle_notification_v1.resumed

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._server.close()
        self.socket.unlink(missing_ok=True)
        self.folder.rmdir()
