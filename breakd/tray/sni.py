"""A tray icon with no toolkit: StatusNotifierItem and DBusMenu spoken over D-Bus.

Why: on Linux, pystray's menus come from GTK through PyGObject, which costs about 30 MB
of memory and makes ``pip install`` need a compiler and GLib headers. Modern trays (KDE
Plasma, GNOME with the AppIndicator extension, Xfce, Cinnamon, MATE, waybar, ...) show
``org.kde.StatusNotifierItem`` objects and draw their menus from
``com.canonical.dbusmenu``: both are plain D-Bus, which jeepney speaks in pure Python.

This backend stands alone: it offers the tray the same interface as pystray's icons
(:class:`breakd.tray.base.TrayIcon`) and reads breakd's menu model directly, so it
needs neither pystray nor a toolkit:

* The item is exported at ``/StatusNotifierItem`` under the well-known name
  ``org.kde.StatusNotifierItem-<pid>-1`` and registered with
  ``org.kde.StatusNotifierWatcher``; it registers again whenever the watcher's owner
  changes (a tray that starts after breakd at login, or one that restarts).
* The picture goes out as ``IconPixmap`` (ARGB32, big-endian) at several sizes, so the
  host never has to scale; the pixels come ready-made (:mod:`breakd.tray.pixmaps`), so
  this backend loads no Pillow. The icon's ``title`` (the words of the state) goes out
  as the tooltip's text only; the item's ``Title`` property stays the application's name,
  as the specification describes it, so the minute's tick sends one property signal
  (``NewToolTip``) and hosts read back one property. ``Activate`` (a left click on most
  trays) runs the menu's default item.
* The menu is exported at ``/MenuBar``, every entry of the menu model in it, hidden
  ones too (``visible`` false; a separator is hidden where the model leaves it out):
  the layout's structure never changes while breakd runs. Item ids follow an item's
  place in the whole menu. ``update_menu`` compares the menu as it would show now with
  what was sent last and emits ``ItemsPropertiesUpdated`` for what changed (a label, a
  check, an item shown or hidden); ``LayoutUpdated``, with a new revision, only if the
  structure itself changed. A host rebuilds its menu on ``LayoutUpdated``, and a GTK
  menu rebuilt while it opens comes up scrolled with its first items cut off, so
  ``AboutToShow`` sends what changed as properties and answers that no new layout is
  needed.

One connection serves everything: the loop in ``run`` (the main thread) reads and
answers every message; other threads only send (jeepney's threading connection locks its
socket for that). Calls we make (``RegisterStatusNotifierItem``) are answered in the same
loop through a table of reply handlers, so nothing ever waits on the bus.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import count
from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    message_bus,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.io.threading import (  # type: ignore[import-untyped]
    ReceiveStopped,
    open_dbus_connection,
)
from jeepney.low_level import MessageFlag  # type: ignore[import-untyped]

from breakd.dbus_client import bus_address
from breakd.tray.base import IconHooks
from breakd.tray.model import MenuEntry, visible_entries
from breakd.tray.pixmaps import Pixmap

log = logging.getLogger(__name__)

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
ITEM_PATH = "/StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
MENU_PATH = "/MenuBar"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"
#: The dbusmenu protocol version these menus follow (libdbusmenu's current one).
DBUSMENU_VERSION = 3
#: How long the first calls to the bus daemon may take before the icon gives up.
CONNECT_TIMEOUT = 5.0

Variant = tuple[str, Any]
Properties = dict[str, Variant]
#: A menu item as sent: (id, properties, children).
Node = tuple[int, Properties, tuple["Node", ...]]


@dataclass(frozen=True)
class LayoutChange:
    """Items were added or removed: hosts fetch the layout of this revision again."""

    revision: int


@dataclass(frozen=True)
class PropertiesChange:
    """Only properties changed: ``ItemsPropertiesUpdated``'s two arguments."""

    updated: list[tuple[int, Properties]]
    removed: list[tuple[int, list[str]]]


MenuChange = LayoutChange | PropertiesChange

FAILED = "org.freedesktop.DBus.Error.Failed"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"


class Failure(Exception):
    """A call we cannot answer; becomes a D-Bus error reply."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name


def dbusmenu_label(text: str) -> str:
    """A label as dbusmenu wants it: an underscore marks a mnemonic, so double real ones."""
    return text.replace("_", "__")


# --- the menu as dbusmenu sees it ---------------------------------------------------------


class MenuExport:
    """The menu model as dbusmenu nodes, with stable ids and change detection.

    Thread-safe: the loop thread answers ``GetLayout`` while the tray's thread calls
    ``refresh``; one lock keeps the id table and the last layout consistent.
    """

    def __init__(self, menu: Callable[[], Sequence[MenuEntry]]) -> None:
        self._menu = menu
        self._lock = threading.Lock()
        self._ids: dict[tuple[int, ...], int] = {}
        self._paths: dict[int, tuple[int, ...]] = {0: ()}
        self._next_id = count(1)
        self.revision = 1
        self._last: Node | None = None

    def _id(self, path: tuple[int, ...]) -> int:
        if path not in self._ids:
            number = next(self._next_id)
            self._ids[path] = number
            self._paths[number] = path
        return self._ids[path]

    def _build(self) -> Node:
        return (0, {"children-display": ("s", "submenu")}, self._children(self._menu(), ()))

    def _children(self, entries: Sequence[MenuEntry], path: tuple[int, ...]) -> tuple[Node, ...]:
        everything = list(entries)
        shown: set[int] = set()
        index = 0
        for entry in visible_entries(entries):  # in order, separators tidied
            # The shared separator appears many times: match by place, not by identity.
            while everything[index] is not entry:
                index += 1
            shown.add(index)
            index += 1
        return tuple(
            self._node(entry, (*path, at), at in shown) for at, entry in enumerate(everything)
        )

    def _node(self, entry: MenuEntry, path: tuple[int, ...], visible: bool) -> Node:
        number = self._id(path)
        if entry.separator:
            return (number, {"type": ("s", "separator"), "visible": ("b", visible)}, ())
        props: Properties = {
            "label": ("s", dbusmenu_label(entry.label())),
            "enabled": ("b", bool(entry.enabled())),
            "visible": ("b", visible),
        }
        if entry.checked is not None:
            props["toggle-type"] = ("s", "radio" if entry.radio else "checkmark")
            props["toggle-state"] = ("i", 1 if entry.checked() else 0)
        children: tuple[Node, ...] = ()
        if entry.submenu:
            props["children-display"] = ("s", "submenu")
            children = self._children(entry.submenu, path)
        return (number, props, children)

    def refresh(self) -> MenuChange | None:
        """Rebuild; what to announce if anything changed since the last time, else None.

        The revision moves only when the structure does (``LayoutChange``); new labels,
        checks and visibility are a ``PropertiesChange``.
        """
        with self._lock:
            now = self._build()
            before, self._last = self._last, now
            if before is None or before == now:
                return None
            if _shape(before) != _shape(now):
                self.revision += 1
                return LayoutChange(self.revision)
            return PropertiesChange(*_property_changes(before, now))

    def layout(self, parent: int, depth: int, names: Sequence[str]) -> tuple[int, Node]:
        """``GetLayout``: the subtree under ``parent``, ``depth`` levels (-1: all)."""
        with self._lock:
            # Only ``refresh`` moves the baseline, so a change a host fetched early is
            # still announced to every other host.
            root = self._build()
            node = _find(root, parent)
            if node is None:
                raise Failure(INVALID_ARGS, f"no menu item {parent}")
            return self.revision, _trim(node, depth, names)

    def properties(self, ids: Sequence[int], names: Sequence[str]) -> list[tuple[int, Properties]]:
        """``GetGroupProperties``: the properties of ``ids`` (every item when empty)."""
        with self._lock:
            root = self._build()
            nodes = list(_walk(root)) if not ids else [n for i in ids if (n := _find(root, i))]
            return [(node[0], _pick(node[1], names)) for node in nodes]

    def item(self, number: int) -> MenuEntry | None:
        """The menu entry with this id now, or None (gone, or the root)."""
        with self._lock:
            path = self._paths.get(number)
        if not path:
            return None
        current: MenuEntry | None = None
        entries: Sequence[MenuEntry] = self._menu()
        for index in path:
            if index >= len(entries):
                return None
            current = entries[index]
            entries = current.submenu
        return current


def _shape(node: Node) -> tuple[Any, ...]:
    return (node[0], tuple(_shape(child) for child in node[2]))


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node[2]:
        yield from _walk(child)


def _find(root: Node, number: int) -> Node | None:
    return next((node for node in _walk(root) if node[0] == number), None)


def _pick(props: Properties, names: Sequence[str]) -> Properties:
    return {k: v for k, v in props.items() if k in names} if names else dict(props)


def _trim(node: Node, depth: int, names: Sequence[str]) -> Node:
    children = () if depth == 0 else tuple(_trim(c, depth - 1, names) for c in node[2])
    return (node[0], _pick(node[1], names), children)


def _property_changes(
    before: Node, now: Node
) -> tuple[list[tuple[int, Properties]], list[tuple[int, list[str]]]]:
    old = {node[0]: node[1] for node in _walk(before)}
    updated: list[tuple[int, Properties]] = []
    removed: list[tuple[int, list[str]]] = []
    for number, props in ((node[0], node[1]) for node in _walk(now)):
        previous = old.get(number, {})
        changed = {k: v for k, v in props.items() if previous.get(k) != v}
        gone = [k for k in previous if k not in props]
        if changed:
            updated.append((number, changed))
        if gone:
            removed.append((number, gone))
    return updated, removed


def _as_variant(node: Node) -> Variant:
    return ("(ia{sv}av)", _as_struct(node))


def _as_struct(node: Node) -> tuple[int, Properties, list[Variant]]:
    return (node[0], node[1], [_as_variant(child) for child in node[2]])


# --- introspection -------------------------------------------------------------------------

_ITEM_XML = """
  <interface name="org.kde.StatusNotifierItem">
    <property name="Category" type="s" access="read"/>
    <property name="Id" type="s" access="read"/>
    <property name="Title" type="s" access="read"/>
    <property name="Status" type="s" access="read"/>
    <property name="WindowId" type="i" access="read"/>
    <property name="IconThemePath" type="s" access="read"/>
    <property name="IconName" type="s" access="read"/>
    <property name="IconPixmap" type="a(iiay)" access="read"/>
    <property name="OverlayIconName" type="s" access="read"/>
    <property name="OverlayIconPixmap" type="a(iiay)" access="read"/>
    <property name="AttentionIconName" type="s" access="read"/>
    <property name="AttentionIconPixmap" type="a(iiay)" access="read"/>
    <property name="AttentionMovieName" type="s" access="read"/>
    <property name="ToolTip" type="(sa(iiay)ss)" access="read"/>
    <property name="ItemIsMenu" type="b" access="read"/>
    <property name="Menu" type="o" access="read"/>
    <method name="ContextMenu"><arg name="x" type="i" direction="in"/>
      <arg name="y" type="i" direction="in"/></method>
    <method name="Activate"><arg name="x" type="i" direction="in"/>
      <arg name="y" type="i" direction="in"/></method>
    <method name="SecondaryActivate"><arg name="x" type="i" direction="in"/>
      <arg name="y" type="i" direction="in"/></method>
    <method name="Scroll"><arg name="delta" type="i" direction="in"/>
      <arg name="orientation" type="s" direction="in"/></method>
    <signal name="NewTitle"/>
    <signal name="NewIcon"/>
    <signal name="NewAttentionIcon"/>
    <signal name="NewOverlayIcon"/>
    <signal name="NewToolTip"/>
    <signal name="NewStatus"><arg name="status" type="s"/></signal>
  </interface>"""

_MENU_XML = """
  <interface name="com.canonical.dbusmenu">
    <property name="Version" type="u" access="read"/>
    <property name="TextDirection" type="s" access="read"/>
    <property name="Status" type="s" access="read"/>
    <property name="IconThemePath" type="as" access="read"/>
    <method name="GetLayout">
      <arg name="parentId" type="i" direction="in"/>
      <arg name="recursionDepth" type="i" direction="in"/>
      <arg name="propertyNames" type="as" direction="in"/>
      <arg name="revision" type="u" direction="out"/>
      <arg name="layout" type="(ia{sv}av)" direction="out"/>
    </method>
    <method name="GetGroupProperties">
      <arg name="ids" type="ai" direction="in"/>
      <arg name="propertyNames" type="as" direction="in"/>
      <arg name="properties" type="a(ia{sv})" direction="out"/>
    </method>
    <method name="GetProperty">
      <arg name="id" type="i" direction="in"/>
      <arg name="name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="Event">
      <arg name="id" type="i" direction="in"/>
      <arg name="eventId" type="s" direction="in"/>
      <arg name="data" type="v" direction="in"/>
      <arg name="timestamp" type="u" direction="in"/>
    </method>
    <method name="EventGroup">
      <arg name="events" type="a(isvu)" direction="in"/>
      <arg name="idErrors" type="ai" direction="out"/>
    </method>
    <method name="AboutToShow">
      <arg name="id" type="i" direction="in"/>
      <arg name="needUpdate" type="b" direction="out"/>
    </method>
    <method name="AboutToShowGroup">
      <arg name="ids" type="ai" direction="in"/>
      <arg name="updatesNeeded" type="ai" direction="out"/>
      <arg name="idErrors" type="ai" direction="out"/>
    </method>
    <signal name="ItemsPropertiesUpdated">
      <arg name="updatedProps" type="a(ia{sv})"/>
      <arg name="removedProps" type="a(ias)"/>
    </signal>
    <signal name="LayoutUpdated">
      <arg name="revision" type="u"/>
      <arg name="parent" type="i"/>
    </signal>
  </interface>"""

_STANDARD_XML = """
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="v" direction="out"/></method>
    <method name="GetAll"><arg type="s" direction="in"/>
      <arg type="a{sv}" direction="out"/></method>
    <signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg type="s" direction="out"/></method>
  </interface>"""


def introspection(path: str) -> str:
    """The introspection XML for one of our paths."""
    inner = {ITEM_PATH: _ITEM_XML + _STANDARD_XML, MENU_PATH: _MENU_XML + _STANDARD_XML}.get(
        path, '\n  <node name="StatusNotifierItem"/>\n  <node name="MenuBar"/>'
    )
    return (
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
        ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
        f"<node>{inner}\n</node>\n"
    )


# --- the icon ------------------------------------------------------------------------------


class StatusNotifierIcon:
    """The tray icon as a StatusNotifierItem (see :class:`breakd.tray.base.TrayIcon`).

    ``reports_shown``: ``hooks.shown(True)`` once a watcher accepted the item, ``False``
    when the watcher goes away.
    """

    reports_shown = True
    #: How long :meth:`stop` waits for the set-up function to return.
    SETUP_TIMEOUT = 5.0

    def __init__(
        self,
        name: str,
        pixmaps: Sequence[Pixmap],
        title: str,
        menu: Sequence[MenuEntry],
        *,
        hooks: IconHooks | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.name = name
        self._pixmaps = list(pixmaps)
        self._title = title
        self.menu = tuple(menu)
        self._breakd_hooks = hooks
        self._visible = False
        self._icon_valid = False
        self._running = False
        self._ready = threading.Event()
        self._setup_thread: threading.Thread | None = None
        self._export = MenuExport(lambda: self.menu)
        self._status = "Passive"
        self._stopping = False
        self._registered_with: str | None = None
        self._replies: dict[int, Callable[[Any], None]] = {}
        self._replies_lock = threading.Lock()
        self._conn: Any = open_dbus_connection(
            bus=bus_address("session", environ), auth_timeout=CONNECT_TIMEOUT
        )
        self.bus_name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        # Sent now, answered once the loop runs: a bus that refuses shows up here.
        owner_changes = MatchRule(
            type="signal",
            sender="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
            member="NameOwnerChanged",
            path="/org/freedesktop/DBus",
        )
        owner_changes.add_arg_condition(0, WATCHER)
        self._call(message_bus.AddMatch(owner_changes))
        self._call(message_bus.RequestName(self.bus_name, 4), self._on_name)  # DO_NOT_QUEUE

    # --- the tray's interface (as pystray's Icon has it) ---------------------------------

    @property
    def pixmaps(self) -> list[Pixmap]:
        """The picture at every size the item sends (``PIXMAP_SIZES``)."""
        return list(self._pixmaps)

    @pixmaps.setter
    def pixmaps(self, pixmaps: Sequence[Pixmap]) -> None:
        self._pixmaps = list(pixmaps)
        self._icon_valid = False
        if self._visible:
            self._update_icon()

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, text: str) -> None:
        if text != self._title:
            self._title = text
            if self._visible:
                self._update_title()

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        if value == self._visible:
            return
        if value:
            if not self._icon_valid:
                self._update_icon()
            self._show()
        else:
            self._hide()
        self._visible = value

    def run(self, setup: Callable[[Any], None] | None = None) -> None:
        """Answer the bus on this thread until :meth:`stop`; ``setup(self)`` runs in a
        thread of its own once the loop is ready (without one, the icon is shown)."""

        def set_up() -> None:
            self._ready.wait()
            if setup is not None:
                setup(self)
            else:
                self.visible = True

        self._setup_thread = threading.Thread(target=set_up, name="breakd-sni-setup")
        self._setup_thread.start()
        self._running = True
        try:
            self.update_menu()
        finally:
            self._ready.set()
        try:
            self._loop()
        finally:
            self._conn.close()

    def stop(self) -> None:
        """End the loop (from any thread); waits a while for the set-up function."""
        if not self._running:
            return
        self._stopping = True
        self._conn.interrupt()
        thread = self._setup_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.SETUP_TIMEOUT)
            if thread.is_alive():
                log.warning("tray: the set-up did not finish in time after the icon stopped")
        self._running = False

    def update_menu(self) -> None:
        self._announce(self._export.refresh())

    # --- the item's state ---------------------------------------------------------------

    def _show(self) -> None:
        self._set_status("Active")
        self._register()

    def _hide(self) -> None:
        self._set_status("Passive")

    def _update_icon(self) -> None:
        self._icon_valid = True
        self._emit(ITEM_PATH, ITEM_IFACE, "NewIcon")

    def _update_title(self) -> None:
        self._emit(ITEM_PATH, ITEM_IFACE, "NewToolTip")

    # --- what we send ----------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self._emit(ITEM_PATH, ITEM_IFACE, "NewStatus", "s", (status,))

    def _announce(self, change: MenuChange | None) -> None:
        if isinstance(change, LayoutChange):
            self._emit(MENU_PATH, MENU_IFACE, "LayoutUpdated", "ui", (change.revision, 0))
        elif isinstance(change, PropertiesChange):
            self._emit(
                MENU_PATH, MENU_IFACE, "ItemsPropertiesUpdated", "a(ia{sv})a(ias)",
                (change.updated, change.removed),
            )  # fmt: skip

    def _emit(
        self, path: str, interface: str, member: str, signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> None:  # fmt: skip
        try:
            self._conn.send(
                new_signal(DBusAddress(path, interface=interface), member, signature, body)
            )
        except OSError as error:
            log.debug("tray: could not send %s: %s", member, error)

    def _call(self, message: Any, on_reply: Callable[[Any], None] | None = None) -> None:
        """Send a method call; ``on_reply`` gets the reply (or error) in the loop."""
        serial = next(self._conn.outgoing_serial)
        if on_reply is not None:
            with self._replies_lock:
                self._replies[serial] = on_reply
        try:
            self._conn.send(message, serial=serial)
        except OSError as error:
            log.debug("tray: could not call %s: %s", message.header.fields, error)

    # --- the watcher ---------------------------------------------------------------------

    def _on_name(self, reply: Any) -> None:
        if reply.header.message_type == MessageType.error or reply.body[0] not in (1, 4):
            # Someone holds our name (it has our pid in it, so hardly): use the unique one.
            log.debug("tray: could not own %s; registering as %s", self.bus_name, reply.body)
            self.bus_name = self._conn.unique_name
            if self._registered_with is not None:
                self._register()

    def _register(self) -> None:
        """Offer the item to the watcher; the reply says whether a tray will show it."""
        name = self.bus_name
        self._call(
            new_method_call(
                DBusAddress(WATCHER_PATH, bus_name=WATCHER, interface=WATCHER),
                "RegisterStatusNotifierItem",
                "s",
                (name,),
            ),
            lambda reply: self._on_registered(reply, name),
        )

    def _on_registered(self, reply: Any, name: str) -> None:
        if reply.header.message_type == MessageType.error:
            log.debug("tray: no StatusNotifierWatcher took the icon: %s", reply.body)
            return
        self._registered_with = name
        log.debug("tray: registered %s with the StatusNotifierWatcher", name)
        if self._breakd_hooks is not None:
            self._breakd_hooks.shown(True)

    def _on_watcher_changed(self, new_owner: str) -> None:
        if new_owner:
            if self.visible:
                self._register()
            return
        self._registered_with = None
        if self._breakd_hooks is not None:
            self._breakd_hooks.shown(False)

    # --- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping:
            try:
                message = self._conn.receive()
            except ReceiveStopped:
                return
            except (OSError, EOFError, ValueError) as error:
                if not self._stopping:
                    log.warning("tray: the session bus connection broke (%s)", error)
                return
            try:
                self._dispatch(message)
            except Exception:
                log.exception("tray: handling a D-Bus message failed")

    def _dispatch(self, message: Any) -> None:
        kind = message.header.message_type
        fields = message.header.fields
        if kind in (MessageType.method_return, MessageType.error):
            with self._replies_lock:
                handler = self._replies.pop(fields.get(HeaderFields.reply_serial, -1), None)
            if handler is not None:
                handler(message)
        elif kind == MessageType.signal:
            if fields.get(HeaderFields.member) == "NameOwnerChanged" and message.body[0] == WATCHER:
                self._on_watcher_changed(str(message.body[2]))
        elif kind == MessageType.method_call:
            self._answer(message)

    def _answer(self, message: Any) -> None:
        fields = message.header.fields
        path = str(fields.get(HeaderFields.path, ""))
        interface = str(fields.get(HeaderFields.interface, ""))
        member = str(fields.get(HeaderFields.member, ""))
        after: Callable[[], None] | None = None
        try:
            signature, body, after = self._handle(path, interface, member, tuple(message.body))
            reply = new_method_return(message, signature, body)
        except Failure as failure:
            reply = new_error(message, failure.name, "s", (str(failure),))
        except Exception as error:
            log.exception("tray: answering %s.%s failed", interface, member)
            reply = new_error(message, FAILED, "s", (str(error),))
        if not message.header.flags & MessageFlag.no_reply_expected:
            self._conn.send(reply)
        if after is not None:
            # Actions run once the caller has its answer: a slow one never stalls the host.
            after()

    def _handle(
        self, path: str, interface: str, member: str, body: tuple[Any, ...]
    ) -> tuple[str | None, tuple[Any, ...], Callable[[], None] | None]:
        """(reply signature, reply body, what to do after replying) for one call."""
        if interface == INTROSPECTABLE and member == "Introspect":
            return "s", (introspection(path),), None
        if interface == PEER:
            if member == "GetMachineId":
                return "s", (_machine_id(),), None
            return None, (), None
        if path == ITEM_PATH:
            if interface == PROPERTIES:
                return self._properties(member, body, self._item_properties)
            if interface in (ITEM_IFACE, ""):
                return self._item_call(member, body)
        if path == MENU_PATH:
            if interface == PROPERTIES:
                return self._properties(member, body, self._menu_properties)
            if interface in (MENU_IFACE, ""):
                return self._menu_call(member, body)
        raise Failure(UNKNOWN_METHOD, f"no method {interface}.{member} at {path}")

    def _properties(
        self, member: str, body: tuple[Any, ...], values: Callable[[], dict[str, Variant]]
    ) -> tuple[str | None, tuple[Any, ...], None]:
        if member == "Get":
            _interface, name = body
            found = values()
            if name not in found:
                raise Failure(UNKNOWN_PROPERTY, f"no property {name}")
            return "v", (found[name],), None
        if member == "GetAll":
            return "a{sv}", (values(),), None
        if member == "Set":
            raise Failure("org.freedesktop.DBus.Error.PropertyReadOnly", "read-only")
        raise Failure(UNKNOWN_METHOD, f"no method {member}")

    def _item_properties(self) -> dict[str, Variant]:
        return {
            "Category": ("s", "ApplicationStatus"),
            "Id": ("s", self.name),
            "Title": ("s", self.name),
            "Status": ("s", self._status),
            "WindowId": ("i", 0),
            "IconThemePath": ("s", ""),
            "IconName": ("s", ""),
            "IconPixmap": ("a(iiay)", list(self._pixmaps)),
            "OverlayIconName": ("s", ""),
            "OverlayIconPixmap": ("a(iiay)", []),
            "AttentionIconName": ("s", ""),
            "AttentionIconPixmap": ("a(iiay)", []),
            "AttentionMovieName": ("s", ""),
            "ToolTip": ("(sa(iiay)ss)", ("", [], self.name, self.title)),
            "ItemIsMenu": ("b", False),
            "Menu": ("o", MENU_PATH),
        }

    def _menu_properties(self) -> dict[str, Variant]:
        return {
            "Version": ("u", DBUSMENU_VERSION),
            "TextDirection": ("s", "ltr"),
            "Status": ("s", "normal"),
            "IconThemePath": ("as", []),
        }

    def _item_call(
        self, member: str, body: tuple[Any, ...]
    ) -> tuple[str | None, tuple[Any, ...], Callable[[], None] | None]:
        if member == "Activate":
            return None, (), self._activate
        if member in ("SecondaryActivate", "Scroll"):
            return None, (), None
        if member == "ContextMenu":
            # Hosts draw the menu from /MenuBar themselves; nothing to pop up here.
            return None, (), None
        raise Failure(UNKNOWN_METHOD, f"no method {ITEM_IFACE}.{member}")

    def _activate(self) -> None:
        """A left click: the menu's default entry, as on every other backend (as pystray
        does, whether or not it is enabled now)."""
        default = next((entry for entry in self.menu if entry.default), None)
        if default is not None and default.action is not None:
            try:
                default.action()
            except Exception:
                log.exception("tray: the default action failed")
        self.update_menu()

    def _menu_call(
        self, member: str, body: tuple[Any, ...]
    ) -> tuple[str | None, tuple[Any, ...], Callable[[], None] | None]:
        export = self._export
        if member == "GetLayout":
            parent, depth, names = body
            revision, node = export.layout(int(parent), int(depth), list(names))
            return "u(ia{sv}av)", (revision, _as_struct(node)), None
        if member == "GetGroupProperties":
            ids, names = body
            return "a(ia{sv})", (export.properties(list(ids), list(names)),), None
        if member == "GetProperty":
            number, name = body
            found = export.properties([int(number)], [name])
            if not found or name not in found[0][1]:
                raise Failure(INVALID_ARGS, f"item {number} has no property {name}")
            return "v", (found[0][1][name],), None
        if member == "Event":
            number, event, _data, _when = body
            item = self._event_item(int(number), str(event))
            return None, (), None if item is None else partial(self._click, item)
        if member == "EventGroup":
            items: list[MenuEntry] = []
            errors: list[int] = []
            for number, event, _data, _when in body[0]:
                try:
                    item = self._event_item(int(number), str(event))
                except Failure:
                    errors.append(int(number))
                    continue
                if item is not None:
                    items.append(item)
            if body[0] and len(errors) == len(body[0]):
                raise Failure(INVALID_ARGS, f"no menu items {errors}")
            return "ai", (errors,), lambda: self._click_all(items)
        if member == "AboutToShow":
            return "b", (self._about_to_show(),), None
        if member == "AboutToShowGroup":
            ids = [int(number) for number in body[0]]
            return "aiai", (ids if self._about_to_show() else [], []), None
        raise Failure(UNKNOWN_METHOD, f"no method {MENU_IFACE}.{member}")

    def _event_item(self, number: int, event: str) -> MenuEntry | None:
        """The item a "clicked" event is for (None for other events); unknown ids fail."""
        item = self._export.item(number)
        if item is None and number != 0:
            raise Failure(INVALID_ARGS, f"no menu item {number}")
        if event != "clicked" or item is None:
            return None
        return item

    def _click(self, entry: MenuEntry) -> None:
        """Run an entry's action as the other backends do, then refresh the menu."""
        if entry.submenu or not entry.visible() or not entry.enabled():
            return  # the menu changed under the pointer: nothing to run
        if entry.action is not None:
            try:
                entry.action()
            except Exception:
                # An exception must not escape into the loop.
                log.exception("tray: %r failed", entry.label())
        self.update_menu()

    def _click_all(self, items: Sequence[MenuEntry]) -> None:
        for item in items:
            self._click(item)

    def _about_to_show(self) -> bool:
        """The menu is about to open: send what changed since; True only if the host must
        fetch the layout again (it never has to while the menu's structure stays put:
        new properties reach it as ``ItemsPropertiesUpdated``, without a rebuild)."""
        change = self._export.refresh()
        self._announce(change)
        return isinstance(change, LayoutChange)


def _machine_id() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as file:
                return file.read().strip()
        except OSError:
            continue
    return ""
