"""Linux: one backend over both ways of starting at login (XDG entry, systemd unit).

One way is enough: enabling either removes the other, so breakd is never started twice;
``disable`` removes both, and ``status`` reports whichever is there. That is what lets
the tray's checkbox and ``breakd autostart disable`` be right however it was enabled.
"""

from __future__ import annotations

from pathlib import Path

from breakd.autostart.base import AutostartBackend, AutostartStatus, Fingerprint, Launcher
from breakd.autostart.systemd import SystemdAutostart
from breakd.autostart.xdg import XdgAutostart
from breakd.i18n import _


class LinuxAutostart(AutostartBackend):
    """The XDG autostart entry (default) or, with ``systemd=True``, a systemd user unit."""

    def __init__(
        self,
        launcher: Launcher | None = None,
        *,
        systemd: bool = False,
        config_home: Path | None = None,
        data_home: Path | None = None,
    ) -> None:
        super().__init__()
        self.xdg = XdgAutostart(launcher, config_home=config_home, data_home=data_home)
        self.systemd = SystemdAutostart(launcher, config_home=config_home)
        self._chosen: AutostartBackend = self.systemd if systemd else self.xdg
        self._other: AutostartBackend = self.xdg if systemd else self.systemd
        self.kind = self._chosen.kind

    def enable(self) -> Path:
        self.notes = []
        written = self._chosen.enable()
        removed = self._other.disable()
        self.notes.extend(self._chosen.notes)
        if removed:
            self.notes.append(
                _("removed the {kind} ({paths}): one way of starting at login is enough").format(
                    kind=_(self._other.kind), paths=", ".join(str(path) for path in removed)
                )
            )
            self.notes.extend(self._other.notes)
        return written

    def disable(self) -> list[Path]:
        self.notes = []
        removed = [*self.xdg.disable(), *self.systemd.disable()]
        self.notes.extend(self.systemd.notes)
        return removed

    def fingerprint(self) -> Fingerprint:
        return self.xdg.fingerprint() + self.systemd.fingerprint()

    def status(self) -> AutostartStatus:
        """The XDG entry's status, unless only the systemd unit is there or is enabled."""
        xdg, systemd = self.xdg.status(), self.systemd.status()
        if systemd.where is not None and (
            xdg.where is None or (systemd.enabled and not xdg.enabled)
        ):
            return systemd
        return xdg
