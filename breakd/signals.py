"""The signals that stop breakd, and how the log names them.

Each one stops breakd cleanly, through the daemon's own stop: the open sitting stretch
is closed as a shutdown, the history committed, and "breakd stopped" logged. SIGHUP is
among them because closing the terminal breakd was started from sends it, and that must
not kill breakd without a word in the log. (Started with ``breakd start``, breakd has a
session of its own and no terminal to lose.)
"""

from __future__ import annotations

import signal

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


def signal_reason(signum: int) -> str:
    """What the log says about a stop signal, e.g. "SIGHUP received"."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return f"{name} received"
