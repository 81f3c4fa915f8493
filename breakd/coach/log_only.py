"""The runner of last resort: the break's steps go to the log."""

from __future__ import annotations

import logging

from breakd.coach.base import BreakRunner, BreakSession
from breakd.durations import humanize

log = logging.getLogger(__name__)


class LogOnlyRunner(BreakRunner):
    name = "log"

    def begin(self, session: BreakSession) -> None:
        for number, step in enumerate(session.steps, start=1):
            log.info("break step %d: %s for %s", number, step.exercise_id, humanize(step.seconds))

    def over(self, completed: bool, next_reminder_in: float) -> bool:
        log.info("break %s", "done" if completed else "ended")
        return False

    def close(self) -> None:
        pass
