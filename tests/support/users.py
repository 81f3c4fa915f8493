"""Other Unix users for the security tests: the one who attacks, and a victim to attack.

Only root can create users and act as them, so these helpers need root (CI runs as
root). Without it a test fails with the reason; it never skips silently, since a
security test that quietly does nothing proves nothing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

INTRUDER = "breakd-intruder"
VICTIM = "breakd-victim"


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int

    def wrapper(self) -> list[str]:
        """A command prefix that runs the rest as this user (util-linux setpriv)."""
        return [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            "--",
        ]

    def run(
        self, args: Sequence[str], env: Mapping[str, str], timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.wrapper(), *args],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def python(self, code: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return self.run([sys.executable, "-c", code], env)


def system_user(name: str) -> User:
    """The user ``name``, created (a system user, no home, no login) if missing."""
    if os.geteuid() != 0:
        pytest.fail(
            f"this security test needs a second Unix user ({name}) and to act as it, which"
            " only root can do; run the tests as root (as CI does)"
        )
    if shutil.which("setpriv") is None:
        pytest.fail("this security test runs commands as another user with setpriv (util-linux)")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        created = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            capture_output=True,
            text=True,
        )
        try:  # a test running in parallel may have created it first: that is fine too
            entry = pwd.getpwnam(name)
        except KeyError:
            pytest.fail(f"cannot create the user {name}: {created.stderr.strip()}")
    return User(name, entry.pw_uid, entry.pw_gid)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A test folder other users can reach (pytest's own tmp folders are root's, 0700).

    It is made in the system temp folder with a short name, because Unix socket paths
    inside it must stay under about 100 bytes.
    """
    folder = Path(tempfile.mkdtemp(prefix="bks-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with private XDG folders under ``home``, no desktop, no runtime dir."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("XDG_")
        and key not in {"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "TMPDIR"}
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_DIRS=str(home / "site"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env
