"""Start the call watchers that work here, and tell one answer from them all.

A call is the microphone *or* the camera in use, so every watcher that can work on this
platform runs (as the away watchers do), not just the first: on Linux the sound
server's capture streams and the camera's device node, on Windows the privacy
settings' records, on macOS CoreAudio. Each one that cannot start is passed over with
one log line (its own) and a note; the others carry on.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from breakd.activity.calls.base import CallCallback, CallWatcher
from breakd.activity.calls.camera import CameraCallWatcher
from breakd.activity.calls.macos import MacCallWatcher
from breakd.activity.calls.pulse import PulseCallWatcher
from breakd.activity.calls.windows import WindowsCallWatcher

log = logging.getLogger(__name__)

CallFactory = Callable[[CallCallback, Mapping[str, str]], CallWatcher]

#: Every call watcher, by name.
BACKENDS: dict[str, CallFactory] = {
    "pulseaudio": lambda on_change, environ: PulseCallWatcher(on_change, environ=environ),
    "camera": lambda on_change, environ: CameraCallWatcher(on_change),
    "windows": lambda on_change, environ: WindowsCallWatcher(on_change),
    "macos": lambda on_change, environ: MacCallWatcher(on_change),
}


def backend_order(platform: str) -> list[str]:
    """The call watchers worth starting on ``platform``."""
    if platform == "win32":
        return ["windows"]
    if platform == "darwin":
        return ["macos"]
    return ["pulseaudio", "camera"]


class CallDetection:
    """The running call watchers as one: in a call while any of them says so.

    Watchers report from their own threads; the answers are combined under a lock and
    ``on_change`` is called (under it, so two reports can never arrive out of order)
    only when the combined answer changes. ``on_change`` must only post to the owner
    thread.
    """

    def __init__(self, on_change: CallCallback) -> None:
        self._on_change = on_change
        self._lock = threading.Lock()
        self._using: dict[str, bool] = {}
        self._in_call = False
        self.watchers: list[CallWatcher] = []

    @property
    def in_call(self) -> bool:
        return self._in_call

    def devices(self) -> list[str]:
        """What is in use now, in the log's words ("the camera")."""
        with self._lock:
            using = {name for name, used in self._using.items() if used}
        return [watcher.device for watcher in self.watchers if watcher.name in using]

    def report(self, name: str, in_use: bool) -> None:
        """Watcher ``name`` says its device is (or is no longer) in use."""
        with self._lock:
            self._using[name] = in_use
            now = any(self._using.values())
            if now == self._in_call:
                return
            self._in_call = now
            try:
                self._on_change(now)
            except Exception:
                log.exception("the call callback failed")

    def start(self, watchers: Sequence[CallWatcher]) -> list[str]:
        """Start each watcher; keep those that run. Returns a note on each that did not."""
        notes: list[str] = []
        for watcher in watchers:
            if watcher.start():
                self.watchers.append(watcher)
            else:
                notes.append(f"{watcher.name}: {watcher.reason}")
        return notes

    def note_idle(self, idle_seconds: float) -> None:
        """The daemon's idle reading, for the watchers that look only while idle."""
        for watcher in self.watchers:
            watcher.note_idle(idle_seconds)

    def stop(self) -> None:
        """Stop every watcher (idempotent)."""
        watchers, self.watchers = self.watchers, []
        for watcher in watchers:
            watcher.stop()


def start_call_detection(
    on_change: CallCallback,
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> tuple[CallDetection, list[str]]:
    """Start every call watcher that works here; notes on those that do not."""
    detection = CallDetection(on_change)
    watchers = [
        BACKENDS[name](partial(detection.report, name), environ) for name in backend_order(platform)
    ]
    notes = detection.start(watchers)
    if not detection.watchers:
        log.info("calls are not detected on this computer")
    return detection, notes
