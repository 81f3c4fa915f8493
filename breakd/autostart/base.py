"""The one interface every "start at login" mechanism offers, and what they share.

The tray's "Start at login" checkbox and ``breakd autostart`` both talk to an
``AutostartBackend``; which one depends on the platform (``select.default_backend``).
Each backend writes one small file or registry value that names a *stable* launcher
(``~/.local/bin/breakd``, the venv's ``breakd``, ``breakd-gui.exe``), so the entry keeps
working when breakd is upgraded in place, and ``status`` says plainly when it no longer
does (the launcher was deleted, or the Python it runs on went away).

Threading contract: a backend object is used by one thread only (the CLI's, the
daemon's start-up before the owner thread runs, or the tray toolkit's through
``StartAtLogin``, which builds its own), so backends need no locks. Each call reads or
writes one small file or registry value and returns quickly; failures are raised as
``AutostartError`` or ``OSError`` for the caller to report.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from breakd.i18n import _

#: How much of a launcher is read to find its ``#!`` line.
_SHEBANG_BYTES = 512


class AutostartError(Exception):
    """Start at login cannot be set up here; the message says why and what to do."""


@dataclass(frozen=True)
class Launcher:
    """The command that starts breakd: an absolute program and its arguments."""

    program: Path
    args: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        return [str(self.program), *self.args]


@dataclass(frozen=True)
class AutostartStatus:
    """What is set up now.

    ``enabled``: breakd will be started at the next login (as far as the file says).
    ``where``: the file (or registry value) that says so, None when there is none.
    ``points_to``: the program it starts. ``problem``: why it would fail, None if fine.
    ``note``: anything else worth telling the user (e.g. turned off in the desktop's
    own startup settings).
    """

    enabled: bool
    where: Path | None = None
    points_to: Path | None = None
    problem: str | None = None
    note: str | None = None


class AutostartBackend(ABC):
    """Turns starting breakd at login on and off, and reports what is set up."""

    #: What the backend writes, for messages ("XDG autostart entry", "systemd user unit").
    kind: str

    def __init__(self) -> None:
        #: What the last ``enable``/``disable`` did beyond its return value, for the CLI.
        self.notes: list[str] = []

    @abstractmethod
    def enable(self) -> Path:
        """Write the entry (replacing an old one) and return where it is."""

    @abstractmethod
    def disable(self) -> list[Path]:
        """Remove everything ``enable`` wrote; return what was removed (maybe nothing)."""

    @abstractmethod
    def status(self) -> AutostartStatus:
        """Read back what is set up now, checking the launcher it names still runs."""

    def is_enabled(self) -> bool:
        """Whether breakd will be started at the next login (for the tray's checkbox)."""
        return self.status().enabled

    def fingerprint(self) -> Fingerprint | None:
        """A few ``stat`` readings that change whenever ``status`` might, or None.

        The tray asks for the checkbox each time it redraws its menu (once a minute);
        while the fingerprint stays the same the last answer still holds. None (the
        default) means there is no cheap way to tell, and ``status`` is asked each time.
        """
        return None


#: What ``stat`` says of each file a status depends on (None: the file is not there).
Fingerprint = tuple[tuple[int, int, int, int] | None, ...]


def stat_marks(*paths: Path, follow_links: bool = False) -> Fingerprint:
    """``paths``' modification times, sizes, inodes and modes (of the links themselves
    unless ``follow_links``)."""
    marks: list[tuple[int, int, int, int] | None] = []
    for path in paths:
        try:
            st = os.stat(path, follow_symlinks=follow_links)
        except OSError:
            marks.append(None)
        else:
            marks.append((st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode))
    return tuple(marks)


def remove_files(*paths: Path) -> list[Path]:
    """Delete those of ``paths`` that exist (dangling links too); return the deleted ones."""
    removed = []
    for path in paths:
        if path.is_symlink() or path.exists():
            path.unlink()
            removed.append(path)
    return removed


def launcher_problem(program: Path) -> str | None:
    """Why ``program`` would not start breakd at login, or None when it looks runnable.

    Catches the usual ways an entry goes stale: the launcher (or the venv a
    ``~/.local/bin`` link points into) was deleted, or the Python named on its ``#!``
    line went away in a system upgrade.
    """

    def again(problem: str) -> str:
        advice = _("{problem}; run `breakd autostart enable` again from a working installation")
        return advice.format(problem=problem)

    if not program.exists():
        if program.is_symlink():
            gone = _("the entry points at {program}, a link to {target}, which no longer exists")
            return again(gone.format(program=program, target=os.readlink(program)))
        return again(
            _("the entry points at {program}, which no longer exists").format(program=program)
        )
    if program.is_dir():
        return again(
            _("the entry points at {program}, which is a folder, not a program").format(
                program=program
            )
        )
    if not os.access(program, os.X_OK):
        return again(
            _("the entry points at {program}, which is not executable").format(program=program)
        )
    interpreter = shebang_interpreter(program)
    if interpreter is not None and interpreter.is_absolute() and not interpreter.exists():
        return _(
            "the entry points at {program}, which runs {interpreter}, which no longer exists"
            " (was Python upgraded or the virtualenv removed?); reinstall breakd"
            " (scripts/install.sh) and run `breakd autostart enable` again"
        ).format(program=program, interpreter=interpreter)
    return None


def shebang_interpreter(program: Path) -> Path | None:
    """The interpreter on a script's ``#!`` line, or None for binaries and unreadable files."""
    try:
        with program.open("rb") as script:
            head = script.read(_SHEBANG_BYTES)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].strip()
    if not line:
        return None
    return Path(os.fsdecode(line.split()[0]))
