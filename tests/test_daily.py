"""Daily jobs on the wall clock (midnight's rollover, working hours' edges), driven by a
fake clock."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from breakd.clock import FakeClock
from breakd.daily import DailyJobs


def test_a_job_runs_when_its_time_comes_and_again_the_next_day() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 23, 0).astimezone())
    jobs = DailyJobs(clock.now)
    ran: list[datetime] = []
    jobs.every_day_at(time(0, 0), lambda: ran.append(clock.now()), "rollover")
    assert jobs.idle_seconds == pytest.approx(3600)
    clock.advance(3599)
    jobs.run_pending()
    assert ran == []
    clock.advance(1)
    jobs.run_pending()
    jobs.run_pending()
    assert len(ran) == 1
    assert jobs.idle_seconds == pytest.approx(24 * 3600)


def test_a_wall_clock_jump_runs_a_job_once_and_moves_its_next_run() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0).astimezone())
    jobs = DailyJobs(clock.now)
    ran: list[str] = []
    jobs.every_day_at(time(18, 0), lambda: ran.append("end"), "hours")
    clock.jump_wall(3 * 24 * 3600)  # someone set the clock three days on
    jobs.run_pending()
    assert ran == ["end"]
    assert jobs.idle_seconds == pytest.approx(9 * 3600)
    clock.jump_wall(-2 * 3600)  # and back two hours: the next run stays at 18:00
    assert jobs.idle_seconds == pytest.approx(11 * 3600)


def test_jobs_are_cleared_by_tag_and_none_means_no_wait() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0).astimezone())
    jobs = DailyJobs(clock.now)
    assert jobs.idle_seconds is None
    jobs.every_day_at(time(8, 30), lambda: None, "hours")
    jobs.every_day_at(time(17, 30), lambda: None, "hours")
    jobs.every_day_at(time(0, 0), lambda: None, "rollover")
    assert jobs.idle_seconds == pytest.approx(8.5 * 3600)
    jobs.clear("hours")
    assert jobs.idle_seconds == pytest.approx(15 * 3600)
