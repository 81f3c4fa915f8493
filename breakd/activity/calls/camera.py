"""The camera on Linux: a ``/dev/video*`` device held open by one of the user's processes.

A video call opens the camera's V4L2 device for as long as the picture is sent (the
browser, Zoom, Teams, or PipeWire on their behalf, which closes a camera nobody
streams from). There is no event for "a device was opened", so the open files of the
user's own processes are looked at: each ``/proc/<pid>/fd/<n>`` is a link whose target
is the file's path. Other users' processes are skipped without a look (their ``fd``
folders cannot be read anyway), and the scan stops at the first camera found.

A scan costs a ``readlink`` per open file of the user's processes, a few milliseconds
on a desktop; it runs every :data:`~breakd.activity.calls.base.POLL_EVERY` seconds only
while the user is idle or a call is under way (see :class:`PolledCallWatcher`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from breakd.activity.calls.base import (
    POLL_EVERY,
    POLL_WHEN_IDLE,
    CallCallback,
    CallUnavailable,
    PolledCallWatcher,
)

#: A V4L2 capture device node: ``/dev/video0``, ``/dev/video12``.
CAMERA_PATH = re.compile(r"/dev/video[0-9]+")

DevicePredicate = Callable[[str], bool]


def is_camera_path(target: str) -> bool:
    """Whether an open file's path (a ``/proc/<pid>/fd`` link's target) is a camera."""
    return CAMERA_PATH.fullmatch(target) is not None


def user_processes(proc: Path, uid: int) -> Iterator[Path]:
    """The ``/proc/<pid>`` folders of processes that run as ``uid``."""
    try:
        entries = os.scandir(proc)
    except OSError as error:
        raise CallUnavailable(f"cannot list {proc} ({error})") from error
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    yield Path(entry.path)
            except OSError:
                continue  # the process ended meanwhile


def holds_device(process: Path, is_device: DevicePredicate) -> bool:
    """Whether the process at ``process`` (a ``/proc/<pid>`` folder) has such a file open."""
    fds = process / "fd"
    try:
        names = os.listdir(fds)
    except OSError:
        return False  # ended meanwhile, or not ours to read after all
    for name in names:
        try:
            target = os.readlink(fds / name)
        except OSError:
            continue  # closed meanwhile
        if is_device(target):
            return True
    return False


def camera_in_use(
    proc: Path = Path("/proc"),
    uid: int | None = None,
    is_device: DevicePredicate = is_camera_path,
) -> bool:
    """Whether any process of ``uid`` (default: this one's user) holds a camera open."""
    if sys.platform == "win32":
        raise CallUnavailable("open files are read from /proc on Linux only")
    owner = os.getuid() if uid is None else uid
    return any(holds_device(process, is_device) for process in user_processes(proc, owner))


class CameraCallWatcher(PolledCallWatcher):
    """A camera held open by the user's processes is a call."""

    name = "camera"
    device = "the camera"

    def __init__(
        self,
        on_change: CallCallback,
        *,
        proc: Path = Path("/proc"),
        is_device: DevicePredicate = is_camera_path,
        every: float = POLL_EVERY,
        when_idle: float = POLL_WHEN_IDLE,
    ) -> None:
        super().__init__(on_change, every=every, when_idle=when_idle)
        self._proc = proc
        self._is_device = is_device

    def prepare(self) -> None:
        if not sys.platform.startswith("linux"):
            raise CallUnavailable("open files are read from /proc on Linux only")
        if not (self._proc / "self" / "fd").is_dir():
            raise CallUnavailable(f"{self._proc} is not mounted")

    def read(self) -> bool:
        return camera_in_use(self._proc, is_device=self._is_device)
