"""The control channel's Unix socket as the client sees it, and who is at the other end.

Both ends ask the kernel who the peer is (not the peer itself): the server refuses a
client of another uid, and the client refuses to send its commands to (or believe the
answers of) a server run by another uid.

- Linux: ``SO_PEERCRED`` gives ``struct ucred { pid_t pid; uid_t uid; gid_t gid; }``.
- macOS and the BSDs: ``getpeereid(int s, uid_t *euid, gid_t *egid)`` from libc
  (``uid_t``/``gid_t`` are 32-bit unsigned there), returning 0 or -1 with ``errno``;
  macOS also tells the pid with ``getsockopt(SOL_LOCAL, LOCAL_PEERPID)``.

The server's side is in :mod:`breakd.control.unix_server`, which the CLI never loads.
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if sys.platform == "win32":  # lets `mypy --platform win32` skip this module
    raise ImportError("breakd.control.unix is for Unix; Windows uses breakd.control.windows")

from breakd.control.errors import NOT_YOURS, ControlError
from breakd.control.paths import describe_uid, find_socket
from breakd.i18n import _

# struct ucred from SO_PEERCRED: pid_t, uid_t, gid_t (uid and gid are unsigned).
_UCRED = struct.Struct("iII")
# macOS <sys/un.h>: SOL_LOCAL and LOCAL_PEERPID.
_SOL_LOCAL, _LOCAL_PEERPID = 0, 0x002

GetPeerEid = Callable[[int], int]


@functools.cache
def _getpeereid() -> GetPeerEid | None:
    """libc's getpeereid as a function of the socket's fd, or None where libc lacks it.

    Only where SO_PEERCRED is missing; ctypes is imported here, not at the top, because
    ``ctypes.util`` pulls in subprocess and would slow every CLI command on Linux.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function: Any = libc.getpeereid
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_uint32),
        ctypes.POINTER(ctypes.c_uint32),
    ]
    function.restype = ctypes.c_int

    def getpeereid(fd: int) -> int:
        uid, gid = ctypes.c_uint32(), ctypes.c_uint32()
        if function(fd, ctypes.byref(uid), ctypes.byref(gid)) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        return int(uid.value)

    return getpeereid


def peer_credentials(sock: socket.socket) -> tuple[int | None, int | None]:
    """The peer process's (pid, effective uid); None for what this OS cannot say.

    Raises OSError when the OS could say but failed (the peer is already gone, ...).
    """
    so_peercred = getattr(socket, "SO_PEERCRED", None)
    if so_peercred is not None:
        raw = sock.getsockopt(socket.SOL_SOCKET, so_peercred, _UCRED.size)
        linux_pid, linux_uid, _gid = _UCRED.unpack(raw)
        return (linux_pid if linux_pid > 0 else None), linux_uid
    getpeereid = _getpeereid()
    uid = getpeereid(sock.fileno()) if getpeereid is not None else None
    pid: int | None = None
    if sys.platform == "darwin":
        try:
            pid = sock.getsockopt(_SOL_LOCAL, _LOCAL_PEERPID)
        except OSError:
            pid = None
    return pid, uid


class UnixStream:
    """A connected client socket, as the byte stream the client reads its reply from."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def sendall(self, data: bytes, /) -> None:
        self._sock.sendall(data)

    def recv_some(self, timeout: float) -> bytes:
        """Up to 64 KiB as soon as some arrives; b"" once the daemon closed."""
        self._sock.settimeout(max(timeout, 0.001))
        return self._sock.recv(65536)

    def close(self) -> None:
        self._sock.close()


def client_address() -> tuple[Path, tuple[str, ...]]:
    """The socket to try, and the folders passed over on the way (see find_socket)."""
    return find_socket()


def connect(address: Path | str, timeout: float) -> UnixStream:
    """Connect to the daemon's socket, and make sure the daemon is the user's own.

    Raises FileNotFoundError or ConnectionRefusedError when nobody listens there,
    BlockingIOError when its listen queue is full, ControlError("not-yours") when the
    listener is another user's, TimeoutError or another OSError otherwise.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(address))
        _check_server(sock, address)
    except BaseException:
        sock.close()
        raise
    return UnixStream(sock)


def _check_server(sock: socket.socket, address: Path | str) -> None:
    """Refuse a server run by another user: it must not get our commands or answer them."""
    _pid, uid = peer_credentials(sock)
    if uid is not None and uid != os.geteuid():
        raise ControlError(
            NOT_YOURS,
            _(
                "refusing to talk to {address}: the process listening there is run by"
                " {owner}, not by you (uid {uid}); it is not your breakd"
            ).format(address=address, owner=describe_uid(uid), uid=os.geteuid()),
        )
