r"""The daemon's end of the control channel on Windows: a named pipe only its user opens.

``\\.\pipe\breakd-<user>`` is created with a security descriptor whose DACL grants
access to the current user's SID alone (``D:P(A;;GA;;;<sid>)``: protected, nothing
inherited) and with PIPE_REJECT_REMOTE_CLIENTS. The first instance is created with
FILE_FLAG_FIRST_PIPE_INSTANCE, which fails if the name exists: that is what keeps the
daemon single here, as the lock file does on Unix. A new listening instance is created
before a connected one is handed off, so the name never lapses while breakd runs.

Each connection is served on its own thread with the same Dispatcher as the Unix server;
reads poll PeekNamedPipe (see :mod:`breakd.control.windows`), so idle connections are
dropped and stop() is prompt.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
import threading
import time
from collections.abc import Collection
from pathlib import Path

if sys.platform != "win32":  # lets mypy on other systems skip this module
    raise ImportError("breakd.control.windows_server is for Windows")

from ctypes import wintypes

from breakd.control import windows as win32
from breakd.control.client import ping
from breakd.control.dispatch import TOO_MANY_CONNECTIONS, Handler, ServerBase
from breakd.control.errors import AlreadyRunning
from breakd.control.protocol import (
    BUSY,
    LineSplitter,
    ProtocolError,
    encode_error,
    encode_protocol_error,
)
from breakd.i18n import _

log = logging.getLogger(__name__)


class PipeControlServer(ServerBase):
    """Accepts pipe clients on one thread and serves each on its own; see ServerBase."""

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
        self.name = str(socket_path)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._descriptor = wintypes.LPVOID()
        self._attributes: win32.SecurityAttributes | None = None
        self._open = 0
        self._open_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the control server is already started")
        self._stopping.clear()
        sddl = f"D:P(A;;GA;;;{win32.current_user_sid()})"
        if not win32.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl, win32.SDDL_REVISION_1, ctypes.byref(self._descriptor), None
        ):
            raise win32.last_error()
        self._attributes = win32.SecurityAttributes(
            ctypes.sizeof(win32.SecurityAttributes), self._descriptor, False
        )
        try:
            first = self._create(first=True)
        except BaseException:
            self._free_descriptor()
            raise
        self._thread = threading.Thread(
            target=self._accept_loop, args=(first,), name="breakd-control", daemon=True
        )
        self._thread.start()
        log.info("control channel listening on %s", self.name)

    def stop(self, grace: float = 1.0) -> None:
        """Stop accepting; connections end at their next poll (``grace`` is not needed)."""
        if self._thread is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):  # wake the accept loop out of ConnectNamedPipe
            win32.connect(self.name, 1.0).close()
        self._thread.join(5.0)
        self._thread = None
        self._free_descriptor()

    def _free_descriptor(self) -> None:
        if self._descriptor.value:
            win32.LocalFree(self._descriptor)
            self._descriptor = wintypes.LPVOID()

    def _create(self, *, first: bool) -> int:
        """A new listening instance of the pipe; AlreadyRunning if the first one exists."""
        mode = win32.PIPE_ACCESS_DUPLEX | (win32.FILE_FLAG_FIRST_PIPE_INSTANCE if first else 0)
        handle = win32.CreateNamedPipeW(
            self.name,
            mode,
            win32.PIPE_TYPE_BYTE
            | win32.PIPE_READMODE_BYTE
            | win32.PIPE_WAIT
            | win32.PIPE_REJECT_REMOTE_CLIENTS,
            win32.PIPE_UNLIMITED_INSTANCES,
            win32.BUFFER_SIZE,
            win32.BUFFER_SIZE,
            0,
            ctypes.byref(self._attributes) if self._attributes is not None else None,
        )
        if handle is not None and handle != win32.INVALID_HANDLE_VALUE:
            return handle
        code = ctypes.get_last_error()
        if first and code == win32.ERROR_ACCESS_DENIED:  # the name exists: someone serves it
            raise AlreadyRunning(ping(path=self.name), self.name)
        raise win32.last_error(code)

    def _accept_loop(self, handle: int | None) -> None:
        while not self._stopping.is_set():
            if handle is None:
                try:
                    handle = self._create(first=False)
                except OSError:
                    log.exception("cannot create a control pipe instance; retrying")
                    time.sleep(0.5)
                    continue
            connected = win32.ConnectNamedPipe(handle, None)
            code = 0 if connected else ctypes.get_last_error()
            if self._stopping.is_set():
                win32.CloseHandle(handle)
                return
            if not connected and code != win32.ERROR_PIPE_CONNECTED:
                # ERROR_NO_DATA: the client came and went. Disconnecting makes the
                # instance ready for the next client, and the name never lapses.
                if not win32.DisconnectNamedPipe(handle):
                    win32.CloseHandle(handle)
                    handle = None
                continue
            stream = win32.PipeStream(handle)
            try:  # the next listening instance exists before this one is handed off
                handle = self._create(first=False)
            except OSError:
                log.exception("cannot create a control pipe instance")
                handle = None
            self._hand_off(stream)
        if handle is not None:
            win32.CloseHandle(handle)

    def _hand_off(self, stream: win32.PipeStream) -> None:
        with self._open_lock:
            full = self._open >= self.max_connections
            if not full:
                self._open += 1
        if full:
            log.warning("refused a control connection: %d already open", self._open)
            with contextlib.suppress(OSError):
                stream.sendall(encode_error(None, BUSY, _(TOO_MANY_CONNECTIONS)))
            stream.close()
            return
        threading.Thread(
            target=self._serve, args=(stream,), name="breakd-control-pipe", daemon=True
        ).start()

    def _serve(self, stream: win32.PipeStream) -> None:
        try:
            self._serve_lines(stream, stream.client_pid())
        except OSError as error:
            log.debug("control pipe connection ended: %s", error)
        except Exception:
            log.exception("control pipe connection failed")
        finally:
            stream.close()
            with self._open_lock:
                self._open -= 1

    def _serve_lines(self, stream: win32.PipeStream, peer_pid: int | None) -> None:
        splitter = LineSplitter()
        last_active = time.monotonic()
        while not self._stopping.is_set():
            data = stream.read_available()
            if data is None:  # the client closed; answer an unterminated last line
                rest = splitter.rest()
                if rest:
                    stream.sendall(self._answer(rest, peer_pid))
                return
            if not data:
                if time.monotonic() - last_active > self.idle_timeout:
                    return
                time.sleep(win32.POLL_INTERVAL)
                continue
            last_active = time.monotonic()
            splitter.feed(data)
            while True:
                try:
                    line = splitter.next_line()
                except ProtocolError as error:  # too large: answer, then hang up
                    stream.sendall(encode_protocol_error(error))
                    return
                if line is None:
                    break
                stream.sendall(self._answer(line, peer_pid))
                last_active = time.monotonic()

    def _answer(self, line: bytes, peer_pid: int | None) -> bytes:
        return self._dispatcher.reply_within(line, peer_pid, self.handler_timeout)
