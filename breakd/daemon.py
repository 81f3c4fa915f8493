"""The daemon's owner thread: the only code that touches the engine, the plan and history.

Other threads (the control socket, notification callbacks, the tray, lock and sleep
watchers) never change state themselves: they :meth:`Daemon.submit` a command and, if
they need an answer, wait on the returned future. The loop sleeps until the earlier of
the next ``schedule`` job and the engine's next deadline, and wakes at once when a
command arrives, so an idle daemon costs next to nothing and a reminder fires on time.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import schedule

from breakd.activity.always_present import AlwaysPresentMonitor
from breakd.activity.base import IdleMonitor
from breakd.activity.inhibitors import IdleInhibitors
from breakd.activity.sampling import MAX_DELAY as MAX_SAMPLE_DELAY
from breakd.activity.sampling import next_sample_delay
from breakd.activity.sleep_detector import SleepDetector
from breakd.clock import Clock
from breakd.coach.base import BreakRunner, BreakSession, CoachStep
from breakd.coach.log_only import LogOnlyRunner
from breakd.config import (
    ConfigChanged,
    ConfigError,
    LoadedConfig,
    Settings,
    UserChange,
    commit_user_change,
    find_spec,
    load_config,
    prepare_user_setting,
)
from breakd.durations import humanize
from breakd.engine import (
    AwayReason,
    BeginBreak,
    BreakOver,
    Effect,
    Engine,
    Holds,
    Phase,
    PromptPosture,
    Refusal,
    Refused,
    ReminderShown,
    ShowReminder,
    Span,
    UserAction,
    WithdrawReminder,
    Write,
    break_length,
)
from breakd.i18n import N_, _, ngettext
from breakd.messages import refusal_text
from breakd.notify.base import Notifier, Reminder, walk_title
from breakd.notify.quiet import QuietRules
from breakd.state import BreakType, Posture
from breakd.stats import today_line
from breakd.status import DaemonStatus
from breakd.store import HistoryStore, OpenStretch

if TYPE_CHECKING:  # only the type: the composition root starts the watchers
    from breakd.activity.calls.select import CallDetection

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Upper bound on one sleep, so a stuck clock can never hang the loop for good.
MAX_SLEEP = 3600.0
#: How long the loop waits after an unexpected error before it tries again.
ERROR_PAUSE = 5.0
#: How often an open stretch's "last seen" time is saved while the user sits.
TOUCH_EVERY = 60.0
#: How much earlier than planned an idle reading with nothing near (the 60 s one) is
#: taken when the loop is awake anyway (the tray's minute refresh): readings then fall
#: on the tray's wake-ups instead of waking the daemon a second time each minute.
LAZY_SAMPLE_EARLY = 30.0
#: How often a running break's length so far is saved (a crash loses at most this).
BREAK_TOUCH_EVERY = 5.0
#: A change of the wall clock against the monotonic one bigger than this is a jump
#: (someone set the clock), not drift: the open rows get their start rewritten at once.
WALL_JUMP = 1.0
#: The state key under which a pause or snooze in force is kept across restarts.
HOLDS_KEY = "holds"
#: The state key under which the exercise breaks since the last walking break are kept.
SINCE_WALK_KEY = "breaks_since_walk"
#: How often a held-back reminder asks whether the quiet is over.
HOLD_CHECK_EVERY = 15
#: The share of the natural-break length the user must have been idle before breakd
#: asks whether a video is playing: early enough to know before a natural break would
#: count, late enough that a pause to read costs no bus calls.
VIDEO_CHECK_AT = 0.5
#: A status watcher whose look falls this soon after a wake-up is told at it.
LOOKS_TOGETHER = 0.1
#: How many recent breaks' exercises a new plan avoids.
RECENT_BREAKS = 3
#: How long a caller waits for a command the owner thread has already started (after its
#: own timeout): such work is short and bounded, and its real outcome must be reported.
STARTED_GRACE = 30.0


class Planner(Protocol):
    """Chooses the exercises of the next break (see breakd.planner)."""

    def next_plan(
        self, settings: Settings, recent: Sequence[str], break_type: BreakType
    ) -> PlannedBreak: ...


class StatusWatcher(Protocol):
    """A part that follows the status on the owner thread: the feed of ``breakd status
    --follow``. It is told after every change, and may ask for a look at a moment of
    its own (when time passing changes what it shows), which the loop's one sleep
    takes into account, so following costs no wake-up of its own in between."""

    def status_changed(self) -> None:
        """Called on the owner thread after each change, and at :meth:`next_look`."""

    def next_look(self) -> float | None:
        """The monotonic moment to be called even without a change (None: none)."""


@dataclass(frozen=True)
class PlannedBreak:
    steps: tuple[CoachStep, ...]
    cue: str
    break_type: BreakType = BreakType.EXERCISE

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        return tuple(step.exercise_id for step in self.steps)


class NotRun(Exception):
    """The owner thread did not get to a command in time; it was withdrawn, nothing changed."""


class CommandRefused(Exception):
    """A command breakd will not carry out; the message, in the user's words, says why.

    ``refusal`` is the engine's code for it, when the engine refused.
    """

    def __init__(self, message: str, refusal: Refusal | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal


class SettingsFileChanged(CommandRefused):
    """The user's file changed between preparing a setting and writing it; nothing written."""


@contextmanager
def _in_words() -> Iterator[None]:
    """The engine refuses with codes; callers of the daemon get the user's words."""
    try:
        yield
    except Refused as refused:
        raise CommandRefused(refusal_text(refused.refusal), refused.refusal) from None


@dataclass(frozen=True)
class PreparedSetting:
    """A setting change worked out off the owner thread, ready to write and apply."""

    change: UserChange
    overrides: list[str]
    config: LoadedConfig


@dataclass
class _Command:
    run: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)


class Daemon:
    """Owns the engine; runs the schedule; carries out the engine's effects."""

    def __init__(
        self,
        config: LoadedConfig,
        *,
        clock: Clock,
        store: HistoryStore | None,
        idle: IdleMonitor,
        sleep_detector: SleepDetector | None = None,
        quiet: QuietRules | None = None,
        runner: BreakRunner | None = None,
        notifier: Notifier,
        planner: Planner,
        overrides: Sequence[str] = (),
        boot_id: str | None = None,
        inhibitors: IdleInhibitors | None = None,
    ) -> None:
        self.config = config
        self.overrides = list(overrides)
        self.clock = clock
        self.store = store
        self.idle = idle
        self.sleep_detector = sleep_detector
        self.quiet = quiet
        self.runner: BreakRunner = runner or LogOnlyRunner()
        self._held: tuple[ShowReminder, ReminderShown | None] | None = None
        #: A call is under way (the call watcher says so, through ``set_call``).
        self.in_call = False
        #: The running call watchers (set by the composition root once they started):
        #: told each idle reading, so the ones that look only while idle know when.
        self.calls: CallDetection | None = None
        #: Asked, while the user is idle, whether a video keeps the session from idling.
        self.inhibitors = inhibitors
        #: Who held the idle inhibitor at the last look (None: nobody, or not asked).
        self._video: str | None = None
        #: When the call under way began (monotonic), and its length once it ended, for
        #: the words of the reminder shown at its end.
        self._call_began: float | None = None
        self._call_touched: float | None = None
        self._ended_call: float | None = None
        #: Why reminders are held back, as last read (for the status).
        self._quiet_reason: str | None = None
        self.notifier = notifier
        self.planner = planner
        self.engine = Engine(config.settings, clock)
        # Wall-clock jobs only (midnight, working hours): ``schedule`` times its jobs by
        # datetime.now(), so a job every N seconds would stall for hours after the wall
        # clock is set back. Sampling and the held-reminder retry run on the monotonic
        # clock instead.
        self._scheduler = schedule.Scheduler()
        self._next_sample: float | None = None
        self._sample_lazy = False  # the next reading is the at-most-a-minute one
        self._next_held: float | None = None
        self._later: list[tuple[float, Callable[[], None]]] = []
        self._held_every = float(HOLD_CHECK_EVERY)
        self._queue: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._stopping = False
        self.boot_id = boot_id
        # What was last saved of the open stretch and break, and the wall clock's offset
        # from the monotonic one then (see _save_progress).
        self._saved_stretch: Span | None = None
        self._saved_break: Span | None = None
        self._wall_offset: float | None = None
        self._rewrite_starts = False
        self._saved_holds: Holds | None = None
        self._saved_since_walk: int | None = None
        self._plan: PlannedBreak | None = None
        self._recent: list[str] = []
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.on_change: list[Callable[[], None]] = []
        self.watchers: list[StatusWatcher] = []

    # --- threads talk to the loop only through these ---------------------------------

    def submit(self, function: Callable[[], T]) -> Future[T]:
        """Run ``function`` on the owner thread; the future carries its result or error."""
        command = _Command(function)
        self._queue.put(command)
        return command.future

    def call(self, function: Callable[[], T], timeout: float = 5.0) -> T:
        """Submit and wait (for threads that need the answer, like the control socket).

        A command the owner has not started within ``timeout`` is withdrawn and NotRun
        raised, so a caller told "too late" can rely on nothing having changed. One
        already running is waited for and its real outcome returned: a reply of
        "timed out" must never be followed by the change taking effect.
        """
        future = self.submit(function)
        try:
            return future.result(timeout)
        except TimeoutError:
            if future.cancel():
                raise NotRun(
                    _(
                        "breakd was busy and did not get to this command in time;"
                        " nothing was changed, try again"
                    )
                ) from None
        return future.result(STARTED_GRACE)

    def tell_user(self, title: str, body: str) -> None:
        """A notification from any thread: the owner thread, which owns the notifier, shows it."""
        self.submit(lambda: self.notifier.tell(title, body))

    def run_later(self, delay: float, work: Callable[[], None]) -> None:
        """Run ``work`` once on the owner thread about ``delay`` seconds from now.

        For the owner thread, or before :meth:`run`; other threads :meth:`submit`.
        """
        self._later.append((self.clock.monotonic() + delay, work))

    def request_stop(self, reason: str | None = None) -> None:
        """Safe from any thread and from signal handlers; ``reason`` goes to the log."""
        self.submit(lambda: self._stop(reason))

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Run until stopped; call from the thread that is to own the state."""
        try:
            self._start()
            self.ready.set()
            while not self._stopping:
                try:
                    wait = self._step()
                except Exception:
                    # One failing part must not stop the reminders; try again shortly.
                    log.exception("breakd hit an error and carries on")
                    wait = ERROR_PAUSE
                try:
                    command = self._queue.get(timeout=wait)
                except queue.Empty:
                    continue
                self._run(command)
                while not self._stopping:
                    try:
                        self._run(self._queue.get_nowait())
                    except queue.Empty:
                        break
        finally:
            self._finish()
            self.stopped.set()

    def _step(self) -> float:
        """One pass of the loop: do what is due now; returns how long to sleep."""
        self._notice_sleep()
        self._scheduler.run_pending()
        self._run_timers()
        self._apply(self.engine.tick())
        self._save_progress()
        return self._sleep_time()

    def _sleep_time(self) -> float:
        waits = [MAX_SLEEP]
        job_wait = self._scheduler.idle_seconds
        if job_wait is not None:
            waits.append(job_wait)
        now = self.clock.monotonic()
        next_save = None
        if self._saved_break is not None and self.engine.open_spans()[1] is not None:
            next_save = self._saved_break.seen + BREAK_TOUCH_EVERY
        looks = [watcher.next_look() for watcher in self.watchers]
        for moment in (
            self.engine.next_deadline(),
            self._next_sample,
            self._next_held,
            next_save,
            *looks,
        ):
            if moment is not None:
                waits.append(moment - now)
        waits.extend(moment - now for moment, _ in self._later)
        return max(0.0, min(waits))

    def _run_timers(self) -> None:
        """The monotonic jobs that are due: the next idle reading, the held-reminder check."""
        now = self.clock.monotonic()
        if self._next_held is not None and now >= self._next_held:
            self._next_held = now + self._held_every
            self._retry_held()
        if self._next_sample is not None and (
            now >= self._next_sample
            or (self._sample_lazy and now >= self._next_sample - LAZY_SAMPLE_EARLY)
        ):
            self._sample()
        for watcher in self.watchers:
            # A look due a moment from now is taken with this wake-up rather than with
            # one of its own (the watchers' looks and the minute's idle reading tend to
            # fall together, give or take microseconds).
            look = watcher.next_look()
            if look is not None and now + LOOKS_TOGETHER >= look:
                self._tell(watcher.status_changed)
        if due := [work for moment, work in self._later if moment <= now]:
            self._later = [(moment, work) for moment, work in self._later if moment > now]
            for work in due:
                work()

    def _run(self, command: _Command) -> None:
        if not command.future.set_running_or_notify_cancel():
            return
        try:
            result = command.run()
        except Exception as error:
            command.future.set_exception(error)
        else:
            command.future.set_result(result)
        self._save_progress()
        self._changed()

    def _start(self) -> None:
        s = self.engine.settings
        log.info(
            "breakd started: remind after %s of sitting, breaks of %s, idle source %s,"
            " notifications via %s",
            humanize(s.interval),
            humanize(s.break_length),
            self.idle.name,
            self.notifier.name,
        )
        for problem in self.config.problems:
            log.warning("config: %s", problem)
        log.info("settings: %s", self.config.describe_sources())
        if self.store is not None:
            self._recover_stretch()
            if closed := self.store.close_interrupted_calls():
                log.info("%d call(s) left open by the last stop closed when last seen", closed)
            self._restore_holds()
            self._restore_since_walk()
            stored = self.store.get_state("recent_exercises")
            self._recent = stored.split(",") if stored else []
        self._scheduler.every().day.at("00:00").do(self._rollover).tag("rollover")
        self._schedule_working_hours()
        self._sample()

    def _finish(self) -> None:
        try:
            if self.in_call and self.store is not None:
                self.store.call_ended(self.clock.now())  # what is known of it ends here
            self._apply(self.engine.shutdown())
        finally:
            self.runner.close()
            self.notifier.close()
            self.idle.close()
            if self.inhibitors is not None:
                self.inhibitors.close()
            if self.store is not None:
                self.store.close()
            log.info("breakd stopped")

    def _stop(self, reason: str | None = None) -> None:
        if reason is not None and not self._stopping:
            log.info("stopping: %s", reason)
        self._stopping = True

    # --- scheduled jobs ------------------------------------------------------------------

    def _notice_sleep(self) -> None:
        """A suspend nobody announced (no logind) shows as a jump between two clocks."""
        if self.sleep_detector is not None and (gap := self.sleep_detector.check()):
            log.info("the machine slept for %s", humanize(gap))
            self._apply(self.engine.was_away(gap, AwayReason.SUSPEND))

    def _sample(self) -> None:
        try:
            idle = self.idle.idle_seconds()
        except Exception as error:
            log.warning(
                "idle time from %s stopped working (%s); from now on sitting is wall time"
                " since your last break",
                self.idle.name,
                error,
            )
            self.idle.close()
            self.idle = AlwaysPresentMonitor()
            idle = 0.0
        if self.calls is not None:
            self.calls.note_idle(idle)
        present = self._present(idle)
        self._apply(self.engine.sample(idle, present=present))
        if present:
            idle = 0.0
        deadline = self.engine.next_deadline()
        to_deadline = None if deadline is None else deadline - self.clock.monotonic()
        delay = next_sample_delay(idle, to_deadline, self.engine.settings.natural_break)
        self._next_sample = self.clock.monotonic() + max(1.0, delay)
        self._sample_lazy = delay >= MAX_SAMPLE_DELAY
        self._save_progress()

    def _present(self, idle: float) -> bool:
        """Whether the user is at the computer without touching it: a call, or a video
        playing (asked only once they have been idle a while, and not once they are
        away: a playlist that plays on while nobody is there is no sign of anyone)."""
        settings = self.engine.settings
        if self.in_call and settings.calls_count_as_sitting:
            return True
        if not (
            settings.videos_count_as_sitting
            and self.inhibitors is not None
            and idle >= settings.natural_break * VIDEO_CHECK_AT
            and self.engine.phase is not Phase.AWAY
        ):
            self._video = None  # not asked: input (or nothing) tells presence now
            return False
        holder = self.inhibitors.held()
        if holder != self._video:
            if holder is not None:
                log.info("a video is playing: %s keeps the session from idling", holder)
            else:
                log.info("no video keeps the session from idling any more")
            self._video = holder
        return holder is not None

    def _rollover(self) -> None:
        self._apply(self.engine.tick())
        if self.store is not None:
            keep = timedelta(days=self.engine.settings.keep_days)
            self.store.trim(self.clock.now() - keep)

    def _schedule_working_hours(self) -> None:
        self._scheduler.clear("hours")
        s = self.engine.settings
        if s.working_hours_enabled:
            for moment in (s.work_start, s.work_end):
                self._scheduler.every().day.at(f"{moment:%H:%M}").do(self._hours_edge).tag("hours")

    def _hours_edge(self) -> None:
        self._apply(self.engine.tick())

    def _recover_stretch(self) -> None:
        """Settle what a killed daemon left open: a running break, the open stretch.

        Only time observed counts: a stretch is resumed when, on the monotonic clock of
        the same boot, the user was seen less than the natural-break length ago, and it
        resumes with the seconds it had plus that gap. Otherwise it is closed, as is a
        break cut short, with the length it had when last seen, ending then. Wall-clock
        subtraction is used only for rows written before breakd kept these readings.
        """
        assert self.store is not None
        store = self.store
        taken = store.running_break()
        stretch = store.open_stretch()
        if taken is not None:
            started, ended = _observed_ends(taken)
            store.close_interrupted_break(taken.row_id, started, ended)
            log.info(
                "a break was cut short by the last stop after %s; recorded as interrupted",
                humanize(ended - started),
            )
            if stretch is not None:
                # The stretch ended when the break began; the break is not sitting.
                store.close_stretch(stretch.row_id, *_observed_ends(stretch), "break")
            store.close_interrupted_stretches()
            return
        if stretch is None:
            return
        if stretch.seen_mono is None:
            # Written before schema 2: the wall clock is all there is.
            gap: float | None = self.clock.now().timestamp() - stretch.last_seen
            observed = stretch.last_seen - stretch.started_at
        else:
            gap = self._elapsed_since(stretch.boot_id, stretch.seen_mono, stretch.last_seen)
            observed = stretch.observed or 0.0
        if gap is not None and 0 <= gap < self.engine.settings.natural_break and observed >= 0:
            log.info("resuming the sitting stretch begun before the last restart")
            self._apply(self.engine.restore_stretch(observed + gap))
            self._rewrite_starts = True
            store.close_interrupted_stretches(keep=stretch.row_id)
        else:
            store.close_stretch(stretch.row_id, *_observed_ends(stretch), "interrupted")
            store.close_interrupted_stretches()

    def _elapsed_since(self, boot: str | None, seen_mono: float, seen_wall: float) -> float | None:
        """Seconds since a moment an earlier run saved, if the monotonic clock can tell.

        It can within one boot: the same boot id, or where there is none, the same boot
        start on the wall clock (a wall clock set meanwhile makes that unknown: None).
        """
        mono = self.clock.monotonic()
        if boot is not None or self.boot_id is not None:
            same = boot == self.boot_id
        else:
            boot_then = seen_wall - seen_mono
            same = abs(boot_then - (self.clock.now().timestamp() - mono)) <= WALL_JUMP
        if not same or mono < seen_mono:
            return None
        return mono - seen_mono

    def _save_progress(self) -> None:
        """Save how long the open stretch and a running break are known to have lasted.

        Both on the wall clock and on the monotonic clock, so that crash recovery counts
        observed time only. The stretch is saved when it starts, every TOUCH_EVERY while
        sat, and once when a break begins; a break when it starts and every
        BREAK_TOUCH_EVERY. After a wall-clock jump both are saved at once with their
        starts on the new wall clock, so today's live figure stays right.
        """
        if self.store is None:
            return
        stretch, taken = self.engine.open_spans()
        mono = self.clock.monotonic()
        wall = self.clock.now()
        offset = wall.timestamp() - mono
        jumped = self._wall_offset is not None and abs(offset - self._wall_offset) > WALL_JUMP
        self._wall_offset = offset
        rewrite = jumped or self._rewrite_starts
        self._rewrite_starts = False

        def wall_at(moment: float) -> datetime:
            return wall + timedelta(seconds=moment - mono)

        if stretch is not None and (rewrite or _due(self._saved_stretch, stretch, TOUCH_EVERY)):
            self.store.touch(
                wall_at(stretch.seen),
                seen_mono=stretch.seen,
                boot_id=self.boot_id,
                observed=stretch.seconds,
                started=wall_at(stretch.started) if rewrite else None,
            )
            self._saved_stretch = stretch
        if taken is not None and (rewrite or _due(self._saved_break, taken, BREAK_TOUCH_EVERY)):
            self.store.touch_break(
                wall_at(taken.seen),
                seen_mono=taken.seen,
                boot_id=self.boot_id,
                observed=taken.seconds,
                started=wall_at(taken.started) if rewrite else None,
            )
            self._saved_break = taken
        if self._call_touched is not None and mono - self._call_touched >= TOUCH_EVERY:
            self.store.touch_call(wall)
            self._call_touched = mono
        self._save_holds(mono, wall)
        since_walk = self.engine.breaks_since_walk
        if since_walk != self._saved_since_walk:
            self._saved_since_walk = since_walk
            self.store.set_state(SINCE_WALK_KEY, str(since_walk))

    def _restore_since_walk(self) -> None:
        """Put back how many exercise breaks were taken since the last walking break."""
        assert self.store is not None
        raw = self.store.get_state(SINCE_WALK_KEY)
        if raw is None:
            return
        try:
            count = int(raw)
        except ValueError:
            log.warning("the saved count of breaks since the last walk (%r) is not a number", raw)
            return
        self.engine.restore_breaks_since_walk(count)
        self._saved_since_walk = self.engine.breaks_since_walk

    def _save_holds(self, mono: float, wall: datetime) -> None:
        """Keep a pause or snooze in force in the state table, so a restart keeps it."""
        assert self.store is not None
        holds = self.engine.holds()
        if holds == self._saved_holds:
            return
        self._saved_holds = holds

        def wall_of(moment: float | None) -> float | None:
            return None if moment is None else (wall + timedelta(seconds=moment - mono)).timestamp()

        saved = {
            "boot_id": self.boot_id,
            "mono": mono,
            "wall": wall.timestamp(),
            "paused": holds.paused,
            "paused_until_mono": holds.paused_until,
            "paused_until": wall_of(holds.paused_until),
            "counted_before_pause": holds.counted_before_pause,
            "snoozed_until_mono": holds.snoozed_until,
            "snoozed_until": wall_of(holds.snoozed_until),
        }
        self.store.set_state(HOLDS_KEY, json.dumps(saved))

    def _restore_holds(self) -> None:
        """Put back the pause or snooze the last run had in force, if it is not over.

        A timed pause that ran out while breakd was not running is closed in history at
        the moment it ran out.
        """
        assert self.store is not None
        raw = self.store.get_state(HOLDS_KEY)
        if not raw:
            return
        try:
            saved = json.loads(raw)
            paused = bool(saved["paused"])
            elapsed = self._elapsed_since(
                saved["boot_id"], float(saved["mono"]), float(saved["wall"])
            )
            now_wall = self.clock.now().timestamp()

            def left(mono_key: str, wall_key: str) -> float | None:
                if saved[wall_key] is None:
                    return None
                if elapsed is not None and saved[mono_key] is not None:
                    return float(saved[mono_key]) - float(saved["mono"]) - elapsed
                return float(saved[wall_key]) - now_wall

            pause_left = left("paused_until_mono", "paused_until") if paused else None
            snooze_left = left("snoozed_until_mono", "snoozed_until")
            counted = float(saved["counted_before_pause"])
        except (ValueError, KeyError, TypeError) as error:
            log.warning("the saved pause or snooze cannot be read (%s); ignored", error)
            return
        if paused and pause_left is not None and pause_left <= 0:
            ended = datetime.fromtimestamp(float(saved["paused_until"])).astimezone()
            log.info("the pause ended at %s, while breakd was not running", f"{ended:%H:%M}")
            self._apply([Write(UserAction(ended, "pause-ended"))])
            paused = False
        if paused:
            log.info(
                "the pause is still in force: %s",
                "until resumed" if pause_left is None else f"for {humanize(pause_left)}",
            )
        elif snooze_left is not None and snooze_left > 0:
            log.info("the snooze is still in force for %s", humanize(snooze_left))
        self._apply(
            self.engine.restore_holds(
                paused=paused,
                pause_left=pause_left,
                counted_before_pause=counted,
                snooze_left=snooze_left,
            )
        )

    # --- effects -------------------------------------------------------------------------

    def _apply(self, effects: Sequence[Effect]) -> None:
        for effect in effects:
            match effect:
                case Write(record=ReminderShown() as shown):
                    if self._held is not None:
                        self._held = (self._held[0], shown)
                    else:
                        self._write_reminder(shown)
                case Write(record=record):
                    if self.store is not None:
                        self.store.write(record)
                case ShowReminder():
                    self._show_or_hold(effect)
                case PromptPosture():
                    self._prompt_posture(effect)
                case WithdrawReminder(reason=reason):
                    log.debug("withdrawing the reminder: %s", reason)
                    self._release_hold()
                    self.notifier.withdraw_reminder()
                case BeginBreak():
                    self._begin_break(effect)
                case BreakOver():
                    self._break_over(effect)
        if effects:
            self._changed()

    def _current_plan(self) -> PlannedBreak:
        """The next break's exercises, planned once and kept until that break is over.

        Planned again when the next break's type changed meanwhile (the settings did).
        """
        kind = self.engine.next_break_type()
        if self._plan is None or self._plan.break_type is not kind:
            self._plan = self.planner.next_plan(self.engine.settings, self._recent, kind)
        return self._plan

    def _write_reminder(self, shown: ReminderShown) -> None:
        if self.store is not None:
            self.store.write(shown, exercise_id=self._current_plan().exercise_ids[0])

    def _check_quiet(self) -> str | None:
        self._quiet_reason = self.quiet.reason() if self.quiet is not None else None
        return self._quiet_reason

    def _hold_reason(self) -> str | None:
        """Why a reminder may not be shown now (None: it may)."""
        if self.in_call and self.engine.settings.quiet_during_calls:
            return N_("a call is under way")
        return self._check_quiet()

    def _show_or_hold(self, effect: ShowReminder) -> None:
        """Show the reminder, or keep it until the user can be interrupted."""
        reason = self._hold_reason()
        if reason is None:
            self._release_hold()
            self._show_reminder(effect)
            return
        if self._held is None:
            log.info("reminder held back: %s", reason)
            # No point asking more often than a reminder would repeat.
            every = max(1, min(HOLD_CHECK_EVERY, round(self.engine.settings.remind_again)))
            self._held_every = float(every)
            self._next_held = self.clock.monotonic() + every
        self._held = (effect, None)

    def _retry_held(self) -> None:
        if self._held is None or self._hold_reason() is not None:
            return
        effect, shown = self._held
        self._release_hold()
        log.info("quiet is over: showing the held reminder")
        self._show_reminder(effect, after_call=self._ended_call)
        if shown is not None:
            self._write_reminder(replace(shown, at=self.clock.now()))

    def _release_hold(self) -> None:
        self._held = None
        self._next_held = None

    def _show_reminder(self, effect: ShowReminder, after_call: float | None = None) -> None:
        """Show ``effect``; ``after_call``: it waited for a call that lasted so long."""
        plan = self._current_plan()
        settings = self.engine.settings
        length = break_length(settings, effect.break_type)
        if effect.break_type is BreakType.WALKING:
            title = walk_title(length)
        elif after_call is not None:
            title = call_title(after_call)
        else:
            title = sitting_title(effect.sitting_seconds)
        self.notifier.show_reminder(
            Reminder(
                title=title,
                body=plan.cue,
                exercise_id=plan.exercise_ids[0],
                number=effect.number,
                break_seconds=length,
                snooze_seconds=settings.snooze,
                offer_stand=effect.offer_stand,
                break_type=effect.break_type,
            )
        )

    def _prompt_posture(self, effect: PromptPosture) -> None:
        """Stand: a reminder that offers standing first; sit: a gentle word, no buttons."""
        minutes = humanize(60 * (effect.seconds // 60))
        if effect.to is Posture.SITTING:
            self.notifier.tell(
                _("Time to sit down"),
                _(
                    "You have been standing for {duration}. Lower the desk, or take a short walk."
                ).format(duration=minutes),
            )
            return
        plan = self._current_plan()
        settings = self.engine.settings
        self.notifier.show_reminder(
            Reminder(
                title=_("Sitting for {duration}: time to stand up").format(duration=minutes),
                body=_("Raise the desk and work standing for a while."),
                exercise_id=plan.exercise_ids[0],
                number=1,
                break_seconds=break_length(settings, plan.break_type),
                snooze_seconds=settings.snooze,
                offer_stand=True,
                break_type=plan.break_type,
            )
        )

    def _begin_break(self, effect: BeginBreak) -> None:
        log.info(
            "break started (%s, %s %s): %s",
            effect.trigger,
            humanize(effect.length_seconds),
            effect.break_type.value,
            ", ".join(effect.exercises) or "free movement",
        )
        plan = self._current_plan()
        self.runner.begin(
            BreakSession(
                plan.steps,
                effect.length_seconds,
                self.engine.settings.interval,
                effect.break_type,
            )
        )

    def _break_over(self, effect: BreakOver) -> None:
        done = len(self._plan.steps) if self._plan is not None else 0
        self._plan = None
        told = self.runner.over(effect.outcome == "completed", effect.next_reminder_in)
        log.info(
            "%s break %s after %s; next reminder in %s",
            effect.break_type.value,
            effect.outcome,
            humanize(effect.seconds),
            humanize(effect.next_reminder_in),
        )
        if effect.outcome == "completed" and told:
            log.info("the break window says the break is done; no notification")
        elif effect.outcome == "completed":
            took, next_in = humanize(effect.seconds), humanize(effect.next_reminder_in)
            if done:
                body = ngettext(
                    "{count} exercise in {duration}. Next reminder in {next}.",
                    "{count} exercises in {duration}. Next reminder in {next}.",
                    done,
                ).format(count=done, duration=took, next=next_in)
            else:
                body = _("{duration}. Next reminder in {next}.").format(duration=took, next=next_in)
            walked = effect.break_type is BreakType.WALKING
            self.notifier.tell(_("Walking break done") if walked else _("Break done"), body)

    def _changed(self) -> None:
        for listener in [*self.on_change, *(watcher.status_changed for watcher in self.watchers)]:
            self._tell(listener)

    def _tell(self, listener: Callable[[], None]) -> None:
        try:
            listener()
        except Exception:
            log.exception("a state listener failed")

    # --- commands (run on the owner thread through submit/call) ---------------------------

    def start_break(self, trigger: str) -> None:
        plan = self._current_plan()
        with _in_words():
            effects = self.engine.start_break(trigger, plan.exercise_ids)
        self._recent = [*self._recent, *plan.exercise_ids][-RECENT_BREAKS * 4 :]
        if self.store is not None:
            self.store.set_state("recent_exercises", ",".join(self._recent))
        self._apply(effects)

    def notification_action(self, key: str) -> None:
        """A click on the reminder or one of its buttons."""
        log.info("reminder answered: %s", key)
        try:
            if key == "break":
                self.start_break("reminder")
            elif key == "snooze":
                self.snooze()
            elif key == "skip":
                self.skip()
            elif key == "stand":
                self.set_posture(Posture.STANDING, "reminder")
            else:
                log.warning("unknown notification action %r ignored", key)
        except CommandRefused as refused:
            log.info("%s ignored: %s", key, refused)

    def end_break(self, exercises_done: tuple[str, ...] | None = None) -> None:
        with _in_words():
            effects = self.engine.end_break_early(exercises_done)
        self._apply(effects)

    def quiet_changed(self) -> None:
        """A desktop announced a do-not-disturb change: a held reminder need not wait for
        the next periodic check."""
        if self._held is not None:
            self._retry_held()
        else:
            self._check_quiet()

    def hold_break(self) -> None:
        with _in_words():
            effects = self.engine.hold_break()
        self._apply(effects)

    def release_break(self) -> None:
        with _in_words():
            effects = self.engine.release_break()
        self._apply(effects)

    def set_posture(self, posture: Posture, source: str) -> None:
        with _in_words():
            effects = self.engine.set_posture(posture, source)
        self._apply(effects)

    def snooze(self, seconds: float | None = None) -> None:
        with _in_words():
            effects = self.engine.snooze(seconds)
        self._apply(effects)

    def skip(self) -> None:
        with _in_words():
            effects = self.engine.skip()
        self._apply(effects)

    def pause(self, seconds: float | Literal["tomorrow"] | None) -> None:
        with _in_words():
            effects = self.engine.pause(seconds)
        self._apply(effects)

    def resume(self) -> None:
        with _in_words():
            effects = self.engine.resume()
        self._apply(effects)

    def away(self, reason: str) -> None:
        """The screen was locked ("lock") or the machine goes to sleep ("suspend")."""
        self._apply(self.engine.away(AwayReason(reason)))

    def back(self, reason: str) -> None:
        self._apply(self.engine.back(AwayReason(reason)))

    def set_call(self, in_call: bool) -> None:
        """A call started or ended (the call watcher posts this to the owner thread).

        Whatever the idle counter says, the user was present until the call's last
        moment; a reminder held back for the call is shown at once when it ends.
        """
        if in_call == self.in_call:
            return
        now = self.clock.monotonic()
        if not in_call:
            self._sample()  # present up to now: the call counts to its end
        self.in_call = in_call
        if in_call:
            devices = self.calls.devices() if self.calls is not None else []
            log.info("a call started (%s in use)", " and ".join(devices) or "a device")
            self._call_began = self._call_touched = now
            if self.store is not None:
                self.store.call_started(self.clock.now())
        else:
            began = now if self._call_began is None else self._call_began
            self._ended_call = now - began
            self._call_began = self._call_touched = None
            log.info("a call ended after %s", humanize(self._ended_call))
            if self.store is not None:
                self.store.call_ended(self.clock.now())
        self._sample()
        if not in_call:
            self._retry_held()
            self._ended_call = None
        self._changed()

    def change_setting(self, key: str, text: str, *, source: str) -> None:
        """Persist one setting in the user's file and put it in force at once."""
        self.commit_setting(self.prepare_setting(key, text), source=source)

    def prepare_setting(self, key: str, text: str) -> PreparedSetting:
        """Read, edit and validate off the owner thread; writes nothing, changes nothing.

        Reading and parsing the settings files is the slow part of a change, so the
        control channel does it on its own thread and keeps the owner thread free.
        """
        try:
            change = prepare_user_setting(key, text)
        except ConfigError as error:
            raise CommandRefused(str(error)) from None
        except (OSError, UnicodeError) as error:
            # A folder that cannot be read: refuse with the reason rather than fail.
            raise CommandRefused(
                _("your settings file cannot be changed ({reason})").format(reason=error)
            ) from None
        # A --set flag for this key would hide the user's new choice: drop it.
        overrides = [o for o in self.overrides if not _sets_key(o, change.spec.key)]
        config = load_config(overrides, user_file=change.path, user_data=change.data)
        return PreparedSetting(change, overrides, config)

    def commit_setting(self, prepared: PreparedSetting, *, source: str) -> None:
        """Write a prepared change and put it in force (owner thread): all or nothing."""
        try:
            commit_user_change(prepared.change)
        except ConfigChanged as error:
            raise SettingsFileChanged(str(error)) from None
        except ConfigError as error:
            raise CommandRefused(str(error)) from None
        except OSError as error:
            # A folder that cannot be written: refuse with the reason, change nothing.
            raise CommandRefused(
                _("your settings file cannot be changed ({reason})").format(reason=error)
            ) from None
        self.overrides = prepared.overrides
        self.apply_settings(prepared.config, source=source)

    def apply_settings(self, config: LoadedConfig, *, source: str) -> None:
        old = self.engine.settings
        self.config = config
        if config.settings == old:
            return
        if self.store is not None:
            when = self.clock.now()
            for name in type(old).__dataclass_fields__:
                before, after = getattr(old, name), getattr(config.settings, name)
                if before != after:
                    self.store.record_setting_change(when, name, str(before), str(after), source)
        new = config.settings
        if (new.exercise_mix, new.break_length, new.long_length) != (
            old.exercise_mix,
            old.break_length,
            old.long_length,
        ):
            self._plan = None
        self._apply(self.engine.apply_settings(config.settings))
        self._schedule_working_hours()

    def _today(self, now: datetime) -> dict[str, Any] | None:
        """Today's figures, from the same numbers as ``breakd stats``."""
        if self.store is None:
            return None
        live = self.engine.status().phase is Phase.SITTING
        return today_line(self.store.connection, now, self.engine.settings.interval, live=live)

    def status(self) -> DaemonStatus:
        """Everything ``breakd status`` and the tray show (owner thread)."""
        self._save_progress()  # a wall clock set since the last pass: today's rows first
        now = self.clock.now()
        return DaemonStatus(
            engine=self.engine.status(),
            at=now,
            today=self._today(now),
            idle_source=self.idle.name,
            notifier=self.notifier.name,
            interval_seconds=self.engine.settings.interval,
            call=self.in_call,
            quiet=self._quiet_reason,
        )


def sitting_title(seconds: float) -> str:
    """ "You've been sitting for 34 minutes" (seconds only for test-sized intervals)."""
    if seconds < 60:
        count = round(seconds)
        text = ngettext(
            "You've been sitting for {count} second",
            "You've been sitting for {count} seconds",
            count,
        )
    else:
        count = round(seconds / 60)
        text = ngettext(
            "You've been sitting for {count} minute",
            "You've been sitting for {count} minutes",
            count,
        )
    return text.format(count=count)


def call_title(seconds: float) -> str:
    """ "You sat through a 52-minute call — time for a break" (seconds only for test-sized
    calls), for the reminder that waited for the call's end."""
    if seconds < 60:
        count = round(seconds)
        text = ngettext(
            "You sat through a {count}-second call — time for a break",
            "You sat through a {count}-second call — time for a break",
            count,
        )
    else:
        count = round(seconds / 60)
        text = ngettext(
            "You sat through a {count}-minute call — time for a break",
            "You sat through a {count}-minute call — time for a break",
            count,
        )
    return text.format(count=count)


def _due(saved: Span | None, span: Span, every: float) -> bool:
    """Whether ``span`` is to be saved again: new, frozen since, or ``every`` older."""
    if saved is None or saved.started != span.started:
        return True
    if not span.growing:  # a break began: save the stretch's end once
        return span.seen != saved.seen
    return span.seen - saved.seen >= every


def _observed_ends(row: OpenStretch) -> tuple[float, float]:
    """A left-open row's ends: when it was last seen, and its observed length before.

    Rows written before schema 2 have no observed length; their wall times are used,
    never giving a negative length.
    """
    ended = row.last_seen
    if row.observed is not None:
        return ended - max(0.0, row.observed), ended
    return min(row.started_at, ended), ended


def _sets_key(assignment: str, key: str) -> bool:
    try:
        return find_spec(assignment.partition("=")[0].strip()).key == key
    except ConfigError:
        return False
