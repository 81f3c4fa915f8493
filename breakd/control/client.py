"""The CLI's end of the control channel: connect, send one request, read its reply.

Failures come in two kinds the CLI treats differently: DaemonNotRunning (nothing is
listening; tell the user how to start breakd) and ControlError (the daemon, or the
exchange with it, said no; print the message).
"""

from __future__ import annotations

import itertools
import socket
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from breakd.control.paths import control_address
from breakd.control.protocol import (
    MAX_REPLY,
    TIMEOUT,
    TOO_LARGE,
    ProtocolError,
    decode_reply,
    encode_request,
)

_ids = itertools.count(1)


class DaemonNotRunning(Exception):
    """No breakd listens on the control channel (no socket, or nobody accepting)."""

    def __init__(self, address: str) -> None:
        super().__init__("breakd is not running; start it with `breakd`")
        self.address = address


class ControlError(Exception):
    """The request failed: an error reply from the daemon, or a broken exchange.

    ``code`` is the protocol's machine code ("bad-arguments", "timeout", ...) or, for
    failures on this side, "connection-lost", "bad-reply" or "permission".
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Stream(Protocol):
    def sendall(self, data: bytes, /) -> None: ...

    def recv_some(self, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class _UnixStream:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def sendall(self, data: bytes, /) -> None:
        self._sock.sendall(data)

    def recv_some(self, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 0.001))
        return self._sock.recv(65536)

    def close(self) -> None:
        self._sock.close()


def _connect(address: Path | str, timeout: float) -> _Stream:
    if sys.platform == "win32":
        from breakd.control.windows_pipe import connect

        try:
            return connect(str(address), timeout)
        except FileNotFoundError:
            raise DaemonNotRunning(str(address)) from None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(address))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        raise DaemonNotRunning(str(address)) from None
    except BaseException:
        sock.close()
        raise
    return _UnixStream(sock)


def request(
    cmd: str,
    args: dict[str, Any] | None = None,
    *,
    timeout: float = 5.0,
    path: Path | str | None = None,
) -> dict[str, Any]:
    """Send ``cmd`` with ``args`` to the running daemon and return its result.

    ``timeout`` bounds the whole exchange. Raises DaemonNotRunning or ControlError.
    """
    address = path if path is not None else control_address()
    request_id = next(_ids)
    try:
        line = encode_request(cmd, args, request_id)
    except ValueError as error:
        raise ControlError(TOO_LARGE, str(error)) from None
    deadline = time.monotonic() + timeout
    try:
        stream = _connect(address, timeout)
    except TimeoutError:
        raise ControlError(TIMEOUT, f"breakd did not accept within {timeout:g} s") from None
    except PermissionError as error:
        raise ControlError(
            "permission", f"cannot open breakd's control channel {address}: {error.strerror}"
        ) from None
    except OSError as error:
        raise ControlError(
            "connection-lost", f"cannot reach breakd at {address}: {error}"
        ) from None
    try:
        stream.sendall(line)
        data = _read_line(stream, deadline, timeout)
    except TimeoutError:
        raise ControlError(TIMEOUT, f"breakd did not reply within {timeout:g} s") from None
    except OSError as error:
        raise ControlError("connection-lost", f"the connection to breakd broke: {error}") from None
    finally:
        stream.close()
    try:
        reply = decode_reply(data)
    except ProtocolError as error:
        raise ControlError(error.code, error.message) from None
    if reply.id != request_id:
        raise ControlError("bad-reply", "breakd answered a different request")
    if not reply.ok:
        raise ControlError(reply.error_code or "unknown", reply.error_message or "")
    assert reply.result is not None
    return reply.result


def _read_line(stream: _Stream, deadline: float, timeout: float) -> bytes:
    data = bytearray()
    while True:
        end = data.find(b"\n")
        if end >= 0:
            return bytes(data[:end])
        if len(data) > MAX_REPLY:
            raise ControlError("bad-reply", "breakd's reply is too long")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        chunk = stream.recv_some(remaining)
        if not chunk:
            raise ControlError("connection-lost", "breakd closed the connection without replying")
        data += chunk


def ping(*, timeout: float = 2.0, path: Path | str | None = None) -> int | None:
    """The running daemon's pid, or None when none answers (not running, or stuck)."""
    try:
        result = request("ping", timeout=timeout, path=path)
    except (DaemonNotRunning, ControlError):
        return None
    pid = result.get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None
