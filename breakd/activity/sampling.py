"""When to read the idle counter next: often when something is about to change, rarely
otherwise.

Reading the counter is cheap but not free (a D-Bus round trip, a wake-up of an
otherwise sleeping daemon), and what breakd needs from it is two moments:

- **A natural break starting.** With no further input, idle time grows by one second
  per second, so it will reach the natural-break length in exactly
  ``natural_break - idle`` seconds. Sampling then (plus a small margin, so the reading
  is surely past it) catches the moment with one read. Any input in between only moves
  that moment later, and the read at the predicted time shows it and plans the next.
- **The user coming back.** While idle is past the natural-break length the user is
  away, and a return is only seen by reading. Every ``AWAY_EVERY`` (5 s) keeps the
  stretch's start within 5 s of the truth, at 12 cheap reads a minute.

Besides, a read just before the engine's next deadline (a reminder due) lets it decide
with a fresh idle time, and ``MAX_DELAY`` (60 s) bounds how stale the daemon's idea of
"present" may get while nothing else is due. ``MIN_DELAY`` keeps a busy loop out even
when a deadline has already passed.
"""

from __future__ import annotations

MIN_DELAY = 1.0
MAX_DELAY = 60.0
AWAY_EVERY = 5.0
CROSSING_MARGIN = 0.5


def next_sample_delay(
    idle_seconds: float,
    seconds_to_next_deadline: float | None,
    natural_break_seconds: float,
) -> float:
    """Seconds until the next idle reading.

    ``seconds_to_next_deadline`` is None when nothing is scheduled; a
    ``natural_break_seconds`` of 0 or less turns natural-break tracking off.
    """
    idle = max(0.0, idle_seconds)
    delay = MAX_DELAY
    if natural_break_seconds > 0:
        if idle >= natural_break_seconds:
            delay = AWAY_EVERY
        else:
            delay = min(delay, natural_break_seconds - idle + CROSSING_MARGIN)
    if seconds_to_next_deadline is not None:
        delay = min(delay, seconds_to_next_deadline)
    return max(MIN_DELAY, delay)
