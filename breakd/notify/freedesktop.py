"""Reminders spoken directly over ``org.freedesktop.Notifications`` (jeepney), on Linux.

Why not desktop-notifier here: run against dunst, xfce4-notifyd and notification-daemon,
a reminder has to differ per server in ways it does not let breakd say. All three expire
a bubble after about 10 s unless told ``expire_timeout=0``; xfce4-notifyd closes the
bubble on a click instead of invoking "default" (desktop-notifier knows, and drops the
click silently); dunst shows no buttons at all and invokes "default" on a middle click;
notification-daemon shows buttons and invokes "default" on a click. A repeat should take
the earlier bubble's place (``replaces_id``) instead of closing it and popping up anew.
Speaking the protocol itself lets breakd ask the server who it is
(``GetServerInformation``, ``GetCapabilities``), word the bubble for it, and costs no
asyncio loop and no dbus-fast (about 13 MB of the daemon's memory).

Threading: one thread of our own owns the connection. It reads every message (replies,
``ActionInvoked``, ``NotificationClosed``, the server's name changing owner) and runs
the work the daemon hands over; the daemon's calls only queue that work and wake the
thread, so they return at once. Clicks reach the daemon only through ``on_action``.
State (the shown reminder's id, what the server can do) lives on that thread alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.io.threading import (  # type: ignore[import-untyped]
    ReceiveStopped,
    open_dbus_connection,
)

from breakd import APP_NAME
from breakd.dbus_client import BusUnavailable, DBusError, bus_address
from breakd.i18n import _
from breakd.notify.base import (
    ACTION_BREAK,
    ACTION_SKIP,
    ACTION_SNOOZE,
    ACTION_STAND,
    STAND_LABEL,
    Notifier,
    NotifierUnavailable,
    Reminder,
    start_hint,
)

log = logging.getLogger(__name__)

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
SERVER = DBusAddress(PATH, bus_name=NAME, interface=NAME)

#: How long a call to the server may take (activation on first use included).
CALL_TIMEOUT = 5.0
#: ``expire_timeout`` values of the spec.
NEVER_EXPIRE = 0
SERVER_DEFAULT = -1
#: Urgency "normal": "critical" would stay too, but it also breaks through do not disturb.
URGENCY_NORMAL = 1
#: The action a click on the bubble invokes, where the server supports it.
DEFAULT_ACTION = "default"
#: ``NotificationClosed`` reasons, for the log.
CLOSE_REASONS = {1: "expired", 2: "dismissed", 3: "closed by breakd", 4: "undefined"}

Command = Callable[[], None]


@dataclass(frozen=True)
class ServerHabits:
    """What a click on the bubble does and whether buttons show, beyond the capabilities.

    Capabilities cannot say either: every server of the matrix lists "actions".
    """

    body_click: str | None  # the click that invokes "default" ("Click"), or None
    buttons: bool


#: Servers whose clicks differ from the spec's usual reading, by ``GetServerInformation``
#: name. xfce4-notifyd does not implement "default" (docs.xfce.org/apps/xfce4-notifyd/spec:
#: "Clicking a notification instead closes it"); dunst draws no buttons and binds
#: ``do_action`` (which invokes "default") to the middle button out of the box; mako
#: draws no buttons either and invokes "default" on a left click.
KNOWN_SERVERS = {
    "Xfce Notify Daemon": ServerHabits(body_click=None, buttons=True),
    "dunst": ServerHabits(body_click="Middle-click", buttons=False),
    "mako": ServerHabits(body_click="Click", buttons=False),
}


@dataclass(frozen=True)
class ServerInfo:
    """The notification server answering now (it can change when it restarts)."""

    name: str
    vendor: str
    version: str
    capabilities: frozenset[str]

    @property
    def actions(self) -> bool:
        return "actions" in self.capabilities

    @property
    def habits(self) -> ServerHabits:
        if not self.actions:
            return ServerHabits(body_click=None, buttons=False)
        return KNOWN_SERVERS.get(self.name, ServerHabits(body_click="Click", buttons=True))

    def describe(self) -> str:
        habits = self.habits
        click = habits.body_click.lower() if habits.body_click else "no click"
        buttons = "buttons" if habits.buttons else "no buttons"
        return f"{self.name} {self.version} ({self.vendor}): {click} on the bubble, {buttons}"


def escape_markup(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities, for servers that read the body as markup.

    Not ``html.escape``: the html package loads its table of entities, half a
    megabyte the daemon keeps for good, to escape three characters.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Outgoing:
    """One ``Notify`` call's text and actions, worded for the server that shows it."""

    body: str
    actions: tuple[str, ...]


def compose(reminder: Reminder, server: ServerInfo) -> Outgoing:
    """The reminder as this server should show it: its buttons, and how to start."""
    habits = server.habits
    hint = start_hint(reminder, body_click=habits.body_click, buttons=habits.buttons)
    body = f"{reminder.body}\n{hint}"
    if "body-markup" in server.capabilities:
        body = escape_markup(body)
    actions: tuple[str, ...] = ()
    if server.actions:
        # "default" always: a server that cannot invoke it ignores it.
        actions = (
            DEFAULT_ACTION, "",
            ACTION_BREAK, reminder.break_label,
            ACTION_SNOOZE, reminder.snooze_label,
            *((ACTION_STAND, _(STAND_LABEL)) if reminder.offer_stand else (ACTION_SKIP, _("Skip"))),
        )  # fmt: skip
    return Outgoing(body, actions)


class FreedesktopNotifier(Notifier):
    """The ``Notifier`` for Linux desktops, on the session bus."""

    name = "freedesktop"

    def __init__(
        self,
        app_icon: Path,
        on_action: Callable[[str], None],
        *,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._environ = dict(environ)
        self._icon = app_icon.as_uri()
        self._on_action = on_action
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stopping = False
        self._current = 0  # the id of the reminder on screen, 0 for none
        self._server: ServerInfo | None = None  # None: ask again before the next Notify
        self._missing_said = False
        try:
            self._conn: Any = self._connect()
        except BusUnavailable as error:
            raise NotifierUnavailable(str(error)) from None
        # No server yet (one that starts after breakd at login): reminders go to the log,
        # said once, until a server answers.
        try:
            self._server_now()
        except (OSError, EOFError) as error:
            self._conn.close()
            raise NotifierUnavailable(f"the session bus connection broke ({error})") from None
        self._thread = threading.Thread(target=self._run, name="breakd-notifier", daemon=True)
        self._thread.start()

    # --- the Notifier interface (the daemon's owner thread) ------------------------------

    def show_reminder(self, reminder: Reminder) -> None:
        self._post(lambda: self._show(reminder))

    def withdraw_reminder(self) -> None:
        self._post(self._withdraw)

    def tell(self, title: str, body: str) -> None:
        self._post(lambda: self._tell(title, body))

    def close(self) -> None:
        self._stopping = True
        self._post(lambda: None)
        if self._thread.is_alive():
            self._thread.join(2)
        if self._conn is not None:
            self._conn.close()

    def _post(self, command: Command) -> None:
        """Queue work for the notifier's thread and wake it from its read."""
        self._commands.put(command)
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.interrupt()

    # --- the connection -------------------------------------------------------------------

    def _connect(self) -> Any:
        """A connection subscribed to the server's signals and to its owner changing."""
        address = bus_address("session", self._environ)
        try:
            conn = open_dbus_connection(bus=address, auth_timeout=CALL_TIMEOUT)
        except (OSError, RuntimeError, ValueError, TimeoutError) as error:
            raise BusUnavailable(
                f"cannot connect to the session bus at {address}: {error}"
            ) from None
        self._conn = conn
        try:
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", sender=NAME, interface=NAME, member=member)
                self._call(message_bus.AddMatch(rule))
            owner = MatchRule(
                type="signal",
                sender="org.freedesktop.DBus",
                interface="org.freedesktop.DBus",
                member="NameOwnerChanged",
                path="/org/freedesktop/DBus",
            )
            owner.add_arg_condition(0, NAME)
            self._call(message_bus.AddMatch(owner))
        except (DBusError, TimeoutError, OSError, EOFError) as error:
            conn.close()
            self._conn = None
            raise BusUnavailable(f"the session bus refused a subscription: {error}") from None
        return conn

    def _call(self, message: Any, timeout: float = CALL_TIMEOUT) -> tuple[Any, ...]:
        """Send a call and read until its reply; signals read meanwhile are handled."""
        conn = self._conn
        serial = next(conn.outgoing_serial)
        conn.send(message, serial=serial)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer within {timeout:g}s")
            try:
                reply = conn.receive(timeout=remaining)
            except ReceiveStopped:
                if self._stopping:
                    raise OSError("the notifier is closing") from None
                # New work was queued: the loop runs it once this call is done.
                conn.reset_interrupt()
                continue
            fields = reply.header.fields
            if fields.get(HeaderFields.reply_serial) != serial:
                self._dispatch(reply)
                continue
            if reply.header.message_type == MessageType.error:
                name = str(fields.get(HeaderFields.error_name, "unknown error"))
                text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
                raise DBusError(name, text)
            return tuple(reply.body)

    def _ask_server(self) -> ServerInfo:
        name, vendor, version, _spec = self._call(new_method_call(SERVER, "GetServerInformation"))
        (capabilities,) = self._call(new_method_call(SERVER, "GetCapabilities"))
        return ServerInfo(str(name), str(vendor), str(version), frozenset(map(str, capabilities)))

    def _server_now(self) -> ServerInfo | None:
        """The server to word the reminder for; asked again after it changed."""
        if self._server is None and self._conn is not None:
            try:
                self._server = self._ask_server()
            except (DBusError, TimeoutError) as error:
                self._missing(error)
                return None
            self._missing_said = False
            log.info("notification server: %s", self._server.describe())
        return self._server

    def _missing(self, error: Exception) -> None:
        """No server answers: say so once, until one does again."""
        self._server = None
        self._current = 0
        if not self._missing_said:
            self._missing_said = True
            log.warning(
                "no notification server answers (%s): reminders go to the log until one does",
                error,
            )

    # --- the notifier's thread --------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            if self._conn is None:
                self._reconnect(self._commands.get())
                continue
            self._run_queued()
            try:
                message = self._conn.receive()
            except ReceiveStopped:
                self._conn.reset_interrupt()
                continue
            except (OSError, EOFError, ValueError) as error:
                self._lost(error)
                continue
            try:
                self._dispatch(message)
            except Exception:
                log.exception("handling a notification signal failed")

    def _run_queued(self) -> None:
        while not self._stopping:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command()
            except (OSError, EOFError) as error:
                self._lost(error)
                return
            except Exception:
                log.exception("a notification command failed")

    def _lost(self, error: BaseException) -> None:
        """The bus connection broke (the session bus restarted?): connect on next use."""
        if self._stopping:
            return
        log.warning("notifications: the session bus connection broke (%s)", error)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        self._server = None
        self._current = 0

    def _reconnect(self, command: Command) -> None:
        """Wait for work; connect again for it (or run it without a bus, which logs)."""
        if self._stopping:
            return
        try:
            self._connect()
        except BusUnavailable as error:
            log.debug("notifications: still no session bus: %s", error)
        try:
            command()
        except (OSError, EOFError) as error:
            self._lost(error)
        except Exception:
            log.exception("a notification command failed")

    def _dispatch(self, message: Any) -> None:
        if message.header.message_type != MessageType.signal:
            return
        member = message.header.fields.get(HeaderFields.member)
        body = message.body
        if member == "NameOwnerChanged" and body[0] == NAME:
            # The server restarted (or another took over): its ids and habits are new.
            log.info("notification server changed owner (%r -> %r)", body[1], body[2])
            self._server = None
            self._current = 0
        elif member == "ActionInvoked" and self._current and body[0] == self._current:
            key = ACTION_BREAK if body[1] == DEFAULT_ACTION else str(body[1])
            log.debug("reminder %d: action %r", body[0], body[1])
            self._on_action(key)
        elif member == "NotificationClosed" and self._current and body[0] == self._current:
            log.debug("reminder %d closed: %s", body[0], CLOSE_REASONS.get(body[1], body[1]))
            self._current = 0

    # --- the work (on the notifier's thread) ----------------------------------------------

    def _show(self, reminder: Reminder) -> None:
        server = self._server_now()
        if server is not None:
            outgoing = compose(reminder, server)
            try:
                (identifier,) = self._notify(
                    self._current, reminder.title, outgoing.body, outgoing.actions, NEVER_EXPIRE
                )
            except (DBusError, TimeoutError) as error:  # it went away since we asked
                self._missing(error)
            else:
                self._current = int(identifier)
                return
        log.info("reminder %d: %s - %s", reminder.number, reminder.title, reminder.body)

    def _withdraw(self) -> None:
        current, self._current = self._current, 0
        if current and self._conn is not None:
            try:
                self._call(new_method_call(SERVER, "CloseNotification", "u", (current,)))
            except (DBusError, TimeoutError) as error:  # already gone, or a new server
                log.debug("could not withdraw reminder %d: %s", current, error)

    def _tell(self, title: str, body: str) -> None:
        server = self._server_now()
        if server is not None:
            text = escape_markup(body) if "body-markup" in server.capabilities else body
            try:
                self._notify(0, title, text, (), SERVER_DEFAULT)
            except (DBusError, TimeoutError) as error:
                self._missing(error)
            else:
                return
        log.info("%s - %s", title, body)

    def _notify(
        self, replaces: int, title: str, body: str, actions: tuple[str, ...], expire: int
    ) -> tuple[Any, ...]:
        hints = {"urgency": ("y", URGENCY_NORMAL)}
        return self._call(
            new_method_call(
                SERVER,
                "Notify",
                "susssasa{sv}i",
                (APP_NAME, replaces, self._icon, title, body, list(actions), hints, expire),
            )
        )
