"""The microphone on macOS: CoreAudio's ``kAudioDevicePropertyDeviceIsRunningSomewhere``.

Every audio device that has input streams says whether any process on the machine has
it running; a call keeps the microphone running for as long as it lasts. Virtual and
aggregate devices are skipped: they run whenever an app routes sound through them
(loopback drivers, screen recorders), and the real microphone behind an aggregate is
listed on its own anyway.

Read through pyobjc's CoreAudio bindings (``pip install 'breakd[macos]'``, the package
``pyobjc-framework-CoreAudio``), at a low rate and only while the user is idle (see
:class:`~breakd.activity.calls.base.PolledCallWatcher`). Without the bindings this
watcher is off, with one log line. :func:`microphone_in_use` decides from the readings
alone and is tested on every platform.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from breakd.activity.calls.base import (
    POLL_EVERY,
    POLL_WHEN_IDLE,
    CallCallback,
    CallUnavailable,
    PolledCallWatcher,
)


def fourcc(code: str) -> int:
    """A CoreAudio four-character code as its UInt32: ``fourcc("virt")``."""
    value: int = struct.unpack(">I", code.encode("ascii"))[0]
    return value


# From CoreAudio/AudioHardware.h and AudioHardwareBase.h.
SYSTEM_OBJECT = 1
HARDWARE_DEVICES = fourcc("dev#")
SCOPE_GLOBAL = fourcc("glob")
SCOPE_INPUT = fourcc("inpt")
ELEMENT_MAIN = 0
DEVICE_STREAMS = fourcc("stm#")
DEVICE_IS_RUNNING_SOMEWHERE = fourcc("gone")
DEVICE_TRANSPORT_TYPE = fourcc("tran")
TRANSPORT_VIRTUAL = fourcc("virt")
TRANSPORT_AGGREGATE = fourcc("grup")
TRANSPORT_AUTO_AGGREGATE = fourcc("fgrp")
#: Transport types that are no microphone of their own.
NOT_A_MICROPHONE = frozenset({TRANSPORT_VIRTUAL, TRANSPORT_AGGREGATE, TRANSPORT_AUTO_AGGREGATE})
NO_ERROR = 0


@dataclass(frozen=True)
class InputDevice:
    """One CoreAudio device with input streams, as read."""

    device_id: int
    transport: int
    running_somewhere: bool


def microphone_in_use(devices: Iterable[InputDevice]) -> bool:
    """Whether a real (not virtual or aggregate) input device is running somewhere."""
    return any(
        device.running_somewhere and device.transport not in NOT_A_MICROPHONE for device in devices
    )


class CoreAudioReader:
    """Reads input devices through pyobjc's CoreAudio (``CoreAudio`` module)."""

    def __init__(self, coreaudio: Any) -> None:
        self._ca = coreaudio

    def _data(self, object_id: int, selector: int, scope: int = SCOPE_GLOBAL) -> bytes:
        address = self._ca.AudioObjectPropertyAddress(selector, scope, ELEMENT_MAIN)
        status, size = self._ca.AudioObjectGetPropertyDataSize(object_id, address, 0, None, None)
        if status != NO_ERROR:
            raise OSError(f"CoreAudio error {status} sizing property {selector:#x}")
        if size == 0:
            return b""
        status, size, data = self._ca.AudioObjectGetPropertyData(
            object_id, address, 0, None, size, None
        )
        if status != NO_ERROR:
            raise OSError(f"CoreAudio error {status} reading property {selector:#x}")
        return bytes(data)[:size]

    def _uint32(self, object_id: int, selector: int) -> int:
        data = self._data(object_id, selector)
        if len(data) < 4:
            raise OSError(f"CoreAudio property {selector:#x} is {len(data)} bytes, not 4")
        value: int = struct.unpack("=I", data[:4])[0]
        return value

    def input_devices(self) -> list[InputDevice]:
        data = self._data(SYSTEM_OBJECT, HARDWARE_DEVICES)
        ids = struct.unpack(f"={len(data) // 4}I", data[: len(data) // 4 * 4])
        found: list[InputDevice] = []
        for device_id in ids:
            try:
                if not self._data(device_id, DEVICE_STREAMS, SCOPE_INPUT):
                    continue  # output only
                found.append(
                    InputDevice(
                        device_id,
                        self._uint32(device_id, DEVICE_TRANSPORT_TYPE),
                        self._uint32(device_id, DEVICE_IS_RUNNING_SOMEWHERE) != 0,
                    )
                )
            except OSError:
                continue  # unplugged meanwhile
        return found


class MacCallWatcher(PolledCallWatcher):
    """A microphone running somewhere on the machine is a call."""

    name = "macos"
    device = "the microphone"

    def __init__(
        self,
        on_change: CallCallback,
        *,
        every: float = POLL_EVERY,
        when_idle: float = POLL_WHEN_IDLE,
    ) -> None:
        super().__init__(on_change, every=every, when_idle=when_idle)
        self._reader: CoreAudioReader | None = None

    def prepare(self) -> None:
        if sys.platform != "darwin":
            raise CallUnavailable("CoreAudio exists only on macOS")
        try:
            import CoreAudio
        except ImportError:
            raise CallUnavailable(
                "pyobjc's CoreAudio is not installed (pip install 'breakd[macos]')"
            ) from None
        self._reader = CoreAudioReader(CoreAudio)

    def read(self) -> bool:
        if self._reader is None:
            raise CallUnavailable("not prepared")
        return microphone_in_use(self._reader.input_devices())
