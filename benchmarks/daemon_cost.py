"""What the running daemon costs: start-up, memory, CPU and wake-ups while idle.

Run:  python benchmarks/daemon_cost.py [--seconds 120] [--json out.json]

It starts the real daemon in private XDG folders, waits for it to be ready, then watches
it for the given time and prints a table (and JSON). Figures come from /proc, so this
runs on Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {
    "startup_seconds": 1.0,
    "rss_mb": 35.0,
    "cpu_seconds_per_10_min": 0.05,
    "context_switches_per_min": 30.0,
}


def rss_and_uss_mb(pid: int) -> tuple[float, float | None]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    uss: float | None = None
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        fields = {
            line.split(":")[0]: int(line.split()[1])
            for line in rollup.read_text().splitlines()[1:]
            if line.split()[-1] == "kB"
        }
        uss = (fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024
    return rss_kb / 1024, uss


def cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(parts[11]) + int(parts[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def context_switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def reading(pid: int) -> tuple[float, int, float]:
    """CPU seconds so far, context switches so far, and when."""
    return cpu_seconds(pid), context_switches(pid), time.monotonic()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long to watch idle")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="breakd-bench-") as home:
        env = dict(os.environ)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = str(Path(home) / var.lower())
        log = Path(env["XDG_STATE_HOME"]) / "breakd" / "log" / "breakd.log"
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "breakd"], env=env, stdin=subprocess.DEVNULL
        )
        try:
            while not (log.exists() and "breakd started" in log.read_text()):
                if process.poll() is not None:
                    raise SystemExit("breakd exited during start-up")
                time.sleep(0.005)
            startup = time.monotonic() - started
            time.sleep(5)  # let start-up work settle
            cpu0, switches0, t0 = reading(process.pid)
            time.sleep(args.seconds)
            cpu1, switches1, t1 = reading(process.pid)
            rss, uss = rss_and_uss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(10)
    minutes = (t1 - t0) / 60
    figures = {
        "startup_seconds": round(startup, 3),
        "rss_mb": round(rss, 1),
        "uss_mb": None if uss is None else round(uss, 1),
        "cpu_seconds_per_10_min": round((cpu1 - cpu0) / minutes * 10, 4),
        "context_switches_per_min": round((switches1 - switches0) / minutes, 1),
        "watched_seconds": round(t1 - t0, 1),
    }
    print(f"{'figure':<28}{'measured':>12}{'target':>12}")
    for name, value in figures.items():
        target = TARGETS.get(name)
        print(f"{name:<28}{value!s:>12}{'' if target is None else f'< {target}':>12}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
