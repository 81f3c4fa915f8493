r"""The control channel on Windows: a byte-mode named pipe only the current user can open.

``\\.\pipe\breakd-<user>`` is created with a security descriptor whose DACL grants
access to the current user's SID alone (``D:P(A;;GA;;;<sid>)``: protected, nothing
inherited) and with PIPE_REJECT_REMOTE_CLIENTS. The first instance is created with
FILE_FLAG_FIRST_PIPE_INSTANCE, which fails if the name exists: that is what keeps the
daemon single here, as the lock file does on Unix. A new listening instance is created
before a connected one is handed off, so the name never lapses while breakd runs.

Each connection is served on its own thread with the same Dispatcher as the Unix server.
Reads poll PeekNamedPipe, so no thread ever sits in a ReadFile it cannot leave: idle
connections are dropped and stop() is prompt. Everything that needs Windows sits under
``sys.platform == "win32"`` so the module imports (and type-checks) on any system.
Windows API references: CreateNamedPipeW, ConnectNamedPipe, PeekNamedPipe, ReadFile,
WriteFile, CreateFileW, WaitNamedPipeW, GetNamedPipeClientProcessId,
ConvertStringSecurityDescriptorToSecurityDescriptorW, GetTokenInformation(TokenUser).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

#: How often a waiting reader looks for data.
POLL_INTERVAL = 0.02

if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes
    from typing import Any

    from breakd.control.protocol import (
        TIMEOUT,
        LineSplitter,
        ProtocolError,
        encode_error,
        encode_protocol_error,
    )
    from breakd.control.server import AlreadyRunning, Dispatcher

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)

    _INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value
    _PIPE_ACCESS_DUPLEX = 0x00000003
    _FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000
    _PIPE_TYPE_BYTE = 0x00000000
    _PIPE_READMODE_BYTE = 0x00000000
    _PIPE_WAIT = 0x00000000
    _PIPE_REJECT_REMOTE_CLIENTS = 0x00000008
    _PIPE_UNLIMITED_INSTANCES = 255
    _BUFFER_SIZE = 65536
    _GENERIC_READ = 0x80000000
    _GENERIC_WRITE = 0x40000000
    _OPEN_EXISTING = 3
    _SECURITY_SQOS_PRESENT = 0x00100000
    _SECURITY_IDENTIFICATION = 0x00010000  # SecurityIdentification << 16
    _TOKEN_QUERY = 0x0008
    _TOKEN_USER = 1  # TOKEN_INFORMATION_CLASS.TokenUser
    _SDDL_REVISION_1 = 1

    _ERROR_FILE_NOT_FOUND = 2
    _ERROR_ACCESS_DENIED = 5
    _ERROR_BROKEN_PIPE = 109
    _ERROR_SEM_TIMEOUT = 121
    _ERROR_PIPE_BUSY = 231
    _ERROR_NO_DATA = 232
    _ERROR_PIPE_NOT_CONNECTED = 233
    _ERROR_PIPE_CONNECTED = 535
    _PIPE_GONE = (_ERROR_BROKEN_PIPE, _ERROR_NO_DATA, _ERROR_PIPE_NOT_CONNECTED)

    class _SecurityAttributes(ctypes.Structure):
        _fields_ = [
            ("nLength", wintypes.DWORD),
            ("lpSecurityDescriptor", wintypes.LPVOID),
            ("bInheritHandle", wintypes.BOOL),
        ]

    class _SidAndAttributes(ctypes.Structure):  # TOKEN_USER is exactly one of these
        _fields_ = [("Sid", wintypes.LPVOID), ("Attributes", wintypes.DWORD)]

    def _bind(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
        function = getattr(dll, name)
        function.restype = restype
        function.argtypes = list(argtypes)
        return function

    _LPDWORD = ctypes.POINTER(wintypes.DWORD)
    _CreateNamedPipeW = _bind(
        _kernel32, "CreateNamedPipeW", wintypes.HANDLE,
        wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
        wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, ctypes.POINTER(_SecurityAttributes),
    )  # fmt: skip
    _ConnectNamedPipe = _bind(
        _kernel32, "ConnectNamedPipe", wintypes.BOOL, wintypes.HANDLE, wintypes.LPVOID
    )
    _DisconnectNamedPipe = _bind(_kernel32, "DisconnectNamedPipe", wintypes.BOOL, wintypes.HANDLE)
    _CloseHandle = _bind(_kernel32, "CloseHandle", wintypes.BOOL, wintypes.HANDLE)
    _ReadFile = _bind(
        _kernel32, "ReadFile", wintypes.BOOL,
        wintypes.HANDLE, wintypes.LPVOID, wintypes.DWORD, _LPDWORD, wintypes.LPVOID,
    )  # fmt: skip
    _WriteFile = _bind(
        _kernel32, "WriteFile", wintypes.BOOL,
        wintypes.HANDLE, wintypes.LPCVOID, wintypes.DWORD, _LPDWORD, wintypes.LPVOID,
    )  # fmt: skip
    _PeekNamedPipe = _bind(
        _kernel32, "PeekNamedPipe", wintypes.BOOL,
        wintypes.HANDLE, wintypes.LPVOID, wintypes.DWORD, _LPDWORD, _LPDWORD, _LPDWORD,
    )  # fmt: skip
    _CreateFileW = _bind(
        _kernel32, "CreateFileW", wintypes.HANDLE,
        wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID,
        wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE,
    )  # fmt: skip
    _WaitNamedPipeW = _bind(
        _kernel32, "WaitNamedPipeW", wintypes.BOOL, wintypes.LPCWSTR, wintypes.DWORD
    )
    _GetNamedPipeClientProcessId = _bind(
        _kernel32, "GetNamedPipeClientProcessId", wintypes.BOOL,
        wintypes.HANDLE, ctypes.POINTER(wintypes.ULONG),
    )  # fmt: skip
    _GetCurrentProcess = _bind(_kernel32, "GetCurrentProcess", wintypes.HANDLE)
    _LocalFree = _bind(_kernel32, "LocalFree", wintypes.LPVOID, wintypes.LPVOID)
    _OpenProcessToken = _bind(
        _advapi32, "OpenProcessToken", wintypes.BOOL,
        wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE),
    )  # fmt: skip
    _GetTokenInformation = _bind(
        _advapi32, "GetTokenInformation", wintypes.BOOL,
        wintypes.HANDLE, wintypes.DWORD, wintypes.LPVOID, wintypes.DWORD, _LPDWORD,
    )  # fmt: skip
    _ConvertSidToStringSidW = _bind(
        _advapi32, "ConvertSidToStringSidW", wintypes.BOOL,
        wintypes.LPVOID, ctypes.POINTER(wintypes.LPWSTR),
    )  # fmt: skip
    _ConvertStringSecurityDescriptorToSecurityDescriptorW = _bind(
        _advapi32, "ConvertStringSecurityDescriptorToSecurityDescriptorW", wintypes.BOOL,
        wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(wintypes.LPVOID),
        ctypes.POINTER(wintypes.ULONG),
    )  # fmt: skip

    def _error(code: int | None = None) -> OSError:
        return ctypes.WinError(ctypes.get_last_error() if code is None else code)

    def current_user_sid() -> str:
        """The string SID (S-1-5-21-...) of the user this process runs as."""
        token = wintypes.HANDLE()
        if not _OpenProcessToken(_GetCurrentProcess(), _TOKEN_QUERY, ctypes.byref(token)):
            raise _error()
        try:
            size = wintypes.DWORD(0)
            # The first call only reports the size it needs (and fails doing so).
            _GetTokenInformation(token, _TOKEN_USER, None, 0, ctypes.byref(size))
            if size.value == 0:
                raise _error()
            buffer = ctypes.create_string_buffer(size.value)
            if not _GetTokenInformation(token, _TOKEN_USER, buffer, size, ctypes.byref(size)):
                raise _error()
            user = _SidAndAttributes.from_buffer(buffer)
            text = wintypes.LPWSTR()
            if not _ConvertSidToStringSidW(user.Sid, ctypes.byref(text)):
                raise _error()
            try:
                return str(text.value)
            finally:
                _LocalFree(ctypes.cast(text, wintypes.LPVOID))
        finally:
            _CloseHandle(token)

    class PipeStream:
        """One end of a connected pipe instance, as a byte stream."""

        def __init__(self, handle: int) -> None:
            self._handle: int | None = handle

        @property
        def handle(self) -> int:
            if self._handle is None:
                raise OSError(errno.EBADF, "the pipe is closed")
            return self._handle

        def read_available(self) -> bytes | None:
            """Whatever has arrived (b"" if nothing yet), or None once the peer is gone."""
            available = wintypes.DWORD(0)
            if not _PeekNamedPipe(self.handle, None, 0, None, ctypes.byref(available), None):
                code = ctypes.get_last_error()
                if code in _PIPE_GONE:
                    return None
                raise _error(code)
            if available.value == 0:
                return b""
            size = min(available.value, _BUFFER_SIZE)
            buffer = ctypes.create_string_buffer(size)
            done = wintypes.DWORD(0)
            if not _ReadFile(self.handle, buffer, size, ctypes.byref(done), None):
                code = ctypes.get_last_error()
                if code in _PIPE_GONE:
                    return None
                raise _error(code)
            return buffer.raw[: done.value]

        def recv_some(self, timeout: float) -> bytes:
            """Wait up to ``timeout`` for data; b"" means the other end closed."""
            deadline = time.monotonic() + timeout
            while True:
                data = self.read_available()
                if data is None:
                    return b""
                if data:
                    return data
                if time.monotonic() >= deadline:
                    raise TimeoutError("no data on the pipe")
                time.sleep(POLL_INTERVAL)

        def sendall(self, data: bytes, /) -> None:
            view = memoryview(data)
            while view:
                done = wintypes.DWORD(0)
                chunk = bytes(view[:_BUFFER_SIZE])
                if not _WriteFile(self.handle, chunk, len(chunk), ctypes.byref(done), None):
                    code = ctypes.get_last_error()
                    if code in _PIPE_GONE:
                        raise BrokenPipeError(errno.EPIPE, "the other end closed the pipe")
                    raise _error(code)
                view = view[done.value :]

        def client_pid(self) -> int | None:
            pid = wintypes.ULONG(0)
            if _GetNamedPipeClientProcessId(self.handle, ctypes.byref(pid)):
                return int(pid.value)
            return None

        def close(self) -> None:
            # CloseHandle (not DisconnectNamedPipe) so a reply not yet read stays readable.
            if self._handle is not None:
                _CloseHandle(self._handle)
                self._handle = None

    def connect(name: str, timeout: float) -> PipeStream:
        """Open the daemon's pipe; FileNotFoundError if there is none, TimeoutError if busy."""
        deadline = time.monotonic() + timeout
        while True:
            handle = _CreateFileW(
                name,
                _GENERIC_READ | _GENERIC_WRITE,
                0,
                None,
                _OPEN_EXISTING,
                # Identification level only: the daemon may learn who we are, never act as us.
                _SECURITY_SQOS_PRESENT | _SECURITY_IDENTIFICATION,
                None,
            )
            if handle is not None and handle != _INVALID_HANDLE_VALUE:
                return PipeStream(int(handle))
            code = ctypes.get_last_error()
            if code == _ERROR_FILE_NOT_FOUND:
                raise FileNotFoundError(errno.ENOENT, "breakd's pipe does not exist", name)
            if code != _ERROR_PIPE_BUSY:
                raise _error(code)
            remaining = int((deadline - time.monotonic()) * 1000)
            if remaining <= 0:
                raise TimeoutError(f"{name} stayed busy")
            if not _WaitNamedPipeW(name, remaining):
                code = ctypes.get_last_error()
                if code == _ERROR_FILE_NOT_FOUND:
                    raise FileNotFoundError(errno.ENOENT, "breakd's pipe does not exist", name)
                if code == _ERROR_SEM_TIMEOUT:
                    raise TimeoutError(f"{name} stayed busy")

    class PipeServer:
        """Accepts pipe clients on one thread and serves each on its own."""

        def __init__(
            self,
            name: str,
            dispatcher: Dispatcher,
            *,
            handler_timeout: float,
            idle_timeout: float,
            max_connections: int,
        ) -> None:
            self.name = name
            self.dispatcher = dispatcher
            self.handler_timeout = handler_timeout
            self.idle_timeout = idle_timeout
            self.max_connections = max_connections
            self._stopping = threading.Event()
            self._thread: threading.Thread | None = None
            self._descriptor = wintypes.LPVOID()
            self._attributes: _SecurityAttributes | None = None
            self._open = 0
            self._open_lock = threading.Lock()

        def start(self) -> None:
            sddl = f"D:P(A;;GA;;;{current_user_sid()})"
            if not _ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl, _SDDL_REVISION_1, ctypes.byref(self._descriptor), None
            ):
                raise _error()
            self._attributes = _SecurityAttributes(
                ctypes.sizeof(_SecurityAttributes), self._descriptor, False
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

        def stop(self) -> None:
            self._stopping.set()
            with contextlib.suppress(OSError):  # wake the accept loop out of ConnectNamedPipe
                connect(self.name, 1.0).close()
            if self._thread is not None:
                self._thread.join(5.0)
                self._thread = None
            self._free_descriptor()

        def _free_descriptor(self) -> None:
            if self._descriptor.value:
                _LocalFree(self._descriptor)
                self._descriptor = wintypes.LPVOID()

        def _create(self, *, first: bool) -> int:
            mode = _PIPE_ACCESS_DUPLEX | (_FILE_FLAG_FIRST_PIPE_INSTANCE if first else 0)
            handle = _CreateNamedPipeW(
                self.name,
                mode,
                _PIPE_TYPE_BYTE | _PIPE_READMODE_BYTE | _PIPE_WAIT | _PIPE_REJECT_REMOTE_CLIENTS,
                _PIPE_UNLIMITED_INSTANCES,
                _BUFFER_SIZE,
                _BUFFER_SIZE,
                0,
                ctypes.byref(self._attributes) if self._attributes is not None else None,
            )
            if handle is not None and handle != _INVALID_HANDLE_VALUE:
                return int(handle)
            code = ctypes.get_last_error()
            if first and code == _ERROR_ACCESS_DENIED:  # the name exists: someone serves it
                from breakd.control.client import ping

                raise AlreadyRunning(ping(path=self.name), self.name)
            raise _error(code)

        def _accept_loop(self, handle: int | None) -> None:
            while not self._stopping.is_set():
                if handle is None:
                    try:
                        handle = self._create(first=False)
                    except OSError:
                        log.exception("cannot create a control pipe instance; retrying")
                        time.sleep(0.5)
                        continue
                connected = _ConnectNamedPipe(handle, None)
                code = 0 if connected else ctypes.get_last_error()
                if self._stopping.is_set():
                    _CloseHandle(handle)
                    return
                if not connected and code != _ERROR_PIPE_CONNECTED:
                    # ERROR_NO_DATA: the client came and went. Disconnecting makes the
                    # instance ready for the next client, and the name never lapses.
                    if not _DisconnectNamedPipe(handle):
                        _CloseHandle(handle)
                        handle = None
                    continue
                stream = PipeStream(handle)
                try:  # the next listening instance exists before this one is handed off
                    handle = self._create(first=False)
                except OSError:
                    log.exception("cannot create a control pipe instance")
                    handle = None
                self._hand_off(stream)
            if handle is not None:
                _CloseHandle(handle)

        def _hand_off(self, stream: PipeStream) -> None:
            with self._open_lock:
                full = self._open >= self.max_connections
                if not full:
                    self._open += 1
            if full:
                log.warning("refused a control connection: %d already open", self._open)
                with contextlib.suppress(OSError):
                    stream.sendall(encode_error(None, "busy", "breakd has too many connections"))
                stream.close()
                return
            threading.Thread(
                target=self._serve, args=(stream,), name="breakd-control-pipe", daemon=True
            ).start()

        def _serve(self, stream: PipeStream) -> None:
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

        def _serve_lines(self, stream: PipeStream, peer_pid: int | None) -> None:
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
                    time.sleep(POLL_INTERVAL)
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
            outcome = self.dispatcher.triage(line, peer_pid)
            if isinstance(outcome, bytes):
                return outcome
            replies: list[bytes] = []
            done = threading.Event()

            def deliver(reply: bytes) -> None:
                replies.append(reply)
                done.set()

            refused = self.dispatcher.call(outcome, deliver)
            if refused is not None:
                return refused
            if done.wait(self.handler_timeout):
                return replies[0]
            return encode_error(
                outcome.id, TIMEOUT, f"breakd did not answer within {self.handler_timeout:g} s"
            )
