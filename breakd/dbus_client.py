"""The small D-Bus client breakd shares (idle time, lock and sleep, quiet checks), on jeepney.

Why jeepney: the idle backends make one method call per sample from the daemon's owner
thread, and jeepney's blocking I/O does exactly that with a time limit per call, in pure
Python (no compiled extension, no GLib), with no event loop or helper thread to keep
alive. dbus-fast, which desktop-notifier already brings in, is asyncio-only: every
call from the owner thread would have to go through a loop running in another thread.
The away watchers do run a thread each, but it only sits in a blocking read.

Everything jeepney is kept behind this module, so the backends stay small and typed.
Bus addresses come from the environment the caller passes in, so tests point them at
private buses: ``DBUS_SESSION_BUS_ADDRESS`` (else ``$XDG_RUNTIME_DIR/bus``) and
``DBUS_SYSTEM_BUS_ADDRESS`` (else the standard system socket).
"""

from __future__ import annotations

import contextlib
import socket
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

from breakd.activity.base import CALL_TIMEOUT

BusKind = Literal["session", "system"]

SYSTEM_BUS_DEFAULT = "unix:path=/var/run/dbus/system_bus_socket"


#: Errors that only mean "that service, object or member is not here" (a desktop
#: without it): callers treat them as a plain no, not as a failure to log.
ABSENT_ERRORS = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownInterface",
    }
)


class BusUnavailable(Exception):
    """No bus of that kind can be reached; the message says why."""


class DBusError(Exception):
    """The other side answered a call with a D-Bus error."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name


@dataclass(frozen=True)
class Signal:
    path: str
    interface: str
    member: str
    body: tuple[Any, ...]


def bus_address(kind: BusKind, environ: Mapping[str, str]) -> str:
    """The address of the session or system bus, as a client would find it."""
    if kind == "system":
        return environ.get("DBUS_SYSTEM_BUS_ADDRESS") or SYSTEM_BUS_DEFAULT
    address = environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").is_socket():
        return f"unix:path={Path(runtime, 'bus')}"
    raise BusUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")


class BusConnection:
    """One connection to one bus. Not thread-safe, except ``interrupt``."""

    def __init__(self, kind: BusKind, environ: Mapping[str, str]) -> None:
        self.kind = kind
        address = bus_address(kind, environ)
        # The connect and authentication are bounded; jeepney's Hello that follows is
        # not, but a bus that authenticates and then never answers is not worth code.
        try:
            self._conn = open_dbus_connection(bus=address, auth_timeout=CALL_TIMEOUT)
        except (OSError, RuntimeError, ValueError) as error:
            raise BusUnavailable(
                f"cannot connect to the {kind} bus at {address}: {error}"
            ) from error
        # Signals that arrive while a call waits for its reply are kept here for
        # ``next_signal``, instead of being dropped.
        self._pending: deque[Any] = deque(maxlen=256)
        self._filter = self._conn.filter(MatchRule(type="signal"), queue=self._pending)

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        timeout: float = CALL_TIMEOUT,
    ) -> tuple[Any, ...]:
        """Call a method and return its reply's values.

        Raises ``DBusError`` for an error reply, ``TimeoutError`` when no reply came in
        ``timeout`` seconds, ``OSError`` when the connection broke.
        """
        address = DBusAddress(path, bus_name=destination, interface=interface)
        message = new_method_call(address, method, signature, body)
        return self._send(message, f"{destination} {method}", timeout)

    def get_property(self, destination: str, path: str, interface: str, name: str) -> Any:
        """One property's value (unwrapped from its variant)."""
        address = DBusAddress(path, bus_name=destination, interface=interface)
        message = Properties(address).get(name)
        (variant,) = self._send(message, f"{destination} {interface}.{name}", CALL_TIMEOUT)
        _signature, value = variant
        return value

    def _send(self, message: Any, what: str, timeout: float) -> tuple[Any, ...]:
        try:
            reply = self._conn.send_and_get_reply(message, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer to {what} within {timeout:g}s") from None
        if reply.header.message_type == MessageType.error:
            name = str(reply.header.fields.get(HeaderFields.error_name, "unknown error"))
            text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            raise DBusError(name, text)
        return tuple(reply.body)

    def _bus_call(self, message: Any) -> tuple[Any, ...]:
        return self._send(message, "the bus daemon", CALL_TIMEOUT)

    def reachable(self, name: str) -> bool:
        """Whether ``name`` has an owner now or can be started by the bus."""
        (owned,) = self._bus_call(message_bus.NameHasOwner(name))
        if owned:
            return True
        (activatable,) = self._bus_call(message_bus.ListActivatableNames())
        return name in activatable

    def add_match(
        self, *, sender: str, interface: str, member: str, path: str | None = None
    ) -> None:
        """Ask the bus to send us these signals (the bus resolves ``sender``'s owner)."""
        rule = MatchRule(
            type="signal", sender=sender, interface=interface, member=member, path=path
        )
        self._bus_call(message_bus.AddMatch(rule))

    def next_signal(self) -> Signal:
        """Block until a signal arrives; ``OSError`` once the connection is closed."""
        while not self._pending:
            self._conn.recv_messages(timeout=None)
        message = self._pending.popleft()
        fields = message.header.fields
        return Signal(
            path=str(fields.get(HeaderFields.path, "")),
            interface=str(fields.get(HeaderFields.interface, "")),
            member=str(fields.get(HeaderFields.member, "")),
            body=tuple(message.body),
        )

    def interrupt(self) -> None:
        """Wake a ``next_signal`` blocked in another thread (it then raises OSError)."""
        # Already closed or broken is fine too: the reader is awake anyway.
        with contextlib.suppress(OSError):
            self._conn.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._conn.close()
