"""The tray icon as ARGB32 pixel data, drawn once per version of the drawing and kept in a file.

Why: a StatusNotifierItem sends its picture as pixels (``IconPixmap``), and drawing them
needs Pillow, which with its libraries (zlib, libjpeg, freetype, ...) is about 5 MB of
the daemon's resident memory for a picture that changes a few times an hour. So the
daemon never loads Pillow for this icon: the first start of a version runs
``python -m breakd.tray.pixmaps FILE``, a short-lived process that draws every state at
every size (the 18 states of :func:`breakd.tray.looks.all_states`, about 330 KB)
into one file in the user's cache folder, and the daemon reads the one state it shows
from it with a seek. The file's name carries a checksum of the drawing code and the
artwork, so a change to either draws a new file and the old one is removed.

When the drawing process cannot run, the daemon draws here itself (Pillow loaded, one
line in the log), so the icon still shows.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from breakd import APP_NAME, __version__
from breakd.files import make_private_dir, write_atomically
from breakd.resources import data_dir
from breakd.tray.looks import IconState, all_states

log = logging.getLogger(__name__)

#: One ``IconPixmap`` entry: width, height, ARGB32 pixels in network byte order.
Pixmap = tuple[int, int, bytes]
#: The sizes sent in ``IconPixmap``: what panels commonly show, up to HiDPI.
PIXMAP_SIZES = (16, 22, 24, 32, 48)
#: Bumped when the file's layout changes.
FILE_FORMAT = 1
#: The longest the first start waits for the drawing process.
DRAW_TIMEOUT = 60.0
#: What the drawing depends on, next to this module.
_DRAWING_SOURCES = ("icon.py", "looks.py")


def drawing_key(sizes: Sequence[int] = PIXMAP_SIZES) -> str:
    """A checksum of everything the pictures depend on: drawing code, artwork, layout.

    CRC-32 from zlib, which the daemon has loaded anyway; hashlib would bring libcrypto.
    It tells versions apart, it does not guard against anyone.
    """
    here = Path(__file__).parent
    crc = zlib.crc32(f"{__version__} {FILE_FORMAT} {tuple(sizes)}".encode())
    for path in [*(here / name for name in _DRAWING_SOURCES), data_dir("icons") / "breakd.png"]:
        try:
            crc = zlib.crc32(path.read_bytes(), crc)
        except OSError:
            crc = zlib.crc32(str(path).encode(), crc)
    return f"{crc:08x}"


def default_file(sizes: Sequence[int] = PIXMAP_SIZES) -> Path:
    """``~/.cache/breakd/icons/tray-<key>.argb`` on Linux."""
    return platformdirs.user_cache_path(APP_NAME) / "icons" / f"tray-{drawing_key(sizes)}.argb"


def _state_bytes(sizes: Sequence[int]) -> int:
    return sum(size * size * 4 for size in sizes)


def draw_state(state: IconState, sizes: Sequence[int] = PIXMAP_SIZES) -> bytes:
    """One state at every size, as the file holds it. Loads Pillow."""
    from breakd.tray.icon import argb32, render

    return b"".join(argb32(render(state, size)) for size in sizes)


def write_file(path: Path, sizes: Sequence[int] = PIXMAP_SIZES) -> Path:
    """Draw every state into ``path`` (atomically, private); what the drawing process does."""
    data = b"".join(draw_state(state, sizes) for state in all_states())
    make_private_dir(path.parent.parent)
    make_private_dir(path.parent)
    return write_atomically(path, data, mode=0o600)


class PixmapCache:
    """The icon's pixmaps by state, read from the drawn file; only the asked state is held."""

    def __init__(self, path: Path | None = None, sizes: Sequence[int] = PIXMAP_SIZES) -> None:
        self.sizes = tuple(sizes)
        self.path = path if path is not None else default_file(self.sizes)
        self._index = {state: number for number, state in enumerate(all_states())}
        self._drawn_here = False

    def pixmaps(self, state: IconState) -> list[Pixmap]:
        """``state`` at every size; draws the file first if it is missing or damaged."""
        data = self._read(state)
        if data is None:
            self._draw_file()
            data = self._read(state)
        if data is None:
            if not self._drawn_here:
                self._drawn_here = True
                log.warning("tray: no icon file at %s; drawing the icon in the daemon", self.path)
            data = draw_state(state, self.sizes)
        pixmaps: list[Pixmap] = []
        offset = 0
        for size in self.sizes:
            length = size * size * 4
            pixmaps.append((size, size, data[offset : offset + length]))
            offset += length
        return pixmaps

    def _read(self, state: IconState) -> bytes | None:
        """The state's bytes, or None when the file is missing or not the expected size."""
        each = _state_bytes(self.sizes)
        try:
            with self.path.open("rb") as handle:
                if os.fstat(handle.fileno()).st_size != each * len(self._index):
                    return None
                handle.seek(self._index[state] * each)
                data = handle.read(each)
        except OSError:
            return None
        return data if len(data) == each else None

    def _draw_file(self) -> None:
        """Run the drawing process once; remove files of older drawings."""
        command = [sys.executable, "-m", "breakd.tray.pixmaps", str(self.path)]
        command += [str(size) for size in self.sizes]
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=DRAW_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("tray: drawing the icons failed (%s)", error)
            return
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            log.warning(
                "tray: drawing the icons failed (exit %d%s)",
                done.returncode,
                f": {tail[0]}" if tail else "",
            )
            return
        log.info("tray: icons drawn into %s", self.path)
        for old in self.path.parent.glob("tray-*.argb"):
            if old != self.path:
                old.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m breakd.tray.pixmaps FILE [SIZE ...]``: draw every state into FILE."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m breakd.tray.pixmaps FILE [SIZE ...]", file=sys.stderr)
        return 2
    sizes = tuple(int(size) for size in args[1:]) or PIXMAP_SIZES
    write_file(Path(args[0]), sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
