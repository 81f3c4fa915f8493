"""The Windows and macOS call watchers' decisions, over readings as those systems give
them (the readers themselves run against the real OS in test_native_platforms.py)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from breakd.activity.calls import macos, windows
from breakd.activity.calls.macos import CoreAudioReader, InputDevice, microphone_in_use
from breakd.activity.calls.select import backend_order
from breakd.activity.calls.windows import ConsentUse, device_in_use, read_consent_store

FILETIME = 134_100_000_000_000_000  # a moment in 2025, in 100 ns since 1601


def test_an_app_that_started_and_did_not_stop_uses_the_device() -> None:
    zoom = ConsentUse("microphone", r"C:#Program Files#Zoom#bin#Zoom.exe", FILETIME, 0)
    done = ConsentUse("webcam", "Microsoft.WindowsCamera_8wekyb3d8bbwe", FILETIME, FILETIME + 9)
    never = ConsentUse("microphone", "Microsoft.SkypeApp_kzf8qxf38zg5c", 0, 0)
    assert zoom.in_use and not done.in_use and not never.in_use
    assert device_in_use([done, zoom, never])
    assert not device_in_use([done, never])
    assert not device_in_use([])


class Key:
    """A registry key as ``winreg`` shows it: subkeys, and values with their types."""

    def __init__(self, **children: Key | tuple[int, int]) -> None:
        self.keys = {k: v for k, v in children.items() if isinstance(v, Key)}
        self.values = {k: v for k, v in children.items() if isinstance(v, tuple)}

    def __enter__(self) -> Key:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class RecordedRegistry:
    """Answers ``winreg``'s calls from a recorded tree under HKEY_CURRENT_USER."""

    tree: Key
    HKEY_CURRENT_USER: Key = field(init=False)
    REG_QWORD: int = 11
    REG_SZ: int = 1

    def __post_init__(self) -> None:
        self.HKEY_CURRENT_USER = self.tree

    def OpenKey(self, key: Key, path: str) -> Key:
        for part in path.split("\\"):
            if part not in key.keys:
                raise FileNotFoundError(path)
            key = key.keys[part]
        return key

    def EnumKey(self, key: Key, index: int) -> str:
        names = list(key.keys)
        if index >= len(names):
            raise OSError("no more items")
        return names[index]

    def QueryValueEx(self, key: Key, name: str) -> tuple[int, int]:
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name]


def used(start: int, stop: int) -> Key:
    qword = RecordedRegistry.REG_QWORD
    return Key(
        Value=(0, RecordedRegistry.REG_SZ),
        LastUsedTimeStart=(start, qword),
        LastUsedTimeStop=(stop, qword),
    )


def test_the_consent_store_is_read_with_its_desktop_programs() -> None:
    store = Key(
        microphone=Key(
            **{"Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe": used(FILETIME, FILETIME + 5)},
            NonPackaged=Key(**{"C:#Program Files#Zoom#bin#Zoom.exe": used(FILETIME, 0)}),
        ),
        webcam=Key(**{"Microsoft.WindowsCamera_8wekyb3d8bbwe": Key(Value=(0, 1))}),
    )
    path = windows.CONSENT_STORE.split("\\")
    root = Key()
    node = root
    for part in path[:-1]:
        node.keys[part] = Key()
        node = node.keys[part]
    node.keys[path[-1]] = store
    registry: Any = RecordedRegistry(root)
    uses = list(read_consent_store(registry))
    assert [(u.device, u.app, u.in_use) for u in uses] == [
        ("microphone", "Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe", False),
        ("microphone", "C:#Program Files#Zoom#bin#Zoom.exe", True),
    ]  # the webcam app asked for it once and never used it: no record
    assert device_in_use(uses)


def test_coreaudio_constants_match_the_headers() -> None:
    # AudioHardware.h / AudioHardwareBase.h, as four-character codes.
    assert macos.DEVICE_IS_RUNNING_SOMEWHERE == 1735356005  # 'gone'
    assert macos.HARDWARE_DEVICES == 1684370979  # 'dev#'
    assert macos.SCOPE_GLOBAL == 1735159650  # 'glob'
    assert macos.SCOPE_INPUT == 1768845428  # 'inpt'
    assert macos.DEVICE_STREAMS == 1937009955  # 'stm#'
    assert macos.DEVICE_TRANSPORT_TYPE == 1953653102  # 'tran'
    assert macos.TRANSPORT_VIRTUAL == 1986622068  # 'virt'
    assert macos.TRANSPORT_AGGREGATE == 1735554416  # 'grup'
    assert macos.TRANSPORT_AUTO_AGGREGATE == 1718055536  # 'fgrp'


BUILT_IN = macos.fourcc("bltn")
USB = macos.fourcc("usb ")


def test_a_real_microphone_running_somewhere_is_a_call() -> None:
    builtin_idle = InputDevice(41, BUILT_IN, False)
    usb_running = InputDevice(77, USB, True)
    loopback_running = InputDevice(90, macos.TRANSPORT_VIRTUAL, True)
    aggregate_running = InputDevice(95, macos.TRANSPORT_AGGREGATE, True)
    assert microphone_in_use([builtin_idle, usb_running])
    assert not microphone_in_use([builtin_idle, loopback_running, aggregate_running])
    assert not microphone_in_use([])


class RecordedCoreAudio:
    """Answers pyobjc CoreAudio's calls from recorded property bytes:
    ``(object id, selector, scope) -> bytes``."""

    def __init__(self, properties: dict[tuple[int, int, int], bytes]) -> None:
        self.properties = properties

    @staticmethod
    def AudioObjectPropertyAddress(selector: int, scope: int, element: int) -> tuple[int, int]:
        return selector, scope

    def _find(self, object_id: int, address: tuple[int, int]) -> bytes | None:
        return self.properties.get((object_id, *address))

    def AudioObjectGetPropertyDataSize(
        self, object_id: int, address: tuple[int, int], qsize: int, qdata: None, out: None
    ) -> tuple[int, int]:
        data = self._find(object_id, address)
        return (0, len(data)) if data is not None else (2003332927, 0)  # 'who?'

    def AudioObjectGetPropertyData(
        self,
        object_id: int,
        address: tuple[int, int],
        qsize: int,
        qdata: None,
        size: int,
        out: None,
    ) -> tuple[int, int, bytes]:
        data = self._find(object_id, address) or b""
        return 0, len(data), data


def u32(*values: int) -> bytes:
    return struct.pack(f"={len(values)}I", *values)


def test_the_reader_lists_input_devices_only() -> None:
    g, i = macos.SCOPE_GLOBAL, macos.SCOPE_INPUT
    recorded = RecordedCoreAudio(
        {
            (1, macos.HARDWARE_DEVICES, g): u32(41, 55, 77),
            # 41: the built-in microphone, idle; 55: speakers (no input streams);
            # 77: a USB headset, running.
            (41, macos.DEVICE_STREAMS, i): u32(100),
            (41, macos.DEVICE_TRANSPORT_TYPE, g): u32(BUILT_IN),
            (41, macos.DEVICE_IS_RUNNING_SOMEWHERE, g): u32(0),
            (55, macos.DEVICE_STREAMS, i): b"",
            (77, macos.DEVICE_STREAMS, i): u32(101, 102),
            (77, macos.DEVICE_TRANSPORT_TYPE, g): u32(USB),
            (77, macos.DEVICE_IS_RUNNING_SOMEWHERE, g): u32(1),
        }
    )
    devices = CoreAudioReader(recorded).input_devices()
    assert devices == [InputDevice(41, BUILT_IN, False), InputDevice(77, USB, True)]
    assert microphone_in_use(devices)


def test_each_platform_starts_its_own_watchers() -> None:
    assert backend_order("linux") == ["pulseaudio", "camera"]
    assert backend_order("win32") == ["windows"]
    assert backend_order("darwin") == ["macos"]
