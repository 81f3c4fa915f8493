r"""Linux with systemd: a user unit started with the graphical session.

``$XDG_CONFIG_HOME/systemd/user/breakd.service`` is wanted by
``graphical-session.target``, which GNOME and KDE Plasma start once the display is up
(so breakd sees ``DISPLAY``/``WAYLAND_DISPLAY``) and stop at logout (``PartOf=``).
Desktops that never start that target should use the XDG entry instead, which is why
it is the default. systemd restarts breakd if it crashes (``Restart=on-failure``) and
sends its (normally empty) output to the journal, never to a window.

Enabling is done as ``systemctl --user enable`` does it, with a symlink in
``graphical-session.target.wants/``, so it works and reads back the same whether or not
a user manager is running now; ``systemctl --user daemon-reload`` is then tried as a
courtesy, and its outcome reported.

ExecStart quoting (systemd.service(5), "Command lines"): a word with spaces or special
characters is double-quoted, with ``\`` and ``"`` backslash-escaped and control
characters written as C escapes; ``%`` is written ``%%`` everywhere (specifiers are
expanded in the whole line) and ``$`` as ``$$`` in the arguments (variables are
expanded there), but not in the program path, which systemd takes literally. A program
path with a quote, a backslash or a control character is refused: systemd will not run it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from breakd import APP_NAME, __version__
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
from breakd.autostart.xdg import xdg_config_home
from breakd.files import write_atomically
from breakd.i18n import N_

UNIT_NAME = f"{APP_NAME}.service"
TARGET = "graphical-session.target"
#: How long a ``systemctl --user`` call may take before it is given up (seconds).
SYSTEMCTL_TIMEOUT = 15.0

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:+,@=%-")
_C_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b", "\f": "\\f"}
_C_UNESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "s": " ",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


def quote_systemd_arg(arg: str, *, program: bool = False) -> str:
    """One word of an ExecStart line; ``program`` for the first (the executable path)."""
    escaped = arg.replace("%", "%%")
    if not program:
        escaped = escaped.replace("$", "$$")
    if escaped and _SAFE.issuperset(escaped):
        return escaped
    out = []
    for char in escaped:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _C_ESCAPES:
            out.append(_C_ESCAPES[char])
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def exec_start(argv: Sequence[str]) -> str:
    """The ``ExecStart=`` value that runs exactly ``argv``."""
    if not argv or not argv[0].startswith("/"):
        raise AutostartError(f"systemd needs an absolute program path, not {argv[:1]}")
    if any(char in "\"'\\\x7f" or ord(char) < 0x20 for char in argv[0]):
        # systemd refuses such paths ("Executable name contains special characters").
        raise AutostartError(
            f"systemd cannot run {argv[0]!r}: its path holds a quote, a backslash or a"
            " control character; use `breakd autostart enable` (without --systemd)"
        )
    return " ".join(quote_systemd_arg(arg, program=index == 0) for index, arg in enumerate(argv))


def split_exec_start(value: str) -> list[str]:
    """The argv an ``ExecStart=`` value runs (quotes, C escapes, ``%%``, ``$$``, prefixes).

    Enough of systemd's rules to read back any line ``exec_start`` writes and the
    usual hand-written ones; raises ValueError on an unterminated quote.
    """
    words: list[str] = []
    i, end = 0, len(value)
    while i < end:
        if value[i] in " \t":
            i += 1
            continue
        word: list[str] = []
        quote: str | None = None
        while i < end and (quote is not None or value[i] not in " \t"):
            char = value[i]
            if char == "\\" and i + 1 < end:
                nxt = value[i + 1]
                if nxt == "x" and i + 3 < end:
                    word.append(chr(int(value[i + 2 : i + 4], 16)))
                    i += 4
                    continue
                word.append(_C_UNESCAPES.get(nxt, nxt))
                i += 2
                continue
            if quote is None and char in "\"'":
                quote = char
            elif char == quote:
                quote = None
            else:
                word.append(char)
            i += 1
        if quote is not None:
            raise ValueError(f"unterminated quote in ExecStart={value}")
        text = "".join(word).replace("%%", "%")
        words.append(text if not words else text.replace("$$", "$"))
    if words:
        words[0] = words[0].lstrip("-@:+!")
    return words


def unit_text(launcher: Launcher, version: str = __version__) -> str:
    """The user unit that runs ``launcher`` with the graphical session."""
    return (
        "# Written by `breakd autostart enable --systemd`;"
        " `breakd autostart disable` removes it.\n"
        "[Unit]\n"
        "Description=breakd, a quiet break reminder\n"
        f"PartOf={TARGET}\n"
        f"After={TARGET}\n"
        f"X-breakd-Version={version}\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start(launcher.argv)}\n"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        "\n"
        "[Install]\n"
        f"WantedBy={TARGET}\n"
    )


def find_systemctl() -> str | None:
    """``systemctl`` on the PATH (a function, so tests can take it away)."""
    return shutil.which("systemctl")


class SystemdAutostart(AutostartBackend):
    """``$XDG_CONFIG_HOME/systemd/user/breakd.service``, wanted by the graphical session."""

    kind = N_("systemd user unit")

    def __init__(self, launcher: Launcher | None = None, *, config_home: Path | None = None):
        super().__init__()
        self._launcher = launcher
        self._config_home = config_home

    @property
    def unit_dir(self) -> Path:
        return (self._config_home or xdg_config_home()) / "systemd" / "user"

    @property
    def path(self) -> Path:
        return self.unit_dir / UNIT_NAME

    @property
    def wants_link(self) -> Path:
        return self.unit_dir / f"{TARGET}.wants" / UNIT_NAME

    def _links(self) -> list[Path]:
        """Every ``*.wants``/``*.requires`` link to the unit (hand-made ones too)."""
        if not self.unit_dir.is_dir():
            return []
        return sorted(
            link
            for pattern in (f"*.wants/{UNIT_NAME}", f"*.requires/{UNIT_NAME}")
            for link in self.unit_dir.glob(pattern)
        )

    def enable(self) -> Path:
        self.notes = []
        launcher = self._launcher or find_posix_launcher()
        write_atomically(self.path, unit_text(launcher).encode("utf-8"))
        link = self.wants_link
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.path)
        self.notes.append(
            f"systemd starts breakd with {TARGET} from the next login (GNOME and KDE"
            " Plasma start that target; on other desktops use `breakd autostart enable`"
            " without --systemd). To hand the running breakd to systemd now:"
            f" `breakd quit; systemctl --user enable --now {APP_NAME}`"
        )
        self._reload(enabling=True)
        return self.path

    def disable(self) -> list[Path]:
        self.notes = []
        removed = remove_files(*self._links(), self.path)
        if removed:
            self._reload(enabling=False)
        return removed

    def fingerprint(self) -> Fingerprint:
        """The unit, and the folders its ``*.wants``/``*.requires`` links are made in."""
        if not self.path.exists():
            return stat_marks(self.path)
        folders = sorted(self.unit_dir.glob("*.wants")) + sorted(self.unit_dir.glob("*.requires"))
        return stat_marks(self.path, self.unit_dir, *folders)

    def status(self) -> AutostartStatus:
        path = self.path
        if not path.exists():
            return AutostartStatus(False)
        enabled = bool(self._links())
        note = (
            None
            if enabled
            else f"the unit is installed but not enabled; `systemctl --user enable {APP_NAME}`"
            " or `breakd autostart enable --systemd` enables it"
        )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return AutostartStatus(enabled, path, None, f"cannot read {path}: {error}", note)
        lines = [line.strip() for line in text.splitlines()]
        exec_lines = [
            line.partition("=")[2].strip() for line in lines if line.startswith("ExecStart=")
        ]
        if not exec_lines:
            return AutostartStatus(enabled, path, None, f"{path} has no ExecStart line", note)
        try:
            argv = split_exec_start(exec_lines[-1])
        except ValueError as error:
            return AutostartStatus(enabled, path, None, f"{path}: {error}", note)
        if not argv:
            return AutostartStatus(enabled, path, None, f"{path} has an empty ExecStart", note)
        program = Path(argv[0])
        return AutostartStatus(enabled, path, program, launcher_problem(program), note)

    def _reload(self, *, enabling: bool) -> None:
        """``systemctl --user daemon-reload`` if a user manager answers; say how it went."""
        systemctl = find_systemctl()
        if systemctl is None:
            if enabling:
                self.notes.append(
                    "systemctl is not on the PATH, so this system may not use systemd and the"
                    " unit would do nothing; `breakd autostart enable` (without --systemd)"
                    " works on any desktop"
                )
            return
        try:
            result = subprocess.run(
                [systemctl, "--user", "daemon-reload"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=SYSTEMCTL_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            self.notes.append(f"systemctl --user daemon-reload did not run: {error}")
            return
        if result.returncode == 0:
            self.notes.append("the systemd user manager has reloaded its units")
        else:
            reason = result.stderr.strip() or f"exit status {result.returncode}"
            self.notes.append(
                f"no systemd user manager answered ({reason}); it sees the change at next login"
            )
