"""Idle time on macOS: ``CGEventSourceSecondsSinceLastEventType`` from CoreGraphics.

Called as ``CGEventSourceSecondsSinceLastEventType(kCGEventSourceStateCombinedSessionState,
kCGAnyInputEventType)``: the seconds (a ``CFTimeInterval``, double) since any input event
reached the user's login session. From CGEventTypes.h: ``CGEventSourceStateID`` is an
int32 enum with ``kCGEventSourceStateCombinedSessionState = 0``, ``CGEventType`` is a
uint32 and ``kCGAnyInputEventType`` is ``~0``. No permission prompt is involved: this
reads a timestamp, not events.

Only importable anywhere: the library is loaded on macOS alone.
"""

from __future__ import annotations

import ctypes
import sys

from breakd.activity.base import IdleMonitor, IdleUnavailable

COREGRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
K_CG_EVENT_SOURCE_STATE_COMBINED_SESSION_STATE = 0
K_CG_ANY_INPUT_EVENT_TYPE = 0xFFFFFFFF  # (CGEventType)~0


class MacIdleMonitor(IdleMonitor):
    name = "macos"

    def __init__(self) -> None:
        if sys.platform != "darwin":
            raise IdleUnavailable("CoreGraphics exists only on macOS")
        try:
            # Since macOS 11 the framework lives in the dyld cache, not on disk; dlopen
            # of the documented path still finds it.
            coregraphics = ctypes.CDLL(COREGRAPHICS)
        except OSError as error:
            raise IdleUnavailable(f"cannot load CoreGraphics: {error}") from error
        self._seconds_since = coregraphics.CGEventSourceSecondsSinceLastEventType
        self._seconds_since.argtypes = [ctypes.c_int32, ctypes.c_uint32]
        self._seconds_since.restype = ctypes.c_double

    def idle_seconds(self) -> float:
        if sys.platform != "darwin":  # also keeps type checkers elsewhere out of here
            raise IdleUnavailable("CoreGraphics exists only on macOS")
        seconds = float(
            self._seconds_since(
                K_CG_EVENT_SOURCE_STATE_COMBINED_SESSION_STATE, K_CG_ANY_INPUT_EVENT_TYPE
            )
        )
        if seconds != seconds or seconds < 0:  # NaN or nonsense
            raise IdleUnavailable(f"CoreGraphics reported {seconds} seconds idle")
        return seconds
