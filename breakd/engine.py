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
* A call (the microphone or camera in use) is presence: it counts as input until it
  ends, so it is sitting and never a natural break.
* With a sit-stand desk (``desk = "sit-stand"``) the user also has a posture. After
  ``stand_after`` in the sitting posture breakd prompts to stand (a break reminder shown
  then offers it instead); after ``stand_for`` standing it prompts to sit or move. Each
  prompt comes once per posture; a snooze postpones it, a pause holds it back. Standing
  up answers a reminder (the reminder clock counts from then). Whenever a stretch ends
  (a break, time away, the end of the day) the posture goes back to sitting.
* Every ``long_every``-th break is a walking break of ``long_length`` instead (0: never).
  The engine counts the exercise breaks taken since the last walk: one that resets
  sitting (done, or mostly done) counts; one cut short early and a natural break do not,
  so the walk still comes. A walk that resets sitting starts the count again.

Times: sitting is measured on the clock's monotonic reading; wall-clock readings are used
for calendar questions and for the timestamps in history records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import ClassVar, Literal

from breakd.clock import Clock
from breakd.config import Settings
from breakd.state import BreakType, Posture, State

#: An early-ended break that covered at least this share of its length resets sitting.
MOST_OF_A_BREAK = 0.5
#: The longest snooze: a day. Longer is a pause, and a bound keeps every time finite.
MAX_SNOOZE = 24 * 3600.0
#: The longest timed pause: a year ("forever" has no end at all).
MAX_PAUSE = 365 * 24 * 3600.0


def mostly_done(exercised: float, length: float) -> bool:
    """Whether an early-ended break did enough to reset sitting (time exercising only)."""
    return exercised >= MOST_OF_A_BREAK * length


def break_length(settings: Settings, break_type: BreakType) -> float:
    """How long a break of ``break_type`` lasts with these settings."""
    return settings.long_length if break_type is BreakType.WALKING else settings.break_length


class Phase(Enum):
    SITTING = "sitting"
    AWAY = "away"
    BREAK = "break"
    OFF_HOURS = "off-hours"


class AwayReason(StrEnum):
    """Why the user is taken to be away; the value is the trigger of the natural break."""

    #: breakd has just started (or working hours began): nobody has been seen yet.
    START = "start"
    #: No input for the natural-break length.
    IDLE = "idle"
    LOCK = "lock"
    SUSPEND = "suspend"
    SHUTDOWN = "shutdown"

    @property
    def ends_with_input(self) -> bool:
        """Input alone ends this absence; a lock or a sleep ends only when announced."""
        return self in (AwayReason.START, AwayReason.IDLE)


class RefusalCode(Enum):
    """Why a request was refused; the edge turns each into words (``breakd.messages``)."""

    BREAK_RUNNING = "break-running"
    OUTSIDE_WORKING_HOURS = "outside-working-hours"
    NO_BREAK = "no-break"
    PAUSED = "paused"
    NOTHING_TO_SNOOZE = "nothing-to-snooze"  # with the phase
    SNOOZE_LENGTH = "snooze-length"  # with the longest snooze
    NO_REMINDER_DUE = "no-reminder-due"
    PAUSE_LENGTH = "pause-length"  # with the longest pause
    NOT_PAUSED = "not-paused"
    NO_SIT_STAND_DESK = "no-sit-stand-desk"
    NOT_AT_DESK = "not-at-desk"  # with the phase


@dataclass(frozen=True)
class Refusal:
    """A refusal's code and the parameters its words need."""

    code: RefusalCode
    phase: Phase | None = None
    longest: float | None = None  # seconds


class Refused(Exception):
    """A user request that makes no sense in the current state; ``refusal`` says why.

    The engine speaks no language: its message is the code; the edge puts it into words.
    """

    def __init__(
        self, code: RefusalCode, *, phase: Phase | None = None, longest: float | None = None
    ) -> None:
        super().__init__(code.value)
        self.refusal = Refusal(code, phase, longest)


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


#: How a break ended (crash recovery in the store adds "interrupted").
BreakOutcome = Literal["completed", "partial", "natural"]


@dataclass(frozen=True)
class BreakStarted:
    """A break under way, recorded at once so that a crash in the middle leaves a trace."""

    started: datetime
    planned_seconds: float
    trigger: str
    exercises: tuple[str, ...] = ()
    break_type: BreakType = BreakType.EXERCISE


@dataclass(frozen=True)
class BreakRecorded:
    outcome: BreakOutcome
    started: datetime
    ended: datetime
    planned_seconds: float
    trigger: str  # "reminder", "tray", "cli", "idle", "lock", "suspend", ...
    exercises: tuple[str, ...] = ()
    #: What kind of guided break it was; None for a natural break (time away).
    break_type: BreakType | None = None


@dataclass(frozen=True)
class UserAction:
    at: datetime
    action: str  # "snooze", "skip", "pause", "resume", "pause-ended"
    until: datetime | None = None


@dataclass(frozen=True)
class PostureChanged:
    at: datetime
    posture: Posture
    source: str  # "cli", "tray", "reminder", "settings", or why a stretch ended


Record = (
    StretchStarted
    | StretchEnded
    | ReminderShown
    | BreakStarted
    | BreakRecorded
    | UserAction
    | PostureChanged
)


# --- effects (what the daemon carries out) -------------------------------------------


@dataclass(frozen=True)
class ShowReminder:
    sitting_seconds: float
    number: int
    #: A sit-stand desk in the sitting posture: the reminder also offers "Stand up now".
    offer_stand: bool = False
    #: The break this reminder offers.
    break_type: BreakType = BreakType.EXERCISE


@dataclass(frozen=True)
class PromptPosture:
    """Time to change posture: to ``to``, after ``seconds`` in the other one."""

    to: Posture
    seconds: float


@dataclass(frozen=True)
class WithdrawReminder:
    reason: str


@dataclass(frozen=True)
class BeginBreak:
    length_seconds: float
    trigger: str
    exercises: tuple[str, ...]
    break_type: BreakType = BreakType.EXERCISE


@dataclass(frozen=True)
class BreakOver:
    outcome: BreakOutcome
    seconds: float
    next_reminder_in: float
    break_type: BreakType = BreakType.EXERCISE


@dataclass(frozen=True)
class Write:
    record: Record


Effect = ShowReminder | PromptPosture | WithdrawReminder | BeginBreak | BreakOver | Write


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
    away_reason: AwayReason | None
    posture: Posture = Posture.SITTING
    #: Seconds in ``posture`` while at the computer (0 elsewhere).
    posture_seconds: float = 0.0
    #: What the next break will be (while one runs: the one after it), and how long.
    next_break: BreakType = BreakType.EXERCISE
    next_break_seconds: float = 0.0

    @property
    def state(self) -> State:
        """The one word for it: a pause outranks everything, a snooze a due reminder."""
        if self.paused:
            return State.PAUSED
        if self.phase is Phase.SITTING:
            if self.snoozed_until is not None:
                return State.SNOOZED
            return State.DUE if self.reminder_due else State.COUNTING
        return {
            Phase.AWAY: State.AWAY,
            Phase.BREAK: State.BREAK,
            Phase.OFF_HOURS: State.OFF_HOURS,
        }[self.phase]


@dataclass(frozen=True)
class Span:
    """Something under way, on the monotonic clock: when it began, when last known to last."""

    started: float
    seen: float
    #: Still going on (``seen`` is the moment asked): saved on a cadence, not at each pass.
    growing: bool = False

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
    break_type: BreakType = BreakType.EXERCISE
    held_since: float | None = None  # the break window's Pause
    held_for: float = 0.0

    def ends_at(self) -> float | None:
        """When the break is over, or None while it is on hold."""
        return None if self.held_since is not None else self.started + self.length + self.held_for

    def remaining(self, now: float) -> float:
        """Seconds left; frozen while the break is on hold."""
        at = self.held_since if self.held_since is not None else now
        return max(0.0, self.started + self.length + self.held_for - at)

    def exercised(self, at: float) -> float:
        """Seconds of the break spent exercising up to ``at``: time on hold is not."""
        held = self.held_for + (at - self.held_since if self.held_since is not None else 0.0)
        return max(0.0, at - self.started - held)


# --- the phases, each with the data it owns -------------------------------------------


@dataclass(frozen=True)
class _Sitting:
    """At the computer; the open stretch began at ``stretch_start``."""

    phase: ClassVar[Phase] = Phase.SITTING
    stretch_start: float


@dataclass(frozen=True)
class _Away:
    """Not at the computer since ``since``.

    While the absence is too short to be a break, the stretch before it is still open
    (``open_stretch``, its start): coming back soon continues it. Once the absence is
    long enough it is confirmed: the stretch is closed at ``since`` and ``open_stretch``
    is None. ``is_break``: coming back from it is a natural break (not so when nobody had
    been seen yet: breakd starting, working hours beginning).
    """

    phase: ClassVar[Phase] = Phase.AWAY
    since: float
    reason: AwayReason
    open_stretch: float | None
    is_break: bool

    @property
    def confirmed(self) -> bool:
        return self.open_stretch is None


@dataclass(frozen=True)
class _OnBreak:
    """A break under way; ``open_stretch``: the stretch it interrupted, if still open."""

    phase: ClassVar[Phase] = Phase.BREAK
    taken: _Break
    open_stretch: float | None


@dataclass(frozen=True)
class _OffHours:
    """Outside working hours: nothing is counted, nothing is shown."""

    phase: ClassVar[Phase] = Phase.OFF_HOURS


_PhaseState = _Sitting | _Away | _OnBreak | _OffHours


@dataclass(frozen=True)
class _Pause:
    """A pause in force: since ``at`` (the reminder clock stopped then), until ``until``."""

    at: float
    until: float | None


class Engine:
    """One user's sitting state. Not thread-safe: one owner thread calls it."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        now = clock.monotonic()
        # Until the first sample shows input, nobody is known to be sitting; a return
        # from this kind of "away" is not a break.
        self._state: _PhaseState = _Away(now, AwayReason.START, None, is_break=False)
        # The reminder clock: counted from ``_reminder_base``; ``_shown`` reminders so far.
        self._reminder_base = now
        self._shown = 0
        self._last_shown = now
        self._snoozed_until: float | None = None
        self._quiet_until: float | None = None
        # The last moment a sample said the user was present without input (a call):
        # idle time is counted from then, so the call itself is never taken for absence.
        self._present_at: float | None = None
        self._pause: _Pause | None = None
        self._reminder_visible = False
        # A snooze restored at start-up outlives the start of the first stretch.
        self._carry_snooze = False
        # The posture (a sit-stand desk only), since when, and whether its prompt came.
        self._posture = Posture.SITTING
        self._posture_since = now
        self._posture_prompted = False
        # Exercise breaks taken since the last walking break (``breaks.long_every``).
        self._since_walk = 0

    # --- readings ---------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def phase(self) -> Phase:
        return self._state.phase

    def _wall_at(self, mono: float) -> datetime:
        """The wall-clock time of a monotonic instant."""
        return self._clock.now() + timedelta(seconds=mono - self._clock.monotonic())

    def _open_stretch(self) -> float | None:
        """The start of the stretch not yet closed in history, whatever the phase."""
        state = self._state
        if isinstance(state, _Sitting):
            return state.stretch_start
        if isinstance(state, _Away | _OnBreak):
            return state.open_stretch
        return None

    def open_spans(self) -> tuple[Span | None, Span | None]:
        """The open stretch and the running break, as far as they are known to have lasted.

        While a break runs, the stretch before it is known only up to the break's start.
        The daemon saves these so that a crash loses neither, and a restart counts only
        time really observed, whatever the wall clock did meanwhile.
        """
        now = self._clock.monotonic()
        state = self._state
        if isinstance(state, _Sitting):
            return Span(state.stretch_start, now, growing=True), None
        if isinstance(state, _OnBreak):
            began = state.open_stretch
            stretch = None if began is None else Span(began, max(began, state.taken.started))
            return stretch, Span(state.taken.started, now, growing=True)
        return None, None

    def holds(self) -> Holds:
        pause = self._pause
        counted = 0.0
        if pause is not None and self._open_stretch() is not None:
            counted = max(0.0, pause.at - self._reminder_base)
        return Holds(
            pause is not None,
            None if pause is None else pause.until,
            self._snoozed_until,
            counted,
        )

    @property
    def breaks_since_walk(self) -> int:
        """Exercise breaks taken since the last walking break (the daemon saves it)."""
        return self._since_walk

    def next_break_type(self) -> BreakType:
        """What the next break is: a walk once ``long_every - 1`` exercise breaks were taken."""
        every = self._settings.long_every
        if every > 0 and self._since_walk >= every - 1:
            return BreakType.WALKING
        return BreakType.EXERCISE

    def sitting_seconds(self) -> float:
        if not isinstance(self._state, _Sitting):
            return 0.0
        return max(0.0, self._clock.monotonic() - self._state.stretch_start)

    def _due_at(self) -> float | None:
        """When the next reminder is to be shown, if nothing else happens."""
        if not isinstance(self._state, _Sitting) or self._pause is not None:
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

    def _posture_due_at(self) -> float | None:
        """When the next posture prompt is to be shown, if nothing else happens."""
        s = self._settings
        if (
            s.desk != "sit-stand"
            or not isinstance(self._state, _Sitting)
            or self._pause is not None
            or self._posture_prompted
        ):
            return None
        held = s.stand_for if self._posture is Posture.STANDING else s.stand_after
        due = max(self._posture_since, self._state.stretch_start) + held
        for hold in (self._snoozed_until, self._quiet_until):
            if hold is not None:
                due = max(due, hold)
        return due

    def posture_seconds(self) -> float:
        """Seconds in the current posture, while at the computer."""
        if not isinstance(self._state, _Sitting):
            return 0.0
        since = max(self._posture_since, self._state.stretch_start)
        return max(0.0, self._clock.monotonic() - since)

    def next_deadline(self) -> float | None:
        """The monotonic time at which :meth:`tick` has something to do, if any."""
        state = self._state
        candidates = [self._due_at(), self._posture_due_at()]
        if isinstance(state, _OnBreak):
            candidates.append(state.taken.ends_at())
        if isinstance(state, _Away) and not state.confirmed:
            candidates.append(state.since + self._settings.natural_break)
        if self._pause is not None and self._pause.until is not None:
            candidates.append(self._pause.until)
        known = [c for c in candidates if c is not None]
        return min(known) if known else None

    def status(self) -> Status:
        now = self._clock.monotonic()
        state = self._state
        due = self._due_at()
        snoozed = self._snoozed_until is not None and self._snoozed_until > now
        pause = self._pause
        next_break = self.next_break_type()
        return Status(
            phase=state.phase,
            sitting_seconds=self.sitting_seconds(),
            reminder_due=isinstance(state, _Sitting) and self._shown > 0,
            reminders_shown=self._shown,
            next_reminder_in=None if due is None else max(0.0, due - now),
            snoozed_until=self._wall_at(self._snoozed_until)
            if snoozed and self._snoozed_until
            else None,
            paused=pause is not None,
            paused_until=(
                self._wall_at(pause.until) if pause is not None and pause.until else None
            ),
            break_remaining=state.taken.remaining(now) if isinstance(state, _OnBreak) else None,
            away_reason=state.reason if isinstance(state, _Away) else None,
            posture=self._posture,
            posture_seconds=self.posture_seconds(),
            next_break=next_break,
            next_break_seconds=break_length(self._settings, next_break),
        )

    # --- inputs -------------------------------------------------------------------

    def tick(self) -> list[Effect]:
        """Let time pass: fire whatever deadline has been reached."""
        effects: list[Effect] = []
        now = self._clock.monotonic()
        self._check_working_hours(effects)
        if self._pause is not None and self._pause.until is not None and now >= self._pause.until:
            self._end_pause(effects, action=False)
        if isinstance(self._state, _OnBreak):
            ends = self._state.taken.ends_at()
            if ends is not None and now >= ends:
                self._finish_break(effects, ends, completed=True)
        state = self._state
        if (
            isinstance(state, _Away)
            and not state.confirmed
            and now >= state.since + self._settings.natural_break
        ):
            self._confirm_away(effects)
        due = self._due_at()
        if due is not None and now >= due:
            self._shown += 1
            self._last_shown = now
            self._snoozed_until = None
            self._reminder_visible = True
            sitting = self.sitting_seconds()
            offer = self._settings.desk == "sit-stand" and self._posture is Posture.SITTING
            if offer:
                # The reminder offers standing: no separate prompt to stand in this posture.
                self._posture_prompted = True
            effects.append(
                ShowReminder(
                    sitting, self._shown, offer_stand=offer, break_type=self.next_break_type()
                )
            )
            effects.append(Write(ReminderShown(self._clock.now(), sitting, self._shown)))
        posture_due = self._posture_due_at()
        if posture_due is not None and now >= posture_due:
            self._posture_prompted = True
            self._snoozed_until = None
            to = Posture.SITTING if self._posture is Posture.STANDING else Posture.STANDING
            if to is Posture.STANDING:
                # Shown in the reminder's place (it offers a break too), withdrawn as it is.
                self._reminder_visible = True
            effects.append(PromptPosture(to, self.posture_seconds()))
        return effects

    def sample(self, idle_seconds: float, *, present: bool = False) -> list[Effect]:
        """An idle-time reading from the OS: seconds since the user's last input.

        ``present``: the user is known to be at the computer without touching it (the
        microphone or camera is in use: a call). That counts as input now, so a call is
        sitting, never a natural break, however long the idle counter grows; after the
        call, idle time counts from its end.
        """
        effects: list[Effect] = []
        now = self._clock.monotonic()
        self._check_working_hours(effects)
        if present:
            self._present_at = now
        idle = max(0.0, idle_seconds)
        if self._present_at is not None:
            idle = min(idle, max(0.0, now - self._present_at))
        last_input = now - idle
        threshold = self._settings.natural_break
        state = self._state
        if isinstance(state, _Sitting) and idle >= threshold:
            # The user left at their last input; that is when the stretch ended.
            since = max(last_input, state.stretch_start)
            self._leave(effects, since=since, reason=AwayReason.IDLE)
            self._confirm_away(effects)
        elif isinstance(state, _Away) and state.reason.ends_with_input and idle < threshold:
            # Input again: the stretch starts at that input (never before we were told).
            self._come_back(effects, at=max(last_input, state.since))
        return [*effects, *self.tick()]

    def away(self, reason: AwayReason) -> list[Effect]:
        """The screen was locked or the machine is about to sleep."""
        reason = AwayReason(reason)
        effects: list[Effect] = []
        state = self._state
        if isinstance(state, _Sitting):
            self._leave(effects, since=self._clock.monotonic(), reason=reason)
        elif isinstance(state, _Away):
            # Already idle; from now on only the matching "back" ends it.
            self._state = replace(state, reason=reason)
        return [*effects, *self.tick()]

    def back(self, reason: AwayReason) -> list[Effect]:
        """The screen was unlocked or the machine woke up."""
        effects: list[Effect] = []
        state = self._state
        if isinstance(state, _Away) and not state.reason.ends_with_input:
            self._come_back(effects, at=self._clock.monotonic())
        return [*effects, *self.tick()]

    def was_away(self, seconds: float, reason: AwayReason) -> list[Effect]:
        """Time away noticed only afterwards (a frozen process: suspend without logind)."""
        reason = AwayReason(reason)
        effects: list[Effect] = []
        if isinstance(self._state, _Sitting) and seconds > 0:
            now = self._clock.monotonic()
            self._leave(effects, since=now - seconds, reason=reason)
            self._come_back(effects, at=now)
        return [*effects, *self.tick()]

    def start_break(self, trigger: str, exercises: tuple[str, ...] = ()) -> list[Effect]:
        state = self._state
        if isinstance(state, _OnBreak):
            raise Refused(RefusalCode.BREAK_RUNNING)
        if isinstance(state, _OffHours):
            raise Refused(RefusalCode.OUTSIDE_WORKING_HOURS)
        effects: list[Effect] = []
        now = self._clock.monotonic()
        if isinstance(state, _Away) and state.confirmed and state.is_break:
            # Back from a long absence straight into a break: the absence was a break too.
            effects.append(
                Write(
                    BreakRecorded(
                        "natural",
                        self._wall_at(state.since),
                        self._clock.now(),
                        0.0,
                        state.reason.value,
                    )
                )
            )
        self._withdraw(effects, "break started")
        kind = self.next_break_type()
        length = break_length(self._settings, kind)
        taken = _Break(now, self._clock.now(), length, trigger, exercises, kind)
        self._state = _OnBreak(taken, self._open_stretch())
        effects.append(Write(BreakStarted(self._clock.now(), length, trigger, exercises, kind)))
        effects.append(BeginBreak(length, trigger, exercises, kind))
        return effects

    def _running_break(self) -> _Break:
        if not isinstance(self._state, _OnBreak):
            raise Refused(RefusalCode.NO_BREAK)
        return self._state.taken

    def end_break_early(self, exercises_done: tuple[str, ...] | None = None) -> list[Effect]:
        self._running_break()
        effects: list[Effect] = []
        self._finish_break(
            effects, self._clock.monotonic(), completed=False, exercises_done=exercises_done
        )
        return [*effects, *self.tick()]

    def hold_break(self) -> list[Effect]:
        """The break window was paused: the break's clock stops."""
        taken = self._running_break()
        if taken.held_since is None:
            taken.held_since = self._clock.monotonic()
        return []

    def release_break(self) -> list[Effect]:
        """The break window was resumed: the break runs on, as long as it was held longer."""
        taken = self._running_break()
        if taken.held_since is not None:
            taken.held_for += self._clock.monotonic() - taken.held_since
            taken.held_since = None
        return self.tick()

    def set_posture(self, posture: Posture, source: str) -> list[Effect]:
        """The user says they stand or sit (a sit-stand desk, at the computer).

        Standing up answers a reminder: it is withdrawn and the reminder clock counts
        from now. Saying the posture already in force changes nothing.
        """
        posture = Posture(posture)
        if self._settings.desk != "sit-stand":
            raise Refused(RefusalCode.NO_SIT_STAND_DESK)
        state = self._state
        if isinstance(state, _OnBreak):
            raise Refused(RefusalCode.BREAK_RUNNING)
        if isinstance(state, _OffHours):
            raise Refused(RefusalCode.OUTSIDE_WORKING_HOURS)
        if not isinstance(state, _Sitting):
            raise Refused(RefusalCode.NOT_AT_DESK, phase=state.phase)
        if posture is self._posture:
            return []
        now = self._clock.monotonic()
        effects: list[Effect] = [Write(PostureChanged(self._clock.now(), posture, source))]
        self._posture = posture
        self._posture_since = now
        self._posture_prompted = False
        self._withdraw(effects, f"now {posture.value}")
        if posture is Posture.STANDING:
            self._reminder_base = now
            self._shown = 0
        return [*effects, *self.tick()]

    def snooze(self, seconds: float | None = None) -> list[Effect]:
        if self._pause is not None:
            raise Refused(RefusalCode.PAUSED)
        if not isinstance(self._state, _Sitting):
            raise Refused(RefusalCode.NOTHING_TO_SNOOZE, phase=self._state.phase)
        length = self._settings.snooze if seconds is None else seconds
        if not 0 < length <= MAX_SNOOZE:
            raise Refused(RefusalCode.SNOOZE_LENGTH, longest=MAX_SNOOZE)
        # Everything that can fail is worked out before any state changes.
        now = self._clock.monotonic()
        record = UserAction(self._clock.now(), "snooze", self._wall_at(now + length))
        effects: list[Effect] = []
        self._snoozed_until = now + length
        self._shown = 0
        # A snoozed posture prompt comes again when the snooze ends.
        self._posture_prompted = False
        self._withdraw(effects, "snoozed")
        effects.append(Write(record))
        return effects

    def skip(self) -> list[Effect]:
        """The user dismissed a due reminder: count again from now."""
        if not isinstance(self._state, _Sitting) or self._shown == 0:
            raise Refused(RefusalCode.NO_REMINDER_DUE)
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
                raise Refused(RefusalCode.PAUSE_LENGTH, longest=MAX_PAUSE)
            until = now + seconds
        # Everything that can fail is worked out before any state changes.
        record = UserAction(
            self._clock.now(), "pause", None if until is None else self._wall_at(until)
        )
        effects: list[Effect] = []
        # A new pause over one in force keeps the reminder clock stopped where it was.
        self._pause = _Pause(now if self._pause is None else self._pause.at, until)
        self._withdraw(effects, "paused")
        effects.append(Write(record))
        return effects

    def resume(self) -> list[Effect]:
        if self._pause is None:
            raise Refused(RefusalCode.NOT_PAUSED)
        effects: list[Effect] = []
        self._end_pause(effects, action=True)
        return [*effects, *self.tick()]

    def apply_settings(self, settings: Settings) -> list[Effect]:
        """New settings take effect at once; the next reminder is rescheduled."""
        old = self._settings
        self._settings = settings
        effects: list[Effect] = []
        if (
            isinstance(self._state, _Sitting)
            and self._shown > 0
            and settings.interval > old.interval
            and self.sitting_seconds() < settings.interval
        ):
            # A longer interval means the user is no longer due.
            self._shown = 0
            self._withdraw(effects, "interval changed")
        if settings.desk != "sit-stand" and self._posture is Posture.STANDING:
            # A fixed desk has one posture.
            self._posture = Posture.SITTING
            self._posture_since = self._clock.monotonic()
            effects.append(Write(PostureChanged(self._clock.now(), Posture.SITTING, "settings")))
        return [*effects, *self.tick()]

    def shutdown(self) -> list[Effect]:
        """Close the open stretch so history is complete when the daemon stops."""
        effects: list[Effect] = []
        now = self._clock.monotonic()
        if isinstance(self._state, _OnBreak):
            self._finish_break(effects, now, completed=False)
        if isinstance(self._state, _Sitting):
            self._close_stretch(effects, self._state.stretch_start, now, "shutdown")
            self._state = _Away(now, AwayReason.SHUTDOWN, None, is_break=False)
        self._withdraw(effects, "shutting down")
        return effects

    def restore_stretch(self, started_ago: float) -> list[Effect]:
        """Continue a stretch that a previous run of the daemon had open (after a crash)."""
        state = self._state
        if isinstance(state, _Away) and state.reason is AwayReason.START and started_ago >= 0:
            start = self._clock.monotonic() - started_ago
            self._state = _Sitting(start)
            self._reminder_base = start
            self._shown = 0
        return self.tick()

    def restore_breaks_since_walk(self, count: int) -> None:
        """Put back the count of exercise breaks since the last walk a previous run saved."""
        self._since_walk = max(0, count)

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
        sitting = isinstance(self._state, _Sitting)
        if paused and (pause_left is None or pause_left > 0):
            self._pause = _Pause(now, None if pause_left is None else now + pause_left)
            if sitting:
                self._reminder_base = now - max(0.0, counted_before_pause)
        elif snooze_left is not None and snooze_left > 0:
            self._snoozed_until = now + snooze_left
            self._carry_snooze = not sitting
        return self.tick()

    # --- transitions -------------------------------------------------------------------

    def _withdraw(self, effects: list[Effect], reason: str) -> None:
        if self._reminder_visible:
            self._reminder_visible = False
            effects.append(WithdrawReminder(reason))

    def _start_stretch(self, effects: list[Effect], at: float) -> None:
        self._state = _Sitting(at)
        self._reminder_base = at
        self._shown = 0
        if not self._carry_snooze:
            self._snoozed_until = None
        self._carry_snooze = False
        self._posture = Posture.SITTING
        self._posture_since = at
        self._posture_prompted = False
        effects.append(Write(StretchStarted(self._wall_at(at))))

    def _close_stretch(self, effects: list[Effect], start: float, at: float, reason: str) -> None:
        """Write the end of the stretch begun at ``start`` (never before its start)."""
        end = max(at, start)
        effects.append(Write(StretchEnded(self._wall_at(start), self._wall_at(end), reason)))
        if self._posture is Posture.STANDING:
            # Standing ends with the stretch; the next one begins sitting.
            self._posture = Posture.SITTING
            self._posture_since = end
            effects.append(Write(PostureChanged(self._wall_at(end), Posture.SITTING, reason)))

    def _leave(self, effects: list[Effect], since: float, reason: AwayReason) -> None:
        """The user stepped away at ``since``; it becomes a break only if it lasts."""
        assert isinstance(self._state, _Sitting)
        self._state = _Away(since, reason, self._state.stretch_start, is_break=True)
        self._withdraw(effects, "away")

    def _confirm_away(self, effects: list[Effect]) -> None:
        """Away long enough: the stretch ended when the user left."""
        state = self._state
        assert isinstance(state, _Away)
        if state.open_stretch is not None:
            self._close_stretch(effects, state.open_stretch, state.since, "natural-break")
        self._state = replace(state, open_stretch=None)

    def _come_back(self, effects: list[Effect], at: float) -> None:
        state = self._state
        assert isinstance(state, _Away)
        if state.open_stretch is not None and at - state.since < self._settings.natural_break:
            # A short absence is still part of the same stretch.
            self._state = _Sitting(state.open_stretch)
            return
        if not state.confirmed:
            self._confirm_away(effects)
        if state.is_break:
            effects.append(
                Write(
                    BreakRecorded(
                        "natural",
                        self._wall_at(state.since),
                        self._wall_at(at),
                        0.0,
                        state.reason.value,
                    )
                )
            )
        self._start_stretch(effects, at)
        if not state.reason.ends_with_input:
            self._quiet_until = at + self._settings.grace_after_return
        if self._pause is not None:
            self._pause = replace(self._pause, at=max(self._pause.at, at))

    def _finish_break(
        self,
        effects: list[Effect],
        at: float,
        *,
        completed: bool,
        exercises_done: tuple[str, ...] | None = None,
    ) -> None:
        state = self._state
        assert isinstance(state, _OnBreak)
        taken = state.taken
        seconds = max(0.0, at - taken.started)
        outcome: BreakOutcome = "completed" if completed else "partial"
        done = taken.exercises if exercises_done is None else exercises_done
        effects.append(
            Write(
                BreakRecorded(
                    # Both ends on the current wall clock (it may have been set meanwhile).
                    outcome,
                    self._wall_at(taken.started),
                    self._wall_at(at),
                    taken.length,
                    taken.trigger,
                    done,
                    taken.break_type,
                )
            )
        )
        # Only exercise counts towards "most of the break": a long pause is not a break.
        resets = completed or mostly_done(taken.exercised(at), taken.length)
        if resets:
            walked = taken.break_type is BreakType.WALKING
            self._since_walk = 0 if walked else self._since_walk + 1
            if state.open_stretch is not None:
                self._close_stretch(effects, state.open_stretch, taken.started, "break")
            self._start_stretch(effects, at)
        else:
            if state.open_stretch is None:
                self._start_stretch(effects, at)
            else:
                self._state = _Sitting(state.open_stretch)
            self._shown = 0
            self._quiet_until = at + self._settings.remind_again
        due = self._due_at()
        next_in = 0.0 if due is None else max(0.0, due - at)
        effects.append(BreakOver(outcome, seconds, next_in, taken.break_type))

    def _end_pause(self, effects: list[Effect], *, action: bool) -> None:
        assert self._pause is not None
        now = self._clock.monotonic()
        pause, self._pause = self._pause, None
        if isinstance(self._state, _Sitting):
            # Pausing freezes the reminder clock: only sitting before the pause counts.
            counted = max(0.0, pause.at - self._reminder_base)
            self._reminder_base = now - counted
            self._shown = 0
        if action:
            effects.append(Write(UserAction(self._clock.now(), "resume")))
        elif pause.until is not None:
            # A timed pause is closed in history at the moment it ran out.
            effects.append(Write(UserAction(self._wall_at(pause.until), "pause-ended")))

    def _check_working_hours(self, effects: list[Effect]) -> None:
        inside = self._in_working_hours(self._clock.now())
        if not inside and not isinstance(self._state, _OffHours):
            now = self._clock.monotonic()
            if isinstance(self._state, _OnBreak):
                self._finish_break(effects, now, completed=False)
            state = self._state
            if isinstance(state, _Sitting):
                self._close_stretch(effects, state.stretch_start, now, "off-hours")
            elif isinstance(state, _Away) and not state.confirmed:
                self._confirm_away(effects)
            self._withdraw(effects, "working hours ended")
            self._state = _OffHours()
        elif inside and isinstance(self._state, _OffHours):
            # Nobody is known to be sitting until input is seen.
            self._state = _Away(self._clock.monotonic(), AwayReason.START, None, is_break=False)

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
