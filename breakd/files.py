"""Writing files so that no reader ever sees half of one, and none sees a private one.

The config file, autostart entries and unit files are read by other programs (an
editor, the desktop at login) at moments breakd does not choose: each is written to a
temporary file beside it, flushed to disk, and renamed over the old one. A symbolic
link (a dotfiles manager's) is followed: the file it points to is replaced, in its own
folder, so the link stays a link and the repository gets the change.

breakd's own folders (history, log, state, cache) hold when the user sat and for how
long: they are made 0700 and their files 0600 whatever the umask, and ones an older
breakd or a wide umask left open are narrowed (:func:`narrow_private_tree`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from breakd import APP_NAME

#: Mode of a new file that only its user may read (history, log, config, chart).
PRIVATE_FILE = 0o600
#: Mode of a folder only its user may enter.
PRIVATE_DIR = 0o700
# mkstemp's names from breakd before 0.2 (".config.toml.k3j_9x2a"); removed when old.
_OLD_TEMP_AGE = 3600.0


def _temp_name(name: str) -> str:
    """``.config.toml.breakd-<pid>-<random>.tmp``: the pid says when a leftover is stale.

    ``os.urandom`` rather than ``secrets``: that one loads hashlib and with it libcrypto
    (3.6 MB resident) into the daemon for the sake of eight hex digits.
    """
    return f".{name}.breakd-{os.getpid()}-{os.urandom(4).hex()}.tmp"


def _is_stale_temp(entry: os.DirEntry[str], name: str) -> bool:
    """A temporary file a killed breakd left while writing ``name`` (never a live one)."""
    ours = re.fullmatch(rf"\.{re.escape(name)}\.breakd-(\d+)-[0-9a-f]+\.tmp", entry.name)
    if ours is not None:
        pid = int(ours.group(1))
        if pid == os.getpid():
            return False  # another thread of this process may be writing it right now
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # a live process (of someone else; a reused pid)
        return False
    if re.fullmatch(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}", entry.name) is None:
        return False
    try:
        age = time.time() - entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    return age > _OLD_TEMP_AGE


def _remove_stale_temps(folder: Path, name: str) -> None:
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and _is_stale_temp(entry, name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_atomically(path: Path, data: bytes, mode: int | None = 0o644) -> Path:
    """Replace ``path`` with ``data`` in one step (the old file, or none, until then).

    A symlink at ``path`` is followed and its target replaced. ``mode=None`` keeps the
    existing file's mode (0600 for a new file); its group is kept either way. Temporary
    files a killed writer left beside the file are removed. Returns the file written.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target.parent, target.name)
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else PRIVATE_FILE
    temp = target.parent / _temp_name(target.name)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            if old is not None and old.st_gid != os.fstat(out.fileno()).st_gid:
                # A group the user is not in cannot be kept; the mode still is.
                with contextlib.suppress(PermissionError):
                    os.fchown(out.fileno(), -1, old.st_gid)
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with the folder itself 0700, whatever the umask.

    Parents that exist are left as they are (``~/.local/share`` is not breakd's); an
    existing ``path`` is not narrowed here, :func:`narrow_private_tree` does that once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, PRIVATE_DIR)
    except FileExistsError:
        return path
    os.chmod(path, PRIVATE_DIR)  # mkdir's mode went through the umask
    return path


#: The history's file name, in the user's data folder.
HISTORY_FILE = "history.sqlite3"


def default_history_path() -> Path:
    """Where the history is kept: here, not in ``store``, so that ``breakd stats`` can
    find it without loading the engine's record types."""
    return platformdirs.user_data_path(APP_NAME) / HISTORY_FILE


def private_folders() -> list[Path]:
    """breakd's folders that are nobody else's business: history, state and log, cache.

    The config folder is not among them: the user may share it (a dotfiles repository)
    and its files are the user's to set; breakd makes only the files it creates private.
    """
    return [
        platformdirs.user_data_path(APP_NAME),
        platformdirs.user_state_path(APP_NAME),
        platformdirs.user_log_path(APP_NAME),
        platformdirs.user_cache_path(APP_NAME),
    ]


def prepare_private_folders() -> list[Path]:
    """Create breakd's private folders (0700) and narrow what is in them; what was narrowed."""
    folders = private_folders()
    for folder in folders:
        with contextlib.suppress(OSError):  # each user of a folder reports its own failure
            make_private_dir(folder)
    return narrow_private_tree(folders)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it is missing (so what is written later is private)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def narrow_private_tree(folders: Iterable[Path]) -> list[Path]:
    """Close breakd's ``folders`` and everything in them to other users; what was narrowed.

    Folders become 0700 and files 0600 at most (a mode is only ever narrowed, never
    widened). Symbolic links are not followed: what they point to is not breakd's.
    """
    narrowed: list[Path] = []

    def narrow(path: str, is_dir: bool) -> None:
        try:
            info = os.lstat(path)
        except OSError:
            return
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            return
        mode = stat.S_IMODE(info.st_mode)
        allowed = PRIVATE_DIR if is_dir else PRIVATE_FILE
        if mode & ~allowed & 0o077:
            with contextlib.suppress(OSError):
                os.chmod(path, mode & ~0o077)
                narrowed.append(Path(path))

    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        narrow(str(folder), True)
        for root, dirs, files in os.walk(folder):
            for name in dirs:
                narrow(os.path.join(root, name), True)
            for name in files:
                narrow(os.path.join(root, name), False)
    return narrowed
