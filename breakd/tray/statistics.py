"""The tray's "Statistics…": the last seven days as a chart in the desktop's image viewer.

It is the same chart as ``breakd stats --chart``, drawn from a read-only connection to
the history in a thread of its own, so neither the tray nor the daemon waits for it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path

import platformdirs

from breakd import APP_NAME
from breakd.files import PRIVATE_FILE, make_private_dir
from breakd.opener import open_with_desktop
from breakd.stats import collect, has_history_tables, last_days, open_read_only

log = logging.getLogger(__name__)

#: The chart covers this many days, today included.
CHART_DAYS = 7


def chart_file() -> Path:
    """Where the chart is written: the user's cache folder, replaced on every showing."""
    return platformdirs.user_cache_path(APP_NAME) / f"last-{CHART_DAYS}-days.png"


def write_week_chart(history: Path, interval: float, out: Path, now: datetime) -> Path:
    """Draw the last seven days of ``history`` into ``out``; OSError/sqlite3.Error on failure."""
    from breakd.chart import render_report  # Pillow's drawing, only when asked for

    first, last = last_days(CHART_DAYS, now)
    with closing(open_read_only(history)) as db:
        if not has_history_tables(db):
            raise sqlite3.OperationalError(f"{history} holds no breakd history yet")
        report = collect(db, first, last, interval, now=now)
    image = render_report(report, now=now)
    make_private_dir(out.parent)  # the chart shows when the user sat: 0700, and 0600 files
    partial = out.with_suffix(".part.png")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        image.save(handle, format="PNG")
    partial.replace(out)
    return out


class StatisticsLauncher:
    """Draws and opens the chart on request, one drawing at a time."""

    def __init__(
        self,
        history: Path,
        interval: Callable[[], float],
        show: Callable[[Path], object] = open_with_desktop,
    ) -> None:
        self._history = history
        self._interval = interval
        self._show = show
        self._busy = threading.Lock()

    def open(self) -> threading.Thread | None:
        """Start drawing in the background; None when a drawing is already under way."""
        if not self._busy.acquire(blocking=False):
            return None
        worker = threading.Thread(target=self._draw_and_show, name="breakd-statistics", daemon=True)
        worker.start()
        return worker

    def _draw_and_show(self) -> None:
        try:
            if not self._history.exists():
                log.info("statistics: no history yet (%s does not exist)", self._history)
                return
            now = datetime.now().astimezone()
            out = write_week_chart(self._history, self._interval(), chart_file(), now)
            log.info("statistics: chart of the last %d days in %s", CHART_DAYS, out)
            self._show(out)
        except (OSError, sqlite3.Error) as error:
            log.warning("statistics: cannot draw the chart (%s)", error)
        finally:
            self._busy.release()
