"""Windows: Focus Assist (do not disturb), and the states in which Windows itself holds
notifications back.

Two readings, both cheap system calls made when a reminder is due (Windows announces
neither in a way a plain process can wait on without a message loop, so there is no
listener; a held reminder is asked about again at the daemon's periodic check):

* ``SHQueryUserNotificationState`` (shell32, documented): ``QUNS_BUSY`` (a fullscreen
  program), ``QUNS_RUNNING_D3D_FULL_SCREEN`` (a fullscreen game or video),
  ``QUNS_PRESENTATION_MODE`` and ``QUNS_QUIET_TIME`` (the first hour after a new user's
  first sign-in) are times Windows asks programs not to notify; ``QUNS_NOT_PRESENT``
  (locked, screen saver, another user's session) means nobody would see it.
  ``QUNS_ACCEPTS_NOTIFICATIONS`` and ``QUNS_APP`` (a Windows Store app fullscreen) are
  not quiet for a desktop program.
* Focus Assist itself (Windows 10; "do not disturb" in Windows 11) is not part of that
  answer. Its profile is the WNF state ``WNF_SHEL_QUIETHOURS_ACTIVE_PROFILE_CHANGED``,
  read with ``NtQueryWnfStateData`` (ntdll): 0 off, 1 priority only, 2 alarms only. The
  call is not documented by Microsoft, but it is the one place the state is exposed
  (programs that honour Focus Assist read it there); if it fails, only that reading is
  lost, logged once.

The mapping from readings to reasons is plain functions, tested on every platform.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable
from enum import IntEnum

from breakd.i18n import N_
from breakd.notify.quiet.base import DO_NOT_DISTURB, LocalQuietSource, SourceFailed

log = logging.getLogger(__name__)

#: The WNF state name Focus Assist publishes its active profile under.
WNF_FOCUS_ASSIST = 0x0D83063EA3BF1C75


class NotificationState(IntEnum):
    """``QUERY_USER_NOTIFICATION_STATE`` (shellapi.h)."""

    NOT_PRESENT = 1
    BUSY = 2
    RUNNING_D3D_FULL_SCREEN = 3
    PRESENTATION_MODE = 4
    ACCEPTS_NOTIFICATIONS = 5
    QUIET_TIME = 6
    APP = 7


_STATE_REASONS = {
    NotificationState.NOT_PRESENT: N_(
        "nobody is at the screen (locked, or another user's session)"
    ),
    NotificationState.BUSY: N_("a fullscreen program is in front (Windows)"),
    NotificationState.RUNNING_D3D_FULL_SCREEN: N_(
        "a fullscreen game or video is running (Windows)"
    ),
    NotificationState.PRESENTATION_MODE: N_("presentation mode is on (Windows)"),
    NotificationState.QUIET_TIME: N_("quiet time after a new user's first sign-in (Windows)"),
}
_PROFILES = {
    1: N_("do not disturb (Focus Assist: priority only)"),
    2: N_("do not disturb (Focus Assist: alarms only)"),
}


def state_reason(state: int) -> str | None:
    """Why ``SHQueryUserNotificationState``'s answer means "not now", or None."""
    try:
        return _STATE_REASONS.get(NotificationState(state))
    except ValueError:
        return None  # a value newer than this code: Windows did not say "not now"


def focus_assist_reason(profile: int) -> str | None:
    """Why Focus Assist's profile means "not now" (any profile but 0, off), or None."""
    if profile == 0:
        return None
    return _PROFILES.get(profile) or DO_NOT_DISTURB.format(source="Focus Assist")


class WindowsQuietSource(LocalQuietSource):
    """Both readings; ``reason`` names what the last one that said quiet saw."""

    name = "windows"
    # ctypes functions, typed here: they are only made on Windows.
    _query_state: Callable[..., int]
    _query_wnf: Callable[..., int]

    def __init__(self) -> None:
        self._reason = self.check
        self._focus_failed = False
        if sys.platform != "win32":
            raise SourceFailed("Focus Assist exists only on Windows")
        shell32 = ctypes.WinDLL("shell32")
        self._query_state = shell32.SHQueryUserNotificationState
        self._query_state.argtypes = [ctypes.POINTER(ctypes.c_int)]
        self._query_state.restype = ctypes.c_long  # HRESULT
        ntdll = ctypes.WinDLL("ntdll")
        self._query_wnf = ntdll.NtQueryWnfStateData
        self._query_wnf.argtypes = [
            ctypes.POINTER(ctypes.c_uint64),  # PCWNF_STATE_NAME StateName
            ctypes.c_void_p,  # PCWNF_TYPE_ID TypeId (none)
            ctypes.c_void_p,  # const VOID* ExplicitScope (none)
            ctypes.POINTER(ctypes.c_ulong),  # PWNF_CHANGE_STAMP ChangeStamp
            ctypes.c_void_p,  # PVOID Buffer
            ctypes.POINTER(ctypes.c_ulong),  # PULONG BufferSize
        ]
        self._query_wnf.restype = ctypes.c_long  # NTSTATUS

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def check(self) -> str:
        return DO_NOT_DISTURB.format(source="Windows")

    def notification_state(self) -> int:
        state = ctypes.c_int(0)
        result = self._query_state(ctypes.byref(state))
        if result < 0:
            raise SourceFailed(f"SHQueryUserNotificationState failed (0x{result & 0xFFFFFFFF:08x})")
        return state.value

    def focus_assist_profile(self) -> int:
        name = ctypes.c_uint64(WNF_FOCUS_ASSIST)
        stamp = ctypes.c_ulong(0)
        profile = ctypes.c_uint32(0)
        size = ctypes.c_ulong(ctypes.sizeof(profile))
        status = self._query_wnf(
            ctypes.byref(name), None, None, ctypes.byref(stamp), ctypes.byref(profile),
            ctypes.byref(size),
        )  # fmt: skip
        if status != 0:
            raise SourceFailed(f"NtQueryWnfStateData failed (0x{status & 0xFFFFFFFF:08x})")
        return profile.value if size.value >= ctypes.sizeof(profile) else 0

    def read_local(self) -> bool:
        # Focus Assist first: it is the user's own switch. Its failure costs only that
        # reading (said once); the documented one still counts.
        try:
            reason = focus_assist_reason(self.focus_assist_profile())
        except SourceFailed as error:
            if not self._focus_failed:
                self._focus_failed = True
                log.warning("Focus Assist is not read (%s); other quiet states still are", error)
            reason = None
        if reason is None:
            reason = state_reason(self.notification_state())
        if reason is None:
            return False
        self._reason = reason
        return True
