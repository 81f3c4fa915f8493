"""The local control channel between the ``breakd`` CLI and the running daemon.

A private Unix socket (a per-user named pipe on Windows) carrying one JSON object per
line; see :mod:`breakd.control.protocol` for the wire format. The daemon runs a
:class:`ControlServer`; the CLI calls :func:`request`.

Layout: ``protocol`` (the wire format), ``paths`` (where the channel lives), ``errors``,
``dispatch`` (request line to reply line, shared by both servers), ``client`` (request
and retries), one transport module per platform and side (``unix``/``unix_server``,
``windows``/``windows_server``), picked once by ``transport`` (client) and ``server``.
``ControlServer`` is loaded only when asked for, so the CLI never imports server code.
"""

from typing import TYPE_CHECKING, Any

from breakd.control.client import ControlError, DaemonNotRunning, ping, request
from breakd.control.errors import AlreadyRunning, CommandError
from breakd.control.paths import UnsafeDirectory, control_address, socket_path
from breakd.control.protocol import PROTOCOL_VERSION, ProtocolError, Request

if TYPE_CHECKING:
    from breakd.control.server import ControlServer


def __getattr__(name: str) -> Any:
    """``ControlServer`` on first use: importing the package must stay cheap for the CLI."""
    if name == "ControlServer":
        from breakd.control.server import ControlServer

        return ControlServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
