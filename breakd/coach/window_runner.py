"""The daemon's side of the break window: start the window process, relay what it says.

The window (:mod:`breakd.coach.window`) runs in a child process with the daemon's own
interpreter, so Tk can never block the tray or the engine, and it gets a main thread
of its own (which Tk needs on macOS, where the tray holds the daemon's). The session
goes to the child's stdin as one JSON line; a reader thread turns the JSON lines the
child prints into :class:`BreakEvents` calls (see :mod:`breakd.coach.protocol`).

The engine owns the break's clock, so nothing here is needed for a break to complete:
a window that fails to start or crashes is logged once, and the break runs on without
it. A crash while the window had the break paused releases the hold, or the break
would wait for a Resume nobody can press.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from breakd.coach.base import BreakEvents, BreakRunner, BreakSession
from breakd.coach.protocol import (
    CORNERS,
    ProtocolError,
    WindowStart,
    decode,
    encode,
    start_message,
)

log = logging.getLogger(__name__)

#: How long ``close`` lets the window finish on its own before it is terminated.
CLOSE_GRACE = 1.0
#: How much of a crashed window's stderr goes into the log.
STDERR_TAIL = 1500


class _Child:
    """One window process and what is known about it."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.process = process
        self.stderr = stderr
        self.over = False  # the daemon said the break is over
        self.held = False  # the window has the break paused
        self.ended = False  # the user ended the break in the window
        self.stopping = False  # the daemon is closing it: an exit is no crash
        self.reader: threading.Thread | None = None

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, line: str) -> bool:
        """Write one protocol line; False if the child no longer listens."""
        stdin = self.process.stdin
        if stdin is None:
            return False
        try:
            stdin.write(line.encode("utf-8"))
            stdin.flush()
        except (OSError, ValueError):  # gone, or its pipe already closed
            return False
        return True

    def stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            text = self.stderr.read().decode("utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return text[-STDERR_TAIL:]


class CoachWindowRunner(BreakRunner):
    """Guides each break in a small always-on-top window of its own process."""

    name = "window"

    def __init__(
        self,
        events: BreakEvents,
        *,
        corner: str = "bottom-right",
        command: Sequence[str] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if corner not in CORNERS:
            raise ValueError(f"corner must be one of {', '.join(CORNERS)}, not {corner!r}")
        self._events = events
        self._corner = corner
        #: The window program (tests give another one to stand in for it).
        self._command = list(command or [sys.executable, "-m", "breakd.coach.window"])
        self._wall = wall
        self._lock = threading.Lock()
        self._child: _Child | None = None

    # --- the BreakRunner interface (owner thread, returns at once) ---------------------

    def begin(self, session: BreakSession) -> None:
        with self._lock:
            previous = self._child
            if previous is not None and previous.alive():
                if not (previous.over or previous.ended):
                    log.warning("a break window is already open; not opening another")
                    return
                # The last break's "Done" note is still up: make way for this one.
                previous.stopping = True
                previous.process.terminate()
            child = self._spawn()
            if child is None:
                return
            self._child = child
        start = WindowStart(session, self._corner, self._wall())
        if not child.send(start_message(start)):
            log.warning("the break window did not take the session")
        reader = threading.Thread(
            target=self._read, args=(child,), name="breakd-window-reader", daemon=True
        )
        child.reader = reader
        reader.start()

    def over(self, completed: bool, next_reminder_in: float) -> bool:
        """Tell the window; True when it is there to show "Done" and the next reminder."""
        with self._lock:
            child = self._child
            if child is None:
                return False
            child.over = True
        if not child.alive():
            return False
        message = {"cmd": "over", "completed": completed, "next_reminder_in": next_reminder_in}
        return child.send(encode(message)) and completed and not child.ended

    def close(self) -> None:
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        child.stopping = True
        if child.alive():
            # A closed stdin tells the window the daemon is gone; it closes itself.
            if child.process.stdin is not None:
                with contextlib.suppress(OSError):
                    child.process.stdin.close()
            try:
                child.process.wait(CLOSE_GRACE)
            except subprocess.TimeoutExpired:
                child.process.terminate()
                try:
                    child.process.wait(CLOSE_GRACE)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait(CLOSE_GRACE)
        if child.reader is not None:
            child.reader.join(CLOSE_GRACE)

    # --- the child ----------------------------------------------------------------------

    def _spawn(self) -> _Child | None:
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the child writes it; _read closes it
        options: dict[str, Any] = {}
        if sys.platform == "win32":
            options["creationflags"] = subprocess.CREATE_NO_WINDOW
        else:
            # Ctrl+C in the daemon's terminal is for the daemon; it closes the window.
            options["start_new_session"] = True
        try:
            process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                **options,
            )
        except OSError as error:
            stderr.close()
            log.error("the break window cannot start (%s); the break runs without it", error)
            return None
        return _Child(process, stderr)

    def _read(self, child: _Child) -> None:
        """The reader thread: one child's events, then its exit."""
        assert child.process.stdout is not None
        try:
            for raw in child.process.stdout:
                if raw.strip():
                    self._handle(child, raw)
        except (OSError, ValueError):
            pass
        finally:
            self._exited(child)

    def _handle(self, child: _Child, raw: bytes) -> None:
        try:
            message = decode(raw)
        except ProtocolError as error:
            log.debug("break window said something unreadable: %s", error)
            return
        event = message.get("event")
        try:
            if event == "paused":
                child.held = True
                log.info("break paused in the window")
                self._events.paused()
            elif event == "resumed":
                child.held = False
                log.info("break resumed in the window")
                self._events.resumed()
            elif event == "ended":
                child.ended = True
                done = message.get("exercises_done")
                ids = tuple(str(i) for i in done) if isinstance(done, list) else ()
                log.info(
                    "break ended in the window after %s s; exercises reached: %s",
                    message.get("elapsed"),
                    ", ".join(ids) or "none",
                )
                self._events.ended_early(ids)
            elif event == "showing":
                log.info(
                    "break window shows %s (%s of %s): %s",
                    message.get("exercise"),
                    _ordinal(message.get("index")),
                    message.get("count"),
                    message.get("title"),
                )
            elif event == "ready":
                log.info("break window open (X window %s)", message.get("window"))
                log.debug("break window buttons: %s", _buttons(message.get("buttons")))
            elif event == "finished":
                log.debug("the break window's countdown ran out")
            else:
                log.debug("break window event ignored: %r", message)
        except Exception:
            log.exception("a break window event could not be passed on")

    def _exited(self, child: _Child) -> None:
        try:
            code = child.process.wait(CLOSE_GRACE * 5)
        except subprocess.TimeoutExpired:
            code = None  # stdout closed but the process lingers; nothing to report yet
        crashed = code not in (0, None) and not child.stopping
        if crashed:
            tail = child.stderr_tail()
            log.error(
                "the break window stopped unexpectedly (exit code %s); the break runs on"
                " without it%s",
                code,
                f":\n{tail}" if tail else "",
            )
        with contextlib.suppress(OSError):
            child.stderr.close()
        with self._lock:
            release = child.held and not child.over and not child.ended
            child.held = False
        if release:
            # Nobody can press Resume any more: let the break's clock run again.
            self._events.resumed()


def _ordinal(index: Any) -> str:
    return str(index + 1) if isinstance(index, int) else "?"


def _buttons(buttons: Any) -> str:
    """ "pause=678,645,106x37 ..." from the window's button rectangles."""
    if not isinstance(buttons, dict):
        return "unknown"
    parts = []
    for name, box in buttons.items():
        if isinstance(box, list) and len(box) == 4:
            x, y, width, height = box
            parts.append(f"{name}={x},{y},{width}x{height}")
    return " ".join(parts)
