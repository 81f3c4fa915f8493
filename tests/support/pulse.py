"""A private PulseAudio sound server for one test, with a null source as the microphone.

How it is started, and why: ``pulseaudio --daemonize=no -n`` (no default script) loads
only what is named: the native protocol on a socket in the test's own folder (with
anonymous auth, so no cookie is needed), a null source ``mic`` (the microphone) and a
null sink ``speakers`` (whose ``speakers.monitor`` records what is played). Run as root
it warns that it is "not intended to be run as root" but works without ``--system``
once ``PULSE_RUNTIME_PATH``, ``XDG_RUNTIME_DIR`` and ``HOME`` point at a private folder;
``--disallow-exit --exit-idle-time=-1`` keep it running while no client is connected,
and ``--disable-shm`` avoids shared memory between users. Clients (breakd, parecord)
find it through ``PULSE_SERVER``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.daemon import wait_for
from support.xserver import require_tool

MICROPHONE = "mic"
SPEAKERS = "speakers"


@dataclass
class PulseServer:
    address: str
    folder: Path
    recorders: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def record(self, source: str) -> subprocess.Popen[bytes]:
        """An application capturing from ``source`` (parecord, into nothing)."""
        parecord = require_tool("parecord", "pulseaudio-utils")
        process = subprocess.Popen(
            [parecord, "--device", source, "/dev/null"],
            env={**os.environ, "PULSE_SERVER": self.address},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.recorders.append(process)
        return process

    def capture_streams(self) -> int:
        pactl = require_tool("pactl", "pulseaudio-utils")
        out = subprocess.run(
            [pactl, "--server", self.address, "list", "short", "source-outputs"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return len(out.splitlines())


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseServer]:
    """A running private PulseAudio, with ``PULSE_SERVER`` pointing at it."""
    binary = require_tool("pulseaudio", "pulseaudio")
    folder = tmp_path / "pulse"
    folder.mkdir(mode=0o700)
    socket = folder / "native"
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(folder),
        "XDG_RUNTIME_DIR": str(folder),
        "HOME": str(folder),
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    log = (folder / "pulseaudio.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "--daemonize=no",
            "-n",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--disable-shm=yes",
            "--use-pid-file=no",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}",
            f"--load=module-null-source source_name={MICROPHONE}",
            f"--load=module-null-sink sink_name={SPEAKERS}",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = PulseServer(f"unix:{socket}", folder)
    try:
        wait_for(lambda: process.poll() is not None or socket.exists(), what="pulseaudio")
        assert process.poll() is None, (folder / "pulseaudio.log").read_text()
        monkeypatch.setenv("PULSE_SERVER", server.address)
        yield server
    finally:
        for recorder in server.recorders:
            stop(recorder)
        stop(process)
        log.close()
