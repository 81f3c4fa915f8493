"""From request line to reply line, the same on every platform.

The transports (``unix_server``, ``windows_server``) only move bytes and enforce their
limits; what a line means, who answers it and how a failure is worded is decided here,
once. :class:`ServerBase` is what the daemon sees of either server.
"""

from __future__ import annotations

import abc
import logging
import os
import threading
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

from breakd import __version__
from breakd.control.protocol import (
    BUSY,
    INTERNAL,
    TIMEOUT,
    ProtocolError,
    Request,
    RequestId,
    check_command,
    decode_request,
    encode_error,
    encode_protocol_error,
    encode_reply,
)
from breakd.i18n import N_, _

log = logging.getLogger(__name__)

#: The command every server answers itself, without the handler: who is listening.
PING = "ping"
#: The ``busy`` message for a connection over the cap.
TOO_MANY_CONNECTIONS = N_("breakd has too many open connections; try again shortly")

Handler = Callable[[Request], dict[str, Any]]
Deliver = Callable[[bytes], None]


def timeout_reply(request_id: RequestId, seconds: float) -> bytes:
    """The reply for a command the handler did not finish within ``seconds``."""
    return encode_error(
        request_id,
        TIMEOUT,
        _("breakd did not answer within {seconds} s").format(seconds=f"{seconds:g}"),
    )


def readable_id(line: bytes) -> RequestId:
    """The id of a request line, when it can be read at all (for a refusal to carry)."""
    try:
        return decode_request(line).id
    except ProtocolError as error:
        return error.request_id


class Dispatcher:
    """Turns complete request lines into reply lines; shared by the Unix and pipe servers.

    Handler calls run on worker threads, at most ``max_calls`` at a time: a further
    request gets ``busy`` at once instead of queueing behind a stuck handler.
    """

    def __init__(self, handler: Handler, allowed_commands: Collection[str], max_calls: int) -> None:
        self.handler = handler
        self.allowed = frozenset(allowed_commands) | {PING}
        self.max_calls = max_calls
        self._lock = threading.Lock()
        self._in_flight = 0

    def triage(self, line: bytes, peer_pid: int | None) -> bytes | Request:
        """A reply to send now (errors, ping), or the request the handler must answer."""
        try:
            request = decode_request(line)
            check_command(request, self.allowed)
        except ProtocolError as error:
            log.debug("control request refused (%s): %s", error.code, error.message)
            return encode_protocol_error(error)
        if request.cmd == PING:
            return encode_reply(request.id, {"pid": os.getpid(), "version": __version__})
        log.debug("control request %r from pid %s", request.cmd, peer_pid)
        return replace(request, peer_pid=peer_pid)

    def call(self, request: Request, deliver: Deliver) -> bytes | None:
        """Run the handler on a worker thread that hands its reply to ``deliver``.

        Returns None when the call started, or a ``busy`` reply to send instead.
        """
        with self._lock:
            if self._in_flight >= self.max_calls:
                return encode_error(
                    request.id, BUSY, _("breakd is busy with other commands; try again shortly")
                )
            self._in_flight += 1
        worker = threading.Thread(
            target=self._run, args=(request, deliver), name="breakd-control-call", daemon=True
        )
        try:
            worker.start()
        except RuntimeError:  # the system cannot start another thread right now
            self._done()
            return encode_error(request.id, BUSY, _("breakd cannot take more commands right now"))
        return None

    def reply_within(self, line: bytes, peer_pid: int | None, timeout: float) -> bytes:
        """The reply to ``line``, waiting up to ``timeout`` for the handler (then ``timeout``).

        For a transport that serves each connection on its own thread; the handler keeps
        its call slot until it really returns, so a stuck handler still counts.
        """
        outcome = self.triage(line, peer_pid)
        if isinstance(outcome, bytes):
            return outcome
        replies: list[bytes] = []
        done = threading.Event()

        def deliver(reply: bytes) -> None:
            replies.append(reply)
            done.set()

        refused = self.call(outcome, deliver)
        if refused is not None:
            return refused
        if done.wait(timeout):
            return replies[0]
        return timeout_reply(outcome.id, timeout)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _run(self, request: Request, deliver: Deliver) -> None:
        try:
            reply = self.answer(request)
        finally:
            self._done()
        deliver(reply)

    def answer(self, request: Request) -> bytes:
        """Call the handler and turn whatever happens into exactly one reply line."""
        try:
            result = self.handler(request)
            if not isinstance(result, dict):
                raise TypeError(f"the handler returned {type(result).__name__}, not a dict")
            return encode_reply(request.id, result)
        except ProtocolError as error:
            return encode_error(request.id, error.code, error.message)
        except TimeoutError:
            log.warning("control command %r timed out in the daemon", request.cmd)
            return encode_error(request.id, TIMEOUT, _("breakd did not finish the command in time"))
        except Exception as error:
            log.exception("control command %r (from pid %s) failed", request.cmd, request.peer_pid)
            detail = f"{type(error).__name__}: {error}"[:300]
            return encode_error(
                request.id,
                INTERNAL,
                _("internal error in breakd ({detail}); see its log").format(detail=detail),
            )


class ServerBase(abc.ABC):
    """Serves the control channel on ``socket_path`` (a pipe name on Windows).

    ``handler`` answers every allowed command except ``ping``, from a worker thread; it
    returns the result dict, or raises CommandError/ProtocolError for an error reply with
    its own code, TimeoutError for ``timeout``, anything else for ``internal``. Each
    platform's server subclasses this, so the daemon is written against one interface.
    """

    def __init__(
        self,
        socket_path: Path | str,
        handler: Handler,
        *,
        allowed_commands: Collection[str],
        handler_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        max_connections: int = 32,
        max_calls: int = 4,
    ) -> None:
        self.address = socket_path
        self.handler_timeout = handler_timeout
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self._dispatcher = Dispatcher(handler, allowed_commands, max_calls)

    @property
    def allowed_commands(self) -> frozenset[str]:
        return self._dispatcher.allowed

    @property
    @abc.abstractmethod
    def running(self) -> bool:
        """Whether the server is serving now."""

    @abc.abstractmethod
    def start(self) -> None:
        """Claim the channel for this daemon and start serving in the background.

        Raises AlreadyRunning when another daemon serves it, OSError when it cannot
        be opened (UnsafeDirectory when the socket's folder is not private).
        """

    @abc.abstractmethod
    def stop(self, grace: float = 1.0) -> None:
        """Stop serving; replies already being made get up to ``grace`` seconds to go out."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
