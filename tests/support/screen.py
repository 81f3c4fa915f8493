"""Looking at and typing into the test's X server: screenshots, colours, keys."""

from __future__ import annotations

import colorsys
import os
import subprocess
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageGrab

from support.xserver import XServer, require_tool


def artifacts(tmp_path: Path) -> Path:
    """Where to keep images for people to look at: $BREAKD_TEST_ARTIFACTS, else tmp."""
    folder = Path(os.environ.get("BREAKD_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def grab(server: XServer, box: tuple[int, int, int, int]) -> Image.Image:
    """A screenshot of ``box`` (x, y, width, height) from the X server itself."""
    x, y, width, height = box
    return ImageGrab.grab(xdisplay=server.display).crop((x, y, x + width, y + height))


def changed(before: Image.Image, after: Image.Image) -> bool:
    return ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox() is not None


def wait_still(server: XServer, box: tuple[int, int, int, int], timeout: float = 10.0) -> None:
    """Wait until ``box`` looks the same in two screenshots in a row: drawing has finished."""
    deadline = time.monotonic() + timeout
    previous = grab(server, box)
    while True:
        time.sleep(0.1)  # the interval between two looks, not a guess at drawing time
        current = grab(server, box)
        if not changed(previous, current):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the screen in {box} kept changing for {timeout:.0f}s")
        previous = current


def changed_share(first: Image.Image, second: Image.Image) -> float:
    """How much of the ink (dark or coloured pixels) in either picture differs clearly in
    the other: 0 for the same picture, near 1 for two unrelated ones."""

    def on_white(image: Image.Image) -> Image.Image:
        panel = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(panel, image.convert("RGBA")).convert("L")

    a, b = on_white(first), on_white(second)
    differs = ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0)
    ink = ImageChops.lighter(
        a.point(lambda v: 255 if v < 200 else 0), b.point(lambda v: 255 if v < 200 else 0)
    )
    return differs.histogram()[255] / max(ink.histogram()[255], 1)


def teal_share(picture: Image.Image) -> float:
    """How much of the picture is breakd's teal (its icon), not a tray's background."""
    data = picture.convert("RGB").tobytes()
    teal = 0
    for i in range(0, len(data), 3):
        h, s, v = colorsys.rgb_to_hsv(data[i] / 255, data[i + 1] / 255, data[i + 2] / 255)
        teal += 0.42 < h < 0.54 and s > 0.4 and v > 0.3
    return teal / (len(data) // 3)


def key(*keys: str) -> None:
    """Keys to whatever holds the keyboard (an open menu grabs it)."""
    xdotool = require_tool("xdotool", "xdotool")
    for name in keys:
        subprocess.run([xdotool, "key", name], check=True)
        time.sleep(0.1)
