"""The control channel's wire format: one JSON object per line, both ways.

A request is ``{"v": 1, "id": 7, "cmd": "snooze", "args": {"duration": "10m"}}``;
``id`` and ``args`` may be left out. Every request line gets exactly one reply line::

    {"v": 1, "id": 7, "ok": true, "result": {...}}
    {"v": 1, "id": 7, "ok": false, "error": {"code": "bad-arguments", "message": "..."}}

``{"v": 1, "id": 3, "cmd": "subscribe"}`` is answered the same way and then keeps the
connection open: the daemon pushes an event line at once and one whenever what a status
line shows changes, ``{"v": 1, "event": "status", "status": {...}}``, until it stops
(the connection then closes) or the client hangs up. The client sends nothing more.

Lines are UTF-8 and end with ``\\n``; a request line may be at most :data:`MAX_LINE`
bytes, so neither side ever has to hold an unbounded amount of someone else's data.
Everything here is pure (bytes in, bytes or values out) so it can be tested without
sockets, and so the Unix socket and the Windows pipe transports share one definition.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from types import MappingProxyType

TYPE_CHECKING = False  # typing itself is not imported: see Request
if TYPE_CHECKING:
    from typing import Any

#: The version this code speaks; a request with any other ``v`` is refused.
PROTOCOL_VERSION = 1
#: Longest request line, in bytes, not counting the ``\n``.
MAX_LINE = 64 * 1024
#: Longest reply line a client accepts; replies are small dicts, this is only a bound.
MAX_REPLY = 1024 * 1024

#: The request that turns a connection into a feed of events (see the module's text).
SUBSCRIBE = "subscribe"
#: The one kind of event: the daemon's status, as ``breakd status --json`` prints it.
STATUS_EVENT = "status"

# Error codes: stable, machine-readable; the message next to them is for people.
BAD_JSON = "bad-json"
NOT_AN_OBJECT = "not-an-object"
BAD_VERSION = "bad-version"
BAD_REQUEST = "bad-request"
UNKNOWN_COMMAND = "unknown-command"
BAD_ARGUMENTS = "bad-arguments"
TOO_LARGE = "too-large"
INTERNAL = "internal"
BUSY = "busy"
TIMEOUT = "timeout"

ERROR_CODES = frozenset(
    {
        BAD_JSON,
        NOT_AN_OBJECT,
        BAD_VERSION,
        BAD_REQUEST,
        UNKNOWN_COMMAND,
        BAD_ARGUMENTS,
        TOO_LARGE,
        INTERNAL,
        BUSY,
        TIMEOUT,
    }
)

#: A request's id as the client chose it (None: it sent none).
RequestId = int | str | None

_REQUEST_KEYS = frozenset({"v", "id", "cmd", "args"})


class ProtocolError(Exception):
    """A request (or reply) that cannot be served as sent.

    ``code`` is one of the codes above (a handler may use its own, such as "refused");
    ``request_id`` is the request's id when it could be read, so the error reply can
    still be matched to the request.
    """

    def __init__(self, code: str, message: str, request_id: RequestId = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


#: The arguments of a request that has none (read-only, so one can be shared).
NO_ARGUMENTS: Mapping[str, Any] = MappingProxyType({})


# Plain classes rather than dataclasses or named tuples: the client imports this module
# for every ``breakd status``, and ``dataclasses`` (with ``inspect``) or ``typing``
# would cost it a good part of the interpreter's own start-up.
class Request:
    """One decoded request; ``peer_pid`` is filled in by the server when the OS tells it."""

    __slots__ = ("args", "cmd", "id", "peer_pid")

    def __init__(
        self,
        cmd: str,
        args: Mapping[str, Any] = NO_ARGUMENTS,
        id: RequestId = None,  # the protocol's own name for it
        peer_pid: int | None = None,
    ) -> None:
        self.cmd = cmd
        self.args = args
        self.id = id
        self.peer_pid = peer_pid

    def from_peer(self, peer_pid: int | None) -> Request:
        """The same request, as sent by the process ``peer_pid``."""
        return Request(self.cmd, self.args, self.id, peer_pid)

    def _fields(self) -> tuple[object, ...]:
        return (self.cmd, dict(self.args), self.id, self.peer_pid)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Request) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.cmd, self.id, self.peer_pid))

    def __repr__(self) -> str:
        return (
            f"Request(cmd={self.cmd!r}, args={dict(self.args)!r}, id={self.id!r},"
            f" peer_pid={self.peer_pid!r})"
        )


class Reply:
    """One decoded reply, as the client sees it."""

    __slots__ = ("error_code", "error_message", "id", "ok", "result")

    def __init__(
        self,
        id: RequestId,  # the protocol's own name for it
        ok: bool,
        result: dict[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self.id = id
        self.ok = ok
        self.result = result
        self.error_code = error_code
        self.error_message = error_message

    def __repr__(self) -> str:
        outcome = f"result={self.result!r}" if self.ok else f"error={self.error_code!r}"
        return f"Reply(id={self.id!r}, ok={self.ok!r}, {outcome})"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return value


def _loads(text: str) -> Any:
    """Strict JSON: no NaN/Infinity, no numbers that overflow to infinity."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)


def _dumps(value: Any) -> bytes:
    # ensure_ascii keeps the line valid UTF-8 even if a string holds lone surrogates
    # (which strict JSON input can legally spell as "\ud800").
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.encode("ascii") + b"\n"


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def decode_request(line: bytes) -> Request:
    """Read one request line (with or without its ``\\n``); raise ProtocolError if unusable."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if len(line) > MAX_LINE:
        raise ProtocolError(TOO_LARGE, f"a request line may be at most {MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(BAD_JSON, "the request is not UTF-8 text") from None
    if not text.strip():
        raise ProtocolError(BAD_JSON, "the request line is empty")
    try:
        value = _loads(text)
    except RecursionError:
        raise ProtocolError(BAD_JSON, "the request is nested too deeply") from None
    except ValueError as error:
        raise ProtocolError(BAD_JSON, f"the request is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ProtocolError(
            NOT_AN_OBJECT, f"a request must be a JSON object, not {_json_type(value)}"
        )

    raw_id = value.get("id")
    request_id: RequestId = raw_id if _valid_id(raw_id) else None
    if raw_id is not None and request_id is None:
        raise ProtocolError(BAD_REQUEST, '"id" must be an integer or a string')

    version = value.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        shown = "missing" if "v" not in value else json.dumps(version)[:40]
        raise ProtocolError(
            BAD_VERSION,
            f'protocol version {shown}; this daemon speaks "v": {PROTOCOL_VERSION}',
            request_id,
        )
    unknown = sorted(set(value) - _REQUEST_KEYS)
    if unknown:
        raise ProtocolError(
            BAD_REQUEST,
            f"unknown field(s) {', '.join(map(repr, unknown))}; a request has v, id, cmd, args",
            request_id,
        )
    cmd = value.get("cmd")
    if not isinstance(cmd, str) or not cmd:
        raise ProtocolError(BAD_REQUEST, '"cmd" must be a non-empty string', request_id)
    args = value.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ProtocolError(BAD_ARGUMENTS, '"args" must be a JSON object', request_id)
    return Request(cmd=cmd, args=args, id=request_id)


def check_command(request: Request, allowed: Collection[str]) -> None:
    """Refuse a command the daemon does not offer, naming the ones it does."""
    if request.cmd not in allowed:
        raise ProtocolError(
            UNKNOWN_COMMAND,
            f"unknown command {request.cmd[:60]!r}; known: {', '.join(sorted(allowed))}",
            request.id,
        )


def encode_request(
    cmd: str, args: Mapping[str, Any] | None = None, request_id: RequestId = None
) -> bytes:
    """One request line; raises ValueError if it would be longer than MAX_LINE."""
    message: dict[str, Any] = {"v": PROTOCOL_VERSION}
    if request_id is not None:
        message["id"] = request_id
    message["cmd"] = cmd
    if args:
        message["args"] = dict(args)
    data = _dumps(message)
    if len(data) - 1 > MAX_LINE:
        raise ValueError(f"the request is longer than {MAX_LINE} bytes")
    return data


def encode_reply(request_id: RequestId, result: Mapping[str, Any]) -> bytes:
    """A success reply line; raises TypeError/ValueError if ``result`` is not JSON-able."""
    return _dumps({"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": dict(result)})


def encode_error(request_id: RequestId, code: str, message: str) -> bytes:
    """An error reply line."""
    return _dumps(
        {
            "v": PROTOCOL_VERSION,
            "id": request_id,
            "ok": False,
            "error": {"code": code, "message": message},
        }
    )


def encode_protocol_error(error: ProtocolError) -> bytes:
    return encode_error(error.request_id, error.code, error.message)


def decode_reply(line: bytes) -> Reply:
    """Read one reply line; raise ProtocolError("bad-reply") if it is not a valid reply."""
    try:
        value = _loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ProtocolError("bad-reply", "the daemon's reply is not JSON") from None
    if not isinstance(value, dict) or value.get("v") != PROTOCOL_VERSION:
        raise ProtocolError("bad-reply", "the daemon's reply is not a version 1 reply")
    request_id = value.get("id")
    if request_id is not None and not _valid_id(request_id):
        raise ProtocolError("bad-reply", "the daemon's reply has a malformed id")
    ok = value.get("ok")
    if ok is True:
        result = value.get("result")
        if not isinstance(result, dict):
            raise ProtocolError("bad-reply", "the daemon's reply has no result object")
        return Reply(id=request_id, ok=True, result=result)
    if ok is False:
        error = value.get("error")
        if (
            not isinstance(error, dict)
            or not isinstance(error.get("code"), str)
            or not isinstance(error.get("message"), str)
        ):
            raise ProtocolError("bad-reply", "the daemon's error reply has no code and message")
        return Reply(
            id=request_id, ok=False, error_code=error["code"], error_message=error["message"]
        )
    raise ProtocolError("bad-reply", 'the daemon\'s reply has no "ok"')


def encode_event(kind: str, body: Mapping[str, Any]) -> bytes:
    """A pushed event line; raises TypeError/ValueError if ``body`` is not JSON-able."""
    return _dumps({"v": PROTOCOL_VERSION, "event": kind, kind: dict(body)})


class Event:
    """One decoded event line, as a subscribed client sees it."""

    __slots__ = ("body", "kind")

    def __init__(self, kind: str, body: dict[str, Any]) -> None:
        self.kind = kind
        self.body = body

    def __repr__(self) -> str:
        return f"Event(kind={self.kind!r}, body={self.body!r})"


def decode_event(line: bytes) -> Event:
    """Read one event line; raise ProtocolError("bad-reply") if it is not one."""
    try:
        value = _loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ProtocolError("bad-reply", "the daemon's event is not JSON") from None
    if not isinstance(value, dict) or value.get("v") != PROTOCOL_VERSION:
        raise ProtocolError("bad-reply", "the daemon's event is not a version 1 event")
    kind = value.get("event")
    body = value.get(kind) if isinstance(kind, str) else None
    if not isinstance(kind, str) or not isinstance(body, dict):
        raise ProtocolError("bad-reply", "the daemon's event has no kind and body")
    return Event(kind, body)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


class LineSplitter:
    """Cuts a byte stream into lines without ever holding much more than one line.

    ``next_line`` raises ProtocolError("too-large") as soon as the pending line is known
    to be longer than ``limit``; the caller replies and closes, and stops feeding.
    """

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._buffer = bytearray()
        self._scanned = 0  # bytes already searched for "\n", so a trickle stays linear

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def pending(self) -> int:
        """Bytes received but not yet returned as a line."""
        return len(self._buffer)

    def has_line(self) -> bool:
        return self._buffer.find(b"\n", self._scanned) >= 0 or len(self._buffer) > self.limit

    def next_line(self) -> bytes | None:
        """The next complete line without its ``\\n``, or None until more data comes."""
        end = self._buffer.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buffer)
            if len(self._buffer) > self.limit:
                raise ProtocolError(TOO_LARGE, f"a request line may be at most {self.limit} bytes")
            return None
        if end > self.limit:
            raise ProtocolError(TOO_LARGE, f"a request line may be at most {self.limit} bytes")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._scanned = 0
        return line

    def rest(self) -> bytes:
        """What is left after the stream ended: an unterminated last line, if any."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        return rest
