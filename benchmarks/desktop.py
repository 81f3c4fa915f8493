"""What breakd costs on a desktop: the real daemon beside a real X server, tray and bus.

Run:  .venv/bin/python benchmarks/desktop.py [--quick] [--tray-backend gtk] [--json FILE]

Each "desktop" is a private Xvfb, a private session bus with a notification server
(python-dbusmock with tests/support/notification_template.py), a tray host and the real
daemon (``python -m breakd``) in private XDG folders. Three run:

* **latency**: reminders every 20 s (``--set interval=20s``); the time from each due
  moment to the ``Notify`` call on the bus, timed by the notification server.
* **idle**: default settings, nobody touches the X server. Start-up to ready (the log
  says "tray: icon shown" and the control socket answers ``status``), memory after 60 s
  and after 10 minutes, CPU and context switches over the 10 minutes after the first.
* **active**: the same while xdotool moves the mouse every 15 s.

The idle and active desktops run side by side. ``--quick`` shortens the windows
(memory at 20 s and 80 s, CPU over 60 s, scaled to 10 minutes) to try it out; the full
run takes about 13 minutes. Figures come from /proc (Linux). The table shows each figure
with its target and what two established break reminders use, measured the same way.
The tray host follows ``--tray-backend``: ``gtk-sni-tray-standalone --watcher`` (a
StatusNotifierItem bar, as KDE, GNOME with AppIndicator and most panels are) for the
default ``auto`` and for ``sni``; ``trayer`` (an XEmbed tray) for ``gtk`` and ``xorg``.
Needs the Debian packages xvfb, dbus, xdotool, haskell-gtk-sni-tray-utils and trayer,
and the test extras.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.sessionbus import Bus, MockService, spawn_mock, start_bus  # noqa: E402
from support.sni import SniHost  # noqa: E402
from support.xserver import XServer, start_xvfb  # noqa: E402

TEMPLATE = str(ROOT / "tests" / "support" / "notification_template.py")
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

#: name: (target, comparison text). Lower is better for every figure.
TARGETS: dict[str, tuple[float, str]] = {
    "startup_seconds": (1.0, ""),
    "rss_mb_60s": (35.0, "66 / 94"),
    "rss_mb_10min": (35.0, "66 / 94"),
    "uss_mb_10min": (35.0, ""),
    "cpu_seconds_per_10_min_idle": (0.05, "0.15 / 0.75"),
    "cpu_seconds_per_10_min_active": (0.05, ""),
    "context_switches_per_min_idle": (30.0, "120 / 700"),
    "context_switches_per_min_active": (30.0, ""),
    "reminder_latency_seconds_max": (1.0, ""),
}
LATENCY_INTERVAL = 20.0
LATENCY_REMINDERS = 3
MOVE_EVERY = 15.0


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise SystemExit(f"{tool} not found: install the Debian package {package}")
    return path


# --- readings from /proc ----------------------------------------------------------------


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (private clean + private dirty) from smaps_rollup."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "rss": round(fields.get("Rss", 0) / 1024, 1),
        "pss": round(fields.get("Pss", 0) / 1024, 1),
        "uss": round(uss / 1024, 1),
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (threads that ended included)."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid: int) -> tuple[int, dict[str, int]]:
    """Voluntary + involuntary switches summed over the live threads, and per thread."""
    per_thread: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:
            continue
        name, count = "?", 0
        for line in lines:
            if line.startswith("Name:"):
                name = line.split(None, 1)[1] if len(line.split()) > 1 else "?"
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                count += int(line.split()[1])
        key = f"{name}/{task.name}"
        per_thread[key] = count
    return sum(per_thread.values()), per_thread


# --- one desktop ------------------------------------------------------------------------


@dataclass
class Desktop:
    """Xvfb, a session bus with a notification server, a tray host, and breakd."""

    name: str
    home: Path
    tray_backend: str
    breakd_args: list[str] = field(default_factory=list)
    xserver: XServer | None = None
    bus: Bus | None = None
    notifications: MockService | None = None
    trayer: subprocess.Popen[bytes] | None = None
    sni_host: SniHost | None = None
    daemon: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    startup: dict[str, float] = field(default_factory=dict)

    def start_desktop(self) -> None:
        self.xserver = start_xvfb()
        self.bus = start_bus()
        self.env = dict(os.environ)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            folder = self.home / var.lower()
            folder.mkdir(parents=True, exist_ok=True)
            self.env[var] = str(folder)
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env.update(
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_DIRS=str(self.home / "site"),
            DISPLAY=self.xserver.display,
            DBUS_SESSION_BUS_ADDRESS=self.bus.address,
            NO_AT_BRIDGE="1",
        )
        self.env.pop("WAYLAND_DISPLAY", None)
        if self.tray_backend != "auto":
            self.env["PYSTRAY_BACKEND"] = self.tray_backend
        saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        self.notifications = spawn_mock(
            self.bus, NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, template=TEMPLATE
        )
        if saved is not None:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        if self.tray_backend in ("auto", "sni"):
            self.sni_host = SniHost(self.xserver, self.bus)
            return
        trayer = require("trayer", "trayer")
        self.trayer = subprocess.Popen(
            [trayer, "--edge", "top", "--align", "right", "--widthtype", "request",
             "--height", "32", "--SetDockType", "true"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)  # trayer takes the tray selection

    @property
    def log(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "breakd" / "log" / "breakd.log"

    @property
    def history(self) -> Path:
        return Path(self.env["XDG_DATA_HOME"]) / "breakd" / "history.sqlite3"

    @property
    def socket(self) -> Path:
        return Path(self.env["XDG_RUNTIME_DIR"]) / "breakd" / "control.sock"

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def start_breakd(self, timeout: float = 30.0) -> None:
        """Start the daemon and time it to the tray icon and to a ``status`` answer."""
        started = time.monotonic()
        self.daemon = subprocess.Popen(
            [sys.executable, "-m", "breakd", *self.breakd_args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while time.monotonic() - started < timeout and len(self.startup) < 2:
            if self.daemon.poll() is not None:
                raise SystemExit(f"{self.name}: breakd exited during start-up:\n{self.log_text()}")
            now = time.monotonic() - started
            if "tray_shown" not in self.startup and "tray: icon shown" in self.log_text():
                self.startup["tray_shown"] = now
            if "status_answered" not in self.startup and self.status() is not None:
                self.startup["status_answered"] = now
            time.sleep(0.02)
        if "tray_shown" not in self.startup:
            note = f"{self.name}: the tray icon was not shown within {timeout:.0f}s"
            print(note, file=sys.stderr)

    def status(self) -> dict[str, Any] | None:
        """One ``status`` request over the control socket, or None if nobody answers."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(2)
                client.connect(str(self.socket))
                client.sendall(b'{"v": 1, "id": 1, "cmd": "status"}\n')
                data = b""
                while not data.endswith(b"\n"):
                    chunk = client.recv(65536)
                    if not chunk:
                        return None
                    data += chunk
        except OSError:
            return None
        reply = json.loads(data)
        return reply.get("result") if reply.get("ok") else None

    def notify_times(self) -> list[float]:
        """When each reminder's Notify call reached the server (its log, Unix seconds).

        Other messages (such as a first-run note) are left out.
        """
        assert self.notifications is not None
        text = self.notifications.output()
        reminder = r'^(\d+\.\d+) Notify "[^"]*" \d+ "[^"]*" "You\'ve been sitting'
        return [float(m.group(1)) for m in re.finditer(reminder, text, re.M)]

    def move_mouse(self) -> None:
        xdotool = require("xdotool", "xdotool")
        x, y = random.randrange(100, 1100), random.randrange(100, 700)
        subprocess.run([xdotool, "mousemove", str(x), str(y)], env=self.env, check=False)

    def stop(self) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait(5)
        if self.sni_host is not None:
            self.sni_host.stop()
        if self.trayer is not None and self.trayer.poll() is None:
            self.trayer.terminate()
            self.trayer.wait(5)
        if self.notifications is not None:
            self.notifications.stop()
        if self.bus is not None:
            self.bus.stop()
        if self.xserver is not None:
            self.xserver.stop()


def tray_backend_used(desktop: Desktop) -> str:
    match = re.search(r"tray: (\w+) backend", desktop.log_text())
    if match:
        return match.group(1)
    return "none (" + ("tray icon off" if "tray icon off" in desktop.log_text() else "?") + ")"


# --- the runs ---------------------------------------------------------------------------


def measure_latency(home: Path, backend: str) -> dict[str, Any]:
    """Three reminders 20 s apart: from each due moment to its Notify call."""
    import sqlite3

    desktop = Desktop(
        "latency",
        home / "latency",
        backend,
        [
            "--set", f"interval={LATENCY_INTERVAL:.0f}s",
            "--set", f"remind_again={LATENCY_INTERVAL:.0f}s",
            "--set", f"max_reminders={LATENCY_REMINDERS}",
        ],
    )  # fmt: skip
    try:
        desktop.start_desktop()
        desktop.start_breakd()
        deadline = time.monotonic() + LATENCY_INTERVAL * (LATENCY_REMINDERS + 1) + 20
        while len(desktop.notify_times()) < LATENCY_REMINDERS and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1.0)  # the reminder's row is written just after its Notify call
        notified = desktop.notify_times()
        with sqlite3.connect(desktop.history) as db:
            stretch = db.execute("SELECT started_at FROM stretches ORDER BY id LIMIT 1").fetchone()
            shown = [row[0] for row in db.execute("SELECT shown_at FROM reminders ORDER BY id")]
    finally:
        desktop.stop()
    if stretch is None or len(notified) < LATENCY_REMINDERS or len(shown) < LATENCY_REMINDERS:
        raise SystemExit(f"latency run: {len(notified)} Notify calls, {len(shown)} reminders")
    due = [stretch[0] + LATENCY_INTERVAL] + [t + LATENCY_INTERVAL for t in shown[:-1]]
    latencies = [round(n - d, 3) for n, d in zip(notified, due, strict=False)]
    return {
        "reminder_latency_seconds": latencies,
        "reminder_latency_seconds_max": max(latencies),
        "startup_seconds_latency_run": round(max(desktop.startup.values()), 3),
    }


class Watch:
    """Readings of one daemon at the start and end of a window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu0 = cpu_seconds(pid)
        self.switches0, self.threads0 = context_switches(pid)
        self.t0 = time.monotonic()

    def result(self) -> dict[str, Any]:
        cpu = cpu_seconds(self.pid)
        switches, threads = context_switches(self.pid)
        minutes = (time.monotonic() - self.t0) / 60
        by_thread = {
            name: round((count - self.threads0.get(name, 0)) / minutes, 1)
            for name, count in sorted(threads.items())
        }
        return {
            "cpu_seconds_per_10_min": round((cpu - self.cpu0) / minutes * 10, 4),
            "context_switches_per_min": round((switches - self.switches0) / minutes, 1),
            "context_switches_per_min_by_thread": by_thread,
            "window_seconds": round(minutes * 60, 1),
        }


def sleep_until(moment: float, every: Callable[[], None] | None = None) -> None:
    """Sleep until ``moment`` (monotonic); call ``every`` each MOVE_EVERY seconds."""
    next_call = time.monotonic() + MOVE_EVERY
    while (left := moment - time.monotonic()) > 0:
        if every is not None and time.monotonic() >= next_call:
            every()
            next_call += MOVE_EVERY
        time.sleep(min(left, 1.0))


def measure_desktops(home: Path, backend: str, first: float, second: float) -> dict[str, Any]:
    """Idle and active desktops side by side; memory at ``first`` and ``second`` seconds,
    CPU and switches over the window between them."""
    idle = Desktop("idle", home / "idle", backend)
    active = Desktop("active", home / "active", backend)
    figures: dict[str, Any] = {}
    try:
        for desktop in (idle, active):
            desktop.start_desktop()
        idle.start_breakd()
        active.start_breakd()
        assert idle.daemon is not None and active.daemon is not None
        started = {d.name: time.monotonic() for d in (idle, active)}
        for desktop in (idle, active):
            figures[f"startup_{desktop.name}"] = {
                k: round(v, 3) for k, v in desktop.startup.items()
            }
        figures["tray_backend_used"] = tray_backend_used(idle)
        if idle.status() is None:
            raise SystemExit("the idle daemon does not answer status")
        mover = threading.Event()

        def move() -> None:
            if not mover.is_set():
                active.move_mouse()

        sleep_until(started["idle"] + first, move)
        figures["memory_mb_first"] = {
            "idle": memory_mb(idle.daemon.pid),
            "active": memory_mb(active.daemon.pid),
        }
        watches = {"idle": Watch(idle.daemon.pid), "active": Watch(active.daemon.pid)}
        sleep_until(started["idle"] + second, move)
        mover.set()
        figures["memory_mb_second"] = {
            "idle": memory_mb(idle.daemon.pid),
            "active": memory_mb(active.daemon.pid),
        }
        for name, watch in watches.items():
            figures[f"window_{name}"] = watch.result()
        figures["threads"] = sorted(context_switches(idle.daemon.pid)[1])
        for desktop in (idle, active):
            if desktop.daemon is not None and desktop.daemon.poll() is not None:
                raise SystemExit(f"{desktop.name}: breakd died:\n{desktop.log_text()}")
        figures["idle_state"] = (idle.status() or {}).get("state")
        figures["active_state"] = (active.status() or {}).get("state")
    finally:
        for desktop in (idle, active):
            desktop.stop()
    return figures


def summarise(raw: dict[str, Any], quick: bool) -> dict[str, Any]:
    idle_start = raw["startup_idle"]
    first_label = "20s" if quick else "60s"
    second_label = "80s" if quick else "10min"
    return {
        "startup_seconds": round(max(idle_start.values()), 3),
        "startup_tray_shown_seconds": idle_start.get("tray_shown"),
        "startup_status_answered_seconds": idle_start.get("status_answered"),
        "startup_seconds_active_run": round(max(raw["startup_active"].values()), 3),
        f"rss_mb_{first_label}": raw["memory_mb_first"]["idle"]["rss"],
        f"uss_mb_{first_label}": raw["memory_mb_first"]["idle"]["uss"],
        f"pss_mb_{first_label}": raw["memory_mb_first"]["idle"]["pss"],
        f"rss_mb_{second_label}": raw["memory_mb_second"]["idle"]["rss"],
        f"uss_mb_{second_label}": raw["memory_mb_second"]["idle"]["uss"],
        f"pss_mb_{second_label}": raw["memory_mb_second"]["idle"]["pss"],
        f"rss_mb_{second_label}_active": raw["memory_mb_second"]["active"]["rss"],
        "cpu_seconds_per_10_min_idle": raw["window_idle"]["cpu_seconds_per_10_min"],
        "cpu_seconds_per_10_min_active": raw["window_active"]["cpu_seconds_per_10_min"],
        "context_switches_per_min_idle": raw["window_idle"]["context_switches_per_min"],
        "context_switches_per_min_active": raw["window_active"]["context_switches_per_min"],
    }


def print_table(figures: dict[str, Any]) -> None:
    print(f"{'figure':<36}{'measured':>12}{'target':>10}{'established two':>18}")
    for name, value in figures.items():
        if isinstance(value, list | dict):
            continue
        target, others = TARGETS.get(name, (None, ""))
        key = name.replace("_20s", "_60s").replace("_80s", "_10min")
        if target is None and key in TARGETS:
            target, others = TARGETS[key]
        mark = ""
        if target is not None and isinstance(value, int | float):
            mark = " ok" if value < target else " MISS"
        shown = "" if target is None else f"< {target:g}"
        print(f"{name:<36}{value!s:>12}{shown:>10}{others:>18}{mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short windows, to try it out")
    parser.add_argument(
        "--tray-backend",
        default="auto",
        help="PYSTRAY_BACKEND for the daemon (gtk, xorg, appindicator, ...; default: auto)",
    )
    parser.add_argument(
        "--json", type=Path, default=Path("desktop-benchmark.json"), help="write figures here"
    )
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark reads /proc: it runs on Linux")
    host = (
        ("gtk-sni-tray-standalone", "haskell-gtk-sni-tray-utils")
        if args.tray_backend in ("auto", "sni")
        else ("trayer", "trayer")
    )
    for tool, package in (("Xvfb", "xvfb"), ("dbus-daemon", "dbus"), host, ("xdotool", "xdotool")):
        require(tool, package)
    first, second = (20.0, 80.0) if args.quick else (60.0, 660.0)
    with tempfile.TemporaryDirectory(prefix="breakd-desktop-bench-") as folder:
        home = Path(folder)
        latency = measure_latency(home, args.tray_backend)
        raw = measure_desktops(home, args.tray_backend, first, second)
    figures = summarise(raw, args.quick)
    figures["reminder_latency_seconds_max"] = latency["reminder_latency_seconds_max"]
    figures["reminder_latency_seconds_median"] = statistics.median(
        latency["reminder_latency_seconds"]
    )
    figures["tray_backend"] = raw["tray_backend_used"]
    print_table(figures)
    result = {
        "mode": "quick" if args.quick else "full",
        "tray_backend_requested": args.tray_backend,
        "python": sys.version.split()[0],
        "figures": figures,
        "targets": {k: v[0] for k, v in TARGETS.items()},
        "latency": latency,
        "raw": raw,
    }
    args.json.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
