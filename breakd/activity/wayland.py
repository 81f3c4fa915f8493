"""Idle time on Wayland desktops other than GNOME: sway, Hyprland, river, labwc, niri, KDE.

Wayland gives clients no idle counter to read; the compositor instead tells a client
when the user has been idle for a timeout it asked for, and when they came back. Two
protocols do this: ``ext_idle_notifier_v1`` (the standard one; version 2's
``get_input_idle_notification`` ignores idle inhibitors, so a playing video does not
hide that the user left) and the older ``org_kde_kwin_idle`` (KWin, and wlroots up to
0.17, e.g. sway 1.7 in Debian 12).

Which thresholds: one short timeout (``ACTIVE_TIMEOUT``) is enough for the engine to see
the seconds an X11 counter would show. Its "idle" event comes exactly that long after
the last input, so from then on ``idle_seconds`` is ``now - (moment of "idle" -
timeout)``: the true idle time, whatever threshold it is compared with (the
natural-break one, at least 10 s, is always above it), without asking the compositor
for a second notification that would have to follow every change of the setting. Its
"resumed" event is the first input after a pause; for the timeout after it the reading
is the time since then, so the engine's new stretch starts at that input, as on X11,
and not at the daemon's next look up to ``AWAY_EVERY`` later. After that, with no
"idle", the user is typing: 0.

Threading: a reader thread (``wayland_client.EventReader``) owns the socket after
set-up and only updates two floats under a lock; ``idle_seconds`` (owner thread) reads
them and never blocks on the socket.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Mapping

from breakd.activity.base import IdleMonitor, IdleUnavailable
from breakd.wayland_client import (
    EventReader,
    WaylandConnection,
    WaylandUnavailable,
    socket_path,
)

EXT_IDLE = "ext_idle_notifier_v1"
KDE_IDLE = "org_kde_kwin_idle"
SEAT = "wl_seat"
#: Seconds without input after which the compositor says "idle": short, so a user who
#: stops counts as idle from within this long, and cheap (one event each way per pause).
ACTIVE_TIMEOUT = 5.0


class WaylandIdleMonitor(IdleMonitor):
    """Idle time from the compositor's idle notifications, read on a thread of its own."""

    name = "wayland"

    def __init__(
        self, environ: Mapping[str, str] = os.environ, timeout: float = ACTIVE_TIMEOUT
    ) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle_since: float | None = None
        self._resumed_at: float | None = None
        try:
            connection = WaylandConnection(socket_path(environ))
        except WaylandUnavailable as error:
            raise IdleUnavailable(str(error)) from error
        try:
            self.protocol = self._subscribe(connection)
        except (OSError, WaylandUnavailable) as error:
            connection.close()
            if isinstance(error, IdleUnavailable):
                raise
            raise IdleUnavailable(f"the compositor did not answer: {error}") from error
        self._reader = EventReader(connection, self._handle, "wayland-idle")

    def _subscribe(self, connection: WaylandConnection) -> str:
        """Ask for the idle notification; the protocol used, for the log."""
        offered = connection.globals()
        if SEAT not in offered:
            raise IdleUnavailable("the compositor offers no seat (wl_seat)")
        seat = connection.bind(SEAT, offered[SEAT], 1)
        milliseconds = max(1, round(self._timeout * 1000))
        if EXT_IDLE in offered:
            version = min(offered[EXT_IDLE].version, 2)
            notifier = connection.bind(EXT_IDLE, offered[EXT_IDLE], version)
            self._notification = connection.new_id()
            # v2's get_input_idle_notification (opcode 2) ignores idle inhibitors.
            opcode, protocol = (2, f"{EXT_IDLE} v2 (input)") if version >= 2 else (1, EXT_IDLE)
            args = struct.pack("=III", self._notification, milliseconds, seat)
            connection.send(notifier, opcode, args)
        elif KDE_IDLE in offered:
            manager = connection.bind(KDE_IDLE, offered[KDE_IDLE], 1)
            self._notification = connection.new_id()
            args = struct.pack("=III", self._notification, seat, milliseconds)
            connection.send(manager, 0, args)  # get_idle_timeout
            protocol = KDE_IDLE
        else:
            raise IdleUnavailable(f"the compositor offers neither {EXT_IDLE} nor {KDE_IDLE}")
        connection.roundtrip(self._handle)  # a refusal shows up now, not on the thread
        return protocol

    def _handle(self, sender: int, opcode: int, body: bytes) -> None:
        """Both protocols' notification objects send idle (0) and resumed (1)."""
        if sender != self._notification:
            return
        now = time.monotonic()
        with self._lock:
            if opcode == 0 and self._idle_since is None:
                self._idle_since = now - self._timeout
            elif opcode == 1:
                self._idle_since = None
                self._resumed_at = now

    def idle_seconds(self) -> float:
        failure = self._reader.failure
        if failure is not None:
            raise IdleUnavailable(failure)
        now = time.monotonic()
        with self._lock:
            since, resumed = self._idle_since, self._resumed_at
        if since is not None:
            return max(0.0, now - since)
        if resumed is not None and now - resumed < self._timeout:
            return max(0.0, now - resumed)  # back since then; the input after is not known
        return 0.0

    def close(self) -> None:
        self._reader.close()
