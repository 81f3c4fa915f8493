"""Which command an entry should run to start *this* breakd at login.

The entry must outlive upgrades, so it names a launcher whose path does not change when
breakd is reinstalled: the ``~/.local/bin/breakd`` link that scripts/install.sh (and
pipx) make, else the ``breakd`` script of the virtualenv breakd runs from. On Windows it
must also open no console window, so it is ``breakd-gui.exe`` (a gui-scripts entry
point) or, failing that, ``pythonw.exe -m breakd``.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Callable, Sequence
from pathlib import Path

from breakd.autostart.base import AutostartError, Launcher

SCRIPT_NAME = "breakd"
#: The windowless launcher pip makes from ``[project.gui-scripts] breakd-gui``.
WINDOWS_GUI_SCRIPT = "breakd-gui.exe"


def _is_executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def find_posix_launcher(
    *,
    home: Path | None = None,
    executable: str = sys.executable,
    which: Callable[[str], str | None] = shutil.which,
) -> Launcher:
    """The most stable command that starts the running installation (Linux, macOS).

    Order: ``~/.local/bin/breakd`` when it is this installation's script (usually a
    link into the venv); the ``breakd`` script next to ``executable``; whatever
    ``breakd`` the PATH finds; as a last resort ``<python> -m breakd``.
    """
    home = Path.home() if home is None else home
    installed = Path(executable).parent / SCRIPT_NAME
    local = home / ".local" / "bin" / SCRIPT_NAME
    if _is_executable_file(installed):
        if _is_executable_file(local) and _same_file(local, installed):
            return Launcher(local)
        return Launcher(installed)
    found = which(SCRIPT_NAME)
    if found:
        return Launcher(Path(found).absolute())
    if not executable:
        raise AutostartError(
            "cannot find a breakd launcher: no `breakd` on the PATH and no Python to run"
            " `-m breakd` with; reinstall breakd (scripts/install.sh)"
        )
    return Launcher(Path(executable).absolute(), ("-m", "breakd"))


def windows_scripts_dirs(executable: str = sys.executable) -> list[Path]:
    """Where pip may have put breakd's ``.exe`` launchers: the venv, the install, the user."""
    dirs = [Path(executable).parent]
    for scheme in (None, "nt_user"):
        try:
            path = (
                sysconfig.get_path("scripts")
                if scheme is None
                else sysconfig.get_path("scripts", scheme)
            )
        except KeyError:
            continue
        if path and Path(path) not in dirs:
            dirs.append(Path(path))
    return dirs


def find_windows_launcher(
    *, executable: str = sys.executable, scripts_dirs: Sequence[Path] | None = None
) -> Launcher:
    """A launcher that opens no console window: ``breakd-gui.exe``, else ``pythonw -m breakd``."""
    dirs = windows_scripts_dirs(executable) if scripts_dirs is None else scripts_dirs
    for folder in dirs:
        candidate = folder / WINDOWS_GUI_SCRIPT
        if candidate.is_file():
            return Launcher(candidate)
    pythonw = Path(executable).with_name("pythonw.exe")
    if pythonw.is_file():
        return Launcher(pythonw, ("-m", "breakd"))
    raise AutostartError(
        f"cannot find a windowless launcher: no {WINDOWS_GUI_SCRIPT} in "
        + ", ".join(str(d) for d in dirs)
        + f" and no pythonw.exe next to {executable}; reinstall breakd"
    )
