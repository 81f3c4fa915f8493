"""How long the commands a status bar runs take, against the bare interpreter.

Run:  python benchmarks/cli_speed.py [--runs 20] [--breakd PATH]

It starts the real daemon in private XDG folders in a temporary directory (no display,
no session bus, ``--no-autostart``, the always-present idle source), then times whole
processes, start-up included, as a status bar starts them: ``python -c pass`` (the
yardstick), ``breakd --help``, ``breakd status``, ``breakd status --json`` and
``breakd snooze 1m``. The commands run in turn, one run of each per round, so a machine
that slows down part-way slows them all alike. It prints the median, fastest and
slowest wall time of each and the median's ratio to the bare interpreter's; the goal
for status, snooze and --help is at most 3.

``breakd`` is the console script beside this Python (what ``pip install`` writes and
users run), or ``--breakd``. Each command runs once before timing, and with
PYTHONDONTWRITEBYTECODE unset, so Python's bytecode cache is in place as on an
installed system.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from private_daemon import private_environment, start_daemon

#: What the goal for these commands allows, as a multiple of ``python -c pass``.
GOAL = 3.0


def wait_until_answering(breakd: str, env: dict[str, str], daemon: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            return False
        answered = subprocess.run([breakd, "status"], env=env, capture_output=True, check=False)
        if answered.returncode == 0:
            return True
        time.sleep(0.1)
    return False


def time_once(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds from starting ``argv`` to reaping it; its output is thrown away."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument(
        "--breakd",
        default=str(Path(sys.executable).with_name("breakd")),
        help="the breakd command to time (default: the console script beside this Python)",
    )
    options = parser.parse_args()
    breakd: str = options.breakd
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "breakd --help": [breakd, "--help"],
        "breakd status": [breakd, "status"],
        "breakd status --json": [breakd, "status", "--json"],
        "breakd snooze 1m": [breakd, "snooze", "1m"],
    }
    with tempfile.TemporaryDirectory(prefix="breakd-cli-speed-") as folder:
        # Bytecode is cached as on an installed system: that is what users start.
        env = private_environment(Path(folder), drop=("PYTHONDONTWRITEBYTECODE",))
        daemon = start_daemon(env)
        try:
            if not wait_until_answering(breakd, env, daemon):
                print("breakd did not start", file=sys.stderr)
                return 1
            for argv in commands.values():  # warm up: the bytecode cache, the disk cache
                time_once(argv, env)
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(options.runs):
                for name, argv in commands.items():
                    times[name].append(time_once(argv, env))
        finally:
            daemon.terminate()
            daemon.wait(30)
    bare = statistics.median(times["python -c pass"])
    print(f"{options.runs} runs each, whole processes, wall time in milliseconds")
    print(f"{'command':<22} {'median':>7} {'min':>7} {'max':>7} {'ratio to python':>16}")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(
            f"{name:<22} {median * 1000:>7.1f} {min(runs) * 1000:>7.1f}"
            f" {max(runs) * 1000:>7.1f} {median / bare:>16.2f}"
        )
    print(f"goal for status, snooze and --help: at most {GOAL:g} times python -c pass")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
