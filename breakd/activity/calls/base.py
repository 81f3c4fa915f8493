"""The call interface: whether the microphone or the camera is in use right now.

One abstract class, one module per platform and device (``pulse``: the microphone on
PulseAudio or PipeWire; ``camera``: a ``/dev/video*`` device held open on Linux;
``windows``: the privacy settings' record of which app uses the microphone or the
webcam; ``macos``: CoreAudio's "running somewhere" on input devices); ``select`` starts
the ones that work here and combines them: a call is any of them in use.

Two shapes of watcher share the interface. One that the system tells of changes
(PulseAudio's event subscription, inotify on the camera's device nodes) listens on a
thread of its own. One that has to ask (a registry read, a CoreAudio property) is a
:class:`PolledCallWatcher`: it asks at a low rate, and only while the user is idle,
because a call matters to breakd only then: while the user types, the typing itself
says they are present. Once a call is seen it keeps asking until the call ends, so a
reminder held for the call is not held for ever.

Threading contract: ``start``, ``stop`` and ``note_idle`` are called from the daemon's
owner thread. ``on_change(in_call)`` is called from the watcher's own thread (or from
``start``, for a call already under way) when the answer changes, so it should only
post to the owner thread (``Daemon.submit``). A watcher that cannot work here returns
False from ``start`` with ``reason`` set and one log line; the others carry on.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from breakd.backends import BackendUnavailable

log = logging.getLogger(__name__)

CallCallback = Callable[[bool], None]

#: How often a polled watcher asks, in seconds, while it asks at all. A call is seen at
#: most this late, far inside the natural-break length (5 min by default).
POLL_EVERY = 20.0
#: How long the user must have been idle before a polled watcher starts asking.
POLL_WHEN_IDLE = 30.0


class CallUnavailable(BackendUnavailable):
    """This call watcher cannot work here (or any more); the message says why."""


class CallWatcher(ABC):
    """Tells whether one kind of device is in use, and when that changes."""

    #: Short name for the log and the settings: "pulseaudio", "camera", "windows", ...
    name: str
    #: What it watches, in the log's words: "the microphone", "the camera".
    device: str = "the microphone"

    def __init__(self, on_change: CallCallback) -> None:
        self._on_change = on_change
        self._in_call = False
        #: Why ``start`` returned False (None when it worked or has not run).
        self.reason: str | None = None

    @property
    def in_call(self) -> bool:
        return self._in_call

    @abstractmethod
    def start(self) -> bool:
        """Start watching; False (with ``reason``, logged once) if it cannot work here."""

    @abstractmethod
    def stop(self) -> None:
        """Stop watching and release what was opened (idempotent)."""

    def note_idle(self, idle_seconds: float) -> None:  # noqa: B027 - only polled ones care
        """The daemon's latest idle reading, so a polled watcher knows when to ask."""

    def _unavailable(self, why: str) -> bool:
        self.reason = why
        log.info("calls are not detected from %s: %s", self.device, why)
        return False

    def _set(self, in_call: bool) -> None:
        """Record the answer and report it if it changed."""
        if in_call == self._in_call:
            return
        self._in_call = in_call
        try:
            self._on_change(in_call)
        except Exception:
            log.exception("the call callback failed")


class PolledCallWatcher(CallWatcher):
    """A watcher that asks the system every ``every`` seconds while the user is idle.

    Subclasses implement :meth:`read`. The daemon's idle readings arrive through
    :meth:`note_idle`; between two of them the idle time is assumed to keep growing (an
    upper bound: a read too many costs a little, never a wrong answer). Reads stop
    while the user is active and no call is under way.
    """

    def __init__(
        self,
        on_change: CallCallback,
        *,
        every: float = POLL_EVERY,
        when_idle: float = POLL_WHEN_IDLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(on_change)
        self.every = every
        self.when_idle = when_idle
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: tuple[float, float] | None = None  # (reading, when) on ``clock``
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: How many reads were made (for the log and the tests).
        self.reads = 0

    def prepare(self) -> None:
        """Check this watcher can work here; raise ``CallUnavailable`` saying why not."""

    @abstractmethod
    def read(self) -> bool:
        """Whether the device is in use now: a short, bounded look.

        Raises ``CallUnavailable`` or ``OSError`` when the answer cannot be had at all.
        """

    def start(self) -> bool:
        if self._thread is not None:
            return True
        try:
            self.prepare()
            now = self._read()
        except (CallUnavailable, OSError) as error:
            return self._unavailable(str(error))
        self._stopping.clear()
        self._set(now)
        self._thread = threading.Thread(target=self._run, name=f"breakd-{self.name}", daemon=True)
        self._thread.start()
        log.info(
            "calls: looking at %s every %s s while you are idle", self.device, round(self.every)
        )
        return True

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        thread.join(5.0)

    def note_idle(self, idle_seconds: float) -> None:
        now = self._clock()
        with self._lock:
            before = self._estimate(now)
            self._idle = (idle_seconds, now)
        if before < self.when_idle <= idle_seconds:
            self._wake.set()  # just went idle: look now, not a whole period later

    def worth_reading(self) -> bool:
        """A call under way (to see it end), or the user idle long enough to be in one."""
        if self._in_call:
            return True
        with self._lock:
            return self._estimate(self._clock()) >= self.when_idle

    def _estimate(self, now: float) -> float:
        """The idle time now, from the last reading (none yet: as if idle)."""
        if self._idle is None:
            return float("inf")
        reading, at = self._idle
        return reading + max(0.0, now - at)

    def _read(self) -> bool:
        self.reads += 1
        return self.read()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stopping.is_set():
                break
            if not self.worth_reading():
                continue
            try:
                now = self._read()
            except (CallUnavailable, OSError) as error:
                log.warning("calls are no longer detected from %s: %s", self.device, error)
                self._set(False)
                return
            except Exception:  # a bug: say so once, and let the other watchers go on
                log.exception("calls are no longer detected from %s", self.device)
                self._set(False)
                return
            self._set(now)
