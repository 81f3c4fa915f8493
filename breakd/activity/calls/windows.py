"""The microphone and the webcam on Windows: what the privacy settings record of their use.

Windows keeps, per user, which app last used each sensitive device and when, for the
"recently used" list of Settings > Privacy (and the microphone icon in the taskbar):
under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\
ConsentStore\\{microphone,webcam}``, one subkey per Store app, and under its
``NonPackaged`` subkey one per desktop program (the path with ``#`` for ``\\``). Each
has ``LastUsedTimeStart`` and ``LastUsedTimeStop`` (FILETIME, REG_QWORD): while the app
uses the device, the start is set and the stop is 0.

Read with the standard ``winreg`` module, at a low rate and only while the user is idle
(see :class:`~breakd.activity.calls.base.PolledCallWatcher`); a read is a few dozen
small registry reads. :func:`device_in_use` decides from the readings alone and is
tested on every platform.

Only importable anywhere: ``winreg`` is imported on Windows alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from breakd.activity.calls.base import (
    POLL_EVERY,
    POLL_WHEN_IDLE,
    CallCallback,
    CallUnavailable,
    PolledCallWatcher,
)

CONSENT_STORE = r"Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore"
#: The ConsentStore's names for the devices a call uses.
DEVICES = ("microphone", "webcam")
#: Where desktop (not Store) programs are listed, under each device's key.
NON_PACKAGED = "NonPackaged"


@dataclass(frozen=True)
class ConsentUse:
    """One app's record of using one device (FILETIME values, 0 when never)."""

    device: str
    app: str
    last_start: int
    last_stop: int

    @property
    def in_use(self) -> bool:
        """Started and not stopped since: the app holds the device now."""
        return self.last_start != 0 and self.last_stop == 0


def device_in_use(uses: Iterable[ConsentUse]) -> bool:
    """Whether any app is using the microphone or the webcam now."""
    return any(use.in_use for use in uses)


def read_consent_store(
    winreg: Any, root: str = CONSENT_STORE, devices: Iterable[str] = DEVICES
) -> Iterator[ConsentUse]:
    """Every app's use record of ``devices``, read from ``HKCU\\<root>``.

    ``winreg`` is the standard module (passed in so this module imports anywhere). A
    device without a key (no app ever asked for it) has no records.
    """
    for device in devices:
        try:
            key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, rf"{root}\{device}")
        except FileNotFoundError:
            continue
        with key:
            for app in _subkeys(winreg, key):
                if app == NON_PACKAGED:
                    with winreg.OpenKey(key, NON_PACKAGED) as programs:
                        for program in _subkeys(winreg, programs):
                            use = _use(winreg, programs, device, program)
                            if use is not None:
                                yield use
                    continue
                use = _use(winreg, key, device, app)
                if use is not None:
                    yield use


def _subkeys(winreg: Any, key: Any) -> list[str]:
    names: list[str] = []
    while True:
        try:
            names.append(winreg.EnumKey(key, len(names)))
        except OSError:  # ERROR_NO_MORE_ITEMS
            return names


def _use(winreg: Any, parent: Any, device: str, app: str) -> ConsentUse | None:
    """One app's record; None when it has no use times (asked, never used)."""
    try:
        with winreg.OpenKey(parent, app) as key:
            start = _qword(winreg, key, "LastUsedTimeStart")
            stop = _qword(winreg, key, "LastUsedTimeStop")
    except OSError:  # removed meanwhile
        return None
    if start is None or stop is None:
        return None
    return ConsentUse(device, app, start, stop)


def _qword(winreg: Any, key: Any, name: str) -> int | None:
    try:
        value, kind = winreg.QueryValueEx(key, name)
    except FileNotFoundError:
        return None
    if kind != winreg.REG_QWORD or not isinstance(value, int):
        return None
    return value


class WindowsCallWatcher(PolledCallWatcher):
    """An app using the microphone or the webcam, as the privacy settings record it."""

    name = "windows"
    device = "the microphone and the webcam"

    def __init__(
        self,
        on_change: CallCallback,
        *,
        root: str = CONSENT_STORE,
        every: float = POLL_EVERY,
        when_idle: float = POLL_WHEN_IDLE,
    ) -> None:
        super().__init__(on_change, every=every, when_idle=when_idle)
        self._root = root
        self._winreg: Any = None

    def prepare(self) -> None:
        if sys.platform != "win32":
            raise CallUnavailable("the privacy settings' records exist only on Windows")
        import winreg

        try:
            winreg.OpenKey(winreg.HKEY_CURRENT_USER, self._root).Close()
        except OSError as error:
            raise CallUnavailable(f"HKCU\\{self._root} cannot be read ({error})") from error
        self._winreg = winreg

    def read(self) -> bool:
        if self._winreg is None:
            raise CallUnavailable("not prepared")
        return device_in_use(read_consent_store(self._winreg, self._root))
