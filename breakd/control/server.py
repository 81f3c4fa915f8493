"""The daemon's end of the control channel, for this platform, picked here once.

A Unix socket served by one selectors thread (:mod:`breakd.control.unix_server`), or
a named pipe on Windows (:mod:`breakd.control.windows_server`); both take the same
arguments and behave the same (:class:`breakd.control.dispatch.ServerBase`).
"""

from __future__ import annotations

import sys

from breakd.control.errors import AlreadyRunning, CommandError

if sys.platform == "win32":
    from breakd.control.windows_server import PipeControlServer as ControlServer
else:
    from breakd.control.unix_server import UnixControlServer as ControlServer

__all__ = ["AlreadyRunning", "CommandError", "ControlServer"]
