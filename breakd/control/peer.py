"""Who is at the other end of a Unix socket, as the kernel tells it (not as it claims).

Both ends ask: the server refuses a client of another uid, and the client refuses to
send its commands to (or believe the answers of) a server run by another uid.

- Linux: ``SO_PEERCRED`` gives ``struct ucred { pid_t pid; uid_t uid; gid_t gid; }``.
- macOS and the BSDs: ``getpeereid(int s, uid_t *euid, gid_t *egid)`` from libc
  (``uid_t``/``gid_t`` are 32-bit unsigned there), returning 0 or -1 with ``errno``;
  macOS also tells the pid with ``getsockopt(SOL_LOCAL, LOCAL_PEERPID)``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

# struct ucred from SO_PEERCRED: pid_t, uid_t, gid_t (uid and gid are unsigned).
_UCRED = struct.Struct("iII")
# macOS <sys/un.h>: SOL_LOCAL and LOCAL_PEERPID.
_SOL_LOCAL, _LOCAL_PEERPID = 0, 0x002

GetPeerEid = Callable[[int], int]


@functools.cache
def _getpeereid() -> GetPeerEid | None:
    """libc's getpeereid as a function of the socket's fd, or None where libc lacks it."""
    if sys.platform == "win32":
        return None
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
