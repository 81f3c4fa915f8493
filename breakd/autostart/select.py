"""Pick this platform's way of starting at login, and turn it on at the first run.

breakd should simply be there after the next login, so the first time the daemon runs
it enables start at login once, unless the user said not to (the ``startup.autostart``
setting, ``--no-autostart``) or has already chosen with ``breakd autostart
enable|disable``. A marker file in the user's state folder records that the question is
settled, so a later "off" is never overridden.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from breakd import APP_NAME
from breakd.autostart.base import AutostartBackend, AutostartError, Fingerprint, stat_marks
from breakd.files import PRIVATE_FILE, create_private_file, make_private_dir

log = logging.getLogger(__name__)

MARKER_NAME = "autostart-decided"


def _run_key() -> AutostartBackend:
    from breakd.autostart.windows import RunKeyAutostart

    return RunKeyAutostart()


def _launch_agent() -> AutostartBackend:
    from breakd.autostart.macos import LaunchAgentAutostart

    return LaunchAgentAutostart()


def _linux(*, systemd: bool) -> AutostartBackend:
    from breakd.autostart.linux import LinuxAutostart

    return LinuxAutostart(systemd=systemd)


#: Every way to start at login, by name. Each platform has exactly one (two on Linux,
#: chosen by the user), so there is nothing to try and fall back from: the name is
#: looked up, and the platform modules are imported only when used.
BACKENDS: dict[str, Callable[[], AutostartBackend]] = {
    "run-key": _run_key,
    "launch-agent": _launch_agent,
    "xdg": lambda: _linux(systemd=False),
    "systemd": lambda: _linux(systemd=True),
}


def backend_name(*, systemd: bool = False, platform: str = sys.platform) -> str:
    """The registry name of the backend for ``platform``; ``systemd`` asks for the unit."""
    if platform == "win32":
        if systemd:
            raise AutostartError("systemd units are for Linux; Windows uses the Run registry key")
        return "run-key"
    if platform == "darwin":
        if systemd:
            raise AutostartError("systemd units are for Linux; macOS uses a LaunchAgent")
        return "launch-agent"
    return "systemd" if systemd else "xdg"


def default_backend(*, systemd: bool = False, platform: str = sys.platform) -> AutostartBackend:
    """The backend for ``platform``; ``systemd`` picks the systemd unit on Linux."""
    return BACKENDS[backend_name(systemd=systemd, platform=platform)]()


def first_run_marker() -> Path:
    """The file that says start at login was settled (by the first run or by the user)."""
    return platformdirs.user_state_path(APP_NAME) / MARKER_NAME


def remember_choice(marker: Path | None = None) -> None:
    """Record that the user chose (``breakd autostart enable|disable``): no first-run enable."""
    marker = marker or first_run_marker()
    make_private_dir(marker.parent)
    create_private_file(marker)


def enable_on_first_run(
    marker: Path | None = None, *, allowed: bool, backend: AutostartBackend | None = None
) -> bool:
    """Turn start at login on if this is breakd's first run; True only if this call did.

    Does nothing when ``allowed`` is false (the setting or ``--no-autostart``; the marker
    is not written then, so allowing it later still counts as the first time), when the
    marker exists, or when start at login is already on. The marker is written before
    trying, so a failure is logged once, not at every start. True is the cue for a
    one-time "breakd will start at login" message.
    """
    if not allowed:
        return False
    marker = marker or first_run_marker()
    try:
        make_private_dir(marker.parent)
        # O_EXCL: of two breakd processes starting at once, only one goes on.
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    except OSError as error:
        log.warning("start at login: cannot write %s (%s); not turning it on", marker, error)
        return False
    os.close(fd)
    backend = backend or default_backend()
    try:
        if backend.is_enabled():
            return False
        where = backend.enable()
    except (AutostartError, OSError) as error:
        log.warning(
            "start at login: could not turn it on (%s); `breakd autostart enable` tries again",
            error,
        )
        return False
    log.info("start at login turned on at the first run: %s", where)
    for note in backend.notes:
        log.info("start at login: %s", note)
    return True


class StartAtLogin:
    """The tray's "Start at login" checkbox: the same switch as ``breakd autostart``.

    The backend is looked up when first needed, and every failure is logged instead of
    raised, because it runs on the tray toolkit's thread.
    """

    def __init__(self, backend: AutostartBackend | None = None) -> None:
        self._backend = backend
        #: The last answer, and the fingerprint of the files it was read from (None: ask).
        self._answer = False
        self._answered_at: tuple[Fingerprint, Fingerprint] | None = None
        self._launcher: Path | None = None

    def _get(self) -> AutostartBackend:
        if self._backend is None:
            self._backend = default_backend()
        return self._backend

    def _launcher_marks(self) -> Fingerprint:
        """The program the entry starts: a deleted venv turns the checkbox off."""
        return () if self._launcher is None else stat_marks(self._launcher, follow_links=True)

    def is_on(self) -> bool:
        """Asked at every redraw of the menu: read again only when a file changed."""
        try:
            backend = self._get()
            files = backend.fingerprint()  # before reading: a change meanwhile is seen next time
            if files is not None and (files, self._launcher_marks()) == self._answered_at:
                return self._answer
            status = backend.status()
        except (AutostartError, OSError) as error:
            log.warning("start at login: cannot tell whether it is on (%s)", error)
            self._answered_at = None
            return False
        self._answer, self._launcher = status.enabled, status.points_to
        self._answered_at = None if files is None else (files, self._launcher_marks())
        return self._answer

    def toggle(self) -> bool:
        """Turn it off if on, on if off; the new state (unchanged when that failed)."""
        backend = self._get()
        turning_on = not self.is_on()
        try:
            if turning_on:
                where = backend.enable()
                log.info("start at login turned on: %s", where)
            else:
                removed = backend.disable()
                log.info("start at login turned off: removed %s", ", ".join(map(str, removed)))
            remember_choice()
        except (AutostartError, OSError) as error:
            log.warning("start at login: could not change it (%s)", error)
        return self.is_on()
