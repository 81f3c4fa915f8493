r"""The control channel's named pipe on Windows: the Win32 calls, and the client's end.

The daemon serves ``\\.\pipe\breakd-<user>`` (:mod:`breakd.control.windows_server`);
the client opens it with CreateFileW at identification level only, so the daemon may
learn who the client is but never act as the client. Reads poll PeekNamedPipe, so no
thread ever sits in a ReadFile it cannot leave.

The functions are bound with their documented signatures (argtypes and restype), and
each binding is annotated with the Python types it takes and gives, so
``mypy --platform win32`` checks every call; this module is never imported elsewhere,
and ``mypy`` on other systems skips it. Windows API references: CreateNamedPipeW,
ConnectNamedPipe, DisconnectNamedPipe, PeekNamedPipe, ReadFile, WriteFile, CreateFileW,
WaitNamedPipeW, GetNamedPipeClientProcessId, OpenProcessToken,
GetTokenInformation(TokenUser), ConvertSidToStringSidW,
ConvertStringSecurityDescriptorToSecurityDescriptorW, LocalFree, CloseHandle.
"""

from __future__ import annotations

import ctypes
import errno
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if sys.platform != "win32":  # lets mypy on other systems skip this module
    raise ImportError("breakd.control.windows is for Windows; Unix uses breakd.control.unix")

from ctypes import wintypes

from breakd.control.paths import pipe_name

#: How often a waiting reader looks for data.
POLL_INTERVAL = 0.02
#: Bytes read or written per call, and the pipe's buffer sizes.
BUFFER_SIZE = 65536

# Constants from <winbase.h>, <winnt.h>, <sddl.h> and <winerror.h>.
INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value
PIPE_ACCESS_DUPLEX = 0x00000003
FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000
PIPE_TYPE_BYTE = 0x00000000
PIPE_READMODE_BYTE = 0x00000000
PIPE_WAIT = 0x00000000
PIPE_REJECT_REMOTE_CLIENTS = 0x00000008
PIPE_UNLIMITED_INSTANCES = 255
GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
OPEN_EXISTING = 3
SECURITY_SQOS_PRESENT = 0x00100000
SECURITY_IDENTIFICATION = 0x00010000  # SecurityIdentification << 16
TOKEN_QUERY = 0x0008
TOKEN_USER = 1  # TOKEN_INFORMATION_CLASS.TokenUser
SDDL_REVISION_1 = 1

ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_BROKEN_PIPE = 109
ERROR_SEM_TIMEOUT = 121
ERROR_PIPE_BUSY = 231
ERROR_NO_DATA = 232
ERROR_PIPE_NOT_CONNECTED = 233
ERROR_PIPE_CONNECTED = 535
#: The errors that mean the other end has closed its handle.
PIPE_GONE = (ERROR_BROKEN_PIPE, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED)


class SecurityAttributes(ctypes.Structure):
    """SECURITY_ATTRIBUTES: the pipe's security descriptor travels in this."""

    _fields_ = [
        ("nLength", wintypes.DWORD),
        ("lpSecurityDescriptor", wintypes.LPVOID),
        ("bInheritHandle", wintypes.BOOL),
    ]


class _SidAndAttributes(ctypes.Structure):  # TOKEN_USER is exactly one of these
    _fields_ = [("Sid", wintypes.LPVOID), ("Attributes", wintypes.DWORD)]


_kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
_advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)


def _bind(dll: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    """``dll.name`` with its C signature set; the caller annotates the Python one."""
    function = getattr(dll, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


# Python-side types of the bindings: a HANDLE or LPVOID result is an int or None (NULL),
# a BOOL an int; pointer arguments are byref(...) objects, buffers or None.
Handle = int | None
Pointer = object
_LPDWORD = ctypes.POINTER(wintypes.DWORD)

CreateNamedPipeW: Callable[[str, int, int, int, int, int, int, Pointer], Handle] = _bind(
    _kernel32, "CreateNamedPipeW", wintypes.HANDLE,
    wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
    wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, ctypes.POINTER(SecurityAttributes),
)  # fmt: skip
ConnectNamedPipe: Callable[[int, Pointer], int] = _bind(
    _kernel32, "ConnectNamedPipe", wintypes.BOOL, wintypes.HANDLE, wintypes.LPVOID
)
DisconnectNamedPipe: Callable[[int], int] = _bind(
    _kernel32, "DisconnectNamedPipe", wintypes.BOOL, wintypes.HANDLE
)
CloseHandle: Callable[[int], int] = _bind(_kernel32, "CloseHandle", wintypes.BOOL, wintypes.HANDLE)
ReadFile: Callable[[int, Pointer, int, Pointer, Pointer], int] = _bind(
    _kernel32, "ReadFile", wintypes.BOOL,
    wintypes.HANDLE, wintypes.LPVOID, wintypes.DWORD, _LPDWORD, wintypes.LPVOID,
)  # fmt: skip
WriteFile: Callable[[int, bytes, int, Pointer, Pointer], int] = _bind(
    _kernel32, "WriteFile", wintypes.BOOL,
    wintypes.HANDLE, wintypes.LPCVOID, wintypes.DWORD, _LPDWORD, wintypes.LPVOID,
)  # fmt: skip
PeekNamedPipe: Callable[[int, Pointer, int, Pointer, Pointer, Pointer], int] = _bind(
    _kernel32, "PeekNamedPipe", wintypes.BOOL,
    wintypes.HANDLE, wintypes.LPVOID, wintypes.DWORD, _LPDWORD, _LPDWORD, _LPDWORD,
)  # fmt: skip
CreateFileW: Callable[[str, int, int, Pointer, int, int, Handle], Handle] = _bind(
    _kernel32, "CreateFileW", wintypes.HANDLE,
    wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID,
    wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE,
)  # fmt: skip
WaitNamedPipeW: Callable[[str, int], int] = _bind(
    _kernel32, "WaitNamedPipeW", wintypes.BOOL, wintypes.LPCWSTR, wintypes.DWORD
)
GetNamedPipeClientProcessId: Callable[[int, Pointer], int] = _bind(
    _kernel32, "GetNamedPipeClientProcessId", wintypes.BOOL,
    wintypes.HANDLE, ctypes.POINTER(wintypes.ULONG),
)  # fmt: skip
GetCurrentProcess: Callable[[], Handle] = _bind(_kernel32, "GetCurrentProcess", wintypes.HANDLE)
LocalFree: Callable[[Pointer], Handle] = _bind(
    _kernel32, "LocalFree", wintypes.LPVOID, wintypes.LPVOID
)
OpenProcessToken: Callable[[Handle, int, Pointer], int] = _bind(
    _advapi32, "OpenProcessToken", wintypes.BOOL,
    wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE),
)  # fmt: skip
GetTokenInformation: Callable[[Pointer, int, Pointer, int, Pointer], int] = _bind(
    _advapi32, "GetTokenInformation", wintypes.BOOL,
    wintypes.HANDLE, wintypes.DWORD, wintypes.LPVOID, wintypes.DWORD, _LPDWORD,
)  # fmt: skip
ConvertSidToStringSidW: Callable[[Pointer, Pointer], int] = _bind(
    _advapi32, "ConvertSidToStringSidW", wintypes.BOOL,
    wintypes.LPVOID, ctypes.POINTER(wintypes.LPWSTR),
)  # fmt: skip
ConvertStringSecurityDescriptorToSecurityDescriptorW: Callable[
    [str, int, Pointer, Pointer], int
] = _bind(
    _advapi32, "ConvertStringSecurityDescriptorToSecurityDescriptorW", wintypes.BOOL,
    wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(wintypes.LPVOID),
    ctypes.POINTER(wintypes.ULONG),
)  # fmt: skip


def last_error(code: int | None = None) -> OSError:
    """The OSError for ``code``, or for the calling thread's last Win32 error."""
    return ctypes.WinError(ctypes.get_last_error() if code is None else code)


def current_user_sid() -> str:
    """The string SID (S-1-5-21-...) of the user this process runs as."""
    token = wintypes.HANDLE()
    if not OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
        raise last_error()
    try:
        size = wintypes.DWORD(0)
        # The first call only reports the size it needs (and fails doing so).
        GetTokenInformation(token, TOKEN_USER, None, 0, ctypes.byref(size))
        if size.value == 0:
            raise last_error()
        buffer = ctypes.create_string_buffer(size.value)
        if not GetTokenInformation(token, TOKEN_USER, buffer, size.value, ctypes.byref(size)):
            raise last_error()
        user = _SidAndAttributes.from_buffer(buffer)
        text = wintypes.LPWSTR()
        if not ConvertSidToStringSidW(user.Sid, ctypes.byref(text)):
            raise last_error()
        try:
            return str(text.value)
        finally:
            LocalFree(ctypes.cast(text, wintypes.LPVOID))
    finally:
        if token.value is not None:
            CloseHandle(token.value)


class PipeStream:
    """One end of a connected pipe instance, as a byte stream (either side uses it)."""

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
        if not PeekNamedPipe(self.handle, None, 0, None, ctypes.byref(available), None):
            code = ctypes.get_last_error()
            if code in PIPE_GONE:
                return None
            raise last_error(code)
        if available.value == 0:
            return b""
        size = min(available.value, BUFFER_SIZE)
        buffer = ctypes.create_string_buffer(size)
        done = wintypes.DWORD(0)
        if not ReadFile(self.handle, buffer, size, ctypes.byref(done), None):
            code = ctypes.get_last_error()
            if code in PIPE_GONE:
                return None
            raise last_error(code)
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
            chunk = bytes(view[:BUFFER_SIZE])
            if not WriteFile(self.handle, chunk, len(chunk), ctypes.byref(done), None):
                code = ctypes.get_last_error()
                if code in PIPE_GONE:
                    raise BrokenPipeError(errno.EPIPE, "the other end closed the pipe")
                raise last_error(code)
            view = view[done.value :]

    def client_pid(self) -> int | None:
        """The connected client's process id (server side), when Windows tells it."""
        pid = wintypes.ULONG(0)
        if GetNamedPipeClientProcessId(self.handle, ctypes.byref(pid)):
            return int(pid.value)
        return None

    def close(self) -> None:
        # CloseHandle (not DisconnectNamedPipe) so a reply not yet read stays readable.
        if self._handle is not None:
            CloseHandle(self._handle)
            self._handle = None


def client_address() -> tuple[str, tuple[str, ...]]:
    """The pipe to open; no folders are ever passed over on Windows."""
    return pipe_name(), ()


def connect(address: Path | str, timeout: float) -> PipeStream:
    """Open the daemon's pipe; FileNotFoundError if there is none, TimeoutError if busy."""
    name = str(address)
    deadline = time.monotonic() + timeout
    while True:
        handle = CreateFileW(
            name,
            GENERIC_READ | GENERIC_WRITE,
            0,
            None,
            OPEN_EXISTING,
            # Identification level only: the daemon may learn who we are, never act as us.
            SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
            None,
        )
        if handle is not None and handle != INVALID_HANDLE_VALUE:
            return PipeStream(handle)
        code = ctypes.get_last_error()
        if code == ERROR_FILE_NOT_FOUND:
            raise FileNotFoundError(errno.ENOENT, "breakd's pipe does not exist", name)
        if code != ERROR_PIPE_BUSY:
            raise last_error(code)
        remaining = int((deadline - time.monotonic()) * 1000)
        if remaining <= 0:
            raise TimeoutError(f"{name} stayed busy")
        if not WaitNamedPipeW(name, remaining):
            code = ctypes.get_last_error()
            if code == ERROR_FILE_NOT_FOUND:
                raise FileNotFoundError(errno.ENOENT, "breakd's pipe does not exist", name)
            if code == ERROR_SEM_TIMEOUT:
                raise TimeoutError(f"{name} stayed busy")
