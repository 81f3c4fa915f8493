"""The idle interface the daemon samples, whatever the desktop or OS underneath.

One small abstract class and one module per backend (``x11``, ``gnome``,
``freedesktop``, ``windows``, ``macos``, ``always_present``); ``select`` picks the one
that works here. Idle time is the OS's own "seconds since the last keyboard or pointer
input" counter: breakd never sees what was typed or where the pointer went.

Threading contract: the daemon creates a monitor, calls ``idle_seconds`` and ``close``
only from its owner thread, never concurrently, so backends need no locks. Each call
must return quickly: D-Bus calls carry a time limit (``CALL_TIMEOUT``), and a backend
that cannot answer raises ``IdleUnavailable`` instead of waiting.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from breakd.backends import BackendUnavailable

#: Longest a backend may wait for an answer (seconds), so a stuck service can delay the
#: daemon's loop by at most this much.
CALL_TIMEOUT = 1.0


class IdleUnavailable(BackendUnavailable):
    """This idle source does not work (here, or any more); the message says why."""


class IdleMonitor(ABC):
    """Reads how long the user has not touched keyboard or pointer."""

    #: Short backend name, as used in the config and the log ("x11", "gnome", ...).
    name: str

    @abstractmethod
    def idle_seconds(self) -> float:
        """Seconds since the last user input.

        Raises ``IdleUnavailable`` when the source stops working (the X server or the
        D-Bus service went away); the daemon then falls back to "always present".
        """

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release the display, bus connection or library handle (idempotent)."""
