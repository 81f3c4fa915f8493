"""Where the control channel lives, and the checks that keep it private to its user.

On Unix it is a socket in ``$XDG_RUNTIME_DIR/breakd`` (a per-user 0700 folder that the
login manager empties at logout); without one, in ``/run/user/<uid>/breakd`` when that
exists and is ours, else in ``<tmp>/breakd-<uid>``, a 0700 folder we create and check.
Anyone who can connect can snooze or stop the user's reminders, and anyone who can put
a socket there can answer in breakd's name, so the folder is used only when it is a
real directory, owned by us, closed to everyone else. Another user can create
``/tmp/breakd-<uid>`` first: then the daemon moves to a folder inside the user's own
home (:func:`fallback_runtime_dir`), and the client, which checks the same folders the
same way, finds it there.
On Windows it is a named pipe whose name carries the user name; the pipe's own
security descriptor, not its name, is what keeps other users out (windows_server.py).
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from breakd import APP_NAME
from breakd.files import make_private_dir
from breakd.i18n import _

APP_DIR = "breakd"
SOCKET_NAME = "control.sock"
LOCK_NAME = "control.lock"

# Where systemd-logind puts per-user runtime folders; a variable so tests can move it.
_SYSTEMD_RUNTIME_ROOT = Path("/run/user")


class UnsafeDirectory(PermissionError):
    """The socket's folder exists but other users could reach into it (or it is not ours)."""


def _uid() -> int:
    if sys.platform == "win32":
        raise OSError("Windows has no uids; use pipe_name() there")
    return os.geteuid()


def _is_private_dir(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == _uid()
        and stat.S_IMODE(info.st_mode) & 0o077 == 0
    )


def runtime_dir() -> Path:
    """The folder that holds the socket and its lock file (not created here)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and os.path.isabs(xdg) and os.path.isdir(xdg):
        return Path(xdg) / APP_DIR
    systemd = _SYSTEMD_RUNTIME_ROOT / str(_uid())
    if sys.platform.startswith("linux") and _is_private_dir(systemd):
        return systemd / APP_DIR
    return Path(tempfile.gettempdir()) / f"{APP_DIR}-{_uid()}"


def fallback_runtime_dir() -> Path:
    """The folder used when the usual one cannot be trusted: in the user's own home."""
    return platformdirs.user_state_path(APP_NAME) / "run"


def socket_path() -> Path:
    """The control socket's path; the client uses it as is, the server creates its folder."""
    return runtime_dir() / SOCKET_NAME


def lock_path(socket: Path) -> Path:
    """The lock file next to ``socket`` that only the running daemon holds."""
    return (
        socket.with_name(LOCK_NAME) if socket.name == SOCKET_NAME else socket.with_suffix(".lock")
    )


def pipe_name() -> str:
    r"""The Windows named pipe, ``\\.\pipe\breakd-<user>``."""
    user = re.sub(r"[^A-Za-z0-9._-]", "_", getpass.getuser()) or "user"
    return rf"\\.\pipe\{APP_DIR}-{user}"


def control_address() -> Path | str:
    """What the server listens on and the client connects to on this platform."""
    return pipe_name() if sys.platform == "win32" else socket_path()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` as a 0700 folder, or check that the existing one is exactly that.

    Raises UnsafeDirectory when it is a symlink, not a folder, someone else's, or open
    to group or others; the message says what to do. Parents are never created: they
    are the runtime or temp folder, which must already exist.
    """
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    else:
        os.chmod(path, 0o700)  # mkdir's mode went through the umask
    check_private_dir(path)
    return path


def check_private_dir(path: Path) -> None:
    """Raise UnsafeDirectory unless ``path`` is a real folder of ours that only we can enter.

    ``lstat``, not ``stat``: a symlink is refused, whoever it points to.
    """
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeDirectory(
            _("{path} is a symbolic link; breakd wants a real folder there").format(path=path)
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectory(
            _("{path} is not a folder; remove it and start breakd again").format(path=path)
        )
    if info.st_uid != _uid():
        raise UnsafeDirectory(
            _(
                "{path} belongs to {owner}, not to you (uid {uid}); breakd"
                " will not put its control socket there"
            ).format(path=path, owner=describe_uid(info.st_uid), uid=_uid())
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise UnsafeDirectory(
            _("{path} is open to other users (mode {mode}); run `chmod 700 {path}`").format(
                path=path, mode=f"{mode:03o}"
            )
        )


def describe_uid(uid: int) -> str:
    """``uid 1001 (mallory)``, or just ``uid 1001`` when it has no name."""
    if sys.platform == "win32":  # no uids, no passwd database
        return f"uid {uid}"
    try:
        import pwd

        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except (ImportError, KeyError):
        return f"uid {uid}"


@dataclass(frozen=True)
class RuntimeChoice:
    """The daemon's socket folder, and (``note``) why the usual one was passed over."""

    folder: Path
    note: str | None = None

    @property
    def socket(self) -> Path:
        return self.folder / SOCKET_NAME


def prepare_runtime_dir() -> RuntimeChoice:
    """For the daemon: the usual folder, created 0700 and verified, or the home fallback.

    The usual folder is passed over when it cannot be made private (another user made
    it first, or a symlink by its name). Raises OSError when the fallback fails too.
    """
    usual = runtime_dir()
    try:
        return RuntimeChoice(ensure_private_dir(usual))
    except OSError as error:
        reason = str(error)
    fallback = fallback_runtime_dir()
    make_private_dir(fallback.parent)
    ensure_private_dir(fallback)
    return RuntimeChoice(
        fallback,
        _("{reason}; the control socket is in {folder} instead, which is private").format(
            reason=reason, folder=fallback
        ),
    )


def find_socket() -> tuple[Path, tuple[str, ...]]:
    """For the client: the socket in the first trusted folder that has one.

    Looks where :func:`prepare_runtime_dir` may have put it, in the same order, with the
    same checks (without creating anything). Returns the path to try and why folders
    were passed over; when no trusted folder has a socket, the path is one that is
    trusted or missing (never a socket in a folder that failed the checks).
    """
    passed_over: list[str] = []
    for folder in (runtime_dir(), fallback_runtime_dir()):
        try:
            check_private_dir(folder)
        except FileNotFoundError:
            continue
        except OSError as error:
            passed_over.append(str(error))
            continue
        candidate = folder / SOCKET_NAME
        if os.path.lexists(candidate):
            return candidate, tuple(passed_over)
    usual = fallback_runtime_dir() / SOCKET_NAME if passed_over else socket_path()
    return usual, tuple(passed_over)
