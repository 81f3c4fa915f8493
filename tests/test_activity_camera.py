"""The camera watcher over real inotify and the real /proc: a file held open by one of
the user's processes is a call, another user's is not; a camera plugged in later is
followed; with nothing happening nothing is looked at and the thread sleeps; no /proc or
no devices folder is one log line.

No camera exists in a container and v4l2loopback cannot be loaded there, so the tests
give the watcher a temporary folder with a regular file ``video0`` in place of /dev
(inotify reports opens and closes of files and of device nodes alike); the watches and
the scan, over a real child process, are the production code.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.calls import Events
from support.daemon import wait_for
from support.users import VICTIM, system_user

from breakd.activity.calls.camera import CameraCallWatcher, camera_in_use, is_camera_path

pytestmark = pytest.mark.linux_desktop

HOLD = "import sys, time; f = open(sys.argv[1]); print('open', flush=True); time.sleep(120)"


def hold_open(path: Path, wrapper: list[str] | None = None) -> subprocess.Popen[str]:
    """A child that opens ``path`` and keeps it open until killed."""
    child = subprocess.Popen(
        [*(wrapper or []), sys.executable, "-c", HOLD, str(path)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "open"
    return child


def end(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.wait(10)


@pytest.fixture
def device() -> Iterator[tuple[Path, Callable[[str], bool]]]:
    """A stand-in for /dev/video0 any user can open, and the pattern that matches it."""
    folder = Path(tempfile.mkdtemp(prefix="breakd-camera-"))
    folder.chmod(0o755)  # pytest's own tmp_path is private to root
    path = folder / "video0"
    path.write_bytes(b"")
    path.chmod(0o644)
    yield path, lambda target: target == str(path)
    shutil.rmtree(folder, ignore_errors=True)


def test_only_v4l2_device_nodes_are_cameras() -> None:
    assert is_camera_path("/dev/video0")
    assert is_camera_path("/tmp/x/video3", devices=Path("/tmp/x"))
    assert not is_camera_path("/dev/video3", devices=Path("/tmp/x"))
    assert is_camera_path("/dev/video12")
    assert not is_camera_path("/dev/video")
    assert not is_camera_path("/dev/videoX")
    assert not is_camera_path("/dev/video0 (deleted)")
    assert not is_camera_path("/dev/media0")
    assert not is_camera_path("/home/me/video0.mp4")
    assert not is_camera_path("socket:[12345]")


def test_the_scan_finds_a_device_held_by_the_users_process_only(
    device: tuple[Path, Callable[[str], bool]],
) -> None:
    path, is_device = device
    assert not camera_in_use(is_device=is_device)
    other = system_user(VICTIM)
    theirs = hold_open(path, other.wrapper())
    try:
        # Another user's process holding it says nothing about this user.
        assert not camera_in_use(is_device=is_device)
        assert camera_in_use(uid=other.uid, is_device=is_device)
    finally:
        end(theirs)
    mine = hold_open(path)
    try:
        assert camera_in_use(is_device=is_device)
    finally:
        end(mine)
    assert not camera_in_use(is_device=is_device)


def switches(thread_name: str) -> int:
    """How often the named thread of this process has gone to sleep (its wake-ups)."""
    [thread] = [t for t in threading.enumerate() if t.name == thread_name]
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    [line] = [line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches")]
    return int(line.split()[1])


def test_the_watcher_follows_opens_and_closes_of_the_users_processes(
    device: tuple[Path, Callable[[str], bool]],
) -> None:
    path, _ = device
    folder = path.parent
    events = Events()
    watcher = CameraCallWatcher(events, devices=folder)
    assert watcher.start()
    assert watcher.scans == 1 and events.now() == []  # the look at start
    try:
        # Another user opening the camera is looked into, and is not a call.
        theirs = hold_open(path, system_user(VICTIM).wrapper())
        try:
            wait_for(lambda: watcher.scans >= 2, timeout=10, what="a look after their open")
        finally:
            end(theirs)
        mine = hold_open(path)
        try:
            wait_for(lambda: events.now() == [True], timeout=10, what="the camera in use")
        finally:
            end(mine)
        wait_for(lambda: events.now() == [True, False], timeout=10, what="the call's end")

        # Nothing happens: no look at /proc, and the thread does not even wake up.
        time.sleep(watcher.settle * 2)
        scans, woken = watcher.scans, switches("breakd-camera")
        time.sleep(1.0)
        assert (watcher.scans, switches("breakd-camera")) == (scans, woken)

        # A camera plugged in after the start is followed.
        second = folder / "video1"
        second.write_bytes(b"")
        second.chmod(0o644)
        mine = hold_open(second)
        try:
            wait_for(lambda: events.now()[2:] == [True], timeout=10, what="video1 in use")
        finally:
            end(mine)
        wait_for(lambda: events.now()[2:] == [True, False], timeout=10, what="video1's end")
    finally:
        began = time.monotonic()
        watcher.stop()
        assert time.monotonic() - began < 1.0
    assert not [t for t in threading.enumerate() if t.name == "breakd-camera"]


def test_without_a_camera_nothing_is_looked_at(tmp_path: Path) -> None:
    watcher = CameraCallWatcher(lambda _: None, devices=tmp_path)
    assert watcher.start()
    try:
        (tmp_path / "media0").write_bytes(b"")  # a device, but not a camera
        with (tmp_path / "media0").open():
            time.sleep(watcher.settle * 2)
        assert watcher.scans == 0
        (tmp_path / "video0").write_bytes(b"")  # plugged in: looked at once, in case
        wait_for(lambda: watcher.scans == 1, timeout=10, what="a look at the new camera")
    finally:
        watcher.stop()


def test_no_proc_is_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "breakd.activity.calls")
    watcher = CameraCallWatcher(lambda _: None, proc=tmp_path / "no-proc")
    assert watcher.start() is False
    assert watcher.reason is not None and "not mounted" in watcher.reason
    missing = CameraCallWatcher(lambda _: None, devices=tmp_path / "no-dev")
    assert missing.start() is False
    assert missing.reason is not None and "No such file" in missing.reason
    assert [r.getMessage() for r in caplog.records] == [
        f"calls are not detected from the camera: {watcher.reason}",
        f"calls are not detected from the camera: {missing.reason}",
    ]
    watcher.stop()
    missing.stop()
