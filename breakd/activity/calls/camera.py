"""The camera on Linux: a ``/dev/video*`` device held open by one of the user's processes.

A video call opens the camera's V4L2 device for as long as the picture is sent (the
browser, Zoom, Teams, or PipeWire on their behalf, which closes a camera nobody
streams from). The kernel tells of opens and closes of a device node through inotify
(fsnotify reports them for character devices as for files), so :class:`CameraCallWatcher`
watches the devices folder for cameras plugged in or out and each camera's node for
opens and closes, on a thread that sleeps until one of them happens. No camera, or a
camera nobody touches, costs nothing.

An event says a node was opened, not by whom: other users, udev probing a new device,
or a program that only asks the camera's name open it too. So an event (a burst of
them, coalesced) is confirmed by a look at the open files of the user's own
processes: each ``/proc/<pid>/fd/<n>`` is a link whose target is the file's path.
Other users' processes are skipped without a look (their ``fd`` folders cannot be read
anyway), and the look stops at the first camera found. It costs a ``readlink`` per
open file of the user's processes, a few milliseconds, and only opens a file of its
own in ``/proc``, so it raises no event of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import selectors
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from breakd.activity.calls.base import CallCallback, CallUnavailable, CallWatcher

log = logging.getLogger(__name__)

#: A V4L2 capture device node's name: ``video0``, ``video12``.
CAMERA_NAME = re.compile(r"video[0-9]+")
#: Where the device nodes are.
DEVICES = Path("/dev")
#: How long a burst of opens and closes may last before it is looked into once, in
#: seconds: a program starting its camera opens and closes the node several times.
SETTLE = 0.3

DevicePredicate = Callable[[str], bool]

# <sys/inotify.h>
IN_CLOSE_WRITE = 0x00000008
IN_CLOSE_NOWRITE = 0x00000010
IN_OPEN = 0x00000020
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
#: What is followed on a camera's node, and on the devices folder.
NODE_EVENTS = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE
FOLDER_EVENTS = IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
#: ``struct inotify_event``: int wd; uint32_t mask, cookie, len; char name[len].
EVENT = struct.Struct("iIII")


def is_camera_path(
    target: str, devices: Path = DEVICES, pattern: re.Pattern[str] = CAMERA_NAME
) -> bool:
    """Whether an open file's path (a ``/proc/<pid>/fd`` link's target) is a camera."""
    folder, name = os.path.split(target)
    return folder == str(devices) and pattern.fullmatch(name) is not None


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


class Inotify:
    """A non-blocking inotify descriptor through libc (the standard library has none)."""

    def __init__(self) -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self._add = libc.inotify_add_watch
            self._remove = libc.inotify_rm_watch
            init = libc.inotify_init1
        except (OSError, AttributeError) as error:
            raise CallUnavailable(f"inotify is not available ({error})") from error
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self._remove.argtypes = [ctypes.c_int, ctypes.c_int]
        init.argtypes = [ctypes.c_int]
        fd = init(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), f"inotify: {os.strerror(ctypes.get_errno())}")
        self.fd: int = fd

    def add(self, path: Path, mask: int) -> int:
        """Watch ``path``; its watch descriptor. Raises ``OSError`` (ENOSPC: the limit)."""
        wd = int(self._add(self.fd, os.fsencode(path), mask))
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
        return wd

    def remove(self, wd: int) -> None:
        self._remove(self.fd, wd)  # fails only for a watch the kernel already dropped

    def read(self) -> Iterator[tuple[int, int, str]]:
        """The events queued now, as (watch, mask, name); none left once it returns."""
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except BlockingIOError:
                return
            offset = 0
            while offset + EVENT.size <= len(data):
                wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
                offset += EVENT.size
                name = data[offset : offset + length].split(b"\0", 1)[0]
                offset += length
                yield wd, mask, os.fsdecode(name)

    def close(self) -> None:
        os.close(self.fd)


class CameraCallWatcher(CallWatcher):
    """A camera held open by the user's processes is a call; told by inotify, not polled."""

    name = "camera"
    device = "the camera"

    def __init__(
        self,
        on_change: CallCallback,
        *,
        devices: Path = DEVICES,
        pattern: re.Pattern[str] = CAMERA_NAME,
        proc: Path = Path("/proc"),
        settle: float = SETTLE,
    ) -> None:
        super().__init__(on_change)
        self._devices = devices
        self._pattern = pattern
        self._proc = proc
        self.settle = settle
        self._inotify: Inotify | None = None
        self._folder = -1  # the devices folder's watch
        self._nodes: dict[int, str] = {}  # watch -> camera node name
        self._wake_read = self._wake_write = -1
        self._thread: threading.Thread | None = None
        #: How many looks at /proc were made (for the log and the tests).
        self.scans = 0

    def start(self) -> bool:
        if self._thread is not None:
            return True
        try:
            self._open()
            now = self._scan() if self._nodes else False
        except (CallUnavailable, OSError) as error:
            self._close()
            return self._unavailable(str(error))
        self._wake_read, self._wake_write = os.pipe()
        self._set(now)
        self._thread = threading.Thread(target=self._run, name="breakd-camera", daemon=True)
        self._thread.start()
        log.info("calls: following opens of the cameras in %s", self._devices)
        return True

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with contextlib.suppress(OSError):  # the thread has ended already, closing its end
            os.write(self._wake_write, b"x")
        thread.join(5.0)
        os.close(self._wake_write)
        self._wake_write = -1

    def _open(self) -> None:
        """Set up inotify and the watches, or raise saying why it cannot work here."""
        if not sys.platform.startswith("linux"):
            raise CallUnavailable("device opens are followed on Linux only")
        if not (self._proc / "self" / "fd").is_dir():
            raise CallUnavailable(f"{self._proc} is not mounted")
        self._inotify = Inotify()
        self._folder = self._inotify.add(self._devices, FOLDER_EVENTS)
        for name in sorted(os.listdir(self._devices)):
            self._follow(name)

    def _close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        self._nodes.clear()
        if self._wake_read >= 0:
            os.close(self._wake_read)
            self._wake_read = -1

    def _follow(self, name: str) -> bool:
        """Watch the node ``name`` if it is a camera; whether it is now watched."""
        if self._inotify is None or not self._pattern.fullmatch(name):
            return False
        try:
            wd = self._inotify.add(self._devices / name, NODE_EVENTS)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise  # the watch limit: nothing would be seen reliably
            # Gone meanwhile, or not readable: then no process of this user opens it either.
            log.info("calls: not following %s (%s)", self._devices / name, error.strerror)
            return False
        self._nodes[wd] = name
        return True

    def _unfollow(self, name: str) -> None:
        for wd in [wd for wd, node in self._nodes.items() if node == name]:
            del self._nodes[wd]
            if self._inotify is not None:
                self._inotify.remove(wd)

    def _scan(self) -> bool:
        self.scans += 1
        return camera_in_use(self._proc, is_device=self._is_camera)

    def _is_camera(self, target: str) -> bool:
        return is_camera_path(target, self._devices, self._pattern)

    def _run(self) -> None:
        try:
            self._listen()
        except (CallUnavailable, OSError) as error:
            log.warning("calls are no longer detected from %s: %s", self.device, error)
            self._set(False)
        except Exception:  # a bug: say so once, and let the other watchers go on
            log.exception("calls are no longer detected from %s", self.device)
            self._set(False)
        finally:
            self._close()

    def _listen(self) -> None:
        """Sleep until an event; after a burst of opens or closes, look once."""
        inotify = self._inotify
        assert inotify is not None
        due: float | None = None  # when to look, once a burst has settled
        with selectors.DefaultSelector() as selector:
            selector.register(inotify.fd, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                timeout = None if due is None else max(0.0, due - time.monotonic())
                ready = {key.fd for key, _ in selector.select(timeout)}
                if self._wake_read in ready:
                    return
                worth = inotify.fd in ready and self._handle(inotify.read())
                if worth and due is None:
                    due = time.monotonic() + self.settle
                if due is not None and time.monotonic() >= due:
                    due = None
                    self._set(self._scan())

    def _handle(self, events: Iterator[tuple[int, int, str]]) -> bool:
        """Keep the watches in step with the folder; whether a look is worth making."""
        worth = False
        for wd, mask, name in events:
            if mask & IN_Q_OVERFLOW:  # events were lost: watch whatever is there now
                for present in os.listdir(self._devices):
                    if present not in self._nodes.values():
                        self._follow(present)
                worth = True
            elif wd == self._folder:
                if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED):
                    raise CallUnavailable(f"{self._devices} went away")
                if mask & IN_CREATE:
                    worth |= self._follow(name)  # opened before the watch was added?
                elif mask & IN_DELETE and self._pattern.fullmatch(name):
                    self._unfollow(name)
                    worth = True  # unplugged: a call on it has ended
            elif mask & IN_IGNORED:
                self._nodes.pop(wd, None)  # its node was deleted
            elif wd in self._nodes:
                worth = True
        return worth
