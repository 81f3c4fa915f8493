"""The local control channel between the ``breakd`` CLI and the running daemon.

A private Unix socket (a per-user named pipe on Windows) carrying one JSON object per
line; see :mod:`breakd.control.protocol` for the wire format. The daemon runs a
:class:`ControlServer`; the CLI calls :func:`request`.

Layout: ``protocol`` (the wire format), ``paths`` (where the channel lives), ``errors``,
``dispatch`` (request line to reply line, shared by both servers), ``client`` (request
and retries), one transport module per platform and side (``unix``/``unix_server``,
``windows``/``windows_server``), picked once by ``transport`` (client) and ``server``.
Every name is loaded only when asked for, so the CLI never imports server code.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing is not loaded either: see _HOMES
if TYPE_CHECKING:
    from typing import Any

    from breakd.control.client import ControlError, DaemonNotRunning, ping, request
    from breakd.control.errors import AlreadyRunning, CommandError
    from breakd.control.paths import UnsafeDirectory, control_address, socket_path
    from breakd.control.protocol import PROTOCOL_VERSION, ProtocolError, Request
    from breakd.control.server import ControlServer

#: Where each name of the package lives. Nothing is loaded until it is asked for: every
#: ``breakd status`` passes through this package, and should pay only for the client.
_HOMES = {
    "ControlError": "client",
    "DaemonNotRunning": "client",
    "ping": "client",
    "request": "client",
    "AlreadyRunning": "errors",
    "CommandError": "errors",
    "UnsafeDirectory": "paths",
    "control_address": "paths",
    "socket_path": "paths",
    "PROTOCOL_VERSION": "protocol",
    "ProtocolError": "protocol",
    "Request": "protocol",
    "ControlServer": "server",
}


def __getattr__(name: str) -> Any:
    """Load the module that defines ``name`` on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
