"""The break window: a small, calm, always-on-top guide through a break (the two-minute
exercise break, or a walking break: a walk, the stairs, a glass of water).

Run as ``python -m breakd.coach.window`` by :mod:`breakd.coach.window_runner`; it
reads the session and commands on stdin and reports on stdout (see
:mod:`breakd.coach.protocol`). It runs in a process of its own so that Tk can never
stall the daemon, and so that it owns a main thread (which Tk needs on macOS).

It sits in a corner of the work area (the screen less its panels), above other windows
but without taking the keyboard: it never asks for focus, and on X11 it asks the window
manager not to give it any when it appears. Its size is fixed for the whole break,
measured for the session's largest exercise, so it never grows or jumps when the
exercise changes. The buttons are the way to use it; the keys (Space pause, the Next
button's underlined letter, Esc end) are a bonus that works once the user has clicked
into it, and the footer says so. The buttons take no focus, so Space never presses a
button by accident.

Sizes are in points and Tk scales them to the screen's DPI, so the window reads the
same on a HiDPI screen. Its own countdown keeps time with the engine's: both count
active seconds from the moment the break began, and both stop while it is paused.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import queue
import sys
import threading
import time
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Mapping
from tkinter import ttk
from typing import IO, Any

from PIL import Image

from breakd.coach.base import CoachStep
from breakd.coach.protocol import ProtocolError, WindowStart, decode, encode, parse_start
from breakd.coach.timeline import BreakClock, Still, Timeline, clock_text, motion
from breakd.coach.x11 import FrameExtents, ScreenFacts
from breakd.config import user_config_dir
from breakd.content import ContentError, Exercise, load_exercises, load_safety
from breakd.durations import humanize
from breakd.i18n import N_, _, pgettext
from breakd.pictures import ACCENT, render_between, render_frame
from breakd.state import BreakType

log = logging.getLogger("breakd.coach.window")

TITLE = N_("breakd — break")

# A light, quiet palette; the accent is the one the exercise pictures are drawn in.
BACKGROUND = "#f6f8f8"
SURFACE = "#ffffff"
TEXT = "#23313f"
MUTED = "#5b6b7a"
ACCENT_HEX = "#{:02x}{:02x}{:02x}".format(*ACCENT[:3])
#: The accent darkened for small text, which needs more contrast (4.9:1 on BACKGROUND).
ACCENT_TEXT = "#1a7a6e"
TRACK = "#dde6e6"
BUTTON = "#e8eeee"
BUTTON_HOVER = "#dbe4e4"
LINE = "#e3e8ea"
OUTLINE = "#c5d0d4"

#: How often the countdown and the progress bar are redrawn.
TICK_MS = 200
#: How often the daemon's commands are looked at.
INBOX_MS = 100
#: How long the picture holds each pose: long enough to take it in, calm to watch.
HOLD_MS = 1300
#: How long the move from one pose to the next takes, and how often its in-between
#: pictures change (10 a second: smooth enough to follow, and cheap, because it
#: redraws only while the figure moves and each picture is drawn once).
MOVE_MS = 900
STEP_MS = 100
#: How long "Done" stays before the window closes itself.
DONE_MS = 4000
#: A break that took longer than this to open is counted from when the window appeared.
MAX_START_DELAY = 15.0

PICTURE_POINTS = 118
TEXT_POINTS = 250
PAD_POINTS = 16
MARGIN_POINTS = 18

#: The footer's key help: the keys only work once the window has the keyboard.
KEYS_HELP = N_("Keys, once you click the window: Space pause · {next_key} next · Esc end break")


def mnemonic(label: str) -> tuple[str, int, str]:
    """A button label with its "_" marker read: (text shown, index underlined, key).

    The translator chooses the letter ("_Weiter" underlines and binds W), so the letter
    underlined and the key that works are one and the same in every language. A label
    without a marker underlines and binds its first letter.
    """
    marker = label.find("_")
    if 0 <= marker < len(label) - 1:
        text = label[:marker] + label[marker + 1 :]
    else:
        text, marker = label.replace("_", ""), 0
    letters = [i for i in range(marker, len(text)) if text[i].isalnum()]
    index = letters[0] if letters else 0
    return text, index, text[index : index + 1].casefold()


def keys_help() -> str:
    """The footer's key help, naming the Next button's key as its label underlines it."""
    _text, _index, key = mnemonic(next_label())
    return _(KEYS_HELP).format(next_key=key.upper())


def next_label() -> str:
    """The Next button's label with its mnemonic marker."""
    # Translators: the break window's button to the next exercise. The letter after "_"
    # is underlined and is the button's key; choose one that begins a word of the label.
    return pgettext("break window button", "_Next")


class CoachWindow:
    """One break on screen. All methods run on the Tk thread."""

    def __init__(
        self,
        root: tk.Tk,
        start: WindowStart,
        exercises: Mapping[str, Exercise],
        help_text: str,
        send: Callable[[dict[str, Any]], bool],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        root.withdraw()  # shown once built and placed, never half-drawn in the wrong spot
        self.start = start
        self.session = start.session
        self.exercises = exercises
        self.send = send
        self.inbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.timeline = Timeline(self.session.steps, self.session.length_seconds)
        offset = 0.0
        if start.started_at is not None:
            offset = min(max(wall() - start.started_at, 0.0), MAX_START_DELAY)
        self.clock = BreakClock(monotonic, offset)
        self.state = "running"  # then "done" or "closed"
        self._stills: dict[str, tuple[Still, ...]] = {}
        self._photos: dict[tuple[str, int], tk.PhotoImage] = {}
        self._still_index = 0
        self._animation: str | None = None
        self._ready = False

        self.window_id: int | None = None
        self.facts = _screen_facts(root)
        self.scale = _points_to_pixels(root, self.facts.dpi)
        self._style()
        self._build(help_text)
        self._bind()
        self._show_exercise(announce=False)
        self.size = self._measure()
        self._place()

    # --- sizes ------------------------------------------------------------------------

    def px(self, points: float) -> int:
        return max(1, round(points * self.scale))

    # --- building ---------------------------------------------------------------------

    def _style(self) -> None:
        root = self.root
        root.configure(background=BACKGROUND)
        family = tkfont.nametofont("TkDefaultFont").actual("family")
        self.font_eyebrow = tkfont.Font(root, family=family, size=9, weight="bold")
        self.font_title = tkfont.Font(root, family=family, size=15, weight="bold")
        self.font_count = tkfont.Font(root, family=family, size=22, weight="bold")
        self.font_body = tkfont.Font(root, family=family, size=10)
        self.font_number = tkfont.Font(root, family=family, size=10, weight="bold")
        self.font_small = tkfont.Font(root, family=family, size=9)
        self.font_button = tkfont.Font(root, family=family, size=10, weight="bold")

        style = ttk.Style(root)
        style.theme_use("clam")  # the one built-in theme that honours custom colours
        style.configure(".", background=BACKGROUND, foreground=TEXT, font=self.font_body)
        style.configure("TFrame", background=BACKGROUND)
        style.configure("TLabel", background=BACKGROUND, foreground=TEXT)
        for name, colour in (("Soft", BUTTON), ("Quiet", BACKGROUND)):
            style.configure(
                f"{name}.TButton",
                background=colour,
                foreground=TEXT,
                bordercolor=BUTTON if name == "Soft" else OUTLINE,
                lightcolor=colour,
                darkcolor=colour,
                focuscolor=colour,
                font=self.font_button,
                padding=(self.px(11), self.px(5)),
                relief="flat" if name == "Soft" else "solid",
                borderwidth=1,
                width=-7,
            )
            style.map(
                f"{name}.TButton",
                background=[("pressed", TRACK), ("active", BUTTON_HOVER)],
                lightcolor=[("pressed", TRACK), ("active", BUTTON_HOVER)],
                darkcolor=[("pressed", TRACK), ("active", BUTTON_HOVER)],
                foreground=[("disabled", "#a3afba")],
            )

    def _label(self, parent: tk.Misc, font: tkfont.Font, colour: str = TEXT, **kw: Any) -> tk.Label:
        return tk.Label(
            parent,
            font=font,
            foreground=colour,
            background=kw.pop("background", BACKGROUND),
            anchor=kw.pop("anchor", "w"),
            justify="left",
            borderwidth=0,
            highlightthickness=0,
            **kw,
        )

    def _build(self, help_text: str) -> None:
        root = self.root
        root.title(_(TITLE))
        root.resizable(False, False)
        pad = self.px(PAD_POINTS)
        text_width = self.px(TEXT_POINTS)
        picture = self.px(PICTURE_POINTS)
        full_width = picture + pad + text_width

        # The window keeps one size for the whole break: spare room goes above the bar,
        # so the bar, the buttons and the footer stay where they are.
        root.rowconfigure(0, weight=1)
        root.columnconfigure(0, weight=1)
        outer = ttk.Frame(root, padding=pad)
        outer.grid(sticky="nsew")
        outer.rowconfigure(0, weight=1)
        outer.columnconfigure(0, weight=1)
        self.outer = outer

        # Header: "BACK BREAK · 1 OF 4" over the exercise title; the countdown on the right.
        self.body = ttk.Frame(outer)
        self.body.grid(row=0, column=0, sticky="nsew")
        body = self.body
        body.columnconfigure(1, weight=1)
        body.rowconfigure(2, weight=1)
        self.eyebrow = self._label(body, self.font_eyebrow, ACCENT_TEXT)
        self.eyebrow.grid(row=0, column=0, columnspan=2, sticky="w")
        self.title_label = self._label(body, self.font_title, wraplength=full_width - self.px(70))
        self.title_label.grid(row=1, column=0, columnspan=2, sticky="w", pady=(self.px(1), 0))
        self.countdown = self._label(body, self.font_count, TEXT, anchor="e")
        self.countdown.grid(row=0, column=2, rowspan=2, sticky="ne")

        # The picture and the numbered steps side by side.
        self._blank = tk.PhotoImage(master=root, width=picture, height=picture)
        self.picture = tk.Label(
            body,
            background=SURFACE,
            width=picture,
            height=picture,
            borderwidth=0,
            highlightthickness=1,
            highlightbackground=LINE,
        )
        self.picture.grid(row=2, column=0, sticky="nw", pady=(self.px(12), 0))
        self.steps_frame = ttk.Frame(body)
        self.steps_frame.grid(
            row=2, column=1, columnspan=2, sticky="nw", padx=(pad, 0), pady=(self.px(10), 0)
        )
        self.steps_frame.columnconfigure(1, weight=1)
        self._text_width = text_width

        # The whole break: a thin bar, what comes next and how long is left.
        self.progress = Bar(body, self.px(5))
        self.progress.grid(row=3, column=0, columnspan=3, sticky="ew", pady=(self.px(14), 0))
        self.next_label = self._label(body, self.font_small, MUTED)
        self.next_label.grid(row=4, column=0, columnspan=2, sticky="w", pady=(self.px(4), 0))
        self.left_label = self._label(body, self.font_small, MUTED, anchor="e")
        self.left_label.grid(row=4, column=2, sticky="e", pady=(self.px(4), 0))

        # Controls. They take no focus: Space is the pause key, never a button press.
        buttons = ttk.Frame(body)
        buttons.grid(row=5, column=0, columnspan=3, sticky="ew", pady=(self.px(12), 0))
        buttons.columnconfigure(2, weight=1)
        self.pause_button = ttk.Button(
            buttons,
            text=pgettext("break window button", "Pause"),
            style="Soft.TButton",
            takefocus=False,
            command=self.toggle_pause,
        )
        self.pause_button.grid(row=0, column=0, sticky="w")
        next_text, next_underline, self.next_key = mnemonic(next_label())
        self.next_button = ttk.Button(
            buttons,
            text=next_text,
            style="Soft.TButton",
            takefocus=False,
            underline=next_underline,
            command=self.next_exercise,
        )
        self.next_button.grid(row=0, column=1, sticky="w", padx=(self.px(6), 0))
        self.end_button = ttk.Button(
            buttons, text=_("End break"), style="Quiet.TButton", takefocus=False, command=self.end
        )
        self.end_button.grid(row=0, column=3, sticky="e")

        # Help: the keys, and the safety line shown with every break.
        tk.Frame(body, height=1, background=LINE).grid(
            row=6, column=0, columnspan=3, sticky="ew", pady=(self.px(12), self.px(8))
        )
        self.help_label = self._label(
            body, self.font_small, MUTED, text=f"{help_text}\n{keys_help()}", wraplength=full_width
        )
        self.help_label.grid(row=7, column=0, columnspan=3, sticky="w")

        # The end: shown in place of everything else for a few seconds.
        self.done = ttk.Frame(outer)
        self.done_title = self._label(self.done, self.font_title, TEXT, wraplength=full_width)
        self.done_title.grid(row=0, column=0, sticky="w")
        self.done_note = self._label(
            self.done,
            self.font_body,
            MUTED,
            text=_("Well done. This window closes by itself."),
            wraplength=full_width,
        )
        self.done_note.grid(row=1, column=0, sticky="w", pady=(self.px(6), 0))
        done_bar = Bar(self.done, self.px(5))
        done_bar.set(1.0)
        done_bar.grid(row=2, column=0, sticky="ew", pady=(self.px(14), 0))
        self.done.columnconfigure(0, weight=1)

    def _bind(self) -> None:
        root = self.root
        root.bind("<Key-space>", lambda _e: self.toggle_pause())
        # By the character typed, not a keysym: the translated key may be any letter.
        root.bind("<Key>", self._on_key, add=True)
        root.bind("<Key-Escape>", lambda _e: self.end())
        root.protocol("WM_DELETE_WINDOW", self.end)
        root.bind("<Map>", self._on_map, add=True)

    def _on_key(self, event: tk.Event[tk.Misc]) -> None:
        if event.char and event.char.casefold() == self.next_key:
            self.next_exercise()

    def _measure(self) -> tuple[int, int]:
        """The size that holds every exercise of this break: the largest one's."""
        root = self.root
        width = height = 0
        steps = self.timeline.steps or (None,)
        for index, step in enumerate(steps):
            following = steps[index + 1] if index + 1 < len(steps) else None
            self._fill(step, following)
            root.update_idletasks()
            width = max(width, root.winfo_reqwidth())
            height = max(height, root.winfo_reqheight())
        self._fill(self.timeline.current, self.timeline.following)
        return width, height

    def _place(self) -> None:
        """Put the window in its corner of the work area, frame and all, at its fixed
        size, without taking focus; it stays there for the whole break."""
        root = self.root
        windowing = root.tk.call("tk", "windowingsystem")
        try:
            root.wm_attributes("-topmost", True)
            if windowing == "x11":
                root.wm_attributes("-type", "utility")
            elif windowing == "win32":
                root.wm_attributes("-toolwindow", True)
        except tk.TclError as error:
            log.debug("window attributes not set: %s", error)
        root.update_idletasks()  # creates the window (still hidden)
        area = self.facts.work_area or (0, 0, root.winfo_screenwidth(), root.winfo_screenheight())
        extents: FrameExtents | None = None
        if windowing == "x11":
            from breakd.coach import x11

            self.window_id = x11.prepare_window(root.winfo_id(), TITLE)
            if self.window_id is not None:
                extents = x11.frame_extents(self.window_id)
        if extents is None:
            # A window manager that does not say: allow for a usual title bar and border.
            extents = FrameExtents(1, 1, self.px(22), 1)
        width, height = self.size
        x, y = corner_position(
            self.start.corner, area, (width, height), extents, self.px(MARGIN_POINTS)
        )
        root.geometry(f"{width}x{height}+{x}+{y}")
        root.deiconify()

    # --- the exercise on screen -------------------------------------------------------

    def _fill(self, step: CoachStep | None, following: CoachStep | None) -> Exercise | None:
        """Write one exercise's text into the window; returns the exercise if known."""
        exercise = self.exercises.get(step.exercise_id) if step is not None else None
        if exercise is not None:
            self.title_label.configure(text=exercise.title)
            self._set_steps(exercise.steps)
        else:
            title = step.exercise_id.replace("-", " ").capitalize() if step else _("Move freely")
            self.title_label.configure(text=title)
            self._set_steps((_("Stand up, walk a few steps and stretch as feels good."),))
        if following is not None:
            known = self.exercises.get(following.exercise_id)
            name = known.title if known is not None else following.exercise_id
            self.next_label.configure(text=_("Next: {name}").format(name=name))
        else:
            self.next_label.configure(text=_("Last one") if self.timeline.count > 1 else "")
        return exercise

    def _show_exercise(self, *, announce: bool = True) -> None:
        exercise = self._fill(self.timeline.current, self.timeline.following)
        self.next_button.state(["disabled"] if self.timeline.is_last else ["!disabled"])
        self._start_animation(exercise)
        self._refresh()
        if announce and self._ready:
            self._announce()

    def _announce(self) -> None:
        step = self.timeline.current
        self.send(
            {
                "event": "showing",
                "exercise": step.exercise_id if step else None,
                "title": self.title_label.cget("text"),
                "index": self.timeline.index,
                "count": self.timeline.count,
            }
        )

    def _set_steps(self, steps: tuple[str, ...]) -> None:
        for child in self.steps_frame.winfo_children():
            child.destroy()
        for row, text in enumerate(steps):
            top = self.px(5) if row else 0
            number = self._label(self.steps_frame, self.font_number, ACCENT_TEXT, text=f"{row + 1}")
            number.grid(row=row, column=0, sticky="nw", pady=(top, 0))
            line = self._label(
                self.steps_frame, self.font_body, TEXT, text=text, wraplength=self._text_width
            )
            line.grid(row=row, column=1, sticky="nw", padx=(self.px(7), 0), pady=(top, 0))

    def _start_animation(self, exercise: Exercise | None) -> None:
        if self._animation is not None:
            self.root.after_cancel(self._animation)
            self._animation = None
        if exercise is None:
            # A blank picture, not none: without an image a Label measures in characters.
            self.picture.configure(image=self._blank)
            return
        stills = self._stills.get(exercise.id)
        if stills is None:
            stills = motion(len(exercise.picture.frames), HOLD_MS, MOVE_MS, STEP_MS)
            self._stills[exercise.id] = stills
        self._still_index = 0
        self.picture.configure(image=self._photo_of(exercise, 0))
        if len(stills) > 1:
            self._animation = self.root.after(stills[0].ms, self._animate, exercise)

    def _photo_of(self, exercise: Exercise, index: int) -> tk.PhotoImage:
        """The picture for one still of the animation, drawn the first time it is shown."""
        photo = self._photos.get((exercise.id, index))
        if photo is None:
            still = self._stills[exercise.id][index]
            size = self._picture_px()
            if still.start == still.end:
                image = render_frame(exercise, still.start, size)
            else:
                image = render_between(exercise, still.start, still.end, still.t, size)
            photo = _photo(self.root, image)
            self._photos[(exercise.id, index)] = photo
        return photo

    def _picture_px(self) -> int:
        return self.px(PICTURE_POINTS)

    def _animate(self, exercise: Exercise) -> None:
        self._animation = None
        stills = self._stills.get(exercise.id)
        if not stills or self.state != "running":
            return
        if self.clock.paused:
            # Paused: the picture stays; look again at the pace of a held pose.
            self._animation = self.root.after(HOLD_MS, self._animate, exercise)
            return
        self._still_index = (self._still_index + 1) % len(stills)
        self.picture.configure(image=self._photo_of(exercise, self._still_index))
        self._animation = self.root.after(stills[self._still_index].ms, self._animate, exercise)

    def _refresh(self) -> None:
        elapsed = self.clock.elapsed()
        self.countdown.configure(
            text=clock_text(self.timeline.step_remaining(elapsed)),
            foreground=MUTED if self.clock.paused else TEXT,
        )
        self.progress.set(self.timeline.fraction(elapsed))
        left = clock_text(self.timeline.remaining(elapsed))
        number, count = self.timeline.index + 1, self.timeline.count
        walking = self.session.break_type is BreakType.WALKING
        if self.clock.paused:
            self.eyebrow.configure(
                text=_("WALKING BREAK · PAUSED") if walking else _("BACK BREAK · PAUSED")
            )
            self.left_label.configure(text=_("Paused · {time} left in break").format(time=left))
        else:
            if walking:
                eyebrow = _("WALKING BREAK · {number} OF {count}")
            else:
                eyebrow = _("BACK BREAK · {number} OF {count}")
            self.eyebrow.configure(text=eyebrow.format(number=number, count=count))
            self.left_label.configure(text=_("{time} left in break").format(time=left))

    # --- time -------------------------------------------------------------------------

    def run(self) -> None:
        self.root.after(TICK_MS, self._tick)
        self.root.after(INBOX_MS, self._read_inbox)
        self.root.mainloop()

    def _tick(self) -> None:
        if self.state != "running":
            return
        elapsed = self.clock.elapsed()
        if self.timeline.finished(elapsed):
            self.send({"event": "finished"})
            self.show_done(self.session.interval_seconds)
            return
        if self.timeline.update(elapsed):
            self._show_exercise()
        else:
            self._refresh()
        self.root.after(TICK_MS, self._tick)

    def _read_inbox(self) -> None:
        while True:
            try:
                message = self.inbox.get_nowait()
            except queue.Empty:
                break
            if message is None:  # the daemon is gone: nobody owns this break any more
                self.close()
                return
            self._command(message)
        if self.state != "closed":
            self.root.after(INBOX_MS, self._read_inbox)

    def _command(self, message: dict[str, Any]) -> None:
        if message.get("cmd") != "over":
            log.warning("unknown command ignored: %r", message)
            return
        if message.get("completed") is True:
            next_in = message.get("next_reminder_in")
            if isinstance(next_in, int | float):
                self.show_done(float(next_in))
            else:
                self.show_done(self.session.interval_seconds)
        else:
            self.close()

    def _on_map(self, event: tk.Event[Any]) -> None:
        if event.widget is self.root and not self._ready:
            self._ready = True
            self.root.after_idle(self._report_ready)

    def _report_ready(self) -> None:
        self.root.update_idletasks()
        buttons = {
            name: [
                widget.winfo_rootx(),
                widget.winfo_rooty(),
                widget.winfo_width(),
                widget.winfo_height(),
            ]
            for name, widget in (
                ("pause", self.pause_button),
                ("next", self.next_button),
                ("end", self.end_button),
            )
        }
        window = hex(self.window_id) if self.window_id is not None else self.root.wm_frame()
        self.send({"event": "ready", "window": window, "buttons": buttons})
        self._announce()

    # --- what the user does -----------------------------------------------------------

    def toggle_pause(self) -> None:
        if self.state != "running":
            return
        if self.clock.paused:
            self.clock.resume()
            self.pause_button.configure(text=pgettext("break window button", "Pause"))
            self.send({"event": "resumed"})
        else:
            self.clock.pause()
            self.pause_button.configure(text=_("Resume"))
            self.send({"event": "paused"})
        self._refresh()

    def next_exercise(self) -> None:
        if self.state == "running" and self.timeline.skip(self.clock.elapsed()):
            self._show_exercise()

    def end(self) -> None:
        """End the break early (the button, Esc, or closing the window)."""
        if self.state == "running":
            self.send(
                {
                    "event": "ended",
                    "elapsed": round(self.clock.elapsed(), 2),
                    "exercises_done": list(self.timeline.reached()),
                }
            )
        self.close()

    def show_done(self, next_reminder_in: float) -> None:
        """The break is over: say so and when the next reminder comes, then close."""
        if self.state == "closed":
            return
        first = self.state == "running"
        self.state = "done"
        self.done_title.configure(
            text=_("Done — next reminder in {duration}").format(duration=humanize(next_reminder_in))
        )
        if first:
            if self._animation is not None:
                self.root.after_cancel(self._animation)
                self._animation = None
            # The note takes the place of the exercise in the same window: same size,
            # same place, so nothing on screen jumps at the end either.
            self.body.grid_remove()
            self.done.grid(row=0, column=0, sticky="ew")
            self.root.after(DONE_MS, self.close)

    def close(self) -> None:
        if self.state == "closed":
            return
        self.state = "closed"
        self.root.destroy()


class Bar(tk.Canvas):
    """A thin progress bar: an accent fill on a light track (ttk's is thick and grey)."""

    def __init__(self, parent: tk.Misc, height: int) -> None:
        super().__init__(
            parent, height=height, background=TRACK, borderwidth=0, highlightthickness=0
        )
        self._fraction = 0.0
        self._fill = self.create_rectangle(0, 0, 0, height, fill=ACCENT_HEX, width=0)
        self.bind("<Configure>", lambda _e: self._draw())

    def set(self, fraction: float) -> None:
        self._fraction = min(1.0, max(0.0, fraction))
        self._draw()

    def _draw(self) -> None:
        self.coords(
            self._fill, 0, 0, round(self.winfo_width() * self._fraction), self.winfo_height()
        )


def corner_position(
    corner: str,
    area: tuple[int, int, int, int],
    size: tuple[int, int],
    extents: FrameExtents,
    margin: int,
) -> tuple[int, int]:
    """Where the frame's top-left goes so the framed window sits ``margin`` inside
    ``corner`` of the work area ``area`` (x, y, width, height).

    Positive offsets from the top-left only: Tk's negative ones count from the screen's
    edges, not the work area's, and the window manager may move a window placed by
    them once it learns its frame. A window larger than the area keeps its top-left in.
    """
    x, y, width, height = area
    outer_w = size[0] + extents.left + extents.right
    outer_h = size[1] + extents.top + extents.bottom
    if corner.endswith("right"):
        left = max(x, x + width - margin - outer_w)
    else:
        left = x + min(margin, max(0, width - outer_w))
    if corner.startswith("bottom"):
        top = max(y, y + height - margin - outer_h)
    else:
        top = y + min(margin, max(0, height - outer_h))
    return left, top


def _screen_facts(root: tk.Tk) -> ScreenFacts:
    if root.tk.call("tk", "windowingsystem") == "x11":
        from breakd.coach import x11

        return x11.screen_facts()
    return ScreenFacts(None, None)


def _points_to_pixels(root: tk.Tk, dpi: float | None) -> float:
    """Pixels per point on this screen, with the desktop's own HiDPI choice if known."""
    if dpi is not None:
        root.tk.call("tk", "scaling", dpi / 72.0)
    scaling = float(root.tk.call("tk", "scaling"))
    # A server that reports a silly screen size would make everything tiny or huge.
    return min(max(scaling, 1.0), 6.0)


def _photo(root: tk.Misc, image: Image.Image) -> tk.PhotoImage:
    """A Tk image of a picture frame, flattened onto the picture's panel colour."""
    panel = Image.new("RGBA", image.size, SURFACE)
    flat = Image.alpha_composite(panel, image.convert("RGBA")).convert("RGB")
    try:
        from PIL import ImageTk

        photo: tk.PhotoImage = ImageTk.PhotoImage(flat, master=root)  # type: ignore[assignment]
        return photo
    except (ImportError, tk.TclError):
        # Pillow built without Tk support: Tk reads PNG itself.
        buffer = io.BytesIO()
        flat.save(buffer, format="PNG")
        return tk.PhotoImage(
            master=root, data=base64.b64encode(buffer.getvalue()).decode("ascii"), format="png"
        )


# --- the process ----------------------------------------------------------------------


class _Writer:
    """Events to the daemon; False once the daemon has stopped listening."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.broken = False

    def __call__(self, message: dict[str, Any]) -> bool:
        if self.broken:
            return False
        try:
            self._stream.write(encode(message))
            self._stream.flush()
        except (OSError, ValueError):
            self.broken = True
            return False
        return True


def _read_commands(stream: IO[str], inbox: queue.SimpleQueue[dict[str, Any] | None]) -> None:
    """Feed the daemon's commands to the Tk thread; None when the pipe closes."""
    try:
        for line in stream:
            if not line.strip():
                continue
            try:
                inbox.put(decode(line))
            except ProtocolError as error:
                log.warning("bad command from the daemon ignored: %s", error)
    except (OSError, ValueError):
        pass
    inbox.put(None)


def _dpi_aware() -> None:
    """On Windows, draw at the screen's real resolution instead of a blurry upscale."""
    if sys.platform == "win32":
        try:
            import ctypes

            ctypes.windll.shcore.SetProcessDpiAwareness(1)  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            pass


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING,
        format="breakd window: %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the daemon went away before it said anything
    try:
        start = parse_start(decode(line))
    except ProtocolError as error:
        log.error("cannot start: %s", error)
        return 2
    loaded = load_exercises([user_config_dir() / "exercises"])
    try:
        help_text = load_safety().short
    except ContentError as error:
        log.warning("%s", error)
        help_text = _("Move smoothly, breathe evenly, stop if it hurts.")
    # stdout carries the protocol: anything else printed by accident (from Python or
    # from a C library) goes to stderr instead.
    sys.stdout.flush()
    events = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _dpi_aware()
    try:
        root = tk.Tk(className="breakd")
    except tk.TclError as error:
        log.error("cannot open the window: %s", error)
        return 1
    writer = _Writer(events)
    window = CoachWindow(root, start, {e.id: e for e in loaded.exercises}, help_text, writer)
    threading.Thread(
        target=_read_commands, args=(sys.stdin, window.inbox), name="commands", daemon=True
    ).start()
    window.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
