"""The tray icon on pystray, and the fixes breakd needs in each backend (``select`` picks it).

This module alone depends on pystray, and on the private names of its backends that
breakd's subclasses extend (``tests/test_tray_pystray_private.py`` lists them).

Backend order on Linux: ``$PYSTRAY_BACKEND`` if set, else ``sni`` (breakd's own
StatusNotifierItem over D-Bus, :mod:`breakd.tray.sni`: no GTK, shown by KDE, GNOME with
the AppIndicator extension and most panels) when a StatusNotifierWatcher is on the
session bus, ``gtk`` (an XEmbed ``Gtk.StatusIcon``, for trays such as i3bar or trayer)
when PyGObject is installed, then ``xorg`` (XEmbed in pure Python, no menu). pystray's
own ``appindicator`` (GTK and libayatana-appindicator) is still there through
``PYSTRAY_BACKEND=appindicator``. Each is checked before pystray is imported, because
pystray cannot even be imported without a display, and its GTK backends wait for ever on
a session bus that is not there: a backend that cannot work here is passed over with a
note saying why.

Fixes made here:

* gtk: the menu is built as it opens (pystray builds it once), so it shows the present
  state; the title is also the tooltip; the icon is redrawn at the size the tray asks
  for; Ctrl+C keeps stopping breakd cleanly (pystray resets SIGINT to "die at once").
* xorg: pystray never asks X for button events, so a click on its icon did nothing; the
  window now selects ButtonPress, and a left click starts a break. A tray that starts
  after breakd announces itself (the XEmbed ``MANAGER`` message) and the icon docks
  then, without pystray's error-with-traceback for every try.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import select
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

from PIL import Image

from breakd import x11_errors
from breakd.dbus_client import bus_address
from breakd.tray.base import IconHooks
from breakd.tray.model import MenuEntry

log = logging.getLogger(__name__)

#: What the xorg backend paints behind the icon (X has no transparency for tray icons).
XORG_BACKGROUND = (48, 48, 48)


def load_pystray(backend: str, environ: Mapping[str, str] = os.environ) -> ModuleType:
    """Import pystray with ``backend``; raises whatever pystray raises when it cannot."""
    # pystray picks its backend from the environment when it is imported.
    os.environ["PYSTRAY_BACKEND"] = backend
    if backend in ("gtk", "appindicator"):
        # GLib must find the same bus the check found, or it would try to start one.
        os.environ.setdefault("DBUS_SESSION_BUS_ADDRESS", bus_address("session", environ))
        if backend == "gtk" and environ.get("WAYLAND_DISPLAY"):
            os.environ["GDK_BACKEND"] = "x11"  # a StatusIcon exists only on X11
        # A tray icon draws no OpenGL; with it on, GDK loads the Mesa driver (and LLVM)
        # to pick a visual: over 50 MB of resident memory for nothing.
        os.environ.setdefault("GDK_GL", "disable")
    return importlib.import_module("pystray")


# --- the menu ---------------------------------------------------------------------------


def pystray_menu(pystray: ModuleType, entries: Sequence[MenuEntry]) -> Any:
    """The model as pystray items; pystray asks the callables each time it builds a menu."""
    return pystray.Menu(*(_pystray_item(pystray, entry) for entry in entries))


def _pystray_item(pystray: ModuleType, entry: MenuEntry) -> Any:
    if entry.separator:
        return pystray.Menu.SEPARATOR
    action = pystray_menu(pystray, entry.submenu) if entry.submenu else _run_action(entry)
    return pystray.MenuItem(
        lambda _item: entry.label(),
        action,
        checked=None if entry.checked is None else _ask(entry.checked),
        radio=entry.radio,
        default=entry.default,
        visible=_ask(entry.visible),
        enabled=_ask(entry.enabled),
    )


def _ask(predicate: Callable[[], bool]) -> Callable[[Any], bool]:
    return lambda _item: predicate()


def _run_action(entry: MenuEntry) -> Callable[[Any, Any], None]:
    def run(icon: Any, item: Any) -> None:
        if entry.action is None:
            return
        try:
            entry.action()
        except Exception:
            # An exception must not escape into the toolkit's loop.
            log.exception("tray: %r failed", entry.label())

    return run


# --- the icon ---------------------------------------------------------------------------


def make_icon(
    pystray: ModuleType,
    backend: str,
    *,
    image: Image.Image,
    title: str,
    entries: Sequence[MenuEntry],
    hooks: IconHooks,
) -> Any:
    """A pystray icon of ``backend`` with breakd's fixes; ``reports_shown`` says whether
    it will call ``hooks.shown`` (otherwise it is shown as soon as it runs). The sni
    backend is not pystray's: see :class:`breakd.tray.sni.StatusNotifierIcon`."""
    factory = {
        "gtk": _gtk_icon_class,
        "appindicator": _appindicator_icon_class,
        "xorg": _xorg_icon_class,
    }.get(backend, _plain_icon_class)
    icon_class = factory(pystray)
    return icon_class("breakd", image, title, pystray_menu(pystray, entries), breakd_hooks=hooks)


def _finalize_quietly(finalize: Callable[[], None]) -> None:
    """pystray's clean-up withdraws its own notification even when it never showed one,
    and that call fails on a desktop without a notification service: not worth an error."""
    try:
        finalize()
    except Exception as error:
        log.debug("tray: pystray's clean-up: %s", error)


def _keep_sigint(initialize: Callable[[], None]) -> None:
    """Run pystray's set-up without letting it make Ctrl+C kill breakd uncleanly."""
    handler = signal.getsignal(signal.SIGINT)
    initialize()
    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def _plain_icon_class(pystray: ModuleType) -> type:
    class PlainIcon(pystray.Icon):  # type: ignore[misc,name-defined]
        reports_shown = False

        def __init__(self, *args: Any, breakd_hooks: IconHooks, **kwargs: Any) -> None:
            self._breakd_hooks = breakd_hooks
            super().__init__(*args, **kwargs)

    return PlainIcon


def _appindicator_icon_class(pystray: ModuleType) -> type:
    class AppIndicatorIcon(pystray.Icon):  # type: ignore[misc,name-defined]
        reports_shown = False

        def __init__(self, *args: Any, breakd_hooks: IconHooks, **kwargs: Any) -> None:
            self._breakd_hooks = breakd_hooks
            super().__init__(*args, **kwargs)

        def _initialize(self) -> None:
            _keep_sigint(super()._initialize)

        def _finalize(self) -> None:
            _finalize_quietly(super()._finalize)

    return AppIndicatorIcon


def _gtk_icon_class(pystray: ModuleType) -> type:
    glib = importlib.import_module("gi.repository.GLib")

    class GtkIcon(pystray.Icon):  # type: ignore[misc,name-defined]
        reports_shown = True

        def __init__(self, *args: Any, breakd_hooks: IconHooks, **kwargs: Any) -> None:
            self._breakd_hooks = breakd_hooks
            self._menu_handle = None
            super().__init__(*args, **kwargs)
            self._status_icon.connect("notify::embedded", self._on_embedded)
            self._status_icon.connect("size-changed", self._on_size_changed)
            self.display_lost = False
            survive_display_loss(self._on_display_lost)

        def _on_display_lost(self) -> None:
            """The X server is gone: end the GTK loop; breakd carries on without the icon."""
            if self.display_lost:
                return
            self.display_lost = True
            log.warning("tray: lost the connection to the X display; the icon is gone")
            if self._loop is not None:
                self._loop.quit()

        def _initialize(self) -> None:
            _keep_sigint(super()._initialize)

        def _finalize(self) -> None:
            _finalize_quietly(super()._finalize)

        def _on_embedded(self, status_icon: Any, _spec: Any) -> None:
            self._breakd_hooks.shown(bool(status_icon.props.embedded))

        def _on_size_changed(self, _status_icon: Any, size: int) -> bool:
            self._breakd_hooks.resized(int(size))
            return False  # GTK scales the old picture until the new one arrives

        def _update_menu(self) -> None:
            """Nothing to do: the menu is built each time it opens."""

        def _on_status_icon_popup_menu(self, status_icon: Any, button: int, when: int) -> None:
            self._menu_handle = self._create_menu(self.menu)
            super()._on_status_icon_popup_menu(status_icon, button, when)

        def _update_title(self) -> None:
            def apply() -> bool:
                self._status_icon.set_title(self.title)
                self._status_icon.set_tooltip_text(self.title)
                return False

            glib.idle_add(apply)

    return GtkIcon


def survive_display_loss(on_lost: Callable[[], None]) -> None:
    """Have GDK's X display report a lost server to ``on_lost`` instead of exiting.

    GDK's own I/O error handler ends the process; ``x11_errors`` takes over for GDK's
    display, found through the C API (PyGObject does not expose the ``Display*``).
    """
    try:
        xlib = x11_errors.load_xlib()
        gdk = ctypes.CDLL("libgdk-3.so.0")
        gdk.gdk_display_get_default.restype = ctypes.c_void_p
        gdk.gdk_x11_display_get_xdisplay.argtypes = [ctypes.c_void_p]
        gdk.gdk_x11_display_get_xdisplay.restype = ctypes.c_void_p
        display = gdk.gdk_display_get_default()
        xdisplay = gdk.gdk_x11_display_get_xdisplay(display) if display else None
        if not xdisplay:
            raise x11_errors.XlibUnavailable("GDK has no X display")
        x11_errors.watch(xlib, xdisplay, on_lost)
    except (OSError, AttributeError, x11_errors.XlibUnavailable) as error:
        log.info("tray: losing the X server would end breakd (%s)", error)


def _xorg_icon_class(pystray: ModuleType) -> type:
    xlib = importlib.import_module("Xlib.X")

    class XorgIcon(pystray.Icon):  # type: ignore[misc,name-defined]
        reports_shown = True
        # Set by pystray's X code; declared for the type checker.
        _systray_manager: Any
        _icon_data: Any

        def __init__(self, *args: Any, breakd_hooks: IconHooks, **kwargs: Any) -> None:
            self._breakd_hooks = breakd_hooks
            # Wakes the event loop after another thread has talked to the X server (see
            # _events); it lives as long as the process, so its numbers are never reused.
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
            super().__init__(*args, **kwargs)
            flush = self._display.flush

            def flush_and_wake() -> None:
                flush()
                if threading.current_thread() is not getattr(self, "_thread", None):
                    with contextlib.suppress(BlockingIOError):
                        os.write(self._wake_w, b"x")

            self._display.flush = flush_and_wake
            self._manager_atom = self._display.intern_atom("MANAGER")
            self._root = self._display.screen().root
            # A tray that starts later announces itself to the root window.
            self._root.change_attributes(event_mask=xlib.StructureNotifyMask)
            on_client_message = self._message_handlers[xlib.ClientMessage]

            def client_message(event: Any) -> None:
                if (
                    event.client_type == self._manager_atom
                    and event.data[1][1] == self._net_system_tray_sx
                ):
                    self._dock_quietly()
                else:
                    on_client_message(event)

            self._message_handlers[xlib.ClientMessage] = client_message
            self._message_handlers[xlib.ReparentNotify] = self._on_reparent
            self._display.flush()

        def _events(self) -> Iterator[Any]:
            """pystray's event loop, woken also when another thread has talked to X.

            pystray runs every change made from another thread (title, icon, stop) in
            this loop: that thread sends a message to the icon's own window, flushes and
            waits. python-xlib may let that thread read the message off the socket into
            the event queue, and a loop asleep on the socket then never sees it: the
            other thread waits for ever (breakd could not exit). Every flush from another
            thread also writes to a pipe of breakd's own, and the loop waits on both and
            looks at the queue after each wake.
            """
            display = self._display
            while True:
                while display.pending_events():
                    yield display.next_event()
                readable, _, _ = select.select([display, self._wake_r], [], [])
                if self._wake_r in readable:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)

        def _create_window(self) -> Any:
            window = super()._create_window()
            # pystray's window never asks for button events, so clicks never arrive.
            window.change_attributes(
                event_mask=xlib.ExposureMask
                | xlib.StructureNotifyMask
                | xlib.ButtonPressMask
                | xlib.ButtonReleaseMask
            )
            return window

        def _run(self) -> None:
            # pystray sets this only after its set-up thread may already use it.
            self._thread = threading.current_thread()
            super()._run()

        def _dock_quietly(self) -> None:
            if self._systray_manager is None:
                self._dock_window()

        def _show(self) -> None:
            self._dock_quietly()

        def _update_icon(self) -> None:
            self._dock_quietly()
            self._icon_data = None
            if self._systray_manager is not None:
                self._draw()
            self._icon_valid = True

        def _on_destroy_notify(self, event: Any) -> None:
            manager = self._systray_manager
            if manager is None or event.window.id != manager.id:
                return
            self._systray_manager = None
            self._breakd_hooks.shown(False)
            self._dock_quietly()

        def _on_reparent(self, event: Any) -> None:
            if event.window.id == self._window.id:
                self._breakd_hooks.shown(event.parent.id != self._root.id)

        def _assert_icon_data(self, width: int, height: int) -> None:
            if self._icon_data is not None and self._icon_data.size == (width, height):
                return
            size = max(8, min(width, height, 256))
            picture = self._breakd_hooks.draw(size)
            data = Image.new("RGB", (width, height), XORG_BACKGROUND)
            data.paste(picture, ((width - size) // 2, (height - size) // 2), picture)
            self._icon_data = data

    return XorgIcon
