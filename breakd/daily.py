"""Jobs at a time of day on the wall clock: midnight's rollover, working hours' edges.

The daemon's other timers run on the monotonic clock; these belong to the calendar. A
job's next run is kept as local wall time and compared with the wall clock now, so a
clock set back or forward moves it with the calendar, and it runs once however far the
clock jumped. Why not the ``schedule`` package, which did this before: half a megabyte
of the daemon's memory for two kinds of daily job, and it read ``datetime.now()``
itself, out of reach of the fake clock the daemon's tests drive it with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass
class _Job:
    at: time
    work: Callable[[], None]
    tag: str
    next_run: datetime  # local wall time, naive


class DailyJobs:
    """Daily jobs read against ``now`` (the daemon's clock); run on the owner thread."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._jobs: list[_Job] = []

    def _local_now(self) -> datetime:
        return self._now().replace(tzinfo=None)

    @staticmethod
    def _next_after(at: time, moment: datetime) -> datetime:
        today = datetime.combine(moment.date(), at)
        return today if today > moment else datetime.combine(moment.date() + timedelta(days=1), at)

    def every_day_at(self, at: time, work: Callable[[], None], tag: str) -> None:
        """Run ``work`` each day when the wall clock reaches ``at`` (to the second)."""
        at = at.replace(microsecond=0, tzinfo=None)
        self._jobs.append(_Job(at, work, tag, self._next_after(at, self._local_now())))

    def clear(self, tag: str) -> None:
        """Forget the jobs of ``tag``."""
        self._jobs = [job for job in self._jobs if job.tag != tag]

    def run_pending(self) -> None:
        """Run each job whose time has come (once, however long ago), then set its next."""
        now = self._local_now()
        for job in sorted((job for job in self._jobs if job.next_run <= now), key=_when):
            job.work()
            job.next_run = self._next_after(job.at, self._local_now())

    @property
    def idle_seconds(self) -> float | None:
        """Seconds until the next job is due (0 or less: due now); None without jobs."""
        if not self._jobs:
            return None
        return (min(job.next_run for job in self._jobs) - self._local_now()).total_seconds()


def _when(job: _Job) -> datetime:
    return job.next_run
