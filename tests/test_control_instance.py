"""One daemon per user: the lock, stale sockets, file modes and who may connect.

Several checks need a second process (another daemon, one killed with SIGKILL, one
running as another user), so they start real subprocesses or fork.
"""

from __future__ import annotations

import fcntl
import getpass
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import breakd.control.paths as paths
import breakd.control.unix_server as server_module
from breakd.control import (
    AlreadyRunning,
    ControlServer,
    Request,
    UnsafeDirectory,
    ping,
    request,
    socket_path,
)
from breakd.control.paths import lock_path, pipe_name, runtime_dir

pytestmark = pytest.mark.linux_desktop

NOBODY = 65534

# A daemon in another process: it prints "won <pid>" or "lost <pid>", then holds on
# until its stdin closes. With "wait" it first prints "ready" and waits for a line.
DAEMON = r"""
import os, sys
from breakd.control import AlreadyRunning, ControlServer, socket_path
if "wait" in sys.argv:
    print("ready", flush=True)
    sys.stdin.readline()
server = ControlServer(socket_path(), lambda request: {}, allowed_commands=["who"])
try:
    server.start()
except AlreadyRunning as error:
    print("lost", error.pid, flush=True)
    sys.exit(0)
print("won", os.getpid(), flush=True)
sys.stdin.read()
server.stop()
"""


def handler(request: Request) -> dict[str, Any]:
    return {"cmd": request.cmd}


def new_server(path: Path | None = None) -> ControlServer:
    return ControlServer(path or socket_path(), handler, allowed_commands=["who"])


@pytest.fixture
def first() -> Iterator[ControlServer]:
    server = new_server()
    server.start()
    yield server
    server.stop()


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DAEMON, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    return process.stdout.readline().split()


# --- files and modes ----------------------------------------------------------------------


def test_socket_is_0600_lock_0600_and_folder_0700(first: ControlServer) -> None:
    path = socket_path()
    assert path.parent == Path(os.environ["XDG_RUNTIME_DIR"]) / "breakd"
    assert stat.S_ISSOCK(path.lstat().st_mode)
    assert stat.S_IMODE(path.lstat().st_mode) == 0o600
    assert stat.S_IMODE(lock_path(path).stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert lock_path(path).read_text() == f"{os.getpid()}\n"


def test_the_socket_is_born_private_even_under_a_permissive_umask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime_dir().mkdir(mode=0o700)
    # Without the chmod that follows bind, the mode can only come from bind's own umask.
    old = os.umask(0)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(os, "chmod", lambda *args, **kwargs: None)
            server = new_server()
            server.start()
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE(socket_path().lstat().st_mode) == 0o600
        assert stat.S_IMODE(socket_path().parent.stat().st_mode) == 0o700
    finally:
        server.stop()


@pytest.mark.parametrize("problem", ["open", "symlink", "file"])
def test_a_folder_others_could_reach_is_refused(tmp_path: Path, problem: str) -> None:
    folder = runtime_dir()
    if problem == "open":
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
    elif problem == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        folder.write_text("")
    with pytest.raises(UnsafeDirectory) as caught:
        new_server().start()
    assert str(folder) in str(caught.value)
    assert ping() is None


def test_a_folder_owned_by_someone_else_is_refused() -> None:
    folder = runtime_dir()
    folder.mkdir(mode=0o700)
    if os.geteuid() != 0:
        # Only root can give a folder away; without root the owner check is proven by
        # pretending to be another uid instead.
        real = paths._uid
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paths, "_uid", lambda: real() + 1)
            with pytest.raises(UnsafeDirectory, match="belongs to uid"):
                new_server().start()
        return
    os.chown(folder, NOBODY, NOBODY)
    with pytest.raises(UnsafeDirectory, match=f"belongs to uid {NOBODY}"):
        new_server().start()


def test_runtime_folder_falls_back_to_a_private_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(paths, "_SYSTEMD_RUNTIME_ROOT", tmp_path / "no-such-root")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert socket_path() == tmp_path / f"breakd-{os.geteuid()}" / "control.sock"
    server = new_server()
    server.start()
    try:
        assert stat.S_IMODE((tmp_path / f"breakd-{os.geteuid()}").stat().st_mode) == 0o700
        assert request("who") == {"cmd": "who"}
    finally:
        server.stop()

    systemd = tmp_path / "run-user" / str(os.geteuid())
    systemd.mkdir(parents=True, mode=0o700)
    monkeypatch.setattr(paths, "_SYSTEMD_RUNTIME_ROOT", tmp_path / "run-user")
    if sys.platform.startswith("linux"):
        assert runtime_dir() == systemd / "breakd"


def test_windows_pipe_name_carries_a_safe_user_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "Ann Lee\\x")
    assert pipe_name() == r"\\.\pipe\breakd-Ann_Lee_x"


# --- one daemon at a time -----------------------------------------------------------------


def test_a_second_server_in_this_process_is_refused_and_the_first_keeps_serving(
    first: ControlServer,
) -> None:
    with pytest.raises(AlreadyRunning) as caught:
        new_server().start()
    assert caught.value.pid == os.getpid()
    assert "already running" in str(caught.value)
    assert request("who") == {"cmd": "who"}


def test_a_second_server_in_another_process_is_refused_with_our_pid(
    first: ControlServer,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", DAEMON], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.split() == ["lost", str(os.getpid())], result.stderr
    assert request("who") == {"cmd": "who"}


def test_a_server_in_another_process_blocks_ours_until_it_is_killed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = spawn()
    try:
        verdict = first_line(other)
        assert verdict[0] == "won"
        assert ping() == other.pid == int(verdict[1])
        with pytest.raises(AlreadyRunning) as caught:
            new_server().start()
        assert caught.value.pid == other.pid
        os.kill(other.pid, signal.SIGKILL)
        other.wait(10)
    finally:
        other.kill()
        other.communicate()
    assert stat.S_ISSOCK(socket_path().lstat().st_mode)  # a crash leaves the socket behind
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        probe.connect(str(socket_path()))
    probe.close()
    with caplog.at_level(logging.INFO, logger="breakd.control"):
        server = new_server()
        server.start()
    try:
        assert ping() == os.getpid()
        assert "removed a stale control socket" in caplog.text
    finally:
        server.stop()


def test_a_socket_file_nobody_listens_on_is_replaced() -> None:
    runtime_dir().mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(socket_path()))
    dead.close()
    with new_server() as server:
        assert server.running
        assert request("who") == {"cmd": "who"}


def test_servers_starting_together_elect_exactly_one() -> None:
    racers = [spawn("wait") for _ in range(4)]
    try:
        for racer in racers:
            assert first_line(racer) == ["ready"]
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        verdicts = [first_line(racer) for racer in racers]
        winners = [int(pid) for word, pid in verdicts if word == "won"]
        assert len(winners) == 1, verdicts
        assert sorted(verdicts) == [["lost", str(winners[0])]] * 3 + [["won", str(winners[0])]]
        assert ping() == winners[0]
    finally:
        for racer in racers:
            racer.kill()
            racer.communicate()


def test_a_held_lock_wins_even_before_its_socket_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = runtime_dir()
    folder.mkdir(mode=0o700)
    holder = os.open(lock_path(socket_path()), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.write(holder, b"4242\n")
        with pytest.raises(AlreadyRunning) as caught:
            new_server().start()
        assert caught.value.pid == 4242
        os.ftruncate(holder, 0)  # a holder that has not written its pid yet
        monkeypatch.setattr(server_module, "_PROBE_TIMEOUT", 0.2)
        with pytest.raises(AlreadyRunning) as caught:
            new_server().start()
        assert caught.value.pid is None
        assert not socket_path().exists()
    finally:
        os.close(holder)
    with new_server():
        assert ping() == os.getpid()


def test_a_live_socket_is_respected_even_if_its_lock_file_was_deleted(
    first: ControlServer,
) -> None:
    lock_path(socket_path()).unlink()
    with pytest.raises(AlreadyRunning) as caught:
        new_server().start()
    assert caught.value.pid == os.getpid()
    assert request("who") == {"cmd": "who"}


def test_a_file_that_is_not_a_socket_is_left_alone() -> None:
    runtime_dir().mkdir(mode=0o700)
    socket_path().write_text("precious")
    with pytest.raises(FileExistsError):
        new_server().start()
    assert socket_path().read_text() == "precious"


def test_stop_does_not_remove_a_socket_that_replaced_ours(first: ControlServer) -> None:
    path = socket_path()
    path.unlink()
    newer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        newer.bind(str(path))
        first.stop()
        assert stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        newer.close()


def test_stop_removes_the_socket_and_frees_the_lock(first: ControlServer) -> None:
    first.stop()
    assert not socket_path().exists()
    assert ping() is None
    with new_server():
        assert ping() == os.getpid()


# --- other users --------------------------------------------------------------------------


def connect_as(uid: int, path: Path) -> str:
    """From a forked child running as ``uid``: how a ping to ``path`` went."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, reports through the pipe
        outcome = "child failed"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe.settimeout(5)
            try:
                probe.connect(str(path))
            except PermissionError:
                outcome = "EACCES"
            else:
                try:
                    probe.sendall(b'{"v": 1, "id": 1, "cmd": "ping"}\n')
                    data = probe.recv(4096)
                    outcome = f"reply {data!r}" if data else "closed"
                except (ConnectionResetError, BrokenPipeError):
                    outcome = "closed"
                except TimeoutError:
                    outcome = "no answer"
        except BaseException as error:
            outcome = f"child failed: {error!r}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(child, 0)
    return outcome


@pytest.fixture
def reachable_folder() -> Iterator[Path]:
    """A private folder in /tmp, which every user can traverse once it is opened to 0711."""
    folder = Path(tempfile.mkdtemp(prefix="breakd-peer-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_other_users_are_kept_out_by_the_file_mode_and_by_the_peer_check(
    reachable_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = reachable_folder / "control.sock"
    with new_server(path) as server:
        assert stat.S_IMODE(path.lstat().st_mode) == 0o600
        if os.geteuid() != 0:
            warnings.warn(
                "not root: cannot connect as another uid; checked the peer-uid test instead",
                stacklevel=1,
            )
            refused_by_peer_check(server, path, caplog)
            return
        reachable_folder.chmod(0o711)  # from here on only the socket's own mode keeps out
        assert connect_as(NOBODY, path) == "EACCES"
        path.chmod(0o666)  # now only SO_PEERCRED stands in the way
        with caplog.at_level(logging.WARNING, logger="breakd.control"):
            assert connect_as(NOBODY, path) == "closed"
        assert f"refused a control connection from uid {NOBODY}" in caplog.text
        assert ping(path=path) == os.getpid()
        path.chmod(0o600)


def refused_by_peer_check(
    server: ControlServer, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server._uid = os.geteuid() + 1  # as if this test's user were a stranger to the server
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(5)
    client.connect(str(path))
    with caplog.at_level(logging.WARNING, logger="breakd.control"):
        try:
            client.sendall(b'{"v": 1, "cmd": "ping"}\n')
            assert client.recv(4096) == b""
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            client.close()
    assert f"refused a control connection from uid {os.geteuid()}" in caplog.text
    server._uid = os.geteuid()
    assert ping(path=path) == os.getpid()


def test_the_peer_uid_check_closes_a_stranger_without_an_answer(
    reachable_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = reachable_folder / "control.sock"
    with new_server(path) as server:
        refused_by_peer_check(server, path, caplog)
