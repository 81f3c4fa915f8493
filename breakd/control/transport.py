"""The client's transport for this platform, picked here once.

Each platform's module offers ``connect(address, timeout)`` and ``client_address()``
with the same meaning (see :mod:`breakd.control.unix` and
:mod:`breakd.control.windows`). The server's side is picked the same way in
:mod:`breakd.control.server`; the two are kept apart so the CLI never loads server code.
"""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from breakd.control.windows import client_address, connect
else:
    from breakd.control.unix import client_address, connect

__all__ = ["client_address", "connect"]
