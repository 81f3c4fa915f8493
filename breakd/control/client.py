"""The CLI's end of the control channel: connect, send one request, read its reply.

Failures come in two kinds the CLI treats differently: DaemonNotRunning (nothing is
listening; tell the user how to start breakd) and ControlError (the daemon, or the
exchange with it, said no; print the message).

The socket is looked for only in folders that are the user's own and private, and the
process listening on it must be the user's too (the kernel says so, not the process):
otherwise another user could answer ``breakd status`` with made-up figures, or collect
the user's commands. A daemon that is momentarily full (its listen queue, its
connections or its command threads) is asked again with backoff for a short while,
which is safe: a ``busy`` refusal means the command was not run at all.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from breakd.control.paths import describe_uid, find_socket, pipe_name
from breakd.control.peer import peer_credentials
from breakd.control.protocol import (
    BUSY,
    MAX_REPLY,
    TIMEOUT,
    TOO_LARGE,
    ProtocolError,
    decode_reply,
    encode_request,
)

_ids = itertools.count(1)
#: How long a request is retried while the daemon answers ``busy`` (or its queue is full).
RETRY_FOR = 5.0
_FIRST_BACKOFF, _MAX_BACKOFF = 0.005, 0.2
#: Code of a ControlError for a socket whose server is another user.
NOT_YOURS = "not-yours"


class DaemonNotRunning(Exception):
    """No breakd listens on the control channel (no socket, or nobody accepting).

    ``passed_over`` names folders that had to be ignored (another user's, say), so a
    user wondering why breakd is not found learns why.
    """

    def __init__(self, address: str, passed_over: tuple[str, ...] = ()) -> None:
        message = "breakd is not running; start it with `breakd start`"
        if passed_over:
            message += " (ignored: " + "; ".join(passed_over) + ")"
        super().__init__(message)
        self.address = address
        self.passed_over = passed_over


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


class _Busy(Exception):
    """The daemon could not take the request now and did not run it: ask again."""

    def __init__(self, error: ControlError) -> None:
        super().__init__(error.message)
        self.error = error


def _connect(address: Path | str, timeout: float, passed_over: tuple[str, ...]) -> _Stream:
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
        _check_server(sock, address)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        raise DaemonNotRunning(str(address), passed_over) from None
    except BlockingIOError:  # EAGAIN: the daemon's listen queue is full
        sock.close()
        raise _Busy(ControlError(BUSY, f"breakd at {address} is not accepting yet")) from None
    except BaseException:
        sock.close()
        raise
    return _UnixStream(sock)


def _check_server(sock: socket.socket, address: Path | str) -> None:
    """Refuse a server run by another user: it must not get our commands or answer them."""
    _pid, uid = peer_credentials(sock)
    if uid is not None and uid != os.geteuid():
        raise ControlError(
            NOT_YOURS,
            f"refusing to talk to {address}: the process listening there is run by"
            f" {describe_uid(uid)}, not by you (uid {os.geteuid()}); it is not your breakd",
        )


def request(
    cmd: str,
    args: dict[str, Any] | None = None,
    *,
    timeout: float = 5.0,
    path: Path | str | None = None,
) -> dict[str, Any]:
    """Send ``cmd`` with ``args`` to the running daemon and return its result.

    ``timeout`` bounds the whole exchange, retries included. Raises DaemonNotRunning or
    ControlError.
    """
    passed_over: tuple[str, ...] = ()
    if path is not None:
        address: Path | str = path
    elif sys.platform == "win32":
        address = pipe_name()
    else:
        address, passed_over = find_socket()
    request_id = next(_ids)
    try:
        line = encode_request(cmd, args, request_id)
    except ValueError as error:
        raise ControlError(TOO_LARGE, str(error)) from None
    started = time.monotonic()
    deadline = started + timeout
    retry_until = started + min(timeout, RETRY_FOR)
    backoff = _FIRST_BACKOFF
    while True:
        try:
            return _exchange(address, passed_over, line, request_id, deadline)
        except _Busy as busy:
            pause = backoff * random.uniform(0.5, 1.5)
            if time.monotonic() + pause >= retry_until:
                raise busy.error from None
            time.sleep(pause)
            backoff = min(backoff * 2, _MAX_BACKOFF)


def _exchange(
    address: Path | str,
    passed_over: tuple[str, ...],
    line: bytes,
    request_id: int,
    deadline: float,
) -> dict[str, Any]:
    """One connection, one request, one reply; _Busy when the daemon could not take it."""
    timeout = max(deadline - time.monotonic(), 0.001)
    shown = f"{timeout:g}"
    try:
        stream = _connect(address, timeout, passed_over)
    except TimeoutError:
        raise ControlError(TIMEOUT, f"breakd did not accept within {shown} s") from None
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
        data = _read_line(stream, deadline)
    except TimeoutError:
        raise ControlError(TIMEOUT, f"breakd did not reply within {shown} s") from None
    except OSError as error:
        raise ControlError("connection-lost", f"the connection to breakd broke: {error}") from None
    finally:
        stream.close()
    try:
        reply = decode_reply(data)
    except ProtocolError as error:
        raise ControlError(error.code, error.message) from None
    # An error about a request whose id the daemon could not read comes with id null.
    if reply.id != request_id and (reply.ok or reply.id is not None):
        raise ControlError("bad-reply", "breakd answered a different request")
    if not reply.ok:
        refusal = ControlError(reply.error_code or "unknown", reply.error_message or "")
        if refusal.code == BUSY:
            raise _Busy(refusal)
        raise refusal
    assert reply.result is not None
    return reply.result


def _read_line(stream: _Stream, deadline: float) -> bytes:
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
