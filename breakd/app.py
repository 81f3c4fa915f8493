"""The composition root: build every part for this machine and run the daemon.

Each optional part is chosen here, and each one that cannot work switches off only
itself, with one log line saying why; the rest of breakd keeps going.
"""

from __future__ import annotations

import logging
import random
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from types import FrameType
from typing import Any

from breakd.activity.calls.select import start_call_detection
from breakd.activity.inhibitors import IdleInhibitors
from breakd.activity.logind import LogindSleepWatcher
from breakd.activity.select import choose_idle_monitor, start_away_watchers
from breakd.activity.sleep_detector import SleepDetector
from breakd.autostart import enable_on_first_run
from breakd.clock import SystemClock, boot_id
from breakd.coach.base import BreakEvents, CoachStep
from breakd.coach.select import choose_runner
from breakd.commands import COMMANDS, BadArguments, CommandHandler
from breakd.config import LoadedConfig, Settings, user_config_dir
from breakd.content import load_exercises
from breakd.control.paths import prepare_runtime_dir
from breakd.control.protocol import BUSY, Request
from breakd.control.server import AlreadyRunning, CommandError, ControlServer
from breakd.daemon import CommandRefused, Daemon, NotRun, PlannedBreak
from breakd.durations import humanize
from breakd.engine import break_length
from breakd.feed import serve_followers
from breakd.files import prepare_private_folders
from breakd.footprint import limit_malloc_arenas, settle
from breakd.i18n import _
from breakd.logsetup import configure_logging
from breakd.notify.quiet import QuietRules
from breakd.notify.select import choose_notifier
from breakd.planner import pick_reminder_exercise, plan_break
from breakd.resources import data_dir
from breakd.signals import STOP_SIGNALS, signal_reason
from breakd.state import BreakType
from breakd.store import HistoryStore, HistoryUnavailable
from breakd.tray.run import run_with_tray

log = logging.getLogger(__name__)

#: When start-up counts as over (the tray shown, the notification server asked, the
#: history recovered), so that what it freed can be given back (breakd.footprint).
SETTLE_AFTER = 10.0


class ContentPlanner:
    """Plans breaks from the shipped exercises plus the user's own."""

    def __init__(self, rng: random.Random) -> None:
        result = load_exercises([user_config_dir() / "exercises"])
        for problem in result.problems:
            log.warning("exercises: %s", problem)
        self._exercises = result.exercises
        self._rng = rng

    def next_plan(
        self, settings: Settings, recent: Sequence[str], break_type: BreakType
    ) -> PlannedBreak:
        plan = plan_break(
            self._exercises,
            break_length(settings, break_type),
            settings.exercise_mix,
            list(recent),
            self._rng,
            break_type,
        )
        first = pick_reminder_exercise(plan, self._exercises)
        steps = tuple(CoachStep(step.exercise_id, step.seconds) for step in plan.steps)
        return PlannedBreak(steps=steps, cue=first.cue, break_type=break_type)


class DaemonPort:
    """The daemon as the parts built before it reach it.

    The control channel opens first, to claim the single instance, and the notifier,
    the break runner and the away watchers are given to the daemon when it is built, so
    all of them exist before it does. They hold this port instead; ``bind`` hands it the
    daemon once, as soon as there is one. Their calls come from their own threads and
    only post work to the daemon's owner thread.
    """

    def __init__(self) -> None:
        self._daemon: Daemon | None = None

    def bind(self, daemon: Daemon) -> None:
        if self._daemon is not None:
            raise RuntimeError("the daemon port is bound already")
        self._daemon = daemon

    @property
    def daemon(self) -> Daemon | None:
        """The daemon, or None while it is still being built."""
        return self._daemon

    def post(self, work: Callable[[Daemon], None], what: str) -> Future[None] | None:
        """Run ``work`` on the owner thread; None (and a log line) before there is a daemon."""
        daemon = self._daemon
        if daemon is None:
            log.info("%s before breakd finished starting: ignored", what)
            return None
        return daemon.submit(lambda: work(daemon))


class BreakEventsToDaemon(BreakEvents):
    """What the break window reports, posted to the daemon's owner thread."""

    def __init__(self, port: DaemonPort) -> None:
        self._port = port

    def _post(self, work: Callable[[Daemon], None], what: str) -> None:
        posted = self._port.post(work, what)
        if posted is not None:
            posted.add_done_callback(_log_refusal)

    def paused(self) -> None:
        self._post(Daemon.hold_break, "break paused")

    def resumed(self) -> None:
        self._post(Daemon.release_break, "break resumed")

    def ended_early(self, exercises_done: tuple[str, ...]) -> None:
        self._post(lambda daemon: daemon.end_break(exercises_done), "break ended early")


def _log_refusal(future: Future[None]) -> None:
    if (error := future.exception()) is not None:
        log.info("break window event ignored: %s", error)


def welcome_message(settings: Settings) -> tuple[str, str]:
    """The one-time notification of the first run: where breakd is, how to change it."""
    interval = humanize(settings.interval)
    return (
        _("breakd is looking after your back"),
        _(
            "You get a short exercise break after {interval} of sitting. The breakd icon in"
            ' the system tray has the menu: right-click it to change "Remind me after",'
            ' snooze or pause. breakd now starts at login; untick "Start at login" there'
            " or run `breakd autostart disable` to stop that."
        ).format(interval=interval),
    )


def open_store() -> HistoryStore | None:
    try:
        return HistoryStore()
    except (HistoryUnavailable, OSError) as error:
        log.error("history is off: %s", error)
        return None


def open_control_channel(port: DaemonPort, notes: list[str] | None = None) -> ControlServer | None:
    """The CLI's way in; None (with the message printed) when breakd already runs.

    The socket's folder is created private and verified; when the usual one cannot be
    trusted, the one inside the user's home is used and ``notes`` says why, for the log.
    """

    def handle(request: Request) -> dict[str, Any]:
        daemon = port.daemon
        if daemon is None:
            # The socket opens first, to claim the single instance; the rest follows.
            raise CommandError(BUSY, _("breakd is still starting; try again in a moment"))
        handler = CommandHandler(daemon)
        try:
            return handler.handle(request.cmd, request.args)
        except BadArguments as error:
            raise CommandError("bad-arguments", str(error)) from None
        except CommandRefused as error:
            raise CommandError("refused", str(error)) from None
        except NotRun as error:
            raise CommandError(BUSY, str(error)) from None

    choice = prepare_runtime_dir()
    if choice.note is not None and notes is not None:
        notes.append(choice.note)
    server = ControlServer(choice.socket, handle, allowed_commands=COMMANDS)
    try:
        server.start()
    except AlreadyRunning as running:
        if running.pid:
            print(_("breakd is already running (pid {pid})").format(pid=running.pid))
        else:
            print(_("breakd is already running"))
        return None
    return server


def run_daemon(
    config: LoadedConfig,
    *,
    foreground: bool,
    overrides: Sequence[str] = (),
    autostart: bool = True,
) -> int:
    """Run breakd until it is told to stop; ``autostart=False`` is ``--no-autostart``."""
    limit_malloc_arenas()  # before the first thread (the control channel's) starts
    port = DaemonPort()
    control_notes: list[str] = []
    try:
        control = open_control_channel(port, control_notes)
    except OSError as error:
        control = None
        print(
            _("breakd: the control channel is off ({reason})").format(reason=error),
            file=sys.stderr,
        )
    else:
        if control is None:
            return 0
    # Before the log file is opened: it, the history and their folders are private.
    narrowed = prepare_private_folders()
    log_path = configure_logging(config.settings.log_level, to_stderr=foreground)
    if narrowed:
        log.warning(
            "other users could read %d of breakd's files and folders; made them private"
            " (folders 0700, files 0600): %s",
            len(narrowed),
            ", ".join(str(path) for path in narrowed[:10]) + (" ..." if len(narrowed) > 10 else ""),
        )
    for note in control_notes:
        log.warning("control channel: %s", note)
    if control is None:
        log.warning("control channel off: `breakd status` and friends will not reach this daemon")

    def on_notification_action(key: str) -> None:
        port.post(lambda daemon: daemon.notification_action(key), f"notification action {key}")

    notifier, passed_over = choose_notifier(
        config.settings.notifier, data_dir("icons") / "breakd.png", on_notification_action
    )
    for note in passed_over:
        log.info("notifications: %s", note)
    if notifier.name == "log":
        log.warning("no notification service: reminders are written to the log only")
    if enable_on_first_run(allowed=autostart and config.settings.autostart):
        notifier.tell(*welcome_message(config.settings))
    runner, runner_notes = choose_runner(
        BreakEventsToDaemon(port), notifier, corner=config.settings.window_corner
    )
    for note in runner_notes:
        log.info("breaks: %s", note)
    idle, tried = choose_idle_monitor(config.settings.idle_source)
    for note in tried:
        log.info("activity: %s", note)
    if idle.name == "always-present":
        log.warning(
            "no idle counter works here: sitting is counted as wall time since your last break"
        )

    def on_away(reason: str) -> None:
        port.post(lambda daemon: daemon.away(reason), f"away ({reason})")

    def on_back(reason: str) -> None:
        port.post(lambda daemon: daemon.back(reason), f"back ({reason})")

    # Each watcher that cannot start says why in the log itself.
    watchers, _unused = start_away_watchers(on_away, on_back)
    clock = SystemClock()
    # logind announces a suspend; without it, a jump between two clocks gives it away.
    announced = any(isinstance(watcher, LogindSleepWatcher) for watcher in watchers)
    # Idle inhibitors (a video playing) are asked on the session and system buses.
    inhibitors = None if sys.platform in ("win32", "darwin") else IdleInhibitors()
    quiet = QuietRules(
        when_inhibited=config.settings.quiet_when_inhibited,
        when_fullscreen=config.settings.quiet_when_fullscreen,
    )
    daemon = Daemon(
        config,
        clock=clock,
        store=open_store(),
        idle=idle,
        sleep_detector=None if announced else SleepDetector(clock),
        quiet=quiet,
        runner=runner,
        notifier=notifier,
        planner=ContentPlanner(random.Random()),
        overrides=overrides,
        boot_id=boot_id(),
        inhibitors=inhibitors,
    )
    port.bind(daemon)
    daemon.run_later(SETTLE_AFTER, settle)

    def on_call(in_call: bool) -> None:
        what = "call started" if in_call else "call ended"
        port.post(lambda daemon: daemon.set_call(in_call), what)

    # After bind: a call already under way is reported at once. Each watcher that
    # cannot work here says why in the log itself.
    calls, _unused = start_call_detection(on_call)
    daemon.calls = calls

    def quiet_changed() -> None:
        port.post(lambda daemon: daemon.quiet_changed(), "do not disturb changed")

    quiet.watch(quiet_changed)
    if control is not None:
        serve_followers(daemon, control)  # `breakd status --follow`

    def stop(signum: int, frame: FrameType | None) -> None:
        daemon.request_stop(signal_reason(signum))

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    if sys.stderr is not None and sys.stderr.isatty() and not foreground:
        print(
            _("breakd is running; log: {path}. Press Ctrl+C to stop.").format(path=log_path),
            file=sys.stderr,
        )
    try:
        if not run_with_tray(daemon):
            daemon.run()
    finally:
        if control is not None:
            control.stop()
        for watcher in watchers:
            watcher.stop()
        calls.stop()
        quiet.close()
    return 0
