"""Open a file with the desktop's default application (editor, image viewer).

The tray's "Open config file" and "Statistics…" hand a file to whatever the user has
chosen for it, instead of breakd shipping an editor or a viewer of its own. A text file
needs one more step: a handler that runs in a terminal shows nothing when started from
a tray, so a graphical editor is looked for, and failing that the user is told the path.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def open_with_desktop(target: Path, platform: str = sys.platform) -> bool:
    """Start the default application for ``target``; False (and a log line) if none can."""
    startfile = getattr(os, "startfile", None)
    if platform == "win32" and startfile is not None:
        try:
            startfile(str(target))
        except OSError as error:
            log.warning("cannot open %s (%s)", target, error)
            return False
        return True
    opener = "open" if platform == "darwin" else "xdg-open"
    program = shutil.which(opener)
    if program is None:
        log.warning("cannot open %s: %s is not installed", target, opener)
        return False
    try:
        child = subprocess.Popen(
            [program, str(target)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("cannot open %s with %s (%s)", target, opener, error)
        return False
    # Reap the opener when it exits, without holding up the caller.
    threading.Thread(target=child.wait, name="breakd-opener", daemon=True).start()
    return True


#: Graphical text editors to try, most common desktops' own first, when the desktop's
#: handler for text files runs in a terminal (vim, nano) and so shows nothing from a tray.
GRAPHICAL_EDITORS = (
    "gnome-text-editor",
    "gedit",
    "mousepad",
    "kate",
    "kwrite",
    "xed",
    "pluma",
    "featherpad",
    "leafpad",
    "geany",
)

Tell = Callable[[str, str], object]


def open_text_file(
    target: Path,
    *,
    tell: Tell | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    editors: Sequence[str] = GRAPHICAL_EDITORS,
) -> str | None:
    """Open ``target`` in a graphical text editor; returns the program used, or None.

    On Linux the desktop's handler for text files is used unless it runs in a terminal
    (``Terminal=true``: started from a tray, nobody would see it); then the first
    installed of ``editors``. When none is there, ``tell`` gives the user
    the file's path, so they can open it their own way.
    """
    if platform in ("win32", "darwin"):
        if open_with_desktop(target, platform):
            return "desktop"
        _say_where(target, tell)
        return None
    handler = text_handler(target, environ)
    if handler is not None and not handler.terminal and open_with_desktop(target, platform):
        return handler.name
    if handler is not None:
        log.info("%s runs in a terminal; looking for a graphical text editor", handler.name)
    for editor in editors:
        program = shutil.which(editor, path=environ.get("PATH"))
        if program is not None and _launch([program, str(target)]):
            log.info("opened %s with %s", target, editor)
            return editor
    _say_where(target, tell)
    return None


def _say_where(target: Path, tell: Tell | None) -> None:
    log.warning("no graphical text editor to open %s", target)
    if tell is not None:
        tell(
            "breakd settings file",
            f"No graphical text editor is installed. Your settings are in {target}",
        )


def _launch(command: list[str]) -> bool:
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("cannot start %s (%s)", command[0], error)
        return False
    threading.Thread(target=child.wait, name="breakd-opener", daemon=True).start()
    return True


@dataclass(frozen=True)
class Handler:
    """The desktop's default application for text files."""

    name: str  # its desktop file, "vim.desktop"
    terminal: bool  # Terminal=true: it needs a terminal to be seen


def text_handler(target: Path, environ: Mapping[str, str] = os.environ) -> Handler | None:
    """The desktop's default application for ``target`` (by ``xdg-mime``), or for any
    text file when its own type (say application/toml) has none; None if none is set."""
    kind = _xdg_mime(["query", "filetype", str(target)], environ)
    found = ""
    for mime in dict.fromkeys([kind, "text/plain"]):
        if mime and (found := _xdg_mime(["query", "default", mime], environ)):
            break
    if not found.endswith(".desktop"):
        return None
    entry = find_desktop_entry(found, environ)
    return Handler(found, entry is not None and runs_in_terminal(entry))


def _xdg_mime(args: list[str], environ: Mapping[str, str]) -> str:
    program = shutil.which("xdg-mime", path=environ.get("PATH"))
    if program is None:
        return ""
    try:
        return subprocess.run(
            [program, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=dict(environ),
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        log.debug("xdg-mime failed: %s", error)
        return ""


def find_desktop_entry(name: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where ``name`` ("vim.desktop") lives in the XDG data folders, the user's first."""
    home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    dirs = environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    for folder in [home, *dirs.split(":")]:
        if folder and (candidate := Path(folder) / "applications" / name).is_file():
            return candidate
    return None


def runs_in_terminal(entry: Path) -> bool:
    """Whether a desktop entry says ``Terminal=true`` in its [Desktop Entry] group."""
    try:
        text = entry.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    group = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            group = line
        elif group == "[Desktop Entry]" and line.partition("=")[0].strip() == "Terminal":
            return line.partition("=")[2].strip().lower() == "true"
    return False
