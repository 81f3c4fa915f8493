"""Running the tray on the main thread, with the daemon beside it.

pystray's ``run()`` must own the main thread (macOS insists; GTK expects it), so with a
tray the daemon's loop moves to a thread of its own, "breakd-owner". A third thread,
"breakd-tray", keeps the icon current: it redraws when a snapshot shows something new
(the owner thread takes one after every daemon change, and when time passing changes
the words shown: the next whole minute, see ``model.next_change``), and stops the icon
when the daemon stops, whatever stopped it (Quit, ``breakd quit``, a signal).

Signals: with GTK's loop in C on the main thread, Python's signal handlers would only
run when GTK next calls into Python, so for the GTK backends GLib watches the stop
signals (SIGTERM, SIGINT, SIGHUP) itself (``GLib.unix_signal_add``). The sni backend's
loop is Python's own, so Python's handlers run at once there. Either way a signal only
asks the daemon to stop, and the daemon stopping stops the tray: one path out, and
history is closed.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from breakd.autostart import StartAtLogin
from breakd.daemon import Daemon
from breakd.files import default_history_path
from breakd.signals import STOP_SIGNALS, signal_reason
from breakd.tray.base import IconHooks, TrayIcon
from breakd.tray.looks import IconState, icon_state
from breakd.tray.model import (
    ShownEntry,
    StatusCache,
    TrayActions,
    build_menu,
    capture,
    shown,
    title,
)
from breakd.tray.pixmaps import PixmapCache
from breakd.tray.select import choose_backend
from breakd.tray.settings_window import SettingsLauncher, current_texts, open_config_file
from breakd.tray.sni import StatusNotifierIcon
from breakd.tray.statistics import StatisticsLauncher

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

#: How long a tray host may take to show the icon before the log says none does.
HOST_WAIT = 10.0
#: The size the icon is drawn at until the tray says which size it shows.
DEFAULT_SIZE = 32

_SIGNALS = STOP_SIGNALS


def run_with_tray(daemon: Daemon, *, environ: Mapping[str, str] = os.environ) -> bool:
    """Run the daemon with a tray icon; False (nothing started) when no tray can work here.

    With a tray, the daemon runs in the "breakd-owner" thread and the tray on the calling
    (main) thread until the daemon stops; SIGTERM, SIGINT and SIGHUP stop both. Without one, the
    reason is logged once and the caller runs the daemon as before.
    """
    choice = choose_backend(environ)
    if choice.name is None:
        log.info(
            "tray icon off: %s. Reminders, the break window and `breakd` commands work without it.",
            "; ".join(choice.notes),
        )
        return False
    try:
        tray = Tray(daemon, choice.name, environ)
    except Exception as error:
        log.info(
            "tray icon off: the %s tray cannot start here (%s). Reminders, the break window"
            " and `breakd` commands work without it.",
            choice.name,
            error,
        )
        return False
    passed = f" (passed over {'; '.join(choice.notes)})" if choice.notes else ""
    log.info("tray: %s backend%s", choice.name, passed)
    tray.run()
    return True


class Tray:
    """One tray icon following one daemon."""

    def __init__(self, daemon: Daemon, backend: str, environ: Mapping[str, str]) -> None:
        self.daemon = daemon
        self.backend = backend
        pystray = None
        if backend != "sni":
            # Here, not at the top: pystray and these backends draw with Pillow, which
            # the StatusNotifierItem keeps out of the daemon (see breakd.tray.pixmaps).
            from breakd.tray.pystray_tray import load_pystray

            pystray = load_pystray(backend, environ)
        # The owner thread has not started yet, so reading the daemon here is safe.
        self.cache = StatusCache(daemon, capture(daemon))
        self.settings_window = SettingsLauncher(
            lambda key, text: self.actions.change(key, text),
            lambda: current_texts(self.cache.current.settings),
            open_config=self._open_config,
        )
        self.statistics = StatisticsLauncher(
            default_history_path(), lambda: self.cache.current.settings.interval
        )
        self.actions = TrayActions(
            daemon,
            open_settings=self.settings_window.open,
            open_config=self._open_config,
            open_statistics=self.statistics.open,
            start_at_login=StartAtLogin(),
        )
        self.menu = build_menu(self.cache, self.actions)
        self._size = DEFAULT_SIZE
        self._drawn: tuple[IconState, int] | None = None
        self._menu_shown: tuple[ShownEntry, ...] | None = None
        self._wake = threading.Event()
        self._ready = threading.Event()
        self._daemon_done = threading.Event()
        self._shown_lock = threading.Lock()
        self._shown: bool | None = None
        self._no_host_told = False
        state = icon_state(self.cache.current.status)
        hooks = IconHooks(draw=self._draw, resized=self._resized, shown=self._on_shown)
        # The title is set once the icon runs, like every change.
        self.icon: TrayIcon
        self._sni: StatusNotifierIcon | None = None
        self._pixmaps: PixmapCache | None = None
        self._pystray_icon: Any = None  # pystray's Icon, which takes a Pillow image
        if pystray is None:
            self._pixmaps = PixmapCache()
            self._sni = StatusNotifierIcon(
                "breakd", self._pixmaps.pixmaps(state), "breakd", self.menu, hooks=hooks
            )
            self.icon = self._sni
        else:
            from breakd.tray.icon import render
            from breakd.tray.pystray_tray import make_icon

            image = render(state, DEFAULT_SIZE)
            self._pystray_icon = make_icon(
                pystray, backend, image=image, title="breakd", entries=self.menu, hooks=hooks
            )
            self.icon = self._pystray_icon

    def _open_config(self) -> None:
        """Open the config file; with no editor to show it, the daemon's notifier says
        where it is."""
        open_config_file(tell=self.daemon.tell_user)

    # --- running -------------------------------------------------------------------------

    def run(self) -> None:
        """Run until the daemon stops; an error of the daemon's is raised here afterwards."""
        failure: list[BaseException] = []

        def own() -> None:
            try:
                self.daemon.run()
            except BaseException as error:
                failure.append(error)
            finally:
                self._daemon_done.set()
                self._wake.set()

        self.cache.on_update(self._wake.set)
        self.cache.attach()
        owner = threading.Thread(target=own, name="breakd-owner")
        keeper = threading.Thread(target=self._keep_current, name="breakd-tray", daemon=True)
        with stop_on_signals(self.daemon, self.backend) as signals:
            owner.start()
            keeper.start()
            try:
                self.icon.run(self._setup)
            except Exception:
                log.exception("tray: the icon stopped with an error")
            if not self._daemon_done.is_set():
                log.warning("tray: the icon is gone; breakd carries on without it")
                # GLib's signal watch needs its loop, which has ended: Python's own
                # handlers take SIGTERM and Ctrl+C again.
                signals.without_main_loop()
            owner.join()
        if failure:
            raise failure[0]

    def _setup(self, icon: TrayIcon) -> None:
        """pystray calls this (in a thread of its own) once its loop runs."""
        icon.visible = True
        if self.backend == "xorg":
            log.info(
                "tray: this backend (xorg) has no menu: a left click on the icon starts a break;"
                " menus need another backend (PyGObject with GTK 3 and a D-Bus session bus)"
            )
        if not getattr(icon, "reports_shown", False):
            self._on_shown(True)
        self._ready.set()

    def _keep_current(self) -> None:
        """The "breakd-tray" thread: redraw on news, stop last.

        The news comes from the owner thread, after every change and when time passing
        changes the words shown (the cache is a status watcher); this thread only waits
        for it, except at first, to say once if no tray host shows the icon.
        """
        self._ready.wait()
        started = time.monotonic()
        while not self._daemon_done.is_set():
            try:
                self._show_state()
            except Exception:
                log.exception("tray: updating the icon failed")
            self._tell_if_no_host(started)
            waiting_for_host = self._shown is None and not self._no_host_told
            timeout = max(0.1, started + HOST_WAIT - time.monotonic()) if waiting_for_host else None
            self._wake.wait(timeout)
            self._wake.clear()
        self.icon.stop()

    def _show_state(self) -> None:
        snapshot = self.cache.current
        picture = (icon_state(snapshot.status), self._size)
        if picture != self._drawn:
            self._paint(*picture)
            self._drawn = picture
        self.icon.title = title(snapshot)
        if self._sni is not None:
            # The exported menu compares itself with what hosts were last told.
            self._sni.update_menu()
            return
        menu_now = shown(self.menu)
        if menu_now != self._menu_shown:
            # pystray's AppIndicator backend sends the change now; GTK builds its menu
            # as it opens.
            self._menu_shown = menu_now
            self.icon.update_menu()

    def _paint(self, state: IconState, size: int) -> None:
        """Give the backend the picture of ``state``: ready pixels, or a Pillow image."""
        if self._sni is not None and self._pixmaps is not None:
            self._sni.pixmaps = self._pixmaps.pixmaps(state)
            return
        from breakd.tray.icon import render

        self._pystray_icon.icon = render(state, size)

    # --- what the backend reports ----------------------------------------------------------

    def _draw(self, size: int) -> Image.Image:
        """A pystray backend's picture at ``size`` (the StatusNotifierItem never asks)."""
        from breakd.tray.icon import render

        return render(icon_state(self.cache.current.status), max(8, min(size, 256)))

    def _resized(self, size: int) -> None:
        self._size = max(8, min(size, 256))
        self._wake.set()

    def _on_shown(self, is_shown: bool) -> None:
        with self._shown_lock:
            if is_shown == self._shown:
                return
            before, self._shown = self._shown, is_shown
        if is_shown:
            log.info("tray: icon shown (%s backend)", self.backend)
        elif before:
            log.info("tray: the system tray went away; the icon comes back when one starts")

    def _tell_if_no_host(self, started: float) -> None:
        if self._shown or self._no_host_told or time.monotonic() - started < HOST_WAIT:
            return
        self._no_host_told = True
        log.info(
            "tray: no system tray shows the icon yet; reminders, the break window and"
            " `breakd` commands work without it, and the icon appears when a tray starts"
        )


class SignalWatch:
    """SIGTERM, SIGINT and SIGHUP ask the daemon to stop, even while a C main loop runs."""

    def __init__(self, daemon: Daemon, backend: str) -> None:
        self._daemon = daemon
        self._backend = backend
        self._previous: dict[int, Any] = {}
        self._glib: Any = None
        self._sources: list[int] = []

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._daemon.request_stop(signal_reason(signum))

    def start(self) -> None:
        self._previous = {number: signal.getsignal(number) for number in _SIGNALS}
        for number in _SIGNALS:
            signal.signal(number, self._on_signal)
        if self._backend not in ("gtk", "appindicator"):
            return
        glib = self._glib = importlib.import_module("gi.repository.GLib")

        def on_glib_signal(number: int) -> bool:
            self._daemon.request_stop(signal_reason(number))
            return True

        def watch() -> bool:
            # Run from inside the loop: pystray's start-up resets SIGINT before it.
            for number in _SIGNALS:
                self._sources.append(
                    glib.unix_signal_add(glib.PRIORITY_HIGH, number, on_glib_signal, int(number))
                )
            return False

        glib.idle_add(watch)

    def without_main_loop(self) -> None:
        """The C loop has ended: give the signals back to Python's handlers."""
        self._remove_glib_sources()
        for number in _SIGNALS:
            signal.signal(number, self._on_signal)

    def _remove_glib_sources(self) -> None:
        for source in self._sources:
            self._glib.source_remove(source)
        self._sources = []

    def stop(self) -> None:
        self._remove_glib_sources()
        # GLib puts the default action back when it stops watching; restore breakd's.
        for number, handler in self._previous.items():
            signal.signal(number, handler if handler is not None else self._on_signal)


class _NoSignalWatch(SignalWatch):
    """Off the main thread Python cannot set signal handlers; the caller's stay."""

    def start(self) -> None:
        pass

    def without_main_loop(self) -> None:
        pass

    def stop(self) -> None:
        pass


@contextmanager
def stop_on_signals(daemon: Daemon, backend: str) -> Iterator[SignalWatch]:
    """SIGTERM, SIGINT and SIGHUP ask the daemon to stop while the tray runs."""
    on_main = threading.current_thread() is threading.main_thread()
    watch = (SignalWatch if on_main else _NoSignalWatch)(daemon, backend)
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()
