"""What breakd writes stays the user's: private modes, symlinked configs, no leftovers.

The daemon runs for real, as the test's user, under a permissive umask (022); another
user (see support/users.py) then tries to read what it wrote. The XDG folders live
under a folder everyone can traverse (as a real home's ``~/.local/share`` is), so only
breakd's own modes stand between the history and the other user.
"""

from __future__ import annotations

import grp
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, breakd, history_path, log_path, query, wait_for
from support.users import INTRUDER, shared_dir, system_user, user_env

from breakd.control import ping

__all__ = ["shared_dir"]  # the fixture, used by name below

ARGS = ["--set", "activity.idle_source=always-present"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common default: new files 0644, new folders 0755 (inherited by the daemon)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def open_home(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG folders under a traversable home; the daemon and the helpers both use them."""
    home = shared_dir / "home"
    runtime = shared_dir / "runtime"
    runtime.mkdir(mode=0o700)
    for key, value in user_env(home, XDG_RUNTIME_DIR=str(runtime)).items():
        if key.startswith("XDG_") or key == "HOME":
            monkeypatch.setenv(key, value)
    for sub in ("config", "data", "state", "cache", "site"):
        (home / sub).mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    return home


def stretch_recorded() -> bool:
    rows = query("SELECT count(*) FROM stretches")
    return bool(rows and rows[0][0] > 0)


def read_as_intruder(path: Path) -> subprocess.CompletedProcess[str]:
    """Another user's attempt to read ``path`` (the history with sqlite3, else the bytes)."""
    intruder = system_user(INTRUDER)
    code = (
        "import sqlite3, sys\n"
        "path = sys.argv[1]\n"
        "if path.endswith('.sqlite3'):\n"
        "    db = sqlite3.connect(f'file:{path}?mode=ro', uri=True)\n"
        "    print(db.execute('SELECT started_at FROM stretches').fetchall())\n"
        "else:\n"
        "    print(open(path, 'rb').read()[:100])\n"
    )
    return intruder.run([sys.executable, "-c", code, str(path)], dict(os.environ))


@pytest.mark.slow
def test_history_log_and_config_are_private_under_umask_022(
    open_home: Path, umask_022: None, daemons: list[DaemonProcess]
) -> None:
    """Before: everything was 0644 in 0755 folders, and the other user read the rows."""
    daemon = DaemonProcess(ARGS)
    daemons.append(daemon)
    wait_for(stretch_recorded, 60, "a stretch row")
    history = history_path()
    wait_for(lambda: Path(f"{history}-wal").exists(), 30, "the history's -wal file")
    wait_for(lambda: ping() == daemon.pid, 60, "breakd to answer ping")
    assert breakd("set", "interval", "45m").returncode == 0
    config = open_home / "config" / "breakd" / "config.toml"

    for folder in (history.parent, log_path().parent, log_path().parent.parent, config.parent):
        assert mode(folder) == 0o700, folder
    for file in (history, Path(f"{history}-wal"), Path(f"{history}-shm"), log_path(), config):
        assert mode(file) == 0o600, file

    for secret in (history, log_path()):
        attempt = read_as_intruder(secret)
        assert attempt.returncode != 0, f"{INTRUDER} read {secret}: {attempt.stdout}"
        assert "unable to open" in attempt.stderr or "Permission denied" in attempt.stderr


@pytest.mark.slow
def test_wide_modes_left_from_before_are_narrowed_at_start_with_one_log_line(
    open_home: Path, umask_022: None, daemons: list[DaemonProcess]
) -> None:
    history = history_path()
    history.parent.mkdir(mode=0o755)
    sqlite3.connect(history).close()  # an older breakd's file, 0644 under this umask
    log_path().parent.mkdir(parents=True, mode=0o755)
    log_path().write_text("an older breakd's log\n")
    marker = log_path().parent.parent / "first-run-done"
    marker.write_text("")
    before = [history.parent, history, log_path().parent.parent, log_path().parent, log_path()]
    assert all(mode(path) & 0o044 for path in before)

    daemon = DaemonProcess(ARGS)
    daemons.append(daemon)
    text = daemon.wait_log("made them private", timeout=60)
    assert text.count("made them private") == 1
    for path in (history.parent, log_path().parent.parent, log_path().parent):
        assert mode(path) == 0o700, path
    for path in (history, log_path(), marker):
        assert mode(path) == 0o600, path
    wait_for(stretch_recorded, 60, "a stretch row")

    daemon.stop()
    again = DaemonProcess(ARGS)
    daemons.append(again)
    wait_for(lambda: ping() == again.pid, 60, "the new breakd to answer ping")
    assert log_path().read_text().count("made them private") == 1


# --- a symlinked config file ------------------------------------------------------------


@pytest.fixture
def dotfile(tmp_path: Path) -> Path:
    """``~/.config/breakd/config.toml`` linked (relatively) into a dotfiles repository."""
    repo = tmp_path / "dotfiles"
    repo.mkdir()
    target = repo / "breakd.toml"
    target.write_text('# my breakd, kept in git\n[reminders]\ninterval = "30m"  # mine\n')
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(target, -1, grp.getgrnam("nogroup").gr_gid)
    link = Path(os.environ["XDG_CONFIG_HOME"]) / "breakd" / "config.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(target, link.parent))
    return link


def leftovers(*folders: Path) -> list[str]:
    return [p.name for folder in folders for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_breakd_set_writes_through_a_symlinked_config_keeping_mode_and_group(
    dotfile: Path, daemons: list[DaemonProcess]
) -> None:
    """Before: the link became a regular file and the repository kept the old value."""
    target = dotfile.resolve()
    link_text = os.readlink(dotfile)
    group = target.stat().st_gid
    daemon = DaemonProcess(ARGS)
    daemons.append(daemon)
    wait_for(lambda: ping() == daemon.pid, 60, "breakd to answer ping")

    done = breakd("set", "interval", "45m")
    assert done.returncode == 0, done.stderr
    assert dotfile.is_symlink() and os.readlink(dotfile) == link_text
    assert target.read_text() == (
        '# my breakd, kept in git\n[reminders]\ninterval = "45m"  # mine\n'
    )
    assert (mode(target), target.stat().st_gid) == (0o640, group)
    assert leftovers(target.parent, dotfile.parent) == []


# A writer stopped for good in the middle of writing the config (as by kill -9): the
# real write_atomically, stopped at its fsync.
KILLED_WRITER = r"""
import os, sys
from pathlib import Path
from breakd import files

def stop_here(fd):
    print("writing", flush=True)
    sys.stdin.read()

files.os.fsync = stop_here
files.write_atomically(Path(sys.argv[1]), b'[reminders]\ninterval = "20m"\n', None)
"""


@pytest.mark.slow
def test_a_write_killed_halfway_leaves_no_temporary_file_after_the_next_write(
    dotfile: Path, daemons: list[DaemonProcess]
) -> None:
    """Before: each killed write left a ``.config.toml.XXXX`` file behind for good."""
    target = dotfile.resolve()
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(dotfile)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    assert len(leftovers(target.parent)) == 1  # what the kill left
    assert 'interval = "30m"' in target.read_text()  # and the file is untouched

    daemon = DaemonProcess(ARGS)
    daemons.append(daemon)
    wait_for(lambda: ping() == daemon.pid, 60, "breakd to answer ping")
    assert breakd("set", "interval", "45m").returncode == 0
    assert 'interval = "45m"' in target.read_text()
    assert leftovers(target.parent, dotfile.parent) == []


def test_only_temporary_files_of_dead_writers_are_cleaned_up(tmp_path: Path) -> None:
    """A live writer's file is never taken from under it; a dead one's always goes."""
    from breakd.files import write_atomically

    folder = tmp_path / "folder"
    folder.mkdir()
    target = folder / "config.toml"
    live = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    try:
        mine = folder / f".config.toml.breakd-{live.pid}-0a1b2c3d.tmp"
        gone = folder / f".config.toml.breakd-{dead.pid}-0a1b2c3d.tmp"
        other = folder / ".config.toml.swp"  # an editor's, not breakd's naming
        for path in (mine, gone, other):
            path.write_text("half")
        write_atomically(target, b"x = 1\n", None)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["config.toml", mine.name, other.name]
        )
        assert mode(target) == 0o600
    finally:
        live.kill()
        live.wait(30)
