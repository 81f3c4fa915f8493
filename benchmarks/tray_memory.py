"""What the tray costs in memory: the daemon with the sni backend against the gtk one.

Run:  python benchmarks/tray_memory.py [--settle 5] [--json out.json]

Each run starts the real daemon in private XDG folders, on a private Xvfb and a private
D-Bus session bus, with a real tray for its backend: ``gtk-sni-tray-standalone
--watcher`` (a StatusNotifierItem host; python-dbusmock's watcher stands in when that is
not installed) for ``sni``, ``trayer`` (an XEmbed tray) for ``gtk``. Once the log says
the icon is shown and the process has settled, it prints RSS (``VmRSS``), PSS and USS
(from ``/proc/PID/smaps_rollup``). ``none`` is the daemon without any tray, for scale.
Linux only; it needs Xvfb, dbus-daemon, and trayer for the gtk run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.sessionbus import Bus, spawn_mock, start_bus  # noqa: E402
from support.xserver import start_xvfb  # noqa: E402

WATCHER = "org.kde.StatusNotifierWatcher"
BACKENDS = ("sni", "gtk", "none")


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    fields = {
        line.split(":")[0]: int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
        if line.split()[-1] == "kB"
    }
    uss_kb = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {"rss_mb": rss_kb / 1024, "pss_mb": fields["Pss"] / 1024, "uss_mb": uss_kb / 1024}


def start_tray(backend: str, env: dict[str, str], bus: Bus) -> tuple[str, object]:
    """A tray for ``backend``: (what it is, something with ``stop()`` or a Popen)."""
    if backend == "sni":
        host = shutil.which("gtk-sni-tray-standalone")
        if host:
            process = subprocess.Popen(
                [host, "--watcher", "--top", "--end", "--size", "32"],
                env={**env, "NO_AT_BRIDGE": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            return "gtk-sni-tray-standalone", process
        template = ROOT / "tests" / "support" / "sni_watcher_template.py"
        mock = spawn_mock(bus, WATCHER, "/StatusNotifierWatcher", WATCHER, template=str(template))
        return "python-dbusmock watcher", mock
    if backend == "gtk":
        trayer = shutil.which("trayer")
        if trayer is None:
            raise SystemExit("trayer not found: install the Debian package trayer")
        process = subprocess.Popen(
            [trayer, "--edge", "top", "--align", "right", "--height", "32"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return "trayer", process
    return "no tray", None


def stop(thing: object) -> None:
    if isinstance(thing, subprocess.Popen):
        thing.terminate()
        thing.wait(5)
    elif thing is not None:
        thing.stop()  # type: ignore[attr-defined]  # a MockService


def measure(backend: str, settle: float) -> dict[str, object]:
    bus = start_bus()
    server = start_xvfb()
    home = Path(tempfile.mkdtemp(prefix="breakd-traymem-"))
    env = {
        **os.environ,
        "DISPLAY": server.display,
        "DBUS_SESSION_BUS_ADDRESS": bus.address,
        "XDG_RUNTIME_DIR": str(home),
        "NO_AT_BRIDGE": "1",
    }
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    if backend == "none":
        env["DISPLAY"] = ""
        env.pop("PYSTRAY_BACKEND", None)
    else:
        env["PYSTRAY_BACKEND"] = backend
    log = home / "xdg_state_home" / "breakd" / "log" / "breakd.log"
    tray_name, tray = start_tray(backend, env, bus)
    time.sleep(1.0)  # let the tray take its name or selection first
    daemon = subprocess.Popen(
        [sys.executable, "-m", "breakd", "--no-autostart",
         "--set", "activity.idle_source=always-present"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wanted = "tray icon off" if backend == "none" else f"tray: icon shown ({backend} backend)"
        deadline = time.monotonic() + 30
        while not (log.exists() and wanted in log.read_text()):
            if time.monotonic() > deadline or daemon.poll() is not None:
                text = log.read_text() if log.exists() else "(no log)"
                raise SystemExit(f"{backend}: {wanted!r} never came:\n{text[-2000:]}")
            time.sleep(0.1)
        time.sleep(settle)
        figures = memory_mb(daemon.pid)
        maps = Path(f"/proc/{daemon.pid}/maps").read_text()
        return {
            "backend": backend,
            "tray": tray_name,
            **{key: round(value, 1) for key, value in figures.items()},
            "gtk_loaded": "libgtk-3" in maps,
        }
    finally:
        daemon.terminate()
        daemon.wait(10)
        stop(tray)
        server.stop()
        bus.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the icon shows")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="which, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = [measure(name, args.settle) for name in args.backends.split(",")]
    print(f"{'backend':8} {'tray':26} {'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7}  GTK loaded")
    for row in rows:
        print(
            f"{row['backend']:8} {row['tray']:26} {row['rss_mb']:7.1f} {row['pss_mb']:7.1f}"
            f" {row['uss_mb']:7.1f}  {'yes' if row['gtk_loaded'] else 'no'}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
