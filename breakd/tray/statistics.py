"""The tray's "Statistics…": the last seven days as a chart in the desktop's image viewer.

It is the same chart as ``breakd stats --chart``, drawn from a read-only connection to
the history by ``python -m breakd.tray.statistics``, a process of its own started from
a thread of its own: neither the tray nor the daemon waits for it, and Pillow, which
draws it, is loaded in that short-lived process rather than kept in the daemon.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
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
#: The longest the drawing process may take.
DRAW_TIMEOUT = 120.0


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
            out = chart_file()
            command = [sys.executable, "-m", "breakd.tray.statistics"]
            command += [str(self._history), repr(self._interval()), str(out)]
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=DRAW_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                lines = done.stderr.decode(errors="replace").strip().splitlines()
                reason = lines[-1] if lines else f"exit {done.returncode}"
                log.warning("statistics: cannot draw the chart (%s)", reason)
                return
            log.info("statistics: chart of the last %d days in %s", CHART_DAYS, out)
            self._show(out)
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("statistics: cannot draw the chart (%s)", error)
        finally:
            self._busy.release()


def main(argv: list[str] | None = None) -> int:
    """``python -m breakd.tray.statistics HISTORY INTERVAL_SECONDS OUT``: draw the chart."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        usage = "usage: python -m breakd.tray.statistics HISTORY INTERVAL_SECONDS OUT"
        print(usage, file=sys.stderr)
        return 2
    try:
        now = datetime.now().astimezone()
        write_week_chart(Path(args[0]), float(args[1]), Path(args[2]), now)
    except (OSError, sqlite3.Error, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
