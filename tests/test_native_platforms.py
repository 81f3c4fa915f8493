"""The Windows and macOS backends against the real operating system.

These run only on their own platform (the GitHub workflow's windows-latest and
macos-latest jobs); everywhere else they are reported as not run. Their pure parts
(quoting, plist content, tick arithmetic) are tested on every platform in
test_autostart_platforms.py and test_activity_platforms.py.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from breakd.autostart import Launcher

windows_only = pytest.mark.skipif(sys.platform != "win32", reason="a Windows backend")
macos_only = pytest.mark.skipif(sys.platform != "darwin", reason="a macOS backend")


# --- Windows ------------------------------------------------------------------------------


@windows_only
def test_the_named_pipe_carries_requests_and_pings() -> None:
    from breakd.control import ControlServer, Request, ping, request

    def handler(call: Request) -> dict[str, object]:
        return {"echo": call.args.get("word"), "peer": call.peer_pid}

    name = rf"\\.\pipe\breakd-test-{uuid.uuid4().hex}"
    server = ControlServer(name, handler, allowed_commands=("echo",))
    server.start()
    try:
        assert ping(path=name) == os.getpid()
        assert request("echo", {"word": "knee-press"}, path=name) == {
            "echo": "knee-press",
            "peer": os.getpid(),
        }
    finally:
        server.stop()
    assert ping(path=name, timeout=1.0) is None


@pytest.fixture
def test_registry_root() -> Iterator[str]:
    """A key of its own under HKEY_CURRENT_USER\\Software, deleted with all it holds."""
    import winreg

    root = rf"Software\breakd-tests-{uuid.uuid4().hex}"
    yield root

    def delete_tree(key: str) -> None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                children = []
                while True:
                    try:
                        children.append(winreg.EnumKey(handle, len(children)))
                    except OSError:
                        break
        except FileNotFoundError:
            return
        for child in children:
            delete_tree(rf"{key}\{child}")
        winreg.DeleteKey(winreg.HKEY_CURRENT_USER, key)

    delete_tree(root)


@windows_only
def test_the_run_key_backend_writes_and_removes_the_value(
    test_registry_root: str, tmp_path: Path
) -> None:
    """RunKeyAutostart on the real registry, its keys moved under a test key."""
    import winreg

    from breakd.autostart.windows import (
        RUN_KEY,
        VALUE_NAME,
        CurrentUserRegistry,
        RunKeyAutostart,
        run_value,
    )

    class MovedRegistry(CurrentUserRegistry):
        def get(self, key: str, name: str) -> object | None:
            return super().get(rf"{test_registry_root}\{key}", name)

        def set_string(self, key: str, name: str, value: str) -> None:
            super().set_string(rf"{test_registry_root}\{key}", name, value)

        def delete(self, key: str, name: str) -> bool:
            return super().delete(rf"{test_registry_root}\{key}", name)

    program = tmp_path / "breakd venv" / "Scripts" / "breakd-gui.exe"
    program.parent.mkdir(parents=True)
    shutil.copy(sys.executable, program)
    backend = RunKeyAutostart(Launcher(program), registry=MovedRegistry())
    backend.enable()
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, rf"{test_registry_root}\{RUN_KEY}") as handle:
        value, kind = winreg.QueryValueEx(handle, VALUE_NAME)
    assert kind == winreg.REG_SZ and value == run_value(Launcher(program))
    assert backend.is_enabled() and backend.status().points_to == program
    assert backend.disable() and not backend.is_enabled()


@windows_only
def test_getlastinputinfo_gives_a_number_of_seconds() -> None:
    from breakd.activity.windows import WindowsIdleMonitor

    seconds = WindowsIdleMonitor().idle_seconds()
    assert isinstance(seconds, float) and 0 <= seconds < 49.8 * 24 * 3600


@windows_only
def test_focus_assist_and_the_notification_state_are_read() -> None:
    from breakd.notify.quiet.windows import NotificationState, WindowsQuietSource

    source = WindowsQuietSource()
    assert source.notification_state() in set(NotificationState)
    assert source.focus_assist_profile() in (0, 1, 2)  # off, priority only, alarms only
    assert isinstance(source.read_local(), bool)


@windows_only
def test_the_consent_store_tells_an_app_using_the_microphone(test_registry_root: str) -> None:
    """The call watcher on the real registry: an app record written under a test key,
    in use (stop 0) and then done; the real ConsentStore reads without error."""
    import winreg

    from breakd.activity.calls.windows import CONSENT_STORE, WindowsCallWatcher, read_consent_store

    root = rf"{test_registry_root}\ConsentStore"
    app = rf"{root}\microphone\NonPackaged\C:#Tools#caller.exe"

    def record(start: int, stop: int) -> None:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, app) as key:
            winreg.SetValueEx(key, "LastUsedTimeStart", 0, winreg.REG_QWORD, start)
            winreg.SetValueEx(key, "LastUsedTimeStop", 0, winreg.REG_QWORD, stop)

    record(134_100_000_000_000_000, 0)
    seen: list[bool] = []
    watcher = WindowsCallWatcher(seen.append, root=root)
    try:
        assert watcher.start(), watcher.reason
        assert seen == [True]
        record(134_100_000_000_000_000, 134_100_000_600_000_000)
        assert watcher.read() is False
    finally:
        watcher.stop()
    list(read_consent_store(winreg, CONSENT_STORE))  # the real one: readable, any content


# --- macOS --------------------------------------------------------------------------------


@macos_only
def test_the_launch_agent_passes_plutil_lint(tmp_path: Path) -> None:
    from breakd.autostart.macos import LaunchAgentAutostart

    program = tmp_path / "breakd venv" / "bin" / "breakd"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    backend = LaunchAgentAutostart(Launcher(program), home=tmp_path / "home")
    path = backend.enable()
    lint = subprocess.run(["plutil", "-lint", str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert plistlib.loads(path.read_bytes())["ProgramArguments"] == [str(program)]
    assert backend.disable() == [path] and not path.exists()


@macos_only
def test_coregraphics_gives_a_number_of_seconds() -> None:
    from breakd.activity.macos import MacIdleMonitor

    seconds = MacIdleMonitor().idle_seconds()
    assert isinstance(seconds, float) and seconds >= 0


@macos_only
def test_focus_is_read_or_the_missing_permission_named() -> None:
    from breakd.notify.quiet.base import SourceFailed
    from breakd.notify.quiet.macos import MacFocusSource

    try:
        reading = MacFocusSource().read_local()
    except SourceFailed as error:  # macOS 13+ without Full Disk Access for Python
        assert "Full Disk Access" in str(error)
    else:
        assert isinstance(reading, bool)


@macos_only
def test_coreaudio_lists_input_devices_through_pyobjc() -> None:
    """The call watcher's reader on the real CoreAudio (the runner may have no
    microphone: then the list is empty and nothing is in use)."""
    import CoreAudio

    from breakd.activity.calls.macos import CoreAudioReader, MacCallWatcher

    devices = CoreAudioReader(CoreAudio).input_devices()
    assert all(device.device_id > 0 for device in devices)
    watcher = MacCallWatcher(lambda _: None)
    try:
        assert watcher.start(), watcher.reason
        assert watcher.in_call is False or devices
    finally:
        watcher.stop()
