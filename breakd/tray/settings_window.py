"""The settings window: every setting of the schema, a Tk program of its own, started by
the tray.

Why a process of its own: Tk wants to own the thread it runs on, and so does the tray's
toolkit; two toolkits in one process fight over the main thread. The window is built
from the settings schema (``breakd.config.SCHEMA``), one tab per group of sections, so
a new setting gets a field without anyone remembering to add one. Each field is checked
exactly as the config file is (``spec.kind.from_text``, then ``cross_check`` for keys
that must agree), and each problem is shown once, under its field. On Save the window
prints each *changed* key as a JSON line, ``{"key": ..., "value": ...}``, on stdout; the
tray asks the daemon to ``change_setting`` each one, which puts it in force at once and
writes just that key to the user's file, keeping its comments (as ``breakd set`` does).
"Open config file" prints ``{"open_config": true}`` so the tray opens it (and can tell
the user through the daemon's notifier when no editor can).

Run by hand: ``python -m breakd.tray.settings_window`` shows the values from the config
files and prints what Save would change.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from breakd.config import (
    SCHEMA,
    BoolKind,
    ChoiceKind,
    ClockTimeKind,
    DaysKind,
    DurationKind,
    IntKind,
    Settings,
    Spec,
    cross_check,
    find_spec,
    load_config,
    not_allowed,
    user_config_file,
    wrong_type,
)
from breakd.durations import format_duration
from breakd.files import PRIVATE_FILE, make_private_dir
from breakd.i18n import N_, _, ngettext
from breakd.opener import Tell, open_text_file

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

log = logging.getLogger(__name__)

WINDOW_TITLE = N_("breakd settings")
#: The X11 WM_CLASS: the desktop groups the window under breakd, not under "Tk".
WINDOW_CLASS = "breakd"

#: What each setting is called in the window (in English), by its key in the file.
FIELD_LABELS = {spec.key: spec.label for spec in SCHEMA if spec.label}

#: The tabs, in order, and the sections each holds; a section not named here (a new
#: one) goes to the last tab, so the window always shows every setting.
TABS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Reminders"), ("reminders",)),
    (N_("Breaks"), ("breaks", "posture")),
    (N_("Working hours"), ("working_hours",)),
    (N_("Notifications"), ("notifications",)),
    (N_("More"), ("general", "activity", "startup", "history", "logging")),
)

SECTION_TITLES = {
    "general": N_("General"),
    "reminders": N_("Reminders"),
    "breaks": N_("Breaks"),
    "posture": N_("Sitting and standing"),
    "working_hours": N_("Working hours"),
    "notifications": N_("Notifications"),
    "activity": N_("Activity"),
    "startup": N_("Start-up"),
    "history": N_("History"),
    "logging": N_("Log file"),
}

#: Every key the window shows: the whole schema.
WINDOW_KEYS = tuple(spec.key for spec in SCHEMA)

DAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def tabs() -> list[tuple[str, list[Spec]]]:
    """Each tab's title and its settings, from the schema (new sections go last)."""
    named = {section for _, sections in TABS for section in sections}
    laid_out = [
        (title, [spec for section in sections for spec in SCHEMA if spec.section == section])
        for title, sections in TABS
    ]
    extra = [spec for spec in SCHEMA if spec.section not in named]
    if extra:
        title, specs = laid_out[-1]
        laid_out[-1] = (title, [*specs, *extra])
    return [(title, specs) for title, specs in laid_out if specs]


def label_of(spec: Spec) -> str:
    return _(spec.label) if spec.label else spec.name.replace("_", " ").capitalize()


def text_of(spec: Spec, value: Any) -> str:
    """A value as typed in the window: "30m", "true", "mon, tue", "09:00"."""
    shown = spec.kind.to_toml(value)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, list):
        return ", ".join(str(item) for item in shown)
    return str(shown)


def current_texts(settings: Settings) -> dict[str, str]:
    """Every setting's value in force, as the window shows it."""
    return {spec.key: text_of(spec, getattr(settings, spec.attr)) for spec in SCHEMA}


def hint_of(spec: Spec) -> str:
    """The short range shown next to a typed field; the full advice comes with an error."""
    kind = spec.kind
    if isinstance(kind, DurationKind):
        return f"{format_duration(kind.minimum)} to {format_duration(kind.maximum)}"
    if isinstance(kind, IntKind):
        return f"{kind.minimum} to {kind.maximum}"
    if isinstance(kind, ClockTimeKind):
        return "HH:MM"
    return ""


def problem_of(spec: Spec, error: ValueError) -> str:
    """One message for one bad value: what is wrong, then what is allowed, once.

    The parsers' own messages may carry advice of their own ('write it like "30m"'):
    only their first clause is kept, so the advice is not given twice.
    """
    if isinstance(spec.kind, DaysKind) and str(error) == wrong_type([]):
        return _("choose at least one day")
    what = str(error).split(";", 1)[0].strip()
    return not_allowed(ValueError(what), spec)


def validate(
    typed: Mapping[str, str], original: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(changes, errors): the fields whose value changed, written the way the window
    writes them, and one message for each field that the config would refuse."""
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for key, text in typed.items():
        spec = find_spec(key)
        try:
            value = spec.kind.from_text(text)
        except ValueError as error:
            errors[spec.key] = problem_of(spec, error)
            continue
        parsed[spec.key] = value
        try:
            unchanged = spec.kind.from_text(original.get(spec.key, "")) == value
        except ValueError:
            unchanged = False
        if not unchanged:
            changes[spec.key] = text_of(spec, value)
    before: dict[str, Any] = {}
    for spec in SCHEMA:  # the values in force, as far as they can be read
        with contextlib.suppress(KeyError, ValueError):
            before[spec.key] = spec.kind.from_text(original[spec.key])
    reason = cross_check({**before, **parsed})
    if reason is not None and "working_hours.end" not in errors:
        errors["working_hours.end"] = reason
    if errors:
        return {}, errors
    return _in_safe_order(changes, before, parsed), errors


def _in_safe_order(
    changes: Mapping[str, str], before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, str]:
    """The changes ordered so that the settings agree after each one is written (the
    tray writes them one by one): moving working hours later writes the new end first."""
    current = dict(before)
    pending = list(changes)
    ordered: dict[str, str] = {}
    while pending:
        fits = [key for key in pending if cross_check({**current, key: after[key]}) is None]
        key = fits[0] if fits else pending[0]
        ordered[key] = changes[key]
        current[key] = after[key]
        pending.remove(key)
    return ordered


# --- the tray's side ------------------------------------------------------------------------


class SettingsLauncher:
    """Starts the window (one at a time) and hands each change it prints to ``apply``."""

    def __init__(
        self,
        apply: Callable[[str, str], object],
        current: Callable[[], Mapping[str, str]],
        *,
        open_config: Callable[[], object] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self._apply = apply
        self._current = current
        self._open_config = open_config
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
        handle_lines(process.stdout, self._apply, self._open_config)
        code = process.wait()
        if code != 0:
            log.warning("settings: the window ended with exit code %d", code)

    @property
    def process(self) -> subprocess.Popen[str] | None:
        return self._process


def handle_lines(
    lines: IO[str],
    apply: Callable[[str, str], object],
    open_config: Callable[[], object] | None = None,
) -> int:
    """Apply each ``{"key": ..., "value": ...}`` line; returns how many were applied.

    ``{"open_config": true}`` asks for the config file to be opened.
    """
    applied = 0
    for line in lines:
        try:
            change = json.loads(line)
            if not isinstance(change, dict):
                raise TypeError("not a JSON object")
            if change.get("open_config") is True:
                if open_config is not None:
                    open_config()
                continue
            key, value = change["key"], change["value"]
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("key and value must be strings")
            if find_spec(key).key not in WINDOW_KEYS:
                raise ValueError(f"{key} cannot be changed from the settings window")
        except Exception as error:
            log.warning("settings: ignored a line from the window (%s): %r", error, line[:200])
            continue
        apply(key, value)
        applied += 1
    return applied


def open_config_file(
    path: Path | None = None, platform: str = sys.platform, *, tell: Tell | None = None
) -> str | None:
    """Open the user's config file in a graphical editor (created, commented, if new);
    ``tell`` gives the user its path when no editor can. Returns the editor used."""
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
    return open_text_file(target, tell=tell, platform=platform)


# --- the window -----------------------------------------------------------------------------


@dataclass
class Field:
    """One setting on screen: how to read what the user set, and where its problem goes."""

    spec: Spec
    tab: int
    read: Callable[[], str]
    focus: tk.Widget
    message: ttk.Label


def apply_theme(root: tk.Tk) -> str:
    """The platform's own ttk theme where Tk has one (Windows, macOS); elsewhere "clam"
    in breakd's colours, which looks native enough and honours custom colours."""
    from tkinter import ttk

    from breakd.coach.window import ACCENT_HEX, BACKGROUND, BUTTON, LINE, OUTLINE, TEXT, TRACK

    style = ttk.Style(root)
    for native in ("vista", "aqua"):
        if native in style.theme_names():
            style.theme_use(native)
            return native
    style.theme_use("clam")
    root.configure(background=BACKGROUND)
    style.configure(".", background=BACKGROUND, foreground=TEXT, bordercolor=OUTLINE)
    style.configure("TFrame", background=BACKGROUND)
    style.configure("TLabel", background=BACKGROUND, foreground=TEXT)
    style.configure("Hint.TLabel", foreground="#5b6b7a")
    style.configure("Problem.TLabel", foreground="#b00020")
    style.configure("TLabelframe", background=BACKGROUND, bordercolor=LINE)
    style.configure("TLabelframe.Label", background=BACKGROUND, foreground="#1a7a6e")
    style.configure("TCheckbutton", background=BACKGROUND, indicatorbackground="#ffffff")
    style.map(
        "TCheckbutton",
        background=[("active", BACKGROUND)],
        indicatorbackground=[("selected", ACCENT_HEX), ("pressed", TRACK)],
    )
    style.configure("TEntry", fieldbackground="#ffffff", lightcolor=LINE)
    style.map("TEntry", bordercolor=[("focus", ACCENT_HEX)], lightcolor=[("focus", ACCENT_HEX)])
    style.configure("TCombobox", fieldbackground="#ffffff", arrowcolor=TEXT)
    style.map("TCombobox", fieldbackground=[("readonly", "#ffffff")])
    style.configure("TNotebook", background=BACKGROUND, bordercolor=LINE)
    style.configure("TNotebook.Tab", background=BUTTON, padding=(12, 4), bordercolor=LINE)
    style.map(
        "TNotebook.Tab",
        background=[("selected", BACKGROUND)],
        foreground=[("selected", "#1a7a6e")],
    )
    style.configure("TButton", background=BUTTON, bordercolor=OUTLINE, padding=(10, 4))
    style.map("TButton", background=[("active", TRACK)])
    style.configure(
        "Accent.TButton", background=ACCENT_HEX, foreground="#ffffff", bordercolor=ACCENT_HEX
    )
    style.map("Accent.TButton", background=[("active", "#1a7a6e")])
    return "clam"


def set_icon(root: tk.Tk) -> bool:
    """breakd's icon for the title bar and the task bar; False (and a log line) if not."""
    import tkinter as tk

    from breakd.resources import data_dir

    try:
        icon = tk.PhotoImage(master=root, file=str(data_dir("icons") / "breakd.png"))
        root.iconphoto(True, icon)
    except (tk.TclError, FileNotFoundError) as error:
        log.warning("settings: no window icon (%s)", error)
        return False
    return True


class SettingsWindow:
    """The window's widgets and what Save and Cancel do. All methods run on the Tk thread."""

    def __init__(self, root: tk.Tk, values: Mapping[str, str], output: IO[str]) -> None:
        from tkinter import ttk

        self.root = root
        self.values = dict(values)
        self.output = output
        self.theme = apply_theme(root)
        self.has_icon = set_icon(root)
        root.title(_(WINDOW_TITLE))
        root.resizable(False, False)
        outer = ttk.Frame(root, padding=12)
        outer.grid(sticky="nsew")
        self.notebook = ttk.Notebook(outer)
        self.notebook.grid(row=0, column=0, sticky="nsew")
        self.notebook.enable_traversal()
        self.fields: dict[str, Field] = {}
        for index, (title, specs) in enumerate(tabs()):
            page = ttk.Frame(self.notebook, padding=10)
            self.notebook.add(page, text=_(title))
            self._build_tab(page, index, specs)
        self.status = ttk.Label(outer, text="", style="Problem.TLabel")
        self.status.grid(row=1, column=0, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(outer)
        buttons.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        buttons.columnconfigure(1, weight=1)
        ttk.Button(buttons, text=_("Open config file"), command=self.open_config).grid(
            row=0, column=0, sticky="w"
        )
        cancel = ttk.Button(buttons, text=_("Cancel"), command=self.cancel)
        cancel.grid(row=0, column=2, padx=(0, 6))
        ttk.Button(buttons, text=_("Save"), style="Accent.TButton", command=self.save).grid(
            row=0, column=3
        )
        root.bind("<Return>", lambda _e: self.save())
        root.bind("<Escape>", lambda _e: self.cancel())
        root.protocol("WM_DELETE_WINDOW", self.cancel)
        first = next(iter(self.fields.values())).focus
        first.focus_set()
        if isinstance(first, ttk.Entry):
            first.select_range(0, "end")
            first.icursor("end")

    def _build_tab(self, page: ttk.Frame, index: int, specs: Sequence[Spec]) -> None:
        from tkinter import ttk

        sections = list(dict.fromkeys(spec.section for spec in specs))
        page.columnconfigure(0, weight=1)
        for row, section in enumerate(sections):
            box: ttk.Frame | ttk.LabelFrame
            if len(sections) > 1:  # a tab of one section needs no second title
                box = ttk.LabelFrame(page, text=_(SECTION_TITLES.get(section, section)), padding=8)
            else:
                box = ttk.Frame(page, padding=(8, 0))
            box.grid(row=row, column=0, sticky="ew", pady=(0 if row == 0 else 8, 0))
            box.columnconfigure(1, weight=1)
            for line, spec in enumerate(s for s in specs if s.section == section):
                self.fields[spec.key] = self._build_field(box, 2 * line, index, spec)

    def _build_field(
        self, box: ttk.Frame | ttk.LabelFrame, row: int, tab: int, spec: Spec
    ) -> Field:
        import tkinter as tk
        from tkinter import ttk

        text = self.values.get(spec.key, "")
        kind = spec.kind
        focus: tk.Widget
        read: Callable[[], str]
        if isinstance(kind, BoolKind):
            flag = tk.BooleanVar(box, value=text.strip().lower() == "true")
            focus = ttk.Checkbutton(box, text=label_of(spec), variable=flag)
            focus.grid(row=row, column=0, columnspan=3, sticky="w", pady=(4, 0))

            def read() -> str:
                return "true" if flag.get() else "false"

        else:
            ttk.Label(box, text=label_of(spec)).grid(
                row=row, column=0, sticky="w", padx=(0, 12), pady=(4, 0)
            )
            if isinstance(kind, DaysKind):
                chosen = {part.strip().lower() for part in text.split(",")}
                days = ttk.Frame(box)
                days.grid(row=row, column=1, columnspan=2, sticky="w", pady=(4, 0))
                flags = []
                for column, name in enumerate(DAY_LABELS):
                    flag = tk.BooleanVar(days, value=name.lower() in chosen)
                    ttk.Checkbutton(days, text=_(name), variable=flag).grid(
                        row=0, column=column, padx=(0, 4)
                    )
                    flags.append((name.lower(), flag))
                focus = days.winfo_children()[0]  # type: ignore[assignment]

                def read() -> str:
                    return ", ".join(name for name, flag in flags if flag.get())

            else:
                variable = tk.StringVar(box, value=text)
                if isinstance(kind, ChoiceKind):
                    focus = ttk.Combobox(
                        box, textvariable=variable, values=kind.choices, state="readonly", width=16
                    )
                else:
                    focus = ttk.Entry(box, textvariable=variable, width=18)
                focus.grid(row=row, column=1, sticky="w", pady=(4, 0))
                ttk.Label(box, text=hint_of(spec), style="Hint.TLabel").grid(
                    row=row, column=2, sticky="w", padx=(8, 0), pady=(4, 0)
                )
                read = variable.get
        message = ttk.Label(box, text="", style="Problem.TLabel", wraplength=440)
        message.grid(row=row + 1, column=0, columnspan=3, sticky="w")
        message.grid_remove()
        return Field(spec, tab, read, focus, message)

    def typed(self) -> dict[str, str]:
        return {key: field.read() for key, field in self.fields.items()}

    def save(self) -> bool:
        """Print the changed keys and close; with a problem, show it and stay open."""
        changes, errors = validate(self.typed(), self.values)
        for key, field in self.fields.items():
            problem = errors.get(key)
            field.message.configure(text=problem or "")
            if problem:
                field.message.grid()
            else:
                field.message.grid_remove()
        if errors:
            count = len(errors)
            self.status.configure(
                text=ngettext(
                    "{count} setting to fix before saving",
                    "{count} settings to fix before saving",
                    count,
                ).format(count=count)
            )
            first = next(field for key, field in self.fields.items() if key in errors)
            self.notebook.select(first.tab)  # type: ignore[no-untyped-call]
            first.focus.focus_set()
            return False
        for key, text in changes.items():
            self.output.write(json.dumps({"key": key, "value": text}) + "\n")
        self.output.flush()
        self.root.destroy()
        return True

    def cancel(self) -> None:
        self.root.destroy()

    def open_config(self) -> None:
        """The tray opens the file: it can tell the user the path through the daemon."""
        self.output.write(json.dumps({"open_config": True}) + "\n")
        self.output.flush()


def run_window(values: Mapping[str, str], output: IO[str]) -> int:
    """Show the window until Save or Cancel; Save writes the changes to ``output``."""
    import tkinter as tk  # here, so the tray can use this module on a system without Tk

    try:
        root = tk.Tk(className=WINDOW_CLASS)
    except tk.TclError as error:
        print(f"breakd: the settings window cannot open ({error})", file=sys.stderr)
        return 1
    SettingsWindow(root, values, output)
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
    values = current_texts(load_config().settings)
    if args.values:
        given = json.loads(args.values)
        if isinstance(given, dict):
            values.update({str(k): str(v) for k, v in given.items()})
    try:
        return run_window(values, sys.stdout)
    except ImportError as error:
        print(f"breakd: the settings window needs Tk (python3-tk): {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
