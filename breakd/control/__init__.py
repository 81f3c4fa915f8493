"""The local control channel between the ``breakd`` CLI and the running daemon.

A private Unix socket (a per-user named pipe on Windows) carrying one JSON object per
line; see :mod:`breakd.control.protocol` for the wire format. The daemon runs a
:class:`ControlServer`; the CLI calls :func:`request`.
"""

from breakd.control.client import ControlError, DaemonNotRunning, ping, request
from breakd.control.paths import UnsafeDirectory, control_address, socket_path
from breakd.control.protocol import PROTOCOL_VERSION, ProtocolError, Request
from breakd.control.server import AlreadyRunning, CommandError, ControlServer

__all__ = [
    "PROTOCOL_VERSION",
    "AlreadyRunning",
    "CommandError",
    "ControlError",
    "ControlServer",
    "DaemonNotRunning",
    "ProtocolError",
    "Request",
    "UnsafeDirectory",
    "control_address",
    "ping",
    "request",
    "socket_path",
]
