"""Idle time on Windows: ``GetLastInputInfo`` against ``GetTickCount64`` (user32, kernel32).

``LASTINPUTINFO.dwTime`` is the 32-bit tick count (milliseconds since boot, wrapping
every 49.7 days) of the session's last input. The idle time is the low 32 bits of the
current tick count minus it, modulo 2**32, which stays right across the wrap. Microsoft
documents that ``dwTime`` may lie slightly ahead of the current tick (input injected with
its own timestamp); such a "negative" idle time reads as 0.

The tick count keeps counting while the machine sleeps, so after a suspend the idle
time already covers the time asleep.

Only importable anywhere: the ctypes calls are made on Windows alone.
"""

from __future__ import annotations

import ctypes
import sys

from breakd.activity.base import IdleMonitor, IdleUnavailable

_WRAP = 2**32


def idle_milliseconds(tick_now: int, last_input_tick: int) -> int:
    """Milliseconds between two 32-bit tick counts, across a wrap; 0 if input is 'ahead'."""
    elapsed = (tick_now - last_input_tick) % _WRAP
    return 0 if elapsed >= _WRAP // 2 else elapsed


class _LastInputInfo(ctypes.Structure):
    """``LASTINPUTINFO`` from winuser.h: UINT cbSize; DWORD dwTime."""

    _fields_ = (("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32))


class WindowsIdleMonitor(IdleMonitor):
    name = "windows"

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise IdleUnavailable("GetLastInputInfo exists only on Windows")
        user32 = ctypes.WinDLL("user32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32")
        self._get_last_input_info = user32.GetLastInputInfo
        self._get_last_input_info.argtypes = [ctypes.POINTER(_LastInputInfo)]
        self._get_last_input_info.restype = ctypes.c_int  # BOOL
        self._get_tick_count64 = kernel32.GetTickCount64
        self._get_tick_count64.argtypes = []
        self._get_tick_count64.restype = ctypes.c_uint64  # ULONGLONG
        self._info = _LastInputInfo(cbSize=ctypes.sizeof(_LastInputInfo))

    def idle_seconds(self) -> float:
        if sys.platform != "win32":  # also keeps type checkers elsewhere out of here
            raise IdleUnavailable("GetLastInputInfo exists only on Windows")
        if not self._get_last_input_info(ctypes.byref(self._info)):
            raise IdleUnavailable(f"GetLastInputInfo failed (error {ctypes.get_last_error()})")
        now = int(self._get_tick_count64()) % _WRAP
        return idle_milliseconds(now, int(self._info.dwTime)) / 1000.0
