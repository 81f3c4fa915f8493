"""Guiding a break with notifications, where no window can open (no display, no Tk).

Each exercise gets one notification when its turn comes: its title and its one-line
cue, which is written to be enough on its own. The steps are timed on a small thread
of the runner's own, so ``begin`` returns at once; ``over`` and ``close`` cancel
what is still to come. There is no pause here: nothing to press it on.

The end of the break needs no notification from this runner: the daemon itself tells
the user "Break done" with the time of the next reminder whenever the runner did not
(only the break window shows it itself).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from breakd.coach.base import BreakRunner, BreakSession
from breakd.coach.timeline import Timeline
from breakd.config import user_config_dir
from breakd.content import Exercise, load_exercises
from breakd.notify.base import Notifier

log = logging.getLogger(__name__)

ExerciseSource = Callable[[], Mapping[str, Exercise]]


def installed_exercises() -> Mapping[str, Exercise]:
    """The shipped exercises plus the user's own, as the planner sees them."""
    loaded = load_exercises([user_config_dir() / "exercises"])
    return {exercise.id: exercise for exercise in loaded.exercises}


class NotificationGuidedRunner(BreakRunner):
    """One notification per exercise, each at the moment its turn begins."""

    name = "notifications"

    def __init__(self, notifier: Notifier, *, exercises: ExerciseSource = installed_exercises):
        self._notifier = notifier
        self._source = exercises
        self._exercises: Mapping[str, Exercise] | None = None
        self._lock = threading.Lock()
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def begin(self, session: BreakSession) -> None:
        self._stop()
        cancel = threading.Event()
        thread = threading.Thread(
            target=self._guide, args=(session, cancel), name="breakd-guide", daemon=True
        )
        with self._lock:
            self._cancel, self._thread = cancel, thread
        thread.start()

    def over(self, completed: bool, next_reminder_in: float) -> bool:
        self._stop()
        return False  # the daemon's "Break done" notification says it

    def close(self) -> None:
        thread = self._stop()
        if thread is not None:
            thread.join(2)

    def _stop(self) -> threading.Thread | None:
        with self._lock:
            cancel, thread = self._cancel, self._thread
            self._cancel = self._thread = None
        if cancel is not None:
            cancel.set()
        return thread

    def _lookup(self) -> Mapping[str, Exercise]:
        if self._exercises is None:
            try:
                self._exercises = self._source()
            except Exception:
                log.exception("exercises could not be loaded; notifications name them by id")
                self._exercises = {}
        return self._exercises

    def _guide(self, session: BreakSession, cancel: threading.Event) -> None:
        """The runner's thread: each exercise's notification, then wait for the next."""
        if not session.steps or session.length_seconds <= 0:
            return
        exercises = self._lookup()
        timeline = Timeline(session.steps, session.length_seconds)
        began = time.monotonic()
        count = len(session.steps)
        for index, step in enumerate(session.steps):
            if cancel.is_set():
                return
            exercise = exercises.get(step.exercise_id)
            title = exercise.title if exercise is not None else step.exercise_id
            if count > 1:
                title = f"{title} ({index + 1} of {count})"
            body = exercise.cue if exercise is not None else "Stand up and move for a moment."
            try:
                self._notifier.tell(title, body)
            except Exception:
                log.exception("the notification for %s failed", step.exercise_id)
            _, ends = timeline.step_span()
            # Deadlines count from the start, so a slow notification does not add up.
            if cancel.wait(max(0.0, began + ends - time.monotonic())):
                return
            timeline.update(ends)
