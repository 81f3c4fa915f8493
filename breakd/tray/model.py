"""The tray menu as plain data, so every tray backend shows the same menu.

The menu is a tree of :class:`MenuEntry` values whose texts, checks and visibility are
callables over a cached :class:`Snapshot`: a backend that builds its menu as it opens
(GTK) or as a tray asks for it (the StatusNotifierItem) asks them then, so the menu
always shows the present state. The snapshot is taken on the daemon's owner thread
after every change and whenever time passing changes the words shown (the cache is one
of the daemon's status watchers), so reading it never waits on the daemon, and a menu
drawn on the toolkit's thread never blocks.

Every action only posts a command to the owner thread (``Daemon.submit``) and returns;
a refusal (``CommandRefused``: "no reminder is due") is logged, never raised into the toolkit.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal

from breakd.autostart.select import StartAtLogin
from breakd.config import Settings
from breakd.daemon import CommandRefused, Daemon
from breakd.durations import format_duration, humanize
from breakd.engine import Phase
from breakd.i18n import N_, _, format_clock, format_weekday, ngettext
from breakd.state import BreakType, Posture, State
from breakd.stats import format_today
from breakd.status import LOOK_MARGIN, DaemonStatus
from breakd.status import next_change as status_next_change

log = logging.getLogger(__name__)

#: Snooze lengths offered in the menu, in seconds, with their labels.
SNOOZE_CHOICES: tuple[tuple[str, float], ...] = (
    (N_("5 min"), 300),
    (N_("10 min"), 600),
    (N_("15 min"), 900),
    (N_("30 min"), 1800),
    (N_("1 hour"), 3600),
)
PauseLength = float | Literal["tomorrow"] | None
#: Pause lengths offered in the menu (``None``: until resumed).
PAUSE_CHOICES: tuple[tuple[str, PauseLength], ...] = (
    (N_("30 min"), 1800),
    (N_("1 hour"), 3600),
    (N_("2 hours"), 7200),
    (N_("4 hours"), 14400),
    (N_("Until tomorrow"), "tomorrow"),
    (N_("Indefinitely"), None),
)
#: "Remind me after" choices, in seconds.
INTERVAL_CHOICES: tuple[float, ...] = (20 * 60, 30 * 60, 45 * 60, 60 * 60, 90 * 60)
#: "Break length" choices, in seconds.
LENGTH_CHOICES: tuple[float, ...] = (60, 120, 300)
#: "Exercises" choices: the config value and its label.
EXERCISE_CHOICES: tuple[tuple[str, str], ...] = (
    ("alternate", N_("Alternate seated and standing")),
    ("seated", N_("Seated only")),
    ("standing", N_("Standing only")),
)

#: The posture items of a sit-stand desk: the posture and its label.
POSTURE_CHOICES: tuple[tuple[Posture, str], ...] = (
    (Posture.SITTING, N_("I'm sitting")),
    (Posture.STANDING, N_("I'm standing")),
)

#: States in which a snooze means something (the engine refuses it otherwise).
SNOOZABLE = (State.COUNTING, State.DUE, State.SNOOZED)


# --- the state the menu shows ------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What the tray shows, taken in one go on the owner thread."""

    status: DaemonStatus
    now: datetime  # the daemon clock's wall time when it was taken
    settings: Settings  # the values in force

    @property
    def state(self) -> State:
        return self.status.state

    @property
    def interval(self) -> float:
        return self.settings.interval

    @property
    def break_length(self) -> float:
        return self.settings.break_length

    @property
    def exercise_mix(self) -> str:
        return self.settings.exercise_mix

    @property
    def sit_stand(self) -> bool:
        """A desk that can be raised: the menu offers "I'm standing" and "I'm sitting"."""
        return self.settings.desk == "sit-stand"


def capture(daemon: Daemon) -> Snapshot:
    """Take a snapshot; call on the owner thread (or before it runs)."""
    return Snapshot(status=daemon.status(), now=daemon.clock.now(), settings=daemon.engine.settings)


#: The longest a snapshot is kept while it shows time passing (sitting time grows); a
#: fresh one comes sooner when the words shown change sooner (``next_change``).
REFRESH_EVERY = 60.0
#: The same while what it shows does not move with time (away, paused, off hours): only
#: the day's figures can change then, at midnight.
QUIET_REFRESH_EVERY = 15 * 60.0
#: The states whose tooltip or menu counts time (sitting, time to the next break).
TIME_SHOWING_STATES = (State.COUNTING, State.DUE, State.SNOOZED, State.BREAK)


class StatusCache:
    """The latest snapshot; replaced (never changed) on the owner thread after each change.

    Readers on other threads just read :attr:`current`: swapping one reference is atomic,
    so they never see half an update and never wait for the daemon. Attached, the cache
    is a status watcher of the daemon (:class:`breakd.daemon.StatusWatcher`): the owner
    thread takes a snapshot after every change and at the moment the words shown change
    by time alone, within the sleep it takes anyway, so keeping the tray current costs no
    wake-up and no thread of its own.
    """

    def __init__(self, daemon: Daemon, first: Snapshot | None = None) -> None:
        self._daemon = daemon
        self._current = first if first is not None else daemon.call(partial(capture, daemon))
        self._next_look: float | None = None
        self._listeners: list[Callable[[], None]] = []

    def attach(self) -> None:
        """Follow the daemon from now on (before it runs, or on its owner thread)."""
        self._plan(self._current)
        self._daemon.watchers.append(self)

    @property
    def current(self) -> Snapshot:
        return self._current

    def on_update(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the owner thread; it must return at once) after each update."""
        self._listeners.append(listener)

    # --- as the daemon's status watcher (owner thread) -----------------------------------

    def status_changed(self) -> None:
        snapshot = capture(self._daemon)
        self._plan(snapshot)
        self._set(snapshot)

    def next_look(self) -> float | None:
        return self._next_look

    def _plan(self, snapshot: Snapshot) -> None:
        if snapshot.state not in TIME_SHOWING_STATES:
            wait = QUIET_REFRESH_EVERY
        else:
            change = next_change(snapshot)
            wait = REFRESH_EVERY if change is None else min(REFRESH_EVERY, change + LOOK_MARGIN)
        self._next_look = self._daemon.clock.monotonic() + max(0.1, wait)

    def _set(self, snapshot: Snapshot) -> None:
        self._current = snapshot
        for listener in self._listeners:
            listener()


# --- words -------------------------------------------------------------------------------


def title(snapshot: Snapshot) -> str:
    """The icon's tooltip: "Sitting 23 min · next break in 7 min".

    Whole minutes only: the tray refreshes when these words change (``next_change``),
    about once a minute, so seconds would be stale the moment they were shown.
    """
    st = snapshot.status.engine
    state = snapshot.state
    if state is State.BREAK:
        return _break_words(st.break_remaining)
    if state is State.PAUSED:
        until = _moment(st.paused_until, snapshot.now)
        return _("Paused until {time}").format(time=until) if until else _("Paused")
    if state is State.SNOOZED:
        return _snoozed_words(snapshot, sitting=None)
    if state is State.AWAY:
        return _("Away")
    if state is State.OFF_HOURS:
        return _("Outside working hours")
    next_in = st.next_reminder_in
    if st.posture is Posture.STANDING:
        standing = elapsed_words(st.posture_seconds)
        if state is State.DUE or next_in is None:
            return _("Standing {duration} · a break is due").format(duration=standing)
        return _("Standing {duration} · next break in {remaining}").format(
            duration=standing, remaining=remaining_words(next_in)
        )
    sitting = elapsed_words(st.sitting_seconds)
    if snapshot.status.call:
        # As `breakd status` says it: "In a call — sitting 34 min · a break is due".
        in_call = _("In a call — sitting {duration}").format(duration=sitting)
        if state is State.DUE or next_in is None:
            return _("{sitting} · a break is due").format(sitting=in_call)
        return _("{sitting} · next break in {remaining}").format(
            sitting=in_call, remaining=remaining_words(next_in)
        )
    if state is State.DUE or next_in is None:
        return _("Sitting {duration} · a break is due").format(duration=sitting)
    return _("Sitting {duration} · next break in {remaining}").format(
        duration=sitting, remaining=remaining_words(next_in)
    )


def _snoozed_words(snapshot: Snapshot, sitting: str | None) -> str:
    """ "Snoozed until 10:40", or with the sitting time first for the menu's status line."""
    until = _moment(snapshot.status.engine.snoozed_until, snapshot.now)
    if sitting is None:
        return _("Snoozed until {time}").format(time=until) if until else _("Snoozed")
    if snapshot.status.call and until is not None:
        in_call = _("In a call — sitting {duration}").format(duration=sitting)
        return _("{sitting} · snoozed until {time}").format(sitting=in_call, time=until)
    if until is None:
        return _("Sitting {duration} · snoozed").format(duration=sitting)
    return _("Sitting {duration} · snoozed until {time}").format(duration=sitting, time=until)


def elapsed_words(seconds: float) -> str:
    """Time gone by in whole minutes, rounded down: "less than a minute", "23 min"."""
    return _("less than a minute") if seconds < 60 else humanize(60 * (seconds // 60))


def remaining_words(seconds: float) -> str:
    """Time to go in whole minutes, rounded up as a countdown is: "7 min", "less than a
    minute" in the last one."""
    return _("less than a minute") if seconds < 60 else humanize(60 * math.ceil(seconds / 60))


def next_change(snapshot: Snapshot) -> float | None:
    """Seconds from ``snapshot`` until its tooltip or status line words change by time
    alone (None: they do not); see :func:`breakd.status.next_change`."""
    return status_next_change(snapshot.status)


def status_line(snapshot: Snapshot) -> str:
    """The menu's first line: like the tooltip, with the sitting time while snoozed."""
    if snapshot.state is State.SNOOZED:
        sitting = elapsed_words(snapshot.status.engine.sitting_seconds)
        return _snoozed_words(snapshot, sitting=sitting)
    return title(snapshot)


def today_line(snapshot: Snapshot) -> str:
    """ "Today: 2 h 10 min sitting · 3 breaks · longest stretch 52 min" (empty without history)."""
    today = snapshot.status.today
    if not today:
        return ""
    return format_today(today)


def today_item(snapshot: Snapshot) -> str:
    """The menu's line for today, never empty: the menu keeps its height (see build_menu)."""
    return today_line(snapshot) or _("Today: nothing recorded yet")


def break_button(snapshot: Snapshot) -> str:
    """ "Start a 2-minute break now", or "Start a 5-minute walk now" when the next break
    is a walking break: the length follows ``breaks.length`` or ``breaks.long_length``."""
    engine = snapshot.status.engine
    if engine.next_break is BreakType.WALKING:
        whole = round(engine.next_break_seconds)
        if whole % 60 == 0:
            return ngettext(
                "Start a {count}-minute walk now", "Start a {count}-minute walk now", whole // 60
            ).format(count=whole // 60)
        return ngettext(
            "Start a {count}-second walk now", "Start a {count}-second walk now", whole
        ).format(count=whole)
    whole = round(snapshot.break_length)
    if whole % 60 == 0:
        return ngettext(
            "Start a {count}-minute break now", "Start a {count}-minute break now", whole // 60
        ).format(count=whole // 60)
    return ngettext(
        "Start a {count}-second break now", "Start a {count}-second break now", whole
    ).format(count=whole)


def _break_words(remaining: float | None) -> str:
    if remaining is None:
        return _("On a break (paused)")
    return _("On a break — {remaining} to go").format(
        remaining=remaining_words(max(0.0, remaining))
    )


def _moment(moment: datetime | None, now: datetime) -> str | None:
    """ "10:40", "tomorrow 09:00" or "Tue 09:00" for a time from the status."""
    if moment is None:
        return None
    days = (moment.date() - now.date()).days
    if days == 0:
        return format_clock(moment)
    if days == 1:
        return _("tomorrow {time}").format(time=format_clock(moment))
    return _("{weekday} {time}").format(weekday=format_weekday(moment), time=format_clock(moment))


# --- actions -----------------------------------------------------------------------------


class TrayActions:
    """What the items do. Each one posts a command to the owner thread and returns."""

    def __init__(
        self,
        daemon: Daemon,
        *,
        open_settings: Callable[[], None] | None = None,
        open_config: Callable[[], None] | None = None,
        open_statistics: Callable[[], object] | None = None,
        start_at_login: StartAtLogin | None = None,
    ) -> None:
        self._daemon = daemon
        self._open_settings = open_settings
        self._open_config = open_config
        self._open_statistics = open_statistics
        self.start_at_login = start_at_login

    def post(self, what: str, work: Callable[[], None]) -> Future[None]:
        future = self._daemon.submit(work)
        future.add_done_callback(partial(_log_outcome, what))
        return future

    def start_break(self) -> Future[None]:
        daemon = self._daemon
        return self.post("break", lambda: daemon.start_break("tray"))

    def snooze(self, seconds: float) -> Future[None]:
        daemon = self._daemon
        return self.post("snooze", lambda: daemon.snooze(seconds))

    def pause(self, length: PauseLength) -> Future[None]:
        daemon = self._daemon
        return self.post("pause", lambda: daemon.pause(length))

    def resume(self) -> Future[None]:
        return self.post("resume", self._daemon.resume)

    def set_posture(self, posture: Posture) -> Future[None]:
        daemon = self._daemon
        return self.post(posture.value, lambda: daemon.set_posture(posture, "tray"))

    def change(self, key: str, text: str) -> Future[None]:
        """Persist and apply one setting (``change_setting`` keeps the file's comments)."""
        daemon = self._daemon
        return self.post(f"{key} = {text}", lambda: daemon.change_setting(key, text, source="tray"))

    def open_settings(self) -> None:
        if self._open_settings is not None:
            self._open_settings()

    def open_config(self) -> None:
        if self._open_config is not None:
            self._open_config()

    def open_statistics(self) -> None:
        if self._open_statistics is not None:
            self._open_statistics()

    def starts_at_login(self) -> bool:
        return self.start_at_login is not None and self.start_at_login.is_on()

    def toggle_start_at_login(self) -> None:
        if self.start_at_login is not None:
            self.start_at_login.toggle()

    def quit(self) -> None:
        self._daemon.request_stop("Quit in the tray menu")


def _log_outcome(what: str, future: Future[None]) -> None:
    error = future.exception()
    if isinstance(error, CommandRefused):
        log.info("tray: %s not done: %s", what, error)
    elif error is not None:
        log.error("tray: %s failed", what, exc_info=error)


# --- the menu ----------------------------------------------------------------------------


def _yes() -> bool:
    return True


@dataclass(frozen=True)
class MenuEntry:
    """One item; every callable is asked again each time the menu is shown."""

    label: Callable[[], str]
    action: Callable[[], object] | None = None
    checked: Callable[[], bool] | None = None  # None: not a check or radio item
    radio: bool = False
    enabled: Callable[[], bool] = _yes
    visible: Callable[[], bool] = _yes
    submenu: tuple[MenuEntry, ...] = ()
    default: bool = False  # the left-click action
    separator: bool = False


SEPARATOR = MenuEntry(label=lambda: "", separator=True)


def _text(words: str) -> Callable[[], str]:
    return lambda: words


def build_menu(cache: StatusCache, actions: TrayActions) -> tuple[MenuEntry, ...]:
    """The whole tray menu, reading ``cache.current`` whenever it is shown.

    The top level shows the same items in every state: what does not apply now is
    disabled, not hidden. A state change often lands while the menu is opening (the
    click that opens it is the input that ends "away"), and a GTK menu that grows or
    shrinks while it is shown keeps its old height and scrolls (xfce4-panel's tray).
    """

    def now() -> Snapshot:
        return cache.current

    def state_in(*states: State) -> Callable[[], bool]:
        return lambda: now().state in states

    def state_not_in(*states: State) -> Callable[[], bool]:
        return lambda: now().state not in states

    snooze = tuple(
        MenuEntry(_text(_(label)), partial(actions.snooze, seconds))
        for label, seconds in SNOOZE_CHOICES
    )
    pause = tuple(
        MenuEntry(_text(_(label)), partial(actions.pause, length))
        for label, length in PAUSE_CHOICES
    )
    return (
        MenuEntry(lambda: status_line(now()), enabled=lambda: False),
        MenuEntry(
            lambda: break_button(now()),
            actions.start_break,
            enabled=state_not_in(State.BREAK, State.OFF_HOURS),
            default=True,
        ),
        MenuEntry(_text(_("Snooze")), submenu=snooze, enabled=state_in(*SNOOZABLE)),
        MenuEntry(_text(_("Pause")), submenu=pause, enabled=state_not_in(State.PAUSED)),
        MenuEntry(_text(_("Resume")), actions.resume, enabled=state_in(State.PAUSED)),
        SEPARATOR,
        *_posture_radio(now, actions),
        SEPARATOR,
        MenuEntry(
            _text(_("Remind me after")),
            submenu=_duration_radio(
                now, actions, "reminders.interval", INTERVAL_CHOICES, lambda s: s.interval
            ),
        ),
        MenuEntry(
            _text(_("Break length")),
            submenu=_duration_radio(
                now, actions, "breaks.length", LENGTH_CHOICES, lambda s: s.break_length
            ),
        ),
        MenuEntry(_text(_("Exercises")), submenu=_exercise_radio(now, actions)),
        SEPARATOR,
        MenuEntry(lambda: today_item(now()), enabled=lambda: False),
        MenuEntry(_text(_("Statistics…")), actions.open_statistics),
        SEPARATOR,
        MenuEntry(_text(_("Settings…")), actions.open_settings),
        MenuEntry(_text(_("Open config file")), actions.open_config),
        MenuEntry(
            _text(_("Start at login")),
            actions.toggle_start_at_login,
            checked=actions.starts_at_login,
            visible=lambda: actions.start_at_login is not None,
        ),
        MenuEntry(_text(_("Quit")), actions.quit),
    )


def _minutes(seconds: float) -> str:
    """ "45 min", "1 min 30 s": exact, where ``humanize`` would round to whole minutes."""
    minutes, secs = divmod(round(seconds), 60)
    if not secs:
        return _("{minutes} min").format(minutes=minutes)
    if not minutes:
        return _("{seconds} s").format(seconds=secs)
    return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)


def _duration_radio(
    now: Callable[[], Snapshot],
    actions: TrayActions,
    key: str,
    choices: Sequence[float],
    current: Callable[[Snapshot], float],
) -> tuple[MenuEntry, ...]:
    """Preset durations as radio items; a value set in the file shows as "(custom)"."""

    def is_current(seconds: float) -> bool:
        return round(current(now())) == round(seconds)

    def choose(seconds: float) -> None:
        if not is_current(seconds):  # the checked one: nothing to write
            actions.change(key, format_duration(seconds))

    entries = [
        MenuEntry(
            _text(_minutes(seconds)),
            partial(choose, seconds),
            checked=partial(is_current, seconds),
            radio=True,
        )
        for seconds in choices
    ]
    presets = {round(seconds) for seconds in choices}
    entries.append(
        MenuEntry(
            lambda: _("{duration} (custom)").format(duration=_minutes(current(now()))),
            lambda: None,
            checked=_yes,
            radio=True,
            visible=lambda: round(current(now())) not in presets,
        )
    )
    return tuple(entries)


def _posture_radio(now: Callable[[], Snapshot], actions: TrayActions) -> tuple[MenuEntry, ...]:
    """ "I'm sitting" and "I'm standing" as radio items, the posture in force checked.

    Shown only with a sit-stand desk; greyed out away from the desk (on a break, away,
    outside working hours), where the engine would refuse them.
    """

    def is_current(posture: Posture) -> bool:
        return now().status.engine.posture is posture

    def choose(posture: Posture) -> None:
        if not is_current(posture):
            actions.set_posture(posture)

    def at_desk() -> bool:
        return now().status.engine.phase is Phase.SITTING

    return tuple(
        MenuEntry(
            _text(_(label)),
            partial(choose, posture),
            checked=partial(is_current, posture),
            radio=True,
            enabled=at_desk,
            visible=lambda: now().sit_stand,
        )
        for posture, label in POSTURE_CHOICES
    )


def _exercise_radio(now: Callable[[], Snapshot], actions: TrayActions) -> tuple[MenuEntry, ...]:
    def is_current(value: str) -> bool:
        return now().exercise_mix == value

    def choose(value: str) -> None:
        if not is_current(value):
            actions.change("breaks.exercises", value)

    return tuple(
        MenuEntry(
            _text(_(label)), partial(choose, value), checked=partial(is_current, value), radio=True
        )
        for value, label in EXERCISE_CHOICES
    )


# --- reading a menu back (backends that build static menus, tests, change detection) -----


@dataclass(frozen=True)
class ShownEntry:
    """An entry as it would be shown now, with every callable answered."""

    label: str
    checked: bool | None
    radio: bool
    enabled: bool
    default: bool
    separator: bool
    submenu: tuple[ShownEntry, ...]


def visible_entries(entries: Sequence[MenuEntry]) -> list[MenuEntry]:
    """The visible entries, without leading, trailing or doubled separators."""
    kept: list[MenuEntry] = []
    for entry in entries:
        if entry.separator:
            if kept and not kept[-1].separator:
                kept.append(entry)
            continue
        if not entry.visible():
            continue
        if entry.submenu and not visible_entries(entry.submenu):
            continue
        kept.append(entry)
    while kept and kept[-1].separator:
        kept.pop()
    return kept


def shown(entries: Sequence[MenuEntry]) -> tuple[ShownEntry, ...]:
    """The menu as it would look if opened now."""
    return tuple(
        ShownEntry(
            label=entry.label(),
            checked=None if entry.checked is None else entry.checked(),
            radio=entry.radio,
            enabled=entry.enabled(),
            default=entry.default,
            separator=entry.separator,
            submenu=shown(entry.submenu),
        )
        for entry in visible_entries(entries)
    )


def find(entries: Sequence[MenuEntry], *path: str) -> MenuEntry:
    """The visible entry reached by following labels, e.g. ("Snooze", "10 min")."""
    current: Sequence[MenuEntry] = entries
    found: MenuEntry | None = None
    for label in path:
        matches = [e for e in visible_entries(current) if not e.separator and e.label() == label]
        if not matches:
            labels = [e.label() for e in visible_entries(current) if not e.separator]
            raise LookupError(f"no visible menu item {label!r} (there are {labels})")
        found = matches[0]
        current = found.submenu
    if found is None:
        raise LookupError("empty menu path")
    return found
