"""A real window manager and panel for tests on Xvfb: xfwm4 (with its settings service,
xfconfd, on a private session bus) and a dock window that reserves a strip of the
screen (``_NET_WM_STRUT_PARTIAL``), as a desktop's bottom panel does.

xfwm4 then frames windows with a title bar and computes ``_NET_WORKAREA`` from the
panel's strut, which is what a window placed "in a corner, clear of panels" must honour.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.daemon import wait_for
from support.sessionbus import Bus
from support.xserver import XServer, require_tool

XFCONFD = Path("/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd")


def _root_property(display: Any, name: str) -> list[int] | None:
    from Xlib import X

    found = display.screen().root.get_full_property(display.intern_atom(name), X.AnyPropertyType)
    return None if found is None else [int(v) for v in found.value]


def work_area(server: XServer) -> tuple[int, int, int, int] | None:
    """The first desktop's ``_NET_WORKAREA`` (x, y, width, height), if announced."""
    from Xlib import display

    screen = display.Display(server.display)
    try:
        value = _root_property(screen, "_NET_WORKAREA")
    finally:
        screen.close()
    return None if value is None or len(value) < 4 else (value[0], value[1], value[2], value[3])


def _wm_running(server: XServer) -> bool:
    from Xlib import display

    screen = display.Display(server.display)
    try:
        return bool(_root_property(screen, "_NET_SUPPORTING_WM_CHECK"))
    finally:
        screen.close()


def _quiet(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def running_xfwm4(server: XServer, bus: Bus) -> Iterator[None]:
    """xfwm4 managing ``server``'s windows, with xfconfd for its settings on ``bus``."""
    xfwm4 = require_tool("xfwm4", "xfwm4")
    if not XFCONFD.exists():
        pytest.fail(f"{XFCONFD} not found: install the Debian package xfconf", pytrace=False)
    env = {**os.environ, "DISPLAY": server.display, "DBUS_SESSION_BUS_ADDRESS": bus.address}
    settings = _quiet([str(XFCONFD)], env)
    manager = _quiet([xfwm4, "--compositor=off"], env)
    try:

        def managing() -> bool:
            if manager.poll() is not None:
                raise AssertionError(f"xfwm4 exited with {manager.returncode}")
            return _wm_running(server)

        wait_for(managing, 30, "xfwm4 to manage the screen")
        yield
    finally:
        for process in (manager, settings):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


@contextmanager
def bottom_panel(server: XServer, height: int) -> Iterator[None]:
    """A dock window along the bottom edge that reserves ``height`` pixels (a strut)."""
    from Xlib import X, Xatom, display

    screen = display.Display(server.display)
    try:
        root = screen.screen().root
        width = screen.screen().width_in_pixels
        bottom = screen.screen().height_in_pixels
        panel = root.create_window(
            0,
            bottom - height,
            width,
            height,
            0,
            screen.screen().root_depth,
            X.InputOutput,
            X.CopyFromParent,
            background_pixel=0x303030,
        )
        panel.change_property(
            screen.intern_atom("_NET_WM_WINDOW_TYPE"),
            Xatom.ATOM,
            32,
            [screen.intern_atom("_NET_WM_WINDOW_TYPE_DOCK")],
        )
        # left, right, top, bottom, then the start and end of each strip.
        strut = [0, 0, 0, height, 0, 0, 0, 0, 0, 0, 0, width - 1]
        panel.change_property(
            screen.intern_atom("_NET_WM_STRUT_PARTIAL"), Xatom.CARDINAL, 32, strut
        )
        panel.change_property(screen.intern_atom("_NET_WM_STRUT"), Xatom.CARDINAL, 32, strut[:4])
        panel.map()
        screen.sync()

        def reserved() -> bool:
            area = work_area(server)
            return area is not None and area[1] + area[3] <= bottom - height

        wait_for(reserved, 20, "the work area to leave out the panel")
        yield
    finally:
        screen.close()  # the panel goes with the connection
