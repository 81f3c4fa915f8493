"""The camera watcher's real scan of /proc: a file held open by one of the user's
processes is found, another user's is not; the scan runs only while the user is idle
or a call is under way; no /proc is one log line.

No camera exists in a container and v4l2loopback cannot be loaded there, so the tests
give the watcher their own device pattern (a temporary file) in place of /dev/video*;
the scan itself, over the real /proc and a real child process, is the production code.
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
from support.daemon import wait_for
from support.users import VICTIM, system_user

from breakd.activity.calls.camera import CameraCallWatcher, camera_in_use, is_camera_path

pytestmark = pytest.mark.linux_desktop

HOLD = "import sys, time; f = open(sys.argv[1]); print('open', flush=True); time.sleep(120)"


class Events:
    def __init__(self) -> None:
        self.seen: list[bool] = []
        self._lock = threading.Lock()

    def __call__(self, in_call: bool) -> None:
        with self._lock:
            self.seen.append(in_call)

    def now(self) -> list[bool]:
        with self._lock:
            return list(self.seen)


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


def test_the_watcher_looks_only_while_idle_and_until_the_call_ends(
    device: tuple[Path, Callable[[str], bool]],
) -> None:
    path, is_device = device
    events = Events()
    watcher = CameraCallWatcher(events, is_device=is_device, every=0.2, when_idle=30)
    watcher.note_idle(0.0)  # the user is typing
    assert watcher.start()
    assert watcher.reads == 1  # the look at start
    child = hold_open(path)
    try:
        time.sleep(1.0)  # five periods: the user types, nothing is read
        assert watcher.reads == 1 and events.now() == []
        watcher.note_idle(45.0)  # idle past the threshold: a look at once
        wait_for(lambda: events.now() == [True], timeout=10, what="the camera in use")
        watcher.note_idle(0.0)  # typing during the call: still looked at, to see its end
        end(child)
        wait_for(lambda: events.now() == [True, False], timeout=10, what="the call's end")
        reads = watcher.reads
        time.sleep(1.0)
        assert watcher.reads == reads, "read while the user types and no call is on"
    finally:
        end(child)
        watcher.stop()


def test_no_proc_is_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "breakd.activity.calls")
    watcher = CameraCallWatcher(lambda _: None, proc=tmp_path / "no-proc")
    assert watcher.start() is False
    assert watcher.reason is not None and "not mounted" in watcher.reason
    assert [r.getMessage() for r in caplog.records] == [
        f"calls are not detected from the camera: {watcher.reason}"
    ]
    watcher.stop()
