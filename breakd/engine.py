"""The sitting-time rules: pure, no I/O, driven by an injected clock.

Everything breakd decides lives here, so every rule can be tested exactly with a fake
clock. The daemon feeds the engine idle-time samples and user events and carries out the
effects it returns (show a reminder, withdraw it, run a break, write a history row).

Rules, in short:

* Sitting accumulates while the user is at the computer. Idle shorter than the
  natural-break threshold is still sitting (reading, thinking); idle at or above it ends
  the stretch at the last input and counts as a natural break.
* A locked screen or a suspended laptop is time away; coming back after at least the
  threshold is a natural break, and no reminder is shown during a short grace period.
* After ``interval`` of sitting a reminder is shown, repeated after ``remind_again`` up
  to ``max_reminders`` times in all; then breakd stays quietly "due".
* Snooze postpones reminders; pause stops them (and the reminder clock) until resumed.
* A break lasts ``break_length`` and resets sitting; ended early it is recorded with its
  real length and resets sitting only if most of it was spent exercising (time the
  break window held it paused does not count).
* Outside working hours (when enabled) nothing is shown and sitting is not counted.

Times: sitting is measured on the clock's monotonic reading; wall-clock readings are used
for calendar questions and for the timestamps in history records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal

from breakd.clock import Clock
from breakd.config import Settings

#: An early-ended break that covered at least this share of its length resets sitting.
MOST_OF_A_BREAK = 0.5
#: The longest snooze: a day. Longer is a pause, and a bound keeps every time finite.
MAX_SNOOZE = 24 * 3600.0
#: The longest timed pause: a year ("forever" has no end at all).
MAX_PAUSE = 365 * 24 * 3600.0


def mostly_done(exercised: float, length: float) -> bool:
    """Whether an early-ended break did enough to reset sitting (time exercising only)."""
    return exercised >= MOST_OF_A_BREAK * length


class Phase(Enum):
    SITTING = "sitting"
    AWAY = "away"
    BREAK = "break"
    OFF_HOURS = "off-hours"


class Refused(Exception):
    """A user request that makes no sense in the current state; the message says why."""


# --- history records (what the store writes) ----------------------------------------


@dataclass(frozen=True)
class StretchStarted:
    at: datetime


@dataclass(frozen=True)
class StretchEnded:
    started: datetime
    ended: datetime
    reason: str  # "natural-break", "break", "off-hours", "shutdown"


@dataclass(frozen=True)
class ReminderShown:
    at: datetime
    sitting_seconds: float
    number: int  # 1 for the first reminder of a stretch, 2 for its first repeat, ...


BreakKind = Literal["completed", "partial", "natural"]


@dataclass(frozen=True)
class BreakStarted:
    """A break under way, recorded at once so that a crash in the middle leaves a trace."""

    started: datetime
    planned_seconds: float
    trigger: str
    exercises: tuple[str, ...] = ()


@dataclass(frozen=True)
class BreakRecorded:
    kind: BreakKind
    started: datetime
    ended: datetime
    planned_seconds: float
    trigger: str  # "reminder", "tray", "cli", "idle", "lock", "suspend", ...
    exercises: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserAction:
    at: datetime
    action: str  # "snooze", "skip", "pause", "resume", "pause-ended"
    until: datetime | None = None


Record = StretchStarted | StretchEnded | ReminderShown | BreakStarted | BreakRecorded | UserAction


# --- effects (what the daemon carries out) -------------------------------------------


@dataclass(frozen=True)
class ShowReminder:
    sitting_seconds: float
    number: int


@dataclass(frozen=True)
class WithdrawReminder:
    reason: str


@dataclass(frozen=True)
class BeginBreak:
    length_seconds: float
    trigger: str
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class BreakOver:
    kind: BreakKind
    seconds: float
    next_reminder_in: float


@dataclass(frozen=True)
class Write:
    record: Record


Effect = ShowReminder | WithdrawReminder | BeginBreak | BreakOver | Write


@dataclass(frozen=True)
class Status:
    """A snapshot for the tray, the CLI and the log."""

    phase: Phase
    sitting_seconds: float
    reminder_due: bool
    reminders_shown: int
    next_reminder_in: float | None
    snoozed_until: datetime | None
    paused: bool
    paused_until: datetime | None
    break_remaining: float | None
    away_reason: str | None


@dataclass(frozen=True)
class Span:
    """Something under way, on the monotonic clock: when it began, when last known to last."""

    started: float
    seen: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.seen - self.started)


@dataclass(frozen=True)
class Holds:
    """What keeps reminders back, on the monotonic clock (saved so a restart keeps it)."""

    paused: bool
    paused_until: float | None
    snoozed_until: float | None
    #: Sitting the reminder clock had counted when the pause began (it is frozen since).
    counted_before_pause: float


@dataclass
class _Break:
    started: float
    started_wall: datetime
    length: float
    trigger: str
    exercises: tuple[str, ...]
    held_since: float | None = None  # the break window's Pause
    held_for: float = 0.0

    def ends_at(self) -> float | None:
        """When the break is over, or None while it is on hold."""
        return None if self.held_since is not None else self.started + self.length + self.held_for

    def exercised(self, at: float) -> float:
        """Seconds of the break spent exercising up to ``at``: time on hold is not."""
        held = self.held_for + (at - self.held_since if self.held_since is not None else 0.0)
        return max(0.0, at - self.started - held)


class Engine:
    """One user's sitting state. Not thread-safe: one owner thread calls it."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        now = clock.monotonic()
        self._phase = Phase.AWAY
        # Until the first sample shows input, nobody is known to be sitting; a return
        # from this kind of "away" is not a break.
        self._away_since = now
        self._away_reason: str | None = "start"
        self._away_confirmed = True
        self._away_is_break = False
        self._stretch_start: float | None = None
        self._reminder_base = now
        self._shown = 0
        self._last_shown = now
        self._snoozed_until: float | None = None
        self._quiet_until: float | None = None
        self._paused = False
        self._paused_at = now
        self._paused_until: float | None = None
        self._break: _Break | None = None
        self._reminder_visible = False
        # A snooze restored at start-up outlives the start of the first stretch.
        self._carry_snooze = False

    # --- readings ---------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def phase(self) -> Phase:
        return self._phase

    def _wall_at(self, mono: float) -> datetime:
        """The wall-clock time of a monotonic instant."""
        return self._clock.now() + timedelta(seconds=mono - self._clock.monotonic())

    def open_spans(self) -> tuple[Span | None, Span | None]:
        """The open stretch and the running break, as far as they are known to have lasted.

        While a break runs, the stretch before it is known only up to the break's start.
        The daemon saves these so that a crash loses neither, and a restart counts only
        time really observed, whatever the wall clock did meanwhile.
        """
        now = self._clock.monotonic()
        stretch: Span | None = None
        if self._stretch_start is not None:
            if self._phase is Phase.SITTING:
                stretch = Span(self._stretch_start, now)
            elif self._phase is Phase.BREAK and self._break is not None:
                stretch = Span(self._stretch_start, max(self._stretch_start, self._break.started))
        taken = None if self._break is None else Span(self._break.started, now)
        return stretch, taken

    def holds(self) -> Holds:
        counted = 0.0
        if self._paused and self._stretch_start is not None:
            counted = max(0.0, self._paused_at - self._reminder_base)
        return Holds(self._paused, self._paused_until, self._snoozed_until, counted)

    def sitting_seconds(self) -> float:
        if self._stretch_start is None or self._phase is not Phase.SITTING:
            return 0.0
        return max(0.0, self._clock.monotonic() - self._stretch_start)

    def _due_at(self) -> float | None:
        """When the next reminder is to be shown, if nothing else happens."""
        if self._phase is not Phase.SITTING or self._paused:
            return None
        s = self._settings
        if self._shown == 0:
            due = self._reminder_base + s.interval
        elif self._shown < s.max_reminders:
            due = self._last_shown + s.remind_again
        else:
            return None
        for hold in (self._snoozed_until, self._quiet_until):
            if hold is not None:
                due = max(due, hold)
        return due

    def next_deadline(self) -> float | None:
        """The monotonic time at which :meth:`tick` has something to do, if any."""
        candidates = [self._due_at()]
        if self._break is not None:
            candidates.append(self._break.ends_at())
        if self._phase is Phase.AWAY and not self._away_confirmed:
            candidates.append(self._away_since + self._settings.natural_break)
        if self._paused and self._paused_until is not None:
            candidates.append(self._paused_until)
        known = [c for c in candidates if c is not None]
        return min(known) if known else None

    def status(self) -> Status:
        now = self._clock.monotonic()
        due = self._due_at()
        snoozed = self._snoozed_until is not None and self._snoozed_until > now
        return Status(
            phase=self._phase,
            sitting_seconds=self.sitting_seconds(),
            reminder_due=self._phase is Phase.SITTING and self._shown > 0,
            reminders_shown=self._shown,
            next_reminder_in=None if due is None else max(0.0, due - now),
            snoozed_until=self._wall_at(self._snoozed_until)
            if snoozed and self._snoozed_until
            else None,
            paused=self._paused,
            paused_until=(
                self._wall_at(self._paused_until) if self._paused and self._paused_until else None
            ),
            break_remaining=(self._break_remaining(now) if self._break else None),
            away_reason=self._away_reason if self._phase is Phase.AWAY else None,
        )

    # --- inputs -------------------------------------------------------------------

    def tick(self) -> list[Effect]:
        """Let time pass: fire whatever deadline has been reached."""
        effects: list[Effect] = []
        now = self._clock.monotonic()
        self._check_working_hours(effects)
        if self._paused and self._paused_until is not None and now >= self._paused_until:
            self._end_pause(effects, action=False)
        if self._break is not None:
            ends = self._break.ends_at()
            if ends is not None and now >= ends:
                self._finish_break(effects, ends, completed=True)
        if (
            self._phase is Phase.AWAY
            and not self._away_confirmed
            and now >= self._away_since + self._settings.natural_break
        ):
            self._confirm_away(effects)
        due = self._due_at()
        if due is not None and now >= due:
            self._shown += 1
            self._last_shown = now
            self._snoozed_until = None
            self._reminder_visible = True
            sitting = self.sitting_seconds()
            effects.append(ShowReminder(sitting, self._shown))
            effects.append(Write(ReminderShown(self._clock.now(), sitting, self._shown)))
        return effects

    def sample(self, idle_seconds: float) -> list[Effect]:
        """An idle-time reading from the OS: seconds since the user's last input."""
        effects: list[Effect] = []
        now = self._clock.monotonic()
        self._check_working_hours(effects)
        idle = max(0.0, idle_seconds)
        last_input = now - idle
        threshold = self._settings.natural_break
        if self._phase is Phase.SITTING and idle >= threshold:
            # The user left at their last input; that is when the stretch ended.
            start = self._stretch_start if self._stretch_start is not None else last_input
            self._leave(effects, since=max(last_input, start), reason="idle")
            self._confirm_away(effects)
        elif (
            self._phase is Phase.AWAY
            and self._away_reason in ("idle", "start")
            and idle < threshold
        ):
            # Input again: the stretch starts at that input (never before we were told).
            self._come_back(effects, at=max(last_input, self._away_since))
        return [*effects, *self.tick()]

    def away(self, reason: str) -> list[Effect]:
        """The screen was locked or the machine is about to sleep."""
        effects: list[Effect] = []
        now = self._clock.monotonic()
        if self._phase is Phase.SITTING:
            self._leave(effects, since=now, reason=reason)
        elif self._phase is Phase.AWAY:
            # Already idle; from now on only the matching "back" ends it.
            self._away_reason = reason
        return [*effects, *self.tick()]

    def back(self, reason: str) -> list[Effect]:
        """The screen was unlocked or the machine woke up."""
        effects: list[Effect] = []
        if self._phase is Phase.AWAY and self._away_reason not in (None, "idle", "start"):
            self._come_back(effects, at=self._clock.monotonic())
        return [*effects, *self.tick()]

    def was_away(self, seconds: float, reason: str) -> list[Effect]:
        """Time away noticed only afterwards (a frozen process: suspend without logind)."""
        effects: list[Effect] = []
        if self._phase is Phase.SITTING and seconds > 0:
            now = self._clock.monotonic()
            self._leave(effects, since=now - seconds, reason=reason)
            self._come_back(effects, at=now)
        return [*effects, *self.tick()]

    def start_break(self, trigger: str, exercises: tuple[str, ...] = ()) -> list[Effect]:
        if self._break is not None:
            raise Refused("a break is already running")
        if self._phase is Phase.OFF_HOURS:
            raise Refused("it is outside your working hours")
        effects: list[Effect] = []
        now = self._clock.monotonic()
        if self._phase is Phase.AWAY and self._away_confirmed and self._away_is_break:
            # Back from a long absence straight into a break: the absence was a break too.
            effects.append(
                Write(
                    BreakRecorded(
                        "natural",
                        self._wall_at(self._away_since),
                        self._clock.now(),
                        0.0,
                        self._away_reason or "idle",
                    )
                )
            )
        self._withdraw(effects, "break started")
        self._break = _Break(
            now, self._clock.now(), self._settings.break_length, trigger, exercises
        )
        self._phase = Phase.BREAK
        effects.append(
            Write(BreakStarted(self._clock.now(), self._settings.break_length, trigger, exercises))
        )
        effects.append(BeginBreak(self._settings.break_length, trigger, exercises))
        return effects

    def end_break_early(self, exercises_done: tuple[str, ...] | None = None) -> list[Effect]:
        if self._break is None:
            raise Refused("no break is running")
        effects: list[Effect] = []
        self._finish_break(
            effects, self._clock.monotonic(), completed=False, exercises_done=exercises_done
        )
        return [*effects, *self.tick()]

    def hold_break(self) -> list[Effect]:
        """The break window was paused: the break's clock stops."""
        if self._break is None:
            raise Refused("no break is running")
        if self._break.held_since is None:
            self._break.held_since = self._clock.monotonic()
        return []

    def release_break(self) -> list[Effect]:
        """The break window was resumed: the break runs on, as long as it was held longer."""
        if self._break is None:
            raise Refused("no break is running")
        if self._break.held_since is not None:
            self._break.held_for += self._clock.monotonic() - self._break.held_since
            self._break.held_since = None
        return self.tick()

    def _break_remaining(self, now: float) -> float:
        assert self._break is not None
        taken = self._break
        at = taken.held_since if taken.held_since is not None else now
        return max(0.0, taken.started + taken.length + taken.held_for - at)

    def snooze(self, seconds: float | None = None) -> list[Effect]:
        if self._paused:
            raise Refused("breakd is paused; resume it first")
        if self._phase is not Phase.SITTING:
            raise Refused(f"there is nothing to snooze while {self._describe_phase()}")
        length = self._settings.snooze if seconds is None else seconds
        if not 0 < length <= MAX_SNOOZE:
            raise Refused("a snooze must last longer than zero and at most 24h")
        # Everything that can fail is worked out before any state changes.
        now = self._clock.monotonic()
        record = UserAction(self._clock.now(), "snooze", self._wall_at(now + length))
        effects: list[Effect] = []
        self._snoozed_until = now + length
        self._shown = 0
        self._withdraw(effects, "snoozed")
        effects.append(Write(record))
        return effects

    def skip(self) -> list[Effect]:
        """The user dismissed a due reminder: count again from now."""
        if self._phase is not Phase.SITTING or self._shown == 0:
            raise Refused("no reminder is due")
        effects: list[Effect] = []
        self._reminder_base = self._clock.monotonic()
        self._shown = 0
        self._withdraw(effects, "skipped")
        effects.append(Write(UserAction(self._clock.now(), "skip")))
        return effects

    def pause(self, seconds: float | Literal["tomorrow"] | None) -> list[Effect]:
        """Stop reminders for a while (``None``: until resumed; "tomorrow": next day)."""
        now = self._clock.monotonic()
        if seconds == "tomorrow":
            until: float | None = now + self._seconds_until_tomorrow()
        elif seconds is None:
            until = None
        else:
            if not 0 < seconds <= MAX_PAUSE:
                raise Refused("a pause must last longer than zero and at most a year")
            until = now + seconds
        # Everything that can fail is worked out before any state changes.
        record = UserAction(
            self._clock.now(), "pause", None if until is None else self._wall_at(until)
        )
        effects: list[Effect] = []
        if not self._paused:
            self._paused_at = now
        self._paused = True
        self._paused_until = until
        self._withdraw(effects, "paused")
        effects.append(Write(record))
        return effects

    def resume(self) -> list[Effect]:
        if not self._paused:
            raise Refused("breakd is not paused")
        effects: list[Effect] = []
        self._end_pause(effects, action=True)
        return [*effects, *self.tick()]

    def apply_settings(self, settings: Settings) -> list[Effect]:
        """New settings take effect at once; the next reminder is rescheduled."""
        old = self._settings
        self._settings = settings
        effects: list[Effect] = []
        if (
            self._phase is Phase.SITTING
            and self._shown > 0
            and settings.interval > old.interval
            and self.sitting_seconds() < settings.interval
        ):
            # A longer interval means the user is no longer due.
            self._shown = 0
            self._withdraw(effects, "interval changed")
        return [*effects, *self.tick()]

    def shutdown(self) -> list[Effect]:
        """Close the open stretch so history is complete when the daemon stops."""
        effects: list[Effect] = []
        if self._break is not None:
            self._finish_break(effects, self._clock.monotonic(), completed=False)
        if self._phase is Phase.SITTING:
            self._close_stretch(effects, self._clock.monotonic(), "shutdown")
            self._phase = Phase.AWAY
            self._away_reason = "shutdown"
            self._away_confirmed = True
        self._withdraw(effects, "shutting down")
        return effects

    def restore_stretch(self, started_ago: float) -> list[Effect]:
        """Continue a stretch that a previous run of the daemon had open (after a crash)."""
        effects: list[Effect] = []
        if self._phase is Phase.AWAY and self._away_reason == "start" and started_ago >= 0:
            now = self._clock.monotonic()
            self._phase = Phase.SITTING
            self._away_reason = None
            self._stretch_start = now - started_ago
            self._reminder_base = self._stretch_start
            self._shown = 0
        return [*effects, *self.tick()]

    def restore_holds(
        self,
        *,
        paused: bool,
        pause_left: float | None,
        counted_before_pause: float,
        snooze_left: float | None,
    ) -> list[Effect]:
        """Put back a pause or snooze a previous run had in force (nothing is written:
        it is the same pause or snooze, already in history). ``pause_left`` None with
        ``paused`` is a pause until resumed."""
        now = self._clock.monotonic()
        if paused and (pause_left is None or pause_left > 0):
            self._paused = True
            self._paused_until = None if pause_left is None else now + pause_left
            self._paused_at = now
            if self._phase is Phase.SITTING:
                self._reminder_base = now - max(0.0, counted_before_pause)
        elif snooze_left is not None and snooze_left > 0:
            self._snoozed_until = now + snooze_left
            self._carry_snooze = self._phase is not Phase.SITTING
        return self.tick()

    # --- transitions -------------------------------------------------------------------

    def _describe_phase(self) -> str:
        return {
            Phase.AWAY: "you are away",
            Phase.BREAK: "you are on a break",
            Phase.OFF_HOURS: "outside working hours",
            Phase.SITTING: "sitting",
        }[self._phase]

    def _withdraw(self, effects: list[Effect], reason: str) -> None:
        if self._reminder_visible:
            self._reminder_visible = False
            effects.append(WithdrawReminder(reason))

    def _start_stretch(self, effects: list[Effect], at: float) -> None:
        self._phase = Phase.SITTING
        self._away_reason = None
        self._stretch_start = at
        self._reminder_base = at
        self._shown = 0
        if not self._carry_snooze:
            self._snoozed_until = None
        self._carry_snooze = False
        effects.append(Write(StretchStarted(self._wall_at(at))))

    def _close_stretch(self, effects: list[Effect], at: float, reason: str) -> None:
        if self._stretch_start is None:
            return
        end = max(at, self._stretch_start)
        effects.append(
            Write(StretchEnded(self._wall_at(self._stretch_start), self._wall_at(end), reason))
        )
        self._stretch_start = None

    def _leave(self, effects: list[Effect], since: float, reason: str) -> None:
        """The user stepped away at ``since``; it becomes a break only if it lasts."""
        self._phase = Phase.AWAY
        self._away_since = since
        self._away_reason = reason
        self._away_confirmed = False
        self._away_is_break = True
        self._withdraw(effects, "away")

    def _confirm_away(self, effects: list[Effect]) -> None:
        """Away long enough: the stretch ended when the user left."""
        self._away_confirmed = True
        self._close_stretch(effects, self._away_since, "natural-break")

    def _come_back(self, effects: list[Effect], at: float) -> None:
        away_for = at - self._away_since
        if not self._away_confirmed and away_for < self._settings.natural_break:
            # A short absence is still part of the same stretch.
            self._phase = Phase.SITTING
            self._away_reason = None
            return
        if not self._away_confirmed:
            self._confirm_away(effects)
        reason = self._away_reason or "idle"
        if self._away_is_break:
            effects.append(
                Write(
                    BreakRecorded(
                        "natural", self._wall_at(self._away_since), self._wall_at(at), 0.0, reason
                    )
                )
            )
        self._start_stretch(effects, at)
        if reason not in ("idle", "start"):
            self._quiet_until = at + self._settings.grace_after_return
        if self._paused:
            self._paused_at = max(self._paused_at, at)

    def _finish_break(
        self,
        effects: list[Effect],
        at: float,
        *,
        completed: bool,
        exercises_done: tuple[str, ...] | None = None,
    ) -> None:
        assert self._break is not None
        taken = self._break
        self._break = None
        seconds = max(0.0, at - taken.started)
        kind: BreakKind = "completed" if completed else "partial"
        done = taken.exercises if exercises_done is None else exercises_done
        effects.append(
            Write(
                BreakRecorded(
                    # Both ends on the current wall clock (it may have been set meanwhile).
                    kind,
                    self._wall_at(taken.started),
                    self._wall_at(at),
                    taken.length,
                    taken.trigger,
                    done,
                )
            )
        )
        # Only exercise counts towards "most of the break": a long pause is not a break.
        resets = completed or mostly_done(taken.exercised(at), taken.length)
        if resets:
            self._close_stretch(effects, taken.started, "break")
            self._start_stretch(effects, at)
        else:
            self._phase = Phase.SITTING
            if self._stretch_start is None:
                self._start_stretch(effects, at)
            self._shown = 0
            self._quiet_until = at + self._settings.remind_again
        due = self._due_at()
        effects.append(BreakOver(kind, seconds, 0.0 if due is None else max(0.0, due - at)))

    def _end_pause(self, effects: list[Effect], *, action: bool) -> None:
        now = self._clock.monotonic()
        ran_out = self._paused_until
        self._paused = False
        self._paused_until = None
        if self._phase is Phase.SITTING:
            # Pausing freezes the reminder clock: only sitting before the pause counts.
            counted = max(0.0, self._paused_at - self._reminder_base)
            self._reminder_base = now - counted
            self._shown = 0
        if action:
            effects.append(Write(UserAction(self._clock.now(), "resume")))
        elif ran_out is not None:
            # A timed pause is closed in history at the moment it ran out.
            effects.append(Write(UserAction(self._wall_at(ran_out), "pause-ended")))

    def _check_working_hours(self, effects: list[Effect]) -> None:
        inside = self._in_working_hours(self._clock.now())
        if not inside and self._phase is not Phase.OFF_HOURS:
            now = self._clock.monotonic()
            if self._break is not None:
                self._finish_break(effects, now, completed=False)
            if self._phase is Phase.SITTING:
                self._close_stretch(effects, now, "off-hours")
            elif self._phase is Phase.AWAY and not self._away_confirmed:
                self._confirm_away(effects)
            self._withdraw(effects, "working hours ended")
            self._phase = Phase.OFF_HOURS
            self._stretch_start = None
        elif inside and self._phase is Phase.OFF_HOURS:
            # Nobody is known to be sitting until input is seen.
            self._phase = Phase.AWAY
            self._away_since = self._clock.monotonic()
            self._away_reason = "start"
            self._away_confirmed = True
            self._away_is_break = False

    def _in_working_hours(self, when: datetime) -> bool:
        s = self._settings
        if not s.working_hours_enabled:
            return True
        return when.weekday() in s.working_days and s.work_start <= when.time() < s.work_end

    def _seconds_until_tomorrow(self) -> float:
        """Until the next day's working-hours start, or the next midnight."""
        now = self._clock.now()
        s = self._settings
        day = now.date() + timedelta(days=1)
        if s.working_hours_enabled:
            for _ in range(7):
                if day.weekday() in s.working_days:
                    break
                day += timedelta(days=1)
            target = datetime.combine(day, s.work_start, tzinfo=now.tzinfo)
        else:
            target = datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)
        return max(1.0, (target - now).total_seconds())
