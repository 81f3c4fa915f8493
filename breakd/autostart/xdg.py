"""Linux and other freedesktop.org desktops: an XDG autostart entry, and a menu entry.

Every desktop that follows the Desktop Application Autostart Specification (GNOME,
KDE Plasma, Xfce, Cinnamon, MATE, LXQt, and systemd's xdg-autostart-generator) starts
the programs named by ``$XDG_CONFIG_HOME/autostart/*.desktop`` at login. The entry runs
breakd with ``Terminal=false``, so no terminal opens, and breakd prints nothing when
its output is not a terminal: the start is silent.

``install_desktop_entry`` is separate: it puts breakd in the applications menu. Its
counterpart is ``uninstall_desktop_entry``; ``breakd autostart disable`` leaves the menu
entry alone, since it is not about login. Both entries say ``Icon=breakd`` and put the
icon in the user's hicolor theme (a path that survives upgrades, unlike the copy inside
the venv); it is removed when the last of the two entries goes.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from breakd import APP_NAME, __version__
from breakd.autostart import desktop_entry
from breakd.autostart.base import (
    AutostartBackend,
    AutostartError,
    AutostartStatus,
    Fingerprint,
    Launcher,
    launcher_problem,
    remove_files,
    stat_marks,
)
from breakd.autostart.launcher import find_posix_launcher
from breakd.files import write_atomically
from breakd.i18n import N_, shipped_languages, translations_in
from breakd.resources import data_dir

ENTRY_NAME = f"{APP_NAME}.desktop"
ICON_NAME = APP_NAME
COMMENT = N_("Offers a two-minute exercise break when you have sat too long")
GENERIC_NAME = N_("Break reminder")


def xdg_config_home() -> Path:
    """``$XDG_CONFIG_HOME``, or ``~/.config`` when unset or not absolute (basedir spec)."""
    return _xdg_home("XDG_CONFIG_HOME", ".config")


def xdg_data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset or not absolute."""
    return _xdg_home("XDG_DATA_HOME", ".local/share")


def _xdg_home(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def autostart_entry_path(config_home: Path | None = None) -> Path:
    return (config_home or xdg_config_home()) / "autostart" / ENTRY_NAME


def menu_entry_path(data_home: Path | None = None) -> Path:
    return (data_home or xdg_data_home()) / "applications" / ENTRY_NAME


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no image library needed)."""
    with path.open("rb") as png:
        head = png.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise AutostartError(f"{path} is not a PNG image; reinstall breakd")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def icon_paths(data_home: Path | None = None) -> dict[Path, Path]:
    """Where ``install_desktop_entry`` puts each shipped icon: {destination: source}."""
    theme = (data_home or xdg_data_home()) / "icons" / "hicolor"
    shipped = data_dir("icons")
    png = shipped / f"{ICON_NAME}.png"
    width, height = _png_size(png)
    return {
        theme / "scalable" / "apps" / f"{ICON_NAME}.svg": shipped / f"{ICON_NAME}.svg",
        theme / f"{width}x{height}" / "apps" / f"{ICON_NAME}.png": png,
    }


def shipped_icon() -> Path:
    """The PNG inside the installation: only a fallback, since its path changes with the
    Python version and the venv (``…/lib/python3.11/site-packages/…``)."""
    return data_dir("icons") / f"{ICON_NAME}.png"


def install_icons(data_home: Path | None = None) -> list[Path]:
    """Copy the shipped icons into the user's hicolor theme, so entries can say
    ``Icon=breakd`` and survive upgrades; return the files written."""
    written = []
    for destination, source in icon_paths(data_home).items():
        destination.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(destination, source.read_bytes())
        written.append(destination)
    return written


def remove_icons_unless_used(
    data_home: Path | None = None, config_home: Path | None = None
) -> list[Path]:
    """Remove the theme icons once neither the menu entry nor the autostart entry is left
    to name them; return what was removed."""
    if menu_entry_path(data_home).exists() or autostart_entry_path(config_home).exists():
        return []
    return remove_files(*icon_paths(data_home))


def _common_keys(launcher: Launcher, icon: str) -> list[tuple[str, str]]:
    esc = desktop_entry.escape_string
    try:
        exec_value = desktop_entry.exec_value(launcher.argv)
    except ValueError as error:
        raise AutostartError(f"cannot write a desktop entry for this launcher: {error}") from None
    return [
        ("Type", "Application"),
        ("Name", APP_NAME),
        ("GenericName", GENERIC_NAME),
        *_in_every_language("GenericName", GENERIC_NAME),
        ("Comment", COMMENT),
        *_in_every_language("Comment", COMMENT),
        ("Exec", exec_value),
        ("TryExec", esc(str(launcher.program))),
        ("Icon", esc(icon)),
        ("Terminal", "false"),
        ("StartupNotify", "false"),
        ("Categories", "Utility;"),
    ]


def _in_every_language(key: str, message: str) -> list[tuple[str, str]]:
    """``Comment[de]=...`` for each shipped catalog that translates ``message``: the
    entry is read by the desktop in the user's language, whatever breakd's own is.
    (``Name`` stays "breakd" in every language: it is the program's name.)"""
    lines = []
    for language in shipped_languages():
        translated = translations_in(language).gettext(message)
        if translated != message:
            lines.append((f"{key}[{language}]", desktop_entry.escape_string(translated)))
    return lines


def autostart_entry_text(launcher: Launcher, icon: str, version: str = __version__) -> str:
    """The autostart entry that starts ``launcher`` at login, silently."""
    return desktop_entry.render(
        [
            *_common_keys(launcher, icon),
            # Visible, so the desktop's own startup settings list it and can turn it off.
            ("NoDisplay", "false"),
            ("X-GNOME-Autostart-enabled", "true"),
            ("X-breakd-Version", desktop_entry.escape_string(version)),
        ],
        comment="Written by `breakd autostart enable`; `breakd autostart disable` removes it.",
    )


def menu_entry_text(launcher: Launcher, icon: str = ICON_NAME, version: str = __version__) -> str:
    """The applications-menu entry: starts breakd (or does nothing if it already runs)."""
    return desktop_entry.render(
        [
            *_common_keys(launcher, icon),
            ("Keywords", "break;exercise;posture;sitting;reminder;"),
            ("X-breakd-Version", desktop_entry.escape_string(version)),
        ],
        comment="Written by `breakd install-desktop-entry`; "
        "`breakd uninstall-desktop-entry` removes it.",
    )


def read_entry(path: Path) -> AutostartStatus:
    """What the desktop entry at ``path`` starts, and whether it is on and runnable."""
    try:
        values = desktop_entry.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return AutostartStatus(True, path, None, f"cannot read {path}: {error}")
    hidden = values.get("Hidden", "false").strip() == "true"
    gnome_off = values.get("X-GNOME-Autostart-enabled", "true").strip() == "false"
    enabled = not (hidden or gnome_off)
    note = None
    if hidden:
        note = f"{path} says Hidden=true, so it is off; `breakd autostart enable` rewrites it"
    elif gnome_off:
        note = "turned off in the desktop's startup settings; `breakd autostart enable` turns it on"
    if "Exec" not in values:
        return AutostartStatus(enabled, path, None, f"{path} has no Exec line", note)
    try:
        argv = desktop_entry.split_exec(values["Exec"])
    except ValueError as error:
        return AutostartStatus(enabled, path, None, f"{path}: {error}", note)
    if not argv:
        return AutostartStatus(enabled, path, None, f"{path} has an empty Exec line", note)
    program = Path(argv[0])
    if not program.is_absolute():
        found = shutil.which(argv[0])
        if found is None:
            problem = f"the entry runs {argv[0]!r}, which is not on the PATH"
            return AutostartStatus(enabled, path, program, problem, note)
        program = Path(found)
    return AutostartStatus(enabled, path, program, launcher_problem(program), note)


class XdgAutostart(AutostartBackend):
    """``$XDG_CONFIG_HOME/autostart/breakd.desktop``."""

    kind = N_("XDG autostart entry")

    def __init__(
        self,
        launcher: Launcher | None = None,
        *,
        config_home: Path | None = None,
        data_home: Path | None = None,
    ) -> None:
        super().__init__()
        self._launcher = launcher
        self._config_home = config_home
        self._data_home = data_home

    @property
    def path(self) -> Path:
        return autostart_entry_path(self._config_home)

    def enable(self) -> Path:
        self.notes = []
        launcher = self._launcher or find_posix_launcher()
        try:
            install_icons(self._data_home)
            icon = ICON_NAME
        except OSError as error:
            # Start at login matters more than its icon: name the shipped file instead.
            icon = str(shipped_icon())
            self.notes.append(f"the icon could not be put in the icon theme ({error})")
        text = autostart_entry_text(launcher, icon)
        write_atomically(self.path, text.encode("utf-8"))
        return self.path

    def disable(self) -> list[Path]:
        self.notes = []
        removed = remove_files(self.path)
        return removed + remove_icons_unless_used(self._data_home, self._config_home)

    def status(self) -> AutostartStatus:
        path = self.path
        if not path.exists():
            return AutostartStatus(False)
        return read_entry(path)

    def fingerprint(self) -> Fingerprint:
        # The entry is replaced by a rename when written: a new inode and mtime.
        return stat_marks(self.path)


def install_desktop_entry(
    launcher: Launcher | None = None, *, data_home: Path | None = None
) -> list[Path]:
    """Put breakd in the applications menu, with its icon; return the files written."""
    written = install_icons(data_home)
    launcher = launcher or find_posix_launcher()
    entry = menu_entry_path(data_home)
    write_atomically(entry, menu_entry_text(launcher, ICON_NAME).encode("utf-8"))
    written.append(entry)
    return written


def uninstall_desktop_entry(
    *, data_home: Path | None = None, config_home: Path | None = None
) -> list[Path]:
    """Remove what ``install_desktop_entry`` wrote; return what was there.

    The icons stay while the autostart entry still names them.
    """
    removed = remove_files(menu_entry_path(data_home))
    return removed + remove_icons_unless_used(data_home, config_home)
