"""What a call watcher reported, for tests that wait on it from another thread."""

from __future__ import annotations

import threading


class Events:
    """An ``on_change`` callback that keeps every answer, in order."""

    def __init__(self) -> None:
        self.seen: list[bool] = []
        self._lock = threading.Lock()

    def __call__(self, in_call: bool) -> None:
        with self._lock:
            self.seen.append(in_call)

    def now(self) -> list[bool]:
        with self._lock:
            return list(self.seen)
