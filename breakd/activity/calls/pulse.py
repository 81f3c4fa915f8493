"""The microphone on Linux: some application records from it on the sound server.

A person in a video call or on the phone through the computer sits still, often for an
hour, without touching keyboard or mouse; the idle counter alone would take them for
away. A capture stream on a real input is the sign of a call: on Linux, a source output
on PulseAudio or PipeWire's pulse server, read with ``pulsectl`` (ctypes on libpulse).

Not every capture stream is a call: recording a sink's monitor (screen recorders,
visualisers) captures what is played, not the user; level meters (pavucontrol's bars)
open peak-detect streams on every source. :func:`is_call_stream` leaves both out.

:class:`PulseCallWatcher` listens for the server's events on a thread of its own
(subscription, no polling); see :mod:`breakd.activity.calls.base` for the threading
contract. A server that cannot be reached disables only this watcher, with one log line.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from breakd.activity.calls.base import CallCallback, CallWatcher

log = logging.getLogger(__name__)

#: The system-wide server's socket (a PulseAudio run with --system).
SYSTEM_SOCKET = "/run/pulse/native"
#: What libpulse reports as "no index" (a source that monitors no sink).
NO_INDEX = 0xFFFFFFFF
#: The resampler PulseAudio gives a stream opened with PA_STREAM_PEAK_DETECT: a meter.
PEAK_RESAMPLER = "peaks"
#: Applications that only measure levels (their streams are meters, not calls).
METER_APPLICATIONS = frozenset({"org.PulseAudio.pavucontrol", "org.pulseaudio.pavucontrol"})


@dataclass(frozen=True)
class CaptureStream:
    """One source output, reduced to what decides whether it is a call."""

    source_name: str
    source_is_monitor: bool
    resample_method: str | None
    application_id: str | None = None


def is_call_stream(stream: CaptureStream) -> bool:
    """A capture from a real input by an application that is not a level meter."""
    if stream.source_is_monitor or stream.source_name.endswith(".monitor"):
        return False
    if stream.resample_method == PEAK_RESAMPLER:
        return False
    return stream.application_id not in METER_APPLICATIONS


def no_server_socket(environ: Mapping[str, str]) -> str | None:
    """Why no sound server can be here, or None if its socket is.

    libpulse looks for ``$PULSE_SERVER``, then the user's socket
    (``$XDG_RUNTIME_DIR/pulse/native``, where PulseAudio and PipeWire's pulse server
    listen), then the system-wide one. Without any of them there is nobody to ask, and
    loading libpulse and ``pulsectl`` (about 4 MB that would stay in the daemon) is
    skipped.
    """
    if environ.get("PULSE_SERVER"):
        return None  # an address libpulse is told to use: only connecting will tell
    runtime = environ.get("XDG_RUNTIME_DIR")
    places = [os.path.join(runtime, "pulse", "native")] if runtime else []
    places.append(SYSTEM_SOCKET)
    if any(os.path.exists(place) for place in places):
        return None
    return f"no sound server (no socket at {' or '.join(places)}; PULSE_SERVER is not set)"


class PulseCallWatcher(CallWatcher):
    """Follows capture streams on the sound server and reports calls starting and ending."""

    name = "pulseaudio"
    device = "the microphone"

    def __init__(self, on_change: CallCallback, *, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(on_change)
        self._environ = environ
        self._pulse: Any = None  # a pulsectl.Pulse, used only by the listening thread
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> bool:
        """Connect and start listening; False (with ``reason``, logged once) if it cannot."""
        if self._thread is not None:
            return True
        if missing := no_server_socket(self._environ):
            return self._unavailable(missing)
        try:
            import pulsectl
        except ImportError:
            return self._unavailable("pulsectl is not installed")
        try:
            server = self._environ.get("PULSE_SERVER")
            pulse = pulsectl.Pulse("breakd", server=server, connect=False)
            pulse.connect(autospawn=False, wait=False, timeout=2.0)
        except Exception as error:  # pulsectl raises its own and ctypes errors alike
            return self._unavailable(f"no sound server to ask ({error})")
        self._pulse = pulse
        self._stopping.clear()
        self._set(self._count())
        self._thread = threading.Thread(target=self._listen, name="breakd-calls", daemon=True)
        self._thread.start()
        log.info("calls: following the microphone on the sound server")
        return True

    def stop(self) -> None:
        """Stop listening and close the connection (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        pulse = self._pulse
        if pulse is not None:
            pulse.event_listen_stop()
        thread.join(5.0)
        if pulse is not None:
            pulse.close()
        self._pulse = None

    def _listen(self) -> None:
        import pulsectl

        pulse = self._pulse
        changed = threading.Event()

        def event(ev: Any) -> None:
            # No requests may be made from inside the callback: leave the loop to count.
            changed.set()
            raise pulsectl.PulseLoopStop

        try:
            pulse.event_mask_set("source_output", "source")
            pulse.event_callback_set(event)
            while not self._stopping.is_set():
                pulse.event_listen()
                if self._stopping.is_set():
                    break
                if changed.is_set():
                    changed.clear()
                    self._set(self._count())
        except Exception as error:  # the server went away, or libpulse failed
            if not self._stopping.is_set():
                log.warning("calls are no longer detected: the sound server went away (%s)", error)
                self._set(False)

    def _count(self) -> bool:
        """Whether any capture stream now is a call."""
        pulse = self._pulse
        sources = {source.index: source for source in pulse.source_list()}
        for output in pulse.source_output_list():
            source = sources.get(output.source)
            if source is None:
                continue
            stream = CaptureStream(
                source_name=str(source.name),
                source_is_monitor=int(source.monitor_of_sink) != NO_INDEX,
                resample_method=output.resample_method or None,
                application_id=output.proplist.get("application.id"),
            )
            if is_call_stream(stream):
                return True
        return False
