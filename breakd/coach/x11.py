"""The few X11 details of the break window that Tk does not handle itself.

The window process talks to the X server directly (python-xlib) to

* read the DPI the desktop chose (``Xft.dpi``: GNOME, KDE and Xfce announce HiDPI
  scaling there while the server itself often still claims 96);
* read the work area (``_NET_WORKAREA``), so a corner window clears panels and docks;
* learn the size of the window manager's frame before the window is shown
  (``_NET_REQUEST_FRAME_EXTENTS``), so the frame, title bar included, fits the work
  area at once instead of being moved by the window manager later;
* ask the window manager not to give the window keyboard focus when it appears
  (``_NET_WM_USER_TIME`` of 0, the EWMH way): a break offer must never take the
  keyboard from a call or from what the user is typing;
* store the title in ``WM_NAME`` as UTF-8. Tk writes the title's UTF-8 bytes there
  labelled as Latin-1, so tools and older window managers that read ``WM_NAME``
  (``xdotool search --name``, window lists) would show "breakd â\\x80\\x94 break".

Every function quietly does nothing (or returns None) when python-xlib or the server
cannot answer: the window works without these touches.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenFacts:
    dpi: float | None
    #: (x, y, width, height) of the desktop minus panels, or None if not announced.
    work_area: tuple[int, int, int, int] | None


def _open(display_name: str | None) -> Any:
    try:
        from Xlib import display
    except ImportError:
        return None
    try:
        return display.Display(display_name)
    except Exception as error:  # python-xlib raises several unrelated types here
        log.debug("cannot open the X display: %s", error)
        return None


def screen_facts(display_name: str | None = None) -> ScreenFacts:
    """The desktop's DPI choice and work area, each None when unknown."""
    screen = _open(display_name)
    if screen is None:
        return ScreenFacts(None, None)
    try:
        from Xlib import Xatom

        root = screen.screen().root
        dpi = None
        resources = root.get_full_property(screen.intern_atom("RESOURCE_MANAGER"), Xatom.STRING)
        if resources is not None:
            dpi = parse_xft_dpi(_text(resources.value))
        area = None
        found = root.get_full_property(screen.intern_atom("_NET_WORKAREA"), Xatom.CARDINAL)
        if found is not None and len(found.value) >= 4:
            x, y, width, height = (int(v) for v in found.value[:4])
            if width > 0 and height > 0:
                area = (x, y, width, height)
        return ScreenFacts(dpi, area)
    except Exception as error:
        log.debug("cannot read the screen's facts: %s", error)
        return ScreenFacts(None, None)
    finally:
        screen.close()


def parse_xft_dpi(resources: str) -> float | None:
    """The ``Xft.dpi`` value in an X resource listing (``xrdb -query`` format)."""
    for line in resources.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Xft.dpi":
            try:
                dpi = float(value.strip())
            except ValueError:
                return None
            return dpi if 48 <= dpi <= 480 else None
    return None


def prepare_window(window_id: int, title: str, display_name: str | None = None) -> int | None:
    """Set up Tk's top-level window that holds ``window_id`` before it is first shown.

    Call once Tk has created the window (after ``update_idletasks`` on a withdrawn
    toplevel) and before ``deiconify``. Returns the id of the X top-level window (Tk's
    wrapper), or None if the server could not be reached.
    """
    screen = _open(display_name)
    if screen is None:
        return None
    try:
        from Xlib import X, Xatom

        root_id = screen.screen().root.id
        window = screen.create_resource_object("window", window_id)
        # Tk puts each toplevel in a wrapper window: the one the window manager sees.
        while (parent := window.query_tree().parent).id != root_id and parent.id != X.NONE:
            window = parent
        window.change_property(
            screen.intern_atom("_NET_WM_USER_TIME"), Xatom.CARDINAL, 32, [0], X.PropModeReplace
        )
        utf8 = screen.intern_atom("UTF8_STRING")
        encoded = title.encode("utf-8")
        window.change_property(Xatom.WM_NAME, utf8, 8, encoded, X.PropModeReplace)
        window.change_property(Xatom.WM_ICON_NAME, utf8, 8, encoded, X.PropModeReplace)
        screen.sync()
        return int(window.id)
    except Exception as error:
        log.debug("cannot prepare the window: %s", error)
        return None
    finally:
        screen.close()


@dataclass(frozen=True)
class FrameExtents:
    """How far the window manager's frame reaches beyond the window on each side."""

    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0


#: How long to wait for the window manager to announce a frame's size.
EXTENTS_TIMEOUT = 1.0


def frame_extents(
    window_id: int, display_name: str | None = None, timeout: float = EXTENTS_TIMEOUT
) -> FrameExtents | None:
    """The frame the window manager will put around the (unmapped) top-level ``window_id``.

    No window manager means no frame (all zero). None when a window manager runs but
    does not say (it lacks ``_NET_REQUEST_FRAME_EXTENTS`` or did not answer in time).
    """
    screen = _open(display_name)
    if screen is None:
        return None
    try:
        from Xlib import X, Xatom
        from Xlib.protocol import event

        root = screen.screen().root
        check = root.get_full_property(screen.intern_atom("_NET_SUPPORTING_WM_CHECK"), Xatom.WINDOW)
        if check is None or not check.value:
            return FrameExtents()
        request = screen.intern_atom("_NET_REQUEST_FRAME_EXTENTS")
        supported = root.get_full_property(screen.intern_atom("_NET_SUPPORTED"), Xatom.ATOM)
        if supported is None or request not in supported.value:
            return None
        window = screen.create_resource_object("window", window_id)
        message = event.ClientMessage(window=window, client_type=request, data=(32, [0] * 5))
        root.send_event(
            message,
            event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask,
        )
        screen.sync()
        name = screen.intern_atom("_NET_FRAME_EXTENTS")
        deadline = time.monotonic() + timeout
        while True:
            found = window.get_full_property(name, Xatom.CARDINAL)
            if found is not None and len(found.value) >= 4:
                left, right, top, bottom = (max(0, int(v)) for v in found.value[:4])
                return FrameExtents(left, right, top, bottom)
            if time.monotonic() > deadline:
                log.debug("the window manager did not announce the frame's size")
                return None
            time.sleep(0.02)  # the window manager answers asynchronously
    except Exception as error:
        log.debug("cannot learn the frame's size: %s", error)
        return None
    finally:
        screen.close()


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
