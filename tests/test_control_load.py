"""Many clients at once against the real daemon: every one gets its own, correct answer.

No timings are asserted (a busy 2-core machine would make them flaky); the benchmark
``benchmarks/control_load.py`` prints the figures.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from support.daemon import DaemonProcess, breakd, wait_for

from breakd.control import ping, request, socket_path
from breakd.control.client import ControlError, DaemonNotRunning

ARGS = ["--set", "activity.idle_source=always-present"]
CLIENTS, EACH = 50, 20


@pytest.fixture
def daemon(daemons: list[DaemonProcess]) -> Iterator[DaemonProcess]:
    process = DaemonProcess(ARGS)
    daemons.append(process)
    wait_for(lambda: ping() == process.pid, 60, "breakd to answer ping")
    yield process


@pytest.mark.slow
def test_fifty_concurrent_clients_all_get_correct_answers(daemon: DaemonProcess) -> None:
    """Before: of 1,000 requests, 506 "answered a different request", 237 EAGAIN, 28 busy."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        start.wait()
        for turn in range(EACH):
            try:
                if (number + turn) % 2:
                    result = request("status", timeout=30)
                    ok = result["idle_source"] == "always-present"
                else:
                    ok = ping(timeout=30) == daemon.pid
                outcome = "ok" if ok else "wrong answer"
            except (ControlError, DaemonNotRunning) as error:
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert outcomes == Counter({"ok": CLIENTS * EACH}), outcomes.most_common(5)
    assert daemon.alive()


@pytest.mark.slow
def test_idle_connections_cannot_lock_the_user_out_of_breakd_status(
    daemon: DaemonProcess,
) -> None:
    """Before: with 32 idle connections open, ``breakd status`` exited 1."""
    idle = []
    for _ in range(32):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(str(socket_path()))
        # A ping answered proves the daemon accepted it (not just the kernel's queue).
        sock.sendall(b'{"v": 1, "cmd": "ping"}\n')
        assert b'"ok":true' in sock.recv(4096)
        idle.append(sock)
    try:
        shown = breakd("status")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip()
        assert idle[0].recv(4096) == b"", "the longest-idle connection made room"
    finally:
        for sock in idle:
            sock.close()
