"""What every tray backend offers the tray, and what the tray offers it.

Backends: breakd's own StatusNotifierItem (:mod:`breakd.tray.sni`) and pystray's, with
breakd's fixes (:mod:`breakd.tray.pystray_tray`). Neither knows the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Only pystray's backends draw pictures; the StatusNotifierItem takes ready pixels.
    from PIL import Image


@dataclass(frozen=True)
class IconHooks:
    """What a backend tells the tray, and what it asks of it (from the backend's thread)."""

    draw: Callable[[int], Image.Image]  # the current picture at this many pixels (pystray)
    resized: Callable[[int], None]  # the tray now shows the icon at this size
    shown: Callable[[bool], None]  # a tray now shows the icon, or no longer does


class TrayIcon(Protocol):
    """A running icon: pystray's ``Icon`` interface, the part breakd uses.

    A Protocol where the other adapters' interfaces are abstract classes: the icons
    built on pystray's own ``Icon`` classes fit it without inheriting from breakd.

    ``reports_shown``: whether the backend calls ``IconHooks.shown`` (otherwise the
    icon counts as shown as soon as it runs).

    The picture is not part of it: pystray's icons take a Pillow image (``icon``), the
    StatusNotifierItem ready ARGB pixels (``pixmaps``); the tray sets whichever its
    backend has.
    """

    reports_shown: bool
    title: str
    visible: bool

    def run(self, setup: Callable[[Any], None]) -> None:
        """Run the loop on this thread until :meth:`stop`; ``setup(icon)`` runs beside it."""

    def stop(self) -> None: ...

    def update_menu(self) -> None:
        """The menu's texts or checks may have changed: show them."""
