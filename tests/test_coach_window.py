"""The break window itself, on a real X server (Xvfb), driven like a user would.

The window program runs exactly as the daemon runs it (``python -m
breakd.coach.window`` with the session on stdin); the test reads its events, finds it
with xdotool, presses real keys and takes screenshots. Screenshots are kept in
``$BREAKD_TEST_ARTIFACTS`` (or the test's tmp_path) so a person can look at them.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageGrab
from support.daemon import wait_for
from support.screen import artifacts, changed, grab, wait_still
from support.sessionbus import private_bus
from support.wm import bottom_panel, running_xfwm4, work_area
from support.xserver import XServer, require_tool

from breakd.coach.base import BreakSession, CoachStep
from breakd.coach.protocol import WindowStart, encode, start_message
from breakd.content import load_exercises

pytestmark = pytest.mark.linux_desktop

TITLE = "breakd — break"
BACKGROUND = (0xF6, 0xF8, 0xF8)
ACCENT = (33, 148, 134)  # the pictures' accent, and the progress bar's
ACCENT_TEXT = (0x1A, 0x7A, 0x6E)  # the same teal, darker for small text

SESSION = BreakSession(
    (CoachStep("behind-back-clasp", 20), CoachStep("forward-bend", 20), CoachStep("reach-up", 20)),
    60,
    1800,
)


# --- helpers shared with test_coach_daemon.py ---------------------------------------------


def xdotool(*args: str, timeout: float = 15.0) -> str:
    tool = require_tool("xdotool", "xdotool")
    result = subprocess.run(
        [tool, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return result.stdout.strip()


def find_windows() -> list[str]:
    """Ids of the mapped windows titled like the break window."""
    return xdotool("search", "--onlyvisible", "--name", TITLE).split()


def wait_for_window(timeout: float = 15.0) -> str:
    """The break window's id, once it is mapped (xdotool's own --sync wait)."""
    try:
        found = xdotool("search", "--sync", "--onlyvisible", "--name", TITLE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"no window titled {TITLE!r} within {timeout:.0f}s") from None
    return found.split()[0]


def wait_gone(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while find_windows():
        if time.monotonic() > deadline:
            raise AssertionError(f"the break window is still open after {timeout:.0f}s")
        time.sleep(0.1)


def geometry(window: str) -> tuple[int, int, int, int]:
    values = dict(
        line.split("=", 1)
        for line in xdotool("getwindowgeometry", "--shell", window).splitlines()
        if "=" in line
    )
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def screenshot(xserver: XServer, window: str, path: Path) -> Image.Image:
    """Save the whole screen to ``path`` and return the window's part of it."""
    screen = ImageGrab.grab(xdisplay=xserver.display)
    screen.save(path)
    x, y, width, height = geometry(window)
    return screen.crop((x, y, x + width, y + height)).convert("RGB")


def rgb_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def assert_looks_like_the_window(image: Image.Image) -> None:
    """Not blank: mostly the light background, with dark text and accent in it."""
    pixels = rgb_pixels(image)
    total = len(pixels)
    light = sum(near(p, BACKGROUND, 3) for p in pixels) / total
    dark = sum(1 for p in pixels if sum(p[:3]) < 3 * 90)
    accent = sum(near(p, ACCENT, 30) or near(p, ACCENT_TEXT, 20) for p in pixels)
    assert light > 0.5, f"only {light:.0%} of the window is its light background"
    assert dark > 400, f"only {dark} dark (text) pixels"
    assert accent > 100, f"only {accent} accent pixels"


def drawn(image: Image.Image) -> Image.Image | None:
    """``image`` when it shows the window drawn whole, else None (for ``wait_for``)."""
    try:
        assert_looks_like_the_window(image)
    except AssertionError:
        return None
    return image


def click_into(window: str) -> None:
    """A click on the window's padding, as a user would before using its keys.

    Xvfb has no window manager, so keys go to the window under the pointer: the click
    is near the corner the window is pinned to, which stays put when its height changes.
    """
    x, y, width, height = geometry(window)
    xdotool("mousemove", str(x + width - 6), str(y + height - 6), "click", "1")


# --- the window program -------------------------------------------------------------------


class WindowProgram:
    """``python -m breakd.coach.window`` with the session on stdin and events read back."""

    def __init__(
        self,
        session: BreakSession = SESSION,
        corner: str = "bottom-right",
        env: dict[str, str] | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "breakd.coach.window"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.send(start_message(WindowStart(session, corner, time.time())))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()

    def next_event(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no {name!r} event within {timeout:.0f}s; got {self.seen}; "
                    f"stderr: {self.stderr()}"
                ) from None
            self.seen.append(event)
            if event.get("event") == name:
                return event

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(running)"
        return self.process.stderr.read()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def programs() -> Any:
    started: list[WindowProgram] = []
    yield started
    for program in started:
        program.stop()


def test_window_guides_with_keys_and_ends_on_escape(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    titles = {e.id: e.title for e in load_exercises().exercises}
    program = WindowProgram()
    programs.append(program)
    ready = program.next_event("ready")
    assert program.next_event("showing")["exercise"] == "behind-back-clasp"
    window = wait_for_window()
    assert find_windows() == [window]
    assert int(ready["window"], 16) == int(window)
    # In the bottom-right corner, clear of the edges.
    x, y, width, height = geometry(window)
    assert 1280 - 60 < x + width < 1280 and 800 - 60 < y + height < 800
    assert 300 < width < 900 and 250 < height < 780
    shot = screenshot(xserver, window, artifacts(tmp_path) / "coach-window.png")
    assert_looks_like_the_window(shot)
    # The buttons it reports lie inside it.
    for bx, by, bw, bh in ready["buttons"].values():
        assert x <= bx and bx + bw <= x + width and y <= by and by + bh <= y + height

    click_into(window)
    xdotool("key", "n")
    showing = program.next_event("showing")
    assert (showing["exercise"], showing["index"], showing["count"]) == ("forward-bend", 1, 3)
    assert titles["forward-bend"]
    xdotool("key", "space")
    program.next_event("paused")
    screenshot(xserver, window, artifacts(tmp_path) / "coach-window-paused.png")
    xdotool("key", "space")
    program.next_event("resumed")
    xdotool("key", "Escape")
    ended = program.next_event("ended")
    assert ended["exercises_done"] == ["behind-back-clasp", "forward-bend"]
    assert 0 < ended["elapsed"] < 30
    assert program.wait(5) == 0
    wait_gone()


def test_done_note_in_the_same_window_then_it_closes_itself(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    program = WindowProgram(corner="top-left")
    programs.append(program)
    program.next_event("ready")
    window = wait_for_window()
    before = geometry(window)
    x, y, _, _ = before
    assert 0 < x < 60 and 0 < y < 60
    exercise = screenshot(xserver, window, artifacts(tmp_path) / "coach-window-top-left.png")
    program.send(encode({"cmd": "over", "completed": True, "next_reminder_in": 1800}))
    told = time.monotonic()
    wait_for(
        lambda: changed(exercise, grab(xserver, before)), 5, "the note in place of the exercise"
    )
    wait_still(xserver, before)
    done = screenshot(xserver, window, artifacts(tmp_path) / "coach-window-done.png")
    assert geometry(window) == before, "the note keeps the window's size and place"
    assert sum(near(p, BACKGROUND, 3) for p in rgb_pixels(done)) > done.width * done.height // 2
    assert program.wait(8) == 0
    assert 3.0 < time.monotonic() - told < 6.0, "the note stays a few seconds"
    wait_gone()


def test_window_counts_down_on_its_own_and_closes_when_the_daemon_is_gone(
    xserver: XServer, programs: list[WindowProgram]
) -> None:
    program = WindowProgram(BreakSession((CoachStep("knee-press", 1.5),), 1.5, 60))
    programs.append(program)
    program.next_event("ready")
    program.next_event("finished", timeout=5)
    wait_for_window()
    assert program.process.stdin is not None
    program.process.stdin.close()  # the daemon went away
    assert program.wait(5) == 0
    wait_gone()


def test_end_break_is_a_real_button(xserver: XServer, programs: list[WindowProgram]) -> None:
    program = WindowProgram()
    programs.append(program)
    buttons = program.next_event("ready")["buttons"]
    wait_for_window()
    x, y, width, height = buttons["pause"]
    xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
    program.next_event("paused")
    x, y, width, height = buttons["end"]
    xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")
    assert program.next_event("ended")["exercises_done"] == ["behind-back-clasp"]
    assert program.wait(5) == 0


def test_hidpi_desktop_gets_a_bigger_window(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    """A desktop at 192 dpi (Xft.dpi, as GNOME sets for 200 %) gets everything twice as big."""
    from Xlib import X, Xatom, display

    plain = WindowProgram()
    programs.append(plain)
    plain.next_event("ready")
    _, _, width, height = geometry(wait_for_window())
    plain.send(encode({"cmd": "over", "completed": False, "next_reminder_in": 60}))
    plain.wait(5)
    wait_gone()

    screen = display.Display(xserver.display)
    screen.screen().root.change_property(
        screen.intern_atom("RESOURCE_MANAGER"),
        Xatom.STRING,
        8,
        b"Xft.dpi:\t192\n",
        X.PropModeReplace,
    )
    screen.sync()
    screen.close()
    big = WindowProgram(BreakSession((CoachStep("reach-up", 60),), 60, 1800), corner="top-left")
    programs.append(big)
    big.next_event("ready")
    window = wait_for_window()
    _, _, big_width, big_height = geometry(window)
    screenshot(xserver, window, artifacts(tmp_path) / "coach-window-hidpi.png")
    assert 1.7 < big_width / width < 2.3
    assert big_height > 1.4 * height


def picture_box(xserver: XServer, window: str) -> tuple[int, int, int, int]:
    """The exercise picture on the screen: the window's one pure white area."""
    x, y, width, height = geometry(window)
    shot = grab(xserver, (x, y, width, height)).convert("RGB")
    white = Image.new("RGB", shot.size, (255, 255, 255))
    mask = ImageChops.difference(shot, white).convert("L").point(lambda v: 255 if v == 0 else 0)
    found = mask.getbbox()
    assert found is not None, "no picture panel in the window"
    left, top, right, bottom = found
    assert 80 < right - left < 400 and right - left == bottom - top, found
    return x + left, y + top, right - left, bottom - top


def test_the_figure_moves_smoothly_between_poses_and_holds_each(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    """The figure no longer jumps from pose to pose: the window shows the in-between
    poses, in order, about ten a second, then holds the next pose still for a while."""
    from breakd.coach.timeline import motion
    from breakd.coach.window import HOLD_MS, MOVE_MS, STEP_MS
    from breakd.pictures import render_between, render_frame

    exercise = load_exercises().get("behind-back-clasp")
    assert exercise is not None
    program = WindowProgram(BreakSession((CoachStep(exercise.id, 60),), 60, 1800), "top-left")
    programs.append(program)
    program.next_event("ready")
    window = wait_for_window()
    box = picture_box(xserver, window)
    stills = motion(len(exercise.picture.frames), HOLD_MS, MOVE_MS, STEP_MS)
    expected = []  # each still as the window shows it: on its white panel
    for still in stills:
        drawn = (
            render_frame(exercise, still.start, box[2])
            if still.start == still.end
            else render_between(exercise, still.start, still.end, still.t, box[2])
        )
        panel = Image.new("RGBA", drawn.size, (255, 255, 255, 255))
        expected.append(Image.alpha_composite(panel, drawn).convert("RGB").tobytes())

    runs: list[tuple[Image.Image, float, float]] = []  # picture, first seen, last seen

    def holds() -> list[int]:
        return [i for i, (_shot, first, last) in enumerate(runs) if last - first >= 0.9]

    deadline = time.monotonic() + 6.0  # two holds and the move between them, at most
    while time.monotonic() < deadline and not (len(holds()) >= 2 and holds()[-1] < len(runs) - 1):
        shot, now = grab(xserver, box).convert("RGB"), time.monotonic()
        if runs and not changed(runs[-1][0], shot):
            runs[-1] = (runs[-1][0], runs[-1][1], now)
        else:
            runs.append((shot, now, now))
    folder = artifacts(tmp_path)
    strip = Image.new("RGB", (box[2] * min(len(runs), 14), box[3]), (255, 255, 255))
    for index, (shot, _first, _last) in enumerate(runs[:14]):
        strip.paste(shot, (index * box[2], 0))
    strip.save(folder / "coach-window-animation.png")
    screenshot(xserver, window, folder / "coach-window-clasp.png")

    durations = [round(last - first, 2) for _shot, first, last in runs]
    assert len(holds()) >= 2, f"no two poses held still: {durations}"
    shown = [expected.index(shot.tobytes()) for shot, _first, _last in runs]
    before, after = holds()[:2]
    assert stills[shown[before]].t == 0.0 and stills[shown[after]].t == 0.0, "holds are poses"
    moves = shown[before + 1 : after]
    assert len(moves) >= 4, f"only {len(moves)} in-between poses: {durations}"
    assert all(stills[i].t > 0 for i in moves)
    onward = [(i - shown[before]) % len(stills) for i in shown[before : after + 1]]
    assert onward == sorted(onward), f"the poses come in order: {shown}"
    assert max(durations[before + 1 : after]) < 0.35, f"each passes quickly: {durations}"
    program.send(encode({"cmd": "over", "completed": False, "next_reminder_in": 60}))
    assert program.wait(5) == 0


# --- place and size: inside the work area, fixed for the whole break ----------------------

#: The shortest exercise first, then the longest: the window must be sized for the longest
#: from the start, or it grows (and moves) when the exercise changes.
SHORT_THEN_LONG = BreakSession(
    (CoachStep("reach-up", 20), CoachStep("behind-back-clasp", 20), CoachStep("forward-bend", 20)),
    60,
    1800,
)


def frame_box(window: str) -> tuple[int, int, int, int]:
    """The window's outermost box on the root: the window manager's frame if it has one."""
    from Xlib import display

    screen = display.Display()
    try:
        root = screen.screen().root
        node = screen.create_resource_object("window", int(window))
        while (parent := node.query_tree().parent).id != root.id:
            node = parent
        box = node.get_geometry()
        position = node.translate_coords(root, 0, 0)
        border = 2 * box.border_width
        return -position.x, -position.y, box.width + border, box.height + border
    finally:
        screen.close()


def inside(box: tuple[int, int, int, int], area: tuple[int, int, int, int]) -> bool:
    x, y, width, height = box
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + width <= ax + aw and y + height <= ay + ah


def press(buttons: dict[str, list[int]], name: str) -> None:
    x, y, width, height = buttons[name]
    xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "1")


def check_fixed_in(
    xserver: XServer,
    programs: list[WindowProgram],
    area: tuple[int, int, int, int],
    folder: Path,
    name: str,
) -> None:
    """The window opens inside ``area`` and keeps its box through every exercise; the
    Next button stays where it was reported, so the same click goes on working."""
    program = WindowProgram(SHORT_THEN_LONG)
    programs.append(program)
    buttons = program.next_event("ready")["buttons"]
    assert program.next_event("showing")["exercise"] == "reach-up"
    window = wait_for_window()
    first = frame_box(window)
    wait_still(xserver, first)
    screenshot(xserver, window, folder / f"{name}-first.png")
    assert inside(first, area), f"the window {first} is not inside the work area {area}"
    x, y, width, height = first
    assert area[0] + area[2] - 60 < x + width and area[1] + area[3] - 60 < y + height
    for expected in ("behind-back-clasp", "forward-bend"):
        press(buttons, "next")
        assert program.next_event("showing")["exercise"] == expected
        wait_still(xserver, first)
        screenshot(xserver, window, folder / f"{name}-{expected}.png")
        assert frame_box(window) == first, f"the window moved or changed size on {expected}"
    press(buttons, "end")
    program.next_event("ended")
    assert program.wait(5) == 0


def test_window_stays_inside_the_announced_work_area_at_one_size(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    """No window manager, a work area announced on the root (a 40 px panel at the bottom)."""
    xprop = require_tool("xprop", "x11-utils")
    subprocess.run(
        [xprop, "-root", "-f", "_NET_WORKAREA", "32c", "-set", "_NET_WORKAREA", "0,0,1280,760"],
        check=True,
        timeout=15,
    )
    check_fixed_in(xserver, programs, (0, 0, 1280, 760), artifacts(tmp_path), "coach-workarea")


def test_window_and_its_frame_stay_clear_of_a_panel_under_xfwm4(
    xserver: XServer, programs: list[WindowProgram], tmp_path: Path
) -> None:
    """xfwm4 frames the window with a title bar and a 48 px panel reserves the bottom:
    the framed window opens above the panel, and never moves or grows afterwards."""
    with private_bus() as bus, running_xfwm4(xserver, bus), bottom_panel(xserver, 48):
        area = work_area(xserver)
        assert area is not None and area[1] + area[3] == 800 - 48
        check_fixed_in(xserver, programs, area, artifacts(tmp_path), "coach-xfwm4")


FOOTER_PROBE = """
import sys, time, tkinter as tk
from breakd.coach.base import BreakSession, CoachStep
from breakd.coach.protocol import WindowStart
from breakd.coach.window import CoachWindow
from breakd.content import load_exercises
root = tk.Tk(className="breakd")
session = BreakSession((CoachStep("reach-up", 20),), 20, 1800)
exercises = {e.id: e for e in load_exercises().exercises}
window = CoachWindow(root, WindowStart(session), exercises, "Move.", lambda _m: True)
root.update()
print(window.help_label.cget("text"))
print(window.help_label.winfo_ismapped(), window.pause_button.cget("takefocus"))
root.destroy()
"""


def test_footer_says_the_keys_need_a_click_first(xserver: XServer) -> None:
    """The window never takes the keyboard, so keys do nothing until it is clicked: the
    footer says so, under the buttons that always work. (The window is built in a child
    process: a Tk in the test process would outlive this test's X server.)"""
    from breakd.coach.window import keys_help

    result = subprocess.run(
        [sys.executable, "-c", FOOTER_PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    footer, _, last = result.stdout.strip().rpartition("\n")
    assert "click the window" in footer and "Space pause · N next" in footer
    assert footer.endswith(keys_help())
    assert last.split() == ["1", "0"]  # shown; the buttons never take the keyboard


def test_corner_position_puts_the_whole_frame_inside_the_work_area() -> None:
    from breakd.coach.window import corner_position
    from breakd.coach.x11 import FrameExtents

    area = (0, 27, 1280, 725)  # a top panel of 27 px and a bottom one of 48 px
    frame = FrameExtents(left=4, right=4, top=26, bottom=4)
    x, y = corner_position("bottom-right", area, (600, 500), frame, 24)
    assert (x + 4 + 600 + 4, y + 26 + 500 + 4) == (1280 - 24, 27 + 725 - 24)
    assert corner_position("top-left", area, (600, 500), frame, 24) == (24, 27 + 24)
    # Larger than the area: its top-left stays inside, never off the screen.
    assert corner_position("bottom-right", area, (1400, 900), frame, 24) == (0, 27)
    assert corner_position("top-left", area, (1400, 900), frame, 24) == (0, 27)
