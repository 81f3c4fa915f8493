"""How fast the control channel answers: requests per second and p99 latency.

Run:  python benchmarks/control_load.py [--requests 1000] [--clients 1 50]

It starts the real daemon in private XDG folders in a temporary directory (no display,
no session bus, ``--no-autostart``, the always-present idle source), then sends
``status`` requests with breakd's own client from 1 and from 50 threads at once, each
request on its own connection as ``breakd status`` does, and prints the figures.
Failed requests are counted and printed too; there should be none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from private_daemon import private_environment, start_daemon


def start_private_daemon(home: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = private_environment(home)
    return start_daemon(env), env


def run(clients: int, total: int) -> dict[str, float]:
    """``total`` status requests spread over ``clients`` threads; figures in ms and /s."""
    from breakd.control import ControlError, DaemonNotRunning, request

    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    each = max(1, total // clients)
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        nonlocal failures
        mine: list[float] = []
        errors = 0
        barrier.wait()
        for _ in range(each):
            started = time.perf_counter()
            try:
                request("status", timeout=30)
            except (ControlError, DaemonNotRunning):
                errors += 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            failures += errors

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return {
        "clients": clients,
        "requests": clients * each,
        "failed": failures,
        "per_second": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": p99 * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per run (default 1000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="breakd-load-") as folder:
        daemon, env = start_private_daemon(Path(folder))
        os.environ.clear()
        os.environ.update(env)  # the client finds the daemon through the same folders
        from breakd.control import ping

        try:
            deadline = time.monotonic() + 60
            while ping() != daemon.pid:
                if daemon.poll() is not None or time.monotonic() > deadline:
                    print("breakd did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            run(1, 50)  # warm up: imports, first history queries
            print(
                f"{'clients':>7} {'requests':>8} {'failed':>6} {'req/s':>8} {'median ms':>9}"
                f" {'p99 ms':>7}"
            )
            for clients in options.clients:
                row = run(clients, options.requests)
                print(
                    f"{row['clients']:>7} {row['requests']:>8} {row['failed']:>6}"
                    f" {row['per_second']:>8.0f} {row['median_ms']:>9.1f} {row['p99_ms']:>7.1f}"
                )
        finally:
            daemon.terminate()
            daemon.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
