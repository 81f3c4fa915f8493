"""macOS: a LaunchAgent in ``~/Library/LaunchAgents``, loaded by launchd at login.

The plist passes the launcher as a ``ProgramArguments`` list, so no shell and no quoting
is involved and paths with spaces need nothing special. ``LimitLoadToSessionType Aqua``
starts it only in a graphical login (not over ssh); ``ProcessType Interactive`` keeps
it responsive; output goes to /dev/null (breakd logs to its own file); launchd restarts
it only if it crashes (``KeepAlive`` with ``SuccessfulExit`` false). The agent is not
loaded now: ``RunAtLoad`` starts it at the next login.

Only file operations happen here, so the module works (and is tested) anywhere.
"""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

from breakd import APP_NAME
from breakd.autostart.base import (
    AutostartBackend,
    AutostartStatus,
    Launcher,
    launcher_problem,
    remove_files,
)
from breakd.autostart.launcher import find_posix_launcher
from breakd.files import write_atomically
from breakd.i18n import N_

LABEL = APP_NAME


def launch_agent(launcher: Launcher, *, label: str = LABEL) -> dict[str, Any]:
    """The LaunchAgent's property list, as a dict for ``plistlib``."""
    return {
        "Label": label,
        "ProgramArguments": launcher.argv,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
        "StandardOutPath": "/dev/null",
        "StandardErrorPath": "/dev/null",
    }


def launch_agent_bytes(launcher: Launcher, *, label: str = LABEL) -> bytes:
    """The plist file's bytes (XML, which ``plutil -lint`` and people can read)."""
    return plistlib.dumps(launch_agent(launcher, label=label), sort_keys=False)


def launch_agent_path(home: Path | None = None, label: str = LABEL) -> Path:
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{label}.plist"


class LaunchAgentAutostart(AutostartBackend):
    """``~/Library/LaunchAgents/breakd.plist``."""

    kind = N_("LaunchAgent")

    def __init__(self, launcher: Launcher | None = None, *, home: Path | None = None) -> None:
        super().__init__()
        self._launcher = launcher
        self._home = home

    @property
    def path(self) -> Path:
        return launch_agent_path(self._home)

    def enable(self) -> Path:
        self.notes = []
        launcher = self._launcher or find_posix_launcher(home=self._home)
        write_atomically(self.path, launch_agent_bytes(launcher))
        self.notes.append("launchd starts breakd at the next login")
        return self.path

    def disable(self) -> list[Path]:
        self.notes = []
        return remove_files(self.path)

    def status(self) -> AutostartStatus:
        path = self.path
        if not path.exists():
            return AutostartStatus(False)
        try:
            with path.open("rb") as plist:
                agent = plistlib.load(plist)
        except (OSError, plistlib.InvalidFileException, ValueError) as error:
            return AutostartStatus(True, path, None, f"cannot read {path}: {error}")
        arguments = agent.get("ProgramArguments") if isinstance(agent, dict) else None
        if not arguments or not isinstance(arguments[0], str):
            return AutostartStatus(True, path, None, f"{path} has no ProgramArguments")
        enabled = agent.get("Disabled") is not True
        note = None if enabled else f"{path} says Disabled; `breakd autostart enable` rewrites it"
        program = Path(arguments[0])
        return AutostartStatus(enabled, path, program, launcher_problem(program), note)
