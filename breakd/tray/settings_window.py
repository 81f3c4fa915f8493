"""The small settings window: a Tk program of its own, started by the tray.

Why a process of its own: Tk wants to own the thread it runs on, and so does the tray's
toolkit; two toolkits in one process fight over the main thread. The window validates
each field exactly as the config file is validated (``find_spec(key).kind.from_text``),
and on Save prints each change as a JSON line, ``{"key": ..., "value": ...}``, on stdout.
The tray reads those lines and asks the daemon to ``change_setting`` each one, which
puts it in force at once and writes it to the user's file keeping the file's comments.

Run by hand: ``python -m breakd.tray.settings_window`` shows the values from the config
files and prints what Save would change.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from breakd.commands import SETTABLE
from breakd.config import ChoiceKind, Settings, find_spec, load_config, user_config_file
from breakd.files import PRIVATE_FILE, make_private_dir
from breakd.opener import open_with_desktop

log = logging.getLogger(__name__)

WINDOW_TITLE = "breakd settings"

#: What each settable key is called in the window.
FIELD_LABELS = {
    "interval": "Remind me after",
    "remind_again": "Remind again after",
    "snooze": "Snooze for",
    "length": "Break length",
    "exercises": "Exercises",
    "natural_break": "Time away that counts as a break",
}


def current_texts(settings: Settings) -> dict[str, str]:
    """Each settable key's value as it is written in the file ("30m", "alternate")."""
    texts = {}
    for name in SETTABLE:
        spec = find_spec(name)
        texts[spec.key] = str(spec.kind.to_toml(getattr(settings, spec.attr)))
    return texts


def validate(
    typed: Mapping[str, str], original: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(changes, errors): the fields whose value changed, written the way the file writes
    them, and a message for each field that the config would refuse."""
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, text in typed.items():
        spec = find_spec(key)
        try:
            value = spec.kind.from_text(text)
        except ValueError as error:
            errors[spec.key] = f"{error}; allowed: {spec.kind.allowed}"
            continue
        try:
            unchanged = spec.kind.from_text(original.get(spec.key, "")) == value
        except ValueError:
            unchanged = False
        if not unchanged:
            changes[spec.key] = str(spec.kind.to_toml(value))
    return changes, errors


# --- the tray's side ------------------------------------------------------------------------


class SettingsLauncher:
    """Starts the window (one at a time) and hands each change it prints to ``apply``."""

    def __init__(
        self,
        apply: Callable[[str, str], object],
        current: Callable[[], Mapping[str, str]],
        *,
        command: Sequence[str] | None = None,
    ) -> None:
        self._apply = apply
        self._current = current
        self._command = list(command or [sys.executable, "-m", "breakd.tray.settings_window"])
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        """Called from the tray's thread: starts the process and returns at once."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                log.info("settings: the window is already open")
                return
            try:
                process = subprocess.Popen(
                    [*self._command, "--values", json.dumps(dict(self._current()))],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            except OSError as error:
                log.error("settings: the window cannot start (%s)", error)
                return
            self._process = process
        threading.Thread(
            target=self._read, args=(process,), name="breakd-settings", daemon=True
        ).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        handle_lines(process.stdout, self._apply)
        code = process.wait()
        if code != 0:
            log.warning("settings: the window ended with exit code %d", code)

    @property
    def process(self) -> subprocess.Popen[str] | None:
        return self._process


def handle_lines(lines: IO[str], apply: Callable[[str, str], object]) -> int:
    """Apply each ``{"key": ..., "value": ...}`` line; returns how many were applied."""
    applied = 0
    for line in lines:
        try:
            change = json.loads(line)
            key, value = change["key"], change["value"]
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("key and value must be strings")
            if find_spec(key).name not in SETTABLE:
                raise ValueError(f"{key} cannot be changed from the settings window")
        except Exception as error:
            log.warning("settings: ignored a line from the window (%s): %r", error, line[:200])
            continue
        apply(key, value)
        applied += 1
    return applied


def open_config_file(path: Path | None = None, platform: str = sys.platform) -> None:
    """Open the user's config file in the desktop's editor (created, commented, if new)."""
    target = path or user_config_file()
    if not target.exists():
        make_private_dir(target.parent)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(
                    "# breakd settings; see `breakd config show` for every key and its value.\n"
                )
    open_with_desktop(target, platform)


# --- the window -----------------------------------------------------------------------------


def run_window(values: Mapping[str, str], output: IO[str]) -> int:
    """Show the window until Save or Cancel; Save writes the changes to ``output``."""
    import tkinter as tk  # here, so the tray can use this module on a system without Tk
    from tkinter import ttk

    try:
        root = tk.Tk()
    except tk.TclError as error:
        print(f"breakd: the settings window cannot open ({error})", file=sys.stderr)
        return 1
    root.title(WINDOW_TITLE)
    root.resizable(False, False)
    frame = ttk.Frame(root, padding=12)
    frame.grid(sticky="nsew")
    variables: dict[str, tk.StringVar] = {}
    messages: dict[str, ttk.Label] = {}
    first: tk.Widget | None = None
    for row, name in enumerate(SETTABLE):
        spec = find_spec(name)
        variable = tk.StringVar(root, value=values.get(spec.key, ""))
        variables[spec.key] = variable
        ttk.Label(frame, text=FIELD_LABELS.get(name, name)).grid(
            row=2 * row, column=0, sticky="w", padx=(0, 10), pady=(6, 0)
        )
        field: tk.Widget
        if isinstance(spec.kind, ChoiceKind):
            field = ttk.Combobox(
                frame, textvariable=variable, values=spec.kind.choices, state="readonly", width=14
            )
        else:
            field = ttk.Entry(frame, textvariable=variable, width=16)
        field.grid(row=2 * row, column=1, sticky="ew", pady=(6, 0))
        message = ttk.Label(frame, text="", foreground="#b00020", wraplength=360)
        message.grid(row=2 * row + 1, column=0, columnspan=2, sticky="w")
        messages[spec.key] = message
        first = first or field
    buttons = ttk.Frame(frame)
    buttons.grid(row=2 * len(SETTABLE), column=0, columnspan=2, sticky="e", pady=(12, 0))

    def save(*_: Any) -> None:
        changes, errors = validate({k: v.get() for k, v in variables.items()}, values)
        for key, message in messages.items():
            message.configure(text=errors.get(key, ""))
        if errors:
            return
        for key, text in changes.items():
            output.write(json.dumps({"key": key, "value": text}) + "\n")
        output.flush()
        root.destroy()

    def cancel(*_: Any) -> None:
        root.destroy()

    ttk.Button(buttons, text="Open config file", command=open_config_file).grid(
        row=0, column=0, padx=(0, 24)
    )
    ttk.Button(buttons, text="Cancel", command=cancel).grid(row=0, column=1, padx=(0, 6))
    ttk.Button(buttons, text="Save", command=save).grid(row=0, column=2)
    root.bind("<Return>", save)
    root.bind("<Escape>", cancel)
    if isinstance(first, ttk.Entry):
        first.focus_set()
        first.select_range(0, "end")
        first.icursor("end")
    root.mainloop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m breakd.tray.settings_window",
        description="breakd's settings window; prints each change on Save as a JSON line.",
    )
    parser.add_argument(
        "--values", help="the values in force, as JSON {key: text} (default: the config files)"
    )
    args = parser.parse_args(argv)
    values = json.loads(args.values) if args.values else current_texts(load_config().settings)
    try:
        return run_window(values, sys.stdout)
    except ImportError as error:
        print(f"breakd: the settings window needs Tk (python3-tk): {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
