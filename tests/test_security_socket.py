"""Another user cannot take over breakd's control channel through the ``/tmp`` fallback.

Without ``XDG_RUNTIME_DIR`` (and without ``/run/user/<uid>``) the socket's folder is
``$TMPDIR/breakd-<uid>``, a name any user can create first in a shared temp folder.

Why the victim is a second, non-root user and not the test's own (root) user: root's
``/run/user/0`` exists on many machines (any root login through logind makes it), and
the daemon rightly prefers it to the temp folder, so a root victim would never reach
the code under test. A system user made for the test has no login session, hence no
``/run/user/<uid>``; the test checks that rather than assuming it. Everything runs
with environment set-up only (``XDG_RUNTIME_DIR`` unset, ``TMPDIR`` pointing at a
sticky 1777 folder the test owns), so the real ``/tmp/breakd-*`` names are never used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.daemon import DaemonProcess, wait_for
from support.users import INTRUDER, VICTIM, User, shared_dir, system_user, user_env

from breakd.control.client import NOT_YOURS, ControlError, request

__all__ = ["shared_dir"]  # the fixture, used by name below

# The intruder's fake breakd: it answers every request with made-up figures and keeps
# what it was sent. It prints "ready" once it listens.
FAKE_SERVER = r"""
import json, os, socket, sys
folder, record = sys.argv[1], sys.argv[2]
os.makedirs(folder, exist_ok=True)
os.chmod(folder, 0o777)
path = os.path.join(folder, "control.sock")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o777)
server.listen(8)
print("ready", flush=True)
while True:
    client, _ = server.accept()
    data = b""
    while b"\n" not in data:
        chunk = client.recv(4096)
        if not chunk:
            break
        data += chunk
    if data:
        with open(record, "ab") as out:
            out.write(data)
    try:
        request_id = json.loads(data.split(b"\n")[0]).get("id")
    except ValueError:
        request_id = None
    fake = {"state": "paused", "phase": "sitting", "sitting_seconds": 1.0, "fake": True,
            "pid": 1, "paused": True, "reminder_due": False, "today": None}
    reply = {"v": 1, "id": request_id, "ok": True, "result": fake}
    client.sendall(json.dumps(reply).encode() + b"\n")
    client.close()
"""


@dataclass
class Scene:
    """Two users sharing a temp folder: what each has, and how to act as them."""

    intruder: User
    victim: User
    tmp: Path  # the shared sticky temp folder (the victim's TMPDIR)
    home: Path  # the victim's home
    env: dict[str, str]  # the victim's environment
    record: Path  # what the intruder's fake server received

    @property
    def squat(self) -> Path:
        """The victim's usual socket folder, which the intruder takes first."""
        return self.tmp / f"breakd-{self.victim.uid}"

    @property
    def fallback(self) -> Path:
        return self.home / "state" / "breakd" / "run"

    @property
    def log(self) -> Path:
        return self.home / "state" / "breakd" / "log" / "breakd.log"

    def breakd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.victim.run([sys.executable, "-m", "breakd", *args], self.env)

    def received(self) -> bytes:
        return self.record.read_bytes() if self.record.exists() else b""


@pytest.fixture
def scene(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    # DaemonProcess adds this process's environment: take out what the victim must not see.
    for name in ("XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    intruder, victim = system_user(INTRUDER), system_user(VICTIM)
    runtime = Path(f"/run/user/{victim.uid}")
    if runtime.exists():
        pytest.fail(
            f"{runtime} exists, so breakd would rightly use it instead of the temp folder"
            f" this test is about; {VICTIM} should be a system user with no login session"
        )
    tmp = shared_dir / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)  # like /tmp: everyone may create, nobody may remove another's
    home = shared_dir / "victim"
    home.mkdir(mode=0o700)
    os.chown(home, victim.uid, victim.gid)
    intruder_home = shared_dir / "intruder"
    intruder_home.mkdir(mode=0o755)
    os.chown(intruder_home, intruder.uid, intruder.gid)
    env = user_env(home, TMPDIR=str(tmp))
    yield Scene(intruder, victim, tmp, home, env, intruder_home / "received")


@pytest.fixture
def fake_server(scene: Scene) -> Iterator[Path]:
    """The intruder's fake breakd, listening in the victim's usual socket folder."""
    process = subprocess.Popen(
        [
            *scene.intruder.wrapper(),
            sys.executable,
            "-c",
            FAKE_SERVER,
            str(scene.squat),
            str(scene.record),
        ],
        env=user_env(scene.record.parent),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", f"the fake server did not start: {line}"
        yield scene.squat / "control.sock"
    finally:
        process.kill()
        process.wait(10)


def squat(scene: Scene, how: str) -> None:
    """What the intruder leaves at the victim's usual folder before the victim starts."""
    if how == "folder":
        code = f"import os; os.mkdir({str(scene.squat)!r}); os.chmod({str(scene.squat)!r}, 0o777)"
    else:
        mine = scene.record.parent / "mine"
        code = (
            f"import os; os.mkdir({str(mine)!r}, 0o777); os.chmod({str(mine)!r}, 0o777);"
            f" os.symlink({str(mine)!r}, {str(scene.squat)!r})"
        )
    done = scene.intruder.python(code, user_env(scene.record.parent))
    assert done.returncode == 0, done.stderr


def start_victim_daemon(scene: Scene, daemons: list[DaemonProcess]) -> DaemonProcess:
    daemon = DaemonProcess(
        ["--set", "activity.idle_source=always-present"],
        env=scene.env,
        wrapper=scene.victim.wrapper(),
    )
    daemons.append(daemon)
    return daemon


def wait_log(scene: Scene, daemon: DaemonProcess, text: str) -> str:
    def found() -> str:
        if not daemon.alive():
            raise AssertionError(f"breakd exited early:\n{daemon.output()}")
        content = scene.log.read_text() if scene.log.exists() else ""
        return content if text in content else ""

    return wait_for(found, 60, f"{text!r} in the victim's log")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["folder", "symlink", "fake-server"])
def test_a_squatted_temp_folder_sends_the_daemon_home_and_the_cli_follows(
    scene: Scene, daemons: list[DaemonProcess], request: pytest.FixtureRequest, how: str
) -> None:
    """Before: the control channel was off (a second daemon started), or the fake server
    got the victim's commands and ``breakd status`` printed its figures, exit 0."""
    if how == "fake-server":
        request.getfixturevalue("fake_server")
    else:
        squat(scene, how)
    daemon = start_victim_daemon(scene, daemons)
    log = wait_log(scene, daemon, "the control socket is in")
    assert str(scene.squat) in log and str(scene.fallback) in log
    assert (scene.fallback / "control.sock").exists()

    shown = scene.breakd("status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert "fake" not in status and status["idle_source"] == "always-present"
    for command in (("snooze", "10m"), ("set", "interval", "45m")):
        done = scene.breakd(*command)
        assert done.returncode == 0, done.stderr
    assert json.loads(scene.breakd("status", "--json").stdout)["interval_seconds"] == 2700
    assert scene.received() == b"", "the intruder's server got the victim's commands"

    second = DaemonProcess(
        ["--set", "activity.idle_source=always-present"],
        env=scene.env,
        wrapper=scene.victim.wrapper(),
    )
    daemons.append(second)
    assert second.process.wait(60) == 0
    assert f"breakd is already running (pid {daemon.pid})" in second.output()
    assert daemon.alive()
    assert scene.log.read_text().count("the control socket is in") == 1


@pytest.mark.slow
def test_with_no_daemon_the_cli_ignores_the_fake_server_and_says_why(
    scene: Scene, fake_server: Path
) -> None:
    """Before: ``breakd status`` printed the intruder's figures and exited 0."""
    shown = scene.breakd("status")
    assert shown.returncode == 3, shown.stdout + shown.stderr
    assert "breakd is not running" in shown.stderr
    assert f"{scene.squat} belongs to uid {scene.intruder.uid} ({INTRUDER})" in shown.stderr
    assert scene.received() == b""


@pytest.mark.slow
def test_the_client_refuses_a_server_run_by_another_user(scene: Scene, fake_server: Path) -> None:
    """Given the fake server's socket directly, the kernel's word on who listens there
    (SO_PEERCRED) stops the client before it sends anything."""
    with pytest.raises(ControlError) as refused:
        request("status", {"secret": "my sitting time"}, path=fake_server)
    assert refused.value.code == NOT_YOURS
    assert str(fake_server) in refused.value.message
    assert f"uid {scene.intruder.uid} ({INTRUDER})" in refused.value.message
    assert scene.received() == b""
