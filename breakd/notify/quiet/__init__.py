"""When not to interrupt: do not disturb, as each desktop spells it, or a fullscreen
window (a presentation, a video call, a film) is in front.

Do not disturb comes from one source per desktop (``freedesktop``: the notification
spec's ``Inhibited``, KDE Plasma; ``xfce``: xfconf; ``dunst``: paused; ``gnome``:
show-banners; ``mako``: its do-not-disturb mode; ``swaync``: its switch), each read on
the session bus, or, on Windows and macOS, one local source (``windows``: Focus Assist
and the notification state; ``macos``: Focus). A source whose desktop is not here
answers "not quiet" without a word; one that is here but fails is logged once.
``watch`` listens for their change signals.

A fullscreen window is seen by the compositor on Wayland (``wayland``:
``zwlr_foreign_toplevel_manager_v1``, followed on its own thread) where it offers
that, else through X11 (``_NET_ACTIVE_WINDOW``; under Wayland only Xwayland's windows).

A held reminder is not lost: the daemon asks again every little while and shows the
reminder once when the quiet ends. Asking that often, each check keeps its connection
(one to the session bus, one to the X display) and opens a new one only after the old
one failed.

Threading contract: the daemon calls ``reason`` and ``close`` from its owner thread
only, never concurrently, so the connections need no lock. Every call returns within
the bus's call limit; a check that cannot be made counts as "not quiet".
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from breakd.dbus_client import BusConnection, BusUnavailable, DBusError
from breakd.i18n import N_
from breakd.notify.quiet.base import LocalQuietSource, QuietSource, SourceFailed, is_absent
from breakd.notify.quiet.dunst import DunstSource
from breakd.notify.quiet.freedesktop import NOTIFICATIONS, NOTIFICATIONS_PATH, InhibitedSource
from breakd.notify.quiet.gnome import GnomeSource, in_gnome
from breakd.notify.quiet.mako import MakoSource
from breakd.notify.quiet.swaync import SwayncSource
from breakd.notify.quiet.watch import QuietWatch
from breakd.notify.quiet.wayland import FullscreenToplevels
from breakd.notify.quiet.x11 import ActiveWindow, X11Lost, X11Unavailable
from breakd.notify.quiet.xfce import XfceSource
from breakd.wayland_client import WaylandUnavailable

__all__ = ["NOTIFICATIONS", "NOTIFICATIONS_PATH", "QuietRules", "QuietSource", "default_sources"]

log = logging.getLogger(__name__)

FULLSCREEN_CHECK = "quiet when a window is fullscreen"
FULLSCREEN = N_("a fullscreen window is in front")


def default_sources(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> tuple[QuietSource, ...]:
    """The sources this session can have; an absent bus service costs one short call.
    (Windows' and macOS's are imported only there: the daemon keeps what it imports.)"""
    if platform == "win32":
        from breakd.notify.quiet.windows import WindowsQuietSource

        try:
            return (WindowsQuietSource(),)
        except (SourceFailed, OSError, AttributeError) as error:  # a Windows without the calls
            log.warning("do not disturb (Windows) is off: %s", error)
            return ()
    if platform == "darwin":
        from breakd.notify.quiet.macos import MacFocusSource

        return (MacFocusSource(),)
    sources: list[QuietSource] = [
        InhibitedSource(), XfceSource(), DunstSource(), MakoSource(), SwayncSource(),
    ]  # fmt: skip
    if in_gnome(environ):
        sources.append(GnomeSource(environ))
    return tuple(sources)


class QuietRules:
    """Answers "is now a bad moment?" with a reason, or None."""

    def __init__(
        self,
        *,
        when_inhibited: bool,
        when_fullscreen: bool,
        environ: Mapping[str, str] = os.environ,
        sources: Sequence[QuietSource] | None = None,
    ) -> None:
        self.when_inhibited = when_inhibited
        self.when_fullscreen = when_fullscreen
        self._environ = environ
        self.sources = tuple(default_sources(environ) if sources is None else sources)
        self._watch: QuietWatch | None = None
        self._bus: BusConnection | None = None
        self._display: ActiveWindow | None = None  # kept between checks
        #: The compositor's toplevels, once asked for (None: not tried, or not offered).
        self._toplevels: FullscreenToplevels | None = None
        self._toplevels_tried = False
        self._on_change: Callable[[], None] | None = None
        #: Checks that are off, each logged once when it went off.
        self._off: set[str] = set()

    def reason(self) -> str | None:
        if self.when_inhibited:
            for source in self.sources:
                if self._says_quiet(source):
                    return source.reason
        if self.when_fullscreen and self._fullscreen():
            return FULLSCREEN
        return None

    def watch(self, on_change: Callable[[], None]) -> None:
        """Call ``on_change`` (from a listening thread) whenever a source may have changed,
        or the window in front went in or out of fullscreen (on Wayland)."""
        self._on_change = on_change
        if self.when_inhibited and self._watch is None and any(s.matches for s in self.sources):
            self._watch = QuietWatch(self.sources, on_change, self._environ)
            if not self._watch.start():
                self._watch = None
        if self.when_fullscreen:
            self._compositor_toplevels()

    def close(self) -> None:
        """Stop listening; close the bus, compositor and display connections (idempotent)."""
        if self._watch is not None:
            watch, self._watch = self._watch, None
            watch.stop()
        if self._toplevels is not None:
            toplevels, self._toplevels = self._toplevels, None
            toplevels.close()
        self._drop_bus()
        self._drop_display()

    def _says_quiet(self, source: QuietSource) -> bool:
        """One source's reading; absent (its desktop is not here) or failing is "no"."""
        check = source.check
        if isinstance(source, LocalQuietSource):
            try:
                quiet = source.read_local()
            except (SourceFailed, OSError) as error:
                self._went_off(check, str(error))
                return False
            self._back_on(check)
            return quiet
        if self._bus is None:
            try:
                self._bus = BusConnection("session", self._environ)
            except BusUnavailable:
                return False
        try:
            quiet = source.read(self._bus)
        except DBusError as error:
            if not is_absent(error):
                self._went_off(check, str(error))
            return False
        except SourceFailed as error:
            self._went_off(check, str(error))
            return False
        except (TimeoutError, OSError):
            self._drop_bus()  # broken or stuck: the next check opens a new one
            return False
        self._back_on(check)
        return quiet

    def _fullscreen(self) -> bool:
        """The compositor's word on Wayland where it offers it, else X11's."""
        toplevels = self._compositor_toplevels()
        if toplevels is not None:
            try:
                return toplevels.fullscreen()
            except WaylandUnavailable as error:
                self._toplevels = None
                toplevels.close()
                log.warning(
                    "%s: lost the compositor (%s); from now on only X11 windows are seen",
                    FULLSCREEN_CHECK,
                    error,
                )
        return self._x11_fullscreen()

    def _compositor_toplevels(self) -> FullscreenToplevels | None:
        """The compositor's toplevels, followed from the first time they are needed; in a
        session without them, said once and not asked again."""
        if not self._toplevels_tried:
            self._toplevels_tried = True
            if self._environ.get("WAYLAND_DISPLAY"):
                try:
                    self._toplevels = FullscreenToplevels(self._environ, self._fullscreen_changed)
                except WaylandUnavailable as error:
                    log.info("%s sees only X11 windows (Xwayland's): %s", FULLSCREEN_CHECK, error)
                else:
                    log.info("%s: from the compositor (%s)", FULLSCREEN_CHECK,
                             self._toplevels.protocol)  # fmt: skip
        return self._toplevels

    def _fullscreen_changed(self) -> None:
        """From the compositor's reader thread: only passes the news on."""
        on_change = self._on_change
        if on_change is not None:
            on_change()

    def _x11_fullscreen(self) -> bool:
        """``_NET_WM_STATE_FULLSCREEN`` on the ``_NET_ACTIVE_WINDOW`` (X11 / Xwayland)."""
        name = self._environ.get("DISPLAY")
        if not name:
            return False
        if self._display is None or self._display.name != name:
            self._drop_display()
            try:
                self._display = ActiveWindow(name)
            except (X11Unavailable, X11Lost) as failure:
                self._went_off(FULLSCREEN_CHECK, str(failure))
                return False
            self._back_on(FULLSCREEN_CHECK)
        try:
            return self._display.fullscreen()
        except X11Lost as failure:
            self._drop_display()
            self._went_off(FULLSCREEN_CHECK, str(failure))
            return False

    def _went_off(self, check: str, why: str) -> None:
        if check not in self._off:
            self._off.add(check)
            log.warning("%s is off: %s; reminders are not held back for it", check, why)

    def _back_on(self, check: str) -> None:
        if check in self._off:
            self._off.discard(check)
            log.info("%s works again", check)

    def _drop_bus(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.close()

    def _drop_display(self) -> None:
        if self._display is not None:
            screen, self._display = self._display, None
            screen.close()
