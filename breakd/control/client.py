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
import random
import time
from pathlib import Path
from typing import Any, Protocol

from breakd.control import transport
from breakd.control.errors import NOT_YOURS, ControlError, DaemonNotRunning
from breakd.control.protocol import (
    BUSY,
    MAX_REPLY,
    TIMEOUT,
    TOO_LARGE,
    ProtocolError,
    decode_reply,
    encode_request,
)
from breakd.i18n import _

__all__ = ["NOT_YOURS", "RETRY_FOR", "ControlError", "DaemonNotRunning", "ping", "request"]

_ids = itertools.count(1)
#: How long a request is retried while the daemon answers ``busy`` (or its queue is full).
RETRY_FOR = 5.0
_FIRST_BACKOFF, _MAX_BACKOFF = 0.005, 0.2


class _Stream(Protocol):
    """What a transport's ``connect`` returns."""

    def sendall(self, data: bytes, /) -> None: ...

    def recv_some(self, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class _Busy(Exception):
    """The daemon could not take the request now and did not run it: ask again."""

    def __init__(self, error: ControlError) -> None:
        super().__init__(error.message)
        self.error = error


def _connect(address: Path | str, timeout: float, passed_over: tuple[str, ...]) -> _Stream:
    try:
        return transport.connect(address, timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        raise DaemonNotRunning(str(address), passed_over) from None
    except BlockingIOError:  # EAGAIN: the daemon's listen queue is full
        message = _("breakd at {address} is not accepting yet").format(address=address)
        raise _Busy(ControlError(BUSY, message)) from None


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
    address: Path | str
    if path is not None:
        address = path
    else:
        address, passed_over = transport.client_address()
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
        raise ControlError(
            TIMEOUT, _("breakd did not accept within {seconds} s").format(seconds=shown)
        ) from None
    except PermissionError as error:
        raise ControlError(
            "permission",
            _("cannot open breakd's control channel {address}: {reason}").format(
                address=address, reason=error.strerror
            ),
        ) from None
    except OSError as error:
        raise ControlError(
            "connection-lost",
            _("cannot reach breakd at {address}: {reason}").format(address=address, reason=error),
        ) from None
    try:
        stream.sendall(line)
        data = _read_line(stream, deadline)
    except TimeoutError:
        raise ControlError(
            TIMEOUT, _("breakd did not reply within {seconds} s").format(seconds=shown)
        ) from None
    except OSError as error:
        raise ControlError(
            "connection-lost", _("the connection to breakd broke: {reason}").format(reason=error)
        ) from None
    finally:
        stream.close()
    try:
        reply = decode_reply(data)
    except ProtocolError as error:
        raise ControlError(error.code, error.message) from None
    # An error about a request whose id the daemon could not read comes with id null.
    if reply.id != request_id and (reply.ok or reply.id is not None):
        raise ControlError("bad-reply", _("breakd answered a different request"))
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
            raise ControlError("bad-reply", _("breakd's reply is too long"))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        chunk = stream.recv_some(remaining)
        if not chunk:
            raise ControlError(
                "connection-lost", _("breakd closed the connection without replying")
            )
        data += chunk


def ping(*, timeout: float = 2.0, path: Path | str | None = None) -> int | None:
    """The running daemon's pid, or None when none answers (not running, or stuck)."""
    try:
        result = request("ping", timeout=timeout, path=path)
    except (DaemonNotRunning, ControlError):
        return None
    pid = result.get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None
