r"""Windows: the ``breakd`` value under ``HKCU\Software\Microsoft\Windows\CurrentVersion\Run``.

Explorer runs every command line in the current user's Run key at login. The command
must open no console window, so it names ``breakd-gui.exe`` (pip's windowless launcher
for a gui-scripts entry point) or ``pythonw.exe -m breakd``, never ``breakd.exe``.

Quoting follows the Windows command-line rules: the program path is always put in
double quotes (CreateProcess reads it up to the closing quote, without escapes, which
also settles the "C:\Program Files" ambiguity); each argument is quoted as the C runtime
and ``CommandLineToArgvW`` read it (backslashes are literal unless they precede a
double quote, where they are doubled).

Task Manager's Startup tab turns an entry off without deleting it, by a value under
``...\Explorer\StartupApproved\Run`` whose first byte is odd; ``status`` reports that,
``enable`` clears it. The winreg calls are made on Windows alone, so this module
imports and is tested anywhere (with an in-memory registry).
"""

from __future__ import annotations

import sys
from pathlib import Path, PureWindowsPath
from typing import Protocol

from breakd import APP_NAME
from breakd.autostart.base import (
    AutostartBackend,
    AutostartError,
    AutostartStatus,
    Launcher,
    launcher_problem,
)
from breakd.autostart.launcher import find_windows_launcher
from breakd.i18n import N_

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
VALUE_NAME = APP_NAME
#: Launchers that would open a console window at login.
CONSOLE_PROGRAMS = frozenset({"python.exe", "py.exe", "breakd.exe"})


def quote_windows_arg(arg: str) -> str:
    """One argument as the C runtime's (and ``CommandLineToArgvW``'s) parser reads it."""
    if arg and not any(char in arg for char in ' \t\n\v"'):
        return arg
    out = ['"']
    backslashes = 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def run_value(launcher: Launcher) -> str:
    """The Run value's command line: the program quoted, then the arguments."""
    program = str(launcher.program)
    if '"' in program:
        raise AutostartError(f'a Windows path cannot contain ", and {program!r} does')
    return " ".join([f'"{program}"', *(quote_windows_arg(arg) for arg in launcher.args)])


def split_windows_command(command: str) -> list[str]:
    """The argv a command line stands for: the program as CreateProcess reads it, then
    the arguments by the C runtime's rules (2008 and later)."""
    command = command.lstrip(" \t")
    if not command:
        return []
    if command.startswith('"'):
        closing = command.find('"', 1)
        end = len(command) if closing < 0 else closing
        program, i = command[1:end], end + 1
    else:
        end = len(command)
        for index, char in enumerate(command):
            if char in " \t":
                end = index
                break
        program, i = command[:end], end
    args = [program]
    length = len(command)
    while True:
        while i < length and command[i] in " \t":
            i += 1
        if i >= length:
            return args
        word: list[str] = []
        in_quotes = False
        while i < length and (in_quotes or command[i] not in " \t"):
            char = command[i]
            if char == "\\":
                start = i
                while i < length and command[i] == "\\":
                    i += 1
                count = i - start
                if i < length and command[i] == '"':
                    word.append("\\" * (count // 2))
                    if count % 2:
                        word.append('"')
                        i += 1
                else:
                    word.append("\\" * count)
                continue
            if char == '"':
                if in_quotes and i + 1 < length and command[i + 1] == '"':
                    word.append('"')
                    i += 2
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            word.append(char)
            i += 1
        args.append("".join(word))


def startup_approved_disabled(data: object) -> bool:
    """Whether a StartupApproved value says the user turned the entry off (odd first byte)."""
    return isinstance(data, bytes) and len(data) > 0 and data[0] & 1 == 1


class Registry(Protocol):
    """The few registry operations needed, on ``HKEY_CURRENT_USER``."""

    def get(self, key: str, name: str) -> object | None: ...

    def set_string(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> bool: ...


class CurrentUserRegistry:
    """``HKEY_CURRENT_USER`` through ``winreg`` (Windows only)."""

    def get(self, key: str, name: str) -> object | None:
        if sys.platform != "win32":
            raise AutostartError("the registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        result: object = value
        return result

    def set_string(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise AutostartError("the registry exists only on Windows")
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> bool:
        if sys.platform != "win32":
            raise AutostartError("the registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            return False
        return True


def registry_location(key: str = RUN_KEY, name: str = VALUE_NAME) -> Path:
    """A readable name for a registry value, for messages and ``status().where``."""
    return Path(f"HKEY_CURRENT_USER\\{key}\\{name}")


class RunKeyAutostart(AutostartBackend):
    """The current user's Run value ``breakd``."""

    kind = N_("Run registry value")

    def __init__(self, launcher: Launcher | None = None, *, registry: Registry | None = None):
        super().__init__()
        self._launcher = launcher
        self._registry: Registry = registry or CurrentUserRegistry()

    def enable(self) -> Path:
        self.notes = []
        launcher = self._launcher or find_windows_launcher()
        self._registry.set_string(RUN_KEY, VALUE_NAME, run_value(launcher))
        if self._registry.delete(APPROVED_KEY, VALUE_NAME):
            self.notes.append("cleared the Task Manager setting that had turned it off")
        return registry_location()

    def disable(self) -> list[Path]:
        self.notes = []
        removed = []
        if self._registry.delete(RUN_KEY, VALUE_NAME):
            removed.append(registry_location())
        if self._registry.delete(APPROVED_KEY, VALUE_NAME):
            removed.append(registry_location(APPROVED_KEY))
        return removed

    def status(self) -> AutostartStatus:
        value = self._registry.get(RUN_KEY, VALUE_NAME)
        if value is None:
            return AutostartStatus(False)
        where = registry_location()
        if not isinstance(value, str) or not (argv := split_windows_command(value)):
            return AutostartStatus(True, where, None, f"{where} is not a command line: {value!r}")
        enabled = not startup_approved_disabled(self._registry.get(APPROVED_KEY, VALUE_NAME))
        note = (
            None if enabled else "turned off in Task Manager; `breakd autostart enable` turns it on"
        )
        program = Path(argv[0])
        if PureWindowsPath(argv[0]).name.lower() in CONSOLE_PROGRAMS:
            console = (
                f"{argv[0]} opens a console window at login; `breakd autostart enable`"
                " switches to the windowless launcher"
            )
            note = console if note is None else f"{note}; {console}"
        return AutostartStatus(enabled, where, program, launcher_problem(program), note)
