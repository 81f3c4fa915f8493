"""Whether the window in front is fullscreen, on Wayland: ``zwlr_foreign_toplevel_manager_v1``.

Wayland has no ``_NET_ACTIVE_WINDOW`` to read on demand: a client that wants to know
about other clients' windows asks the compositor to tell it about every toplevel, and
is told again whenever one changes. wlroots compositors (sway, labwc, Wayfire...) and
Hyprland offer this protocol; from version 2 each toplevel's state says
``activated`` (it has the focus) and ``fullscreen``. It covers Xwayland's windows too,
so where it is offered the X11 check is not needed.

Event-driven: a reader thread (``wayland_client.EventReader``) keeps every toplevel's
last committed state, and tells ``on_change`` (which only posts to the daemon's owner
thread) when "the activated toplevel is fullscreen" flips, so a held reminder comes
within moments of the film or presentation leaving fullscreen. ``fullscreen`` (owner
thread) only reads a flag under a lock.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable, Mapping

from breakd.wayland_client import (
    EventReader,
    WaylandConnection,
    WaylandUnavailable,
    decode_uint_array,
    socket_path,
)

MANAGER = "zwlr_foreign_toplevel_manager_v1"
#: ``fullscreen`` joined the toplevel state enum in version 2; 3 adds only ``parent``.
MIN_VERSION = 2
MAX_VERSION = 3
# zwlr_foreign_toplevel_handle_v1.state values.
ACTIVATED = 2
FULLSCREEN = 3
# Event opcodes.
_MANAGER_TOPLEVEL, _MANAGER_FINISHED = 0, 1
_HANDLE_STATE, _HANDLE_DONE, _HANDLE_CLOSED = 4, 5, 6
_HANDLE_DESTROY = 7  # request


def front_is_fullscreen(states: Mapping[int, frozenset[int]]) -> bool:
    """Whether a toplevel that is activated is also fullscreen (states by handle)."""
    return any(ACTIVATED in state and FULLSCREEN in state for state in states.values())


class FullscreenToplevels:
    """Follows the compositor's toplevels; ``fullscreen()`` says whether the one in front is."""

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._on_change = on_change
        #: Whether a flip is announced: not during set-up, whose state is read on demand.
        self._announce = False
        self._lock = threading.Lock()
        self._fullscreen = False
        self._manager = 0
        #: Committed states by handle id (reader thread only, after set-up).
        self._states: dict[int, frozenset[int]] = {}
        #: States announced but not yet committed by ``done``.
        self._pending: dict[int, frozenset[int]] = {}
        connection = WaylandConnection(socket_path(environ))
        self._connection = connection
        try:
            offered = connection.globals()
            if MANAGER not in offered:
                raise WaylandUnavailable(f"the compositor offers no {MANAGER}")
            version = offered[MANAGER].version
            if version < MIN_VERSION:
                raise WaylandUnavailable(
                    f"the compositor's {MANAGER} is version {version}, which does not"
                    " report fullscreen"
                )
            self._manager = connection.bind(MANAGER, offered[MANAGER], min(version, MAX_VERSION))
            connection.roundtrip(self._handle)  # every toplevel there now, and its state
        except (OSError, WaylandUnavailable) as error:
            connection.close()
            if isinstance(error, WaylandUnavailable):
                raise
            raise WaylandUnavailable(f"the compositor did not answer: {error}") from error
        self.protocol = f"{MANAGER} v{min(version, MAX_VERSION)}"
        self._announce = True
        self._reader = EventReader(connection, self._handle, "wayland-toplevels", on_change)

    def fullscreen(self) -> bool:
        """Whether the activated toplevel is fullscreen; raises ``WaylandUnavailable``
        once the compositor is gone."""
        failure = self._reader.failure
        if failure is not None:
            raise WaylandUnavailable(failure)
        with self._lock:
            return self._fullscreen

    def close(self) -> None:
        self._reader.close()

    def _handle(self, sender: int, opcode: int, body: bytes) -> None:
        if sender == self._manager:
            if opcode == _MANAGER_TOPLEVEL:
                (handle,) = struct.unpack_from("=I", body)
                self._pending[handle] = frozenset()
                self._states[handle] = frozenset()
            elif opcode == _MANAGER_FINISHED:
                raise WaylandUnavailable(f"the compositor finished {MANAGER}")
            return
        if sender not in self._states:
            return
        if opcode == _HANDLE_STATE:
            self._pending[sender] = frozenset(decode_uint_array(body))
        elif opcode == _HANDLE_DONE:
            self._states[sender] = self._pending.get(sender, self._states[sender])
            self._update()
        elif opcode == _HANDLE_CLOSED:
            self._states.pop(sender, None)
            self._pending.pop(sender, None)
            self._connection.send(sender, _HANDLE_DESTROY)
            self._update()

    def _update(self) -> None:
        now = front_is_fullscreen(self._states)
        with self._lock:
            changed, self._fullscreen = now != self._fullscreen, now
        if changed and self._announce and self._on_change is not None:
            self._on_change()
