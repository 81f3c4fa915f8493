"""The daemon's end of the control channel on Unix: a private socket, one thread.

One background thread multiplexes every connection with :mod:`selectors` over
non-blocking sockets, so a client that sends half a line and goes quiet, or never reads
its replies, costs a buffer and a timer but never holds up anyone else. Commands are
passed to the daemon's handler on short-lived worker threads (a bounded number of
them, see :class:`~breakd.control.dispatch.Dispatcher`): the handler may block while
the owner thread does the work, and when it takes too long the client gets a
``timeout`` reply and the connection carries on.

Why selectors and not :mod:`socketserver` or :mod:`asyncio` streams: the guarantees are
decisions about all connections at once (the cap, evicting the connection idle
longest, but only one with no call running and no partial line; refusing an extra
connection only after reading its request id; pausing accept on EMFILE), so any
framework would still need this table of connections and their states. socketserver
gives a thread per connection in a blocking read, which makes idle timeouts, eviction
and a prompt stop a matter of closing sockets under other threads' feet. asyncio would
replace the select/register bookkeeping (some 60 lines) but adds an event loop, a
thread-safe bridge for the handler's replies, cancellation to reason about at every
await, and its import to the daemon's start; StreamReader hides how much of a partial
line it holds, which eviction needs. Nor would it be faster: a prototype on asyncio
streams, even without the cap, eviction and refusals, measured the same as this loop
with ``benchmarks/control_load.py`` (about 1,600 requests/s from one client, 1,000 to
1,800 from 50, p99 170 to 270 ms for both: within the noise), and importing asyncio
alone takes some 27 ms against selectors' 2 ms.

The server also keeps a daemon single: an advisory lock file next to the socket is held
for the server's lifetime, and a socket left behind by a crashed daemon is recognised
(nobody accepts on it) and replaced.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import math
import os
import queue
import selectors
import socket
import stat
import sys
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

if sys.platform == "win32":  # lets `mypy --platform win32` skip this module
    raise ImportError("breakd.control.unix_server is for Unix; Windows uses windows_server")

import fcntl

from breakd.control.dispatch import (
    PING,
    TOO_MANY_CONNECTIONS,
    Handler,
    ServerBase,
    readable_id,
    timeout_reply,
)
from breakd.control.errors import AlreadyRunning
from breakd.control.paths import ensure_private_dir, lock_path
from breakd.control.protocol import (
    BUSY,
    MAX_REPLY,
    LineSplitter,
    ProtocolError,
    RequestId,
    decode_reply,
    encode_error,
    encode_protocol_error,
    encode_request,
)
from breakd.control.unix import peer_credentials
from breakd.i18n import _

log = logging.getLogger(__name__)

#: Stop taking requests from a connection while this much reply data waits to be read.
_OUT_HIGH = 256 * 1024
_RECV_SIZE = 64 * 1024
#: How long start() waits for a live daemon's ping reply, and for a lock holder's pid.
_PROBE_TIMEOUT = 2.0

#: A connection over the limit waits this long for its request line (to echo its id).
_REFUSE_WAIT = 0.5
#: A connection idle this long may be closed to make room for a new one.
_EVICT_AFTER = 1.0

# os.umask is process-wide: two binds in this process must not interleave their umasks.
_UMASK_LOCK = threading.Lock()


@dataclass(eq=False)
class _Connection:
    key: int
    sock: socket.socket
    peer_pid: int | None
    last_active: float
    splitter: LineSplitter = field(default_factory=LineSplitter)
    out: bytearray = field(default_factory=bytearray)
    open: bool = True
    eof: bool = False  # the peer will send nothing more
    closing: bool = False  # close as soon as `out` is flushed
    call: int | None = None  # token of the handler call in flight
    call_id: RequestId = None
    call_cmd: str = ""
    call_deadline: float = 0.0  # of the call in flight; of the wait for a refused request
    events: int = 0  # what the selector watches this socket for
    refusing: bool = False  # admitted over the limit: read its request, answer busy, close


_LISTENER = "listener"
_WAKER = "waker"


class UnixControlServer(ServerBase):
    """Serves the control channel on a Unix socket at ``socket_path``; see ServerBase."""

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
        super().__init__(
            socket_path,
            handler,
            allowed_commands=allowed_commands,
            handler_timeout=handler_timeout,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
            max_calls=max_calls,
        )
        self._uid = os.geteuid()  # the only uid whose connections are served
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._waker_r: socket.socket | None = None
        self._waker_w: socket.socket | None = None
        self._lock_fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._conns: dict[int, _Connection] = {}
        self._keys = itertools.count(1)
        self._tokens = itertools.count(1)
        self._results: queue.SimpleQueue[tuple[int, int, bytes]] = queue.SimpleQueue()
        self._stopping = False
        self._stop_deadline = 0.0
        self._accept_paused_until = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- start and stop ----------------------------------------------------------------

    def start(self) -> None:
        """Take the lock, replace a stale socket, bind and start serving.

        Raises AlreadyRunning when another daemon holds the lock or answers on the
        socket, UnsafeDirectory when the socket's folder is not private.
        """
        if self._thread is not None:
            raise RuntimeError("the control server is already started")
        path = Path(self.address)
        ensure_private_dir(path.parent)
        lock_fd = _take_lock(lock_path(path), str(path))
        try:
            _clear_stale_socket(path)
            listener = _bind(path, self.max_connections)
        except BaseException:
            os.close(lock_fd)
            raise
        try:
            info = os.stat(path)
            self._inode = (info.st_dev, info.st_ino)
            waker_r, waker_w = socket.socketpair()
            self._waker_r, self._waker_w = waker_r, waker_w
            waker_r.setblocking(False)
            waker_w.setblocking(False)
            self._selector = selectors.DefaultSelector()
            self._selector.register(listener, selectors.EVENT_READ, _LISTENER)
            self._selector.register(waker_r, selectors.EVENT_READ, _WAKER)
            self._listener = listener
            self._lock_fd = lock_fd
            self._stopping = False
            thread = threading.Thread(target=self._run, name="breakd-control", daemon=True)
            thread.start()
        except BaseException:
            listener.close()
            self._listener = None
            self._remove_socket()
            self._close_waker()
            if self._selector is not None:
                self._selector.close()
                self._selector = None
            os.close(lock_fd)
            self._lock_fd = None
            raise
        self._thread = thread
        log.info("control channel listening on %s", path)

    def stop(self, grace: float = 1.0) -> None:
        """Stop serving; replies already being made get up to ``grace`` seconds to go out.

        The socket is unlinked only if it is still the one this server bound (a newer
        daemon may have replaced it), then the lock is released.
        """
        thread = self._thread
        if thread is None:
            return
        self._stop_deadline = time.monotonic() + grace
        self._stopping = True
        self._wake()
        if thread is not threading.current_thread():
            thread.join(grace + 5.0)
            if thread.is_alive():
                log.warning("the control server thread did not stop in time")
        self._thread = None
        self._remove_socket()
        if self._lock_fd is not None:
            try:
                os.ftruncate(self._lock_fd, 0)
            finally:
                os.close(self._lock_fd)
                self._lock_fd = None
        self._close_waker()

    def _close_waker(self) -> None:
        for end in (self._waker_r, self._waker_w):
            if end is not None:
                end.close()
        self._waker_r = self._waker_w = None

    def _remove_socket(self) -> None:
        path = Path(self.address)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if (info.st_dev, info.st_ino) == self._inode:
            path.unlink(missing_ok=True)
        else:
            log.info("%s now belongs to another process; leaving it in place", path)

    def _wake(self) -> None:
        waker = self._waker_w
        if waker is None:
            return
        # OSError: the buffer is full (a wake-up is pending anyway) or stop() closed it.
        with contextlib.suppress(OSError):
            waker.send(b"\0")

    # --- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    if self._serve_once():
                        return
                except Exception:
                    log.exception("control server: unexpected error; carrying on")
                    time.sleep(0.1)
        finally:
            for conn in list(self._conns.values()):
                self._close(conn)
            if self._selector is not None:
                self._selector.close()
                self._selector = None
            if self._listener is not None:
                self._listener.close()
                self._listener = None

    def _serve_once(self) -> bool:
        """One round of the loop; True when the server has finished stopping."""
        assert self._selector is not None
        now = time.monotonic()
        if self._stopping:
            if self._listener is not None:
                self._listener_off()
                self._listener.close()
                self._listener = None
            for conn in list(self._conns.values()):
                self._update(conn)
            if not self._conns or now >= self._stop_deadline:
                return True
        elif self._accept_paused_until and now >= self._accept_paused_until:
            self._accept_paused_until = 0.0
            if self._listener is not None:
                self._selector.register(self._listener, selectors.EVENT_READ, _LISTENER)
        for key, mask in self._selector.select(self._wait_time(now)):
            if key.data == _LISTENER:
                self._accept()
            elif key.data == _WAKER:
                self._drain_waker()
            else:
                self._on_ready(key.data, mask)
        self._collect_results()
        self._expire(time.monotonic())
        return False

    def _wait_time(self, now: float) -> float | None:
        """How long to block: until the next deadline, or (None) until something happens.

        Stopping, finished calls and new connections all wake the selector themselves,
        so an idle server sleeps without waking the process at all.
        """
        wake_at = math.inf
        if self._stopping:
            wake_at = min(wake_at, self._stop_deadline)
        if self._accept_paused_until:
            wake_at = min(wake_at, self._accept_paused_until)
        for conn in self._conns.values():
            if conn.call is not None or (conn.refusing and not conn.closing):
                wake_at = min(wake_at, conn.call_deadline)
            else:
                wake_at = min(wake_at, conn.last_active + self.idle_timeout)
        return None if wake_at == math.inf else max(0.0, wake_at - now)

    def _drain_waker(self) -> None:
        assert self._waker_r is not None
        try:
            while self._waker_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _listener_off(self) -> None:
        assert self._selector is not None and self._listener is not None
        with contextlib.suppress(KeyError):
            self._selector.unregister(self._listener)

    def _accept(self) -> None:
        assert self._listener is not None and self._selector is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: back off briefly
                log.warning("control channel cannot accept connections: %s", error)
                self._listener_off()
                self._accept_paused_until = time.monotonic() + 0.5
                return
            try:
                pid, uid = peer_credentials(sock)
            except OSError as error:
                log.warning("refused a control connection: cannot read its credentials (%s)", error)
                sock.close()
                continue
            if uid is not None and uid != self._uid:
                log.warning(
                    "refused a control connection from uid %d (pid %s): only uid %d may"
                    " control this breakd",
                    uid,
                    pid,
                    self._uid,
                )
                sock.close()
                continue
            sock.setblocking(False)
            now = time.monotonic()
            conn = _Connection(next(self._keys), sock, pid, now)
            if self._serving_count() >= self.max_connections and not self._evict_idle(now):
                if self._refusing_count() >= self.max_connections:
                    log.warning("refused a control connection: %d open", len(self._conns))
                    with contextlib.suppress(OSError):
                        sock.send(encode_error(None, BUSY, _(TOO_MANY_CONNECTIONS)))
                    sock.close()
                    continue
                # Read its request first, so the refusal carries the id the client waits for.
                conn.refusing = True
                conn.call_deadline = now + _REFUSE_WAIT
            self._conns[conn.key] = conn
            self._update(conn)

    def _serving_count(self) -> int:
        return sum(1 for conn in self._conns.values() if not conn.refusing)

    def _refusing_count(self) -> int:
        return sum(1 for conn in self._conns.values() if conn.refusing)

    def _evict_idle(self, now: float) -> bool:
        """Make room by closing the connection that has waited longest with nothing to do.

        Why evict rather than shorten the idle timeout: connections left open (a crashed
        script, a greedy tool, a ``socat`` session forgotten in a terminal) would still
        lock the user out of ``breakd status`` for as long as the timeout, and a short
        timeout would cut off slow but honest clients even when there is room. Evicting
        only when full costs nothing until then and makes room at once. A connection is
        evictable only between requests (no command running, no reply or partial line
        pending) and after :data:`_EVICT_AFTER`, so a client that has just connected
        and is about to send is never cut off.
        """
        idle = [
            conn
            for conn in self._conns.values()
            if not conn.refusing
            and conn.call is None
            and not conn.out
            and conn.splitter.pending == 0
            and now - conn.last_active >= _EVICT_AFTER
        ]
        if not idle:
            return False
        oldest = min(idle, key=lambda conn: conn.last_active)
        log.debug(
            "closed the control connection idle longest (%.1f s) to make room for a new one",
            now - oldest.last_active,
        )
        self._close(oldest)
        return True

    def _on_ready(self, conn: _Connection, mask: int) -> None:
        try:
            if mask & selectors.EVENT_READ:
                self._read(conn)
            if conn.open and mask & selectors.EVENT_WRITE:
                self._write(conn)
            self._pump(conn)
        except Exception:
            log.exception("control connection failed; closing it")
            self._close(conn)

    def _read(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        conn.last_active = time.monotonic()
        if data:
            conn.splitter.feed(data)
        else:
            conn.eof = True

    def _write(self, conn: _Connection) -> None:
        while conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the client went away without reading its reply
                self._close(conn)
                return
            del conn.out[:sent]
            conn.last_active = time.monotonic()

    def _send(self, conn: _Connection, data: bytes) -> None:
        conn.out += data
        self._write(conn)

    def _pump(self, conn: _Connection) -> None:
        """Serve the complete lines already received, one at a time, in order."""
        if conn.refusing:
            self._refuse(conn)
            return
        while (
            conn.open
            and conn.call is None
            and not conn.closing
            and not self._stopping
            and len(conn.out) < _OUT_HIGH
        ):
            try:
                line = conn.splitter.next_line()
            except ProtocolError as error:  # too large: answer, then hang up
                self._send(conn, encode_protocol_error(error))
                conn.closing = True
                break
            if line is None:
                if not conn.eof:
                    break
                rest = conn.splitter.rest()
                if not rest:
                    conn.closing = True
                    break
                line = rest  # the client half-closed after an unterminated last line
            self._serve_line(conn, line)
        self._update(conn)

    def _refuse(self, conn: _Connection, *, waited_out: bool = False) -> None:
        """Answer a connection admitted over the limit with ``busy``, then hang up.

        The reply carries the request's id when its line arrived (or the client
        half-closed) in time; a client that said nothing within :data:`_REFUSE_WAIT`
        gets it with id null.
        """
        if conn.closing or not conn.open:
            self._update(conn)
            return
        request_id: RequestId = None
        try:
            line = conn.splitter.next_line()
        except ProtocolError:  # too long to be a request: no id to read from it
            line, waited_out = None, True
        if line is None and conn.eof:
            line = conn.splitter.rest() or None
        if line is None and not conn.eof and not waited_out:
            self._update(conn)
            return
        if line is not None:
            request_id = readable_id(line)
        conn.closing = True
        self._send(conn, encode_error(request_id, BUSY, _(TOO_MANY_CONNECTIONS)))
        self._update(conn)

    def _serve_line(self, conn: _Connection, line: bytes) -> None:
        outcome = self._dispatcher.triage(line, conn.peer_pid)
        if isinstance(outcome, bytes):
            self._send(conn, outcome)
            return
        token = next(self._tokens)
        key = conn.key

        def deliver(reply: bytes) -> None:
            self._results.put((key, token, reply))
            self._wake()

        refused = self._dispatcher.call(outcome, deliver)
        if refused is not None:
            self._send(conn, refused)
            return
        conn.call = token
        conn.call_id = outcome.id
        conn.call_cmd = outcome.cmd
        conn.call_deadline = time.monotonic() + self.handler_timeout

    def _collect_results(self) -> None:
        while True:
            try:
                key, token, reply = self._results.get_nowait()
            except queue.Empty:
                return
            conn = self._conns.get(key)
            if conn is None or conn.call != token:
                log.info("a control command finished after its client stopped waiting")
                continue
            conn.call = None
            conn.last_active = time.monotonic()
            self._send(conn, reply)
            self._pump(conn)

    def _expire(self, now: float) -> None:
        for conn in list(self._conns.values()):
            if conn.refusing:
                if now >= conn.call_deadline and not conn.closing:
                    self._refuse(conn, waited_out=True)
                elif now - conn.last_active >= self.idle_timeout:
                    self._close(conn)  # a refusal the client never reads
            elif conn.call is not None:
                if now >= conn.call_deadline:
                    log.warning(
                        "control command %r took over %.1f s; answered timeout",
                        conn.call_cmd,
                        self.handler_timeout,
                    )
                    conn.call = None
                    conn.last_active = now
                    self._send(conn, timeout_reply(conn.call_id, self.handler_timeout))
                    self._pump(conn)
            elif now - conn.last_active >= self.idle_timeout:
                log.debug("closing a control connection idle for %.0f s", self.idle_timeout)
                self._close(conn)

    def _update(self, conn: _Connection) -> None:
        """Close a finished connection, or watch it for what it can do next."""
        if not conn.open:
            return
        if conn.call is None and not conn.out and (conn.closing or self._stopping):
            self._close(conn)
            return
        events = 0
        if (
            not conn.eof
            and not conn.closing
            and not self._stopping
            and conn.call is None
            and len(conn.out) < _OUT_HIGH
        ):
            events |= selectors.EVENT_READ
        if conn.out:
            events |= selectors.EVENT_WRITE
        if events == conn.events:
            return
        assert self._selector is not None
        if conn.events == 0:
            self._selector.register(conn.sock, events, conn)
        elif events == 0:
            self._selector.unregister(conn.sock)
        else:
            self._selector.modify(conn.sock, events, conn)
        conn.events = events

    def _close(self, conn: _Connection) -> None:
        if not conn.open:
            return
        conn.open = False
        if conn.events and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn.sock)
        conn.events = 0
        conn.sock.close()
        self._conns.pop(conn.key, None)


# --- helpers for start() ------------------------------------------------------------------


def _take_lock(path: Path, address: str) -> int:
    """Hold ``path`` locked for the server's lifetime, with our pid in it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "the control lock is not a regular file", str(path))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(_lock_holder(fd), address) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _lock_holder(fd: int) -> int | None:
    """The pid the lock's holder wrote; it may need a moment after winning the lock."""
    deadline = time.monotonic() + _PROBE_TIMEOUT
    while True:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket nobody listens on; raise AlreadyRunning if somebody does."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise FileExistsError(
            errno.EEXIST, "not a socket; breakd will not remove it, please check it", str(path)
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(_PROBE_TIMEOUT)
    try:
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)
            log.info("removed a stale control socket left by a breakd that did not stop")
            return
        except TimeoutError:  # a listener whose queue is full is still a listener
            raise AlreadyRunning(None, str(path)) from None
        raise AlreadyRunning(_ping_pid(probe), str(path))
    finally:
        probe.close()


def _ping_pid(sock: socket.socket) -> int | None:
    """Ask whoever listens for its pid; fall back to what the kernel says about it."""
    try:
        peer_pid, _uid = peer_credentials(sock)
    except OSError:
        peer_pid = None
    try:
        sock.sendall(encode_request(PING, request_id="probe"))
        data = b""
        while b"\n" not in data and len(data) < MAX_REPLY:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        reply = decode_reply(data.split(b"\n", 1)[0])
    except (OSError, ProtocolError):
        return peer_pid
    pid = reply.result.get("pid") if reply.ok and reply.result else None
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else peer_pid


def _bind(path: Path, backlog: int) -> socket.socket:
    """A listening socket at ``path`` that only its owner can ever connect to.

    ``backlog`` is the connection cap: a burst of that many clients waits in the
    kernel's queue instead of being turned away with EAGAIN.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _UMASK_LOCK:
            old = os.umask(0o177)  # the socket is born 0600: no moment open to others
            try:
                sock.bind(str(path))
            finally:
                os.umask(old)
        os.chmod(path, 0o600)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
