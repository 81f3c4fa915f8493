"""What breakd costs on a desktop, beside two established break reminders on the same one.

Run:  .venv/bin/python benchmarks/desktop.py [--quick] [--tray-backend gtk] [--json FILE]

Each program gets a private desktop of its own, one after another: a private Xvfb, a
private session bus and system bus (python-dbusmock's logind on the latter, as every
systemd desktop has), a StatusNotifierItem tray bar with its watcher
(``gtk-sni-tray-standalone --watcher``), an XEmbed tray (``trayer``), the notification
server dunst, and a private HOME with its XDG folders. Then:

* **latency** (breakd only): reminders every 20 s (``--set interval=20s``); the time
  from each due moment to the ``Notify`` call on the bus, timed by a scripted
  notification server (python-dbusmock with tests/support/notification_template.py)
  in place of dunst.
* **each program**: breakd (``python -m breakd``, default settings), Safe Eyes and
  Workrave (their Debian packages, when installed; skipped with a note otherwise).
  Start-up, then a 20 s warm-up, then 120 s with nobody at the X server: memory (RSS,
  PSS and USS summed over the program's processes, from /proc/PID/smaps_rollup) at its
  end, CPU time and context switches over it. Then 60 s with xdotool moving the mouse
  every 5 s: CPU and context switches again.

The table gives each program's figures and breakd's ratio to each of the others, then
breakd's figures against its targets. ``--quick`` shortens the windows (10 s warm-up,
30 s idle, 15 s active) to try it out; the full run takes about 12 minutes. breakd is
byte-compiled first (``compileall``), as pip does when it installs a wheel, so its
start-up compiles nothing. Linux only (/proc). Needs the Debian packages xvfb, dbus,
xdotool, haskell-gtk-sni-tray-utils, trayer and dunst, and the test extras; safeeyes
and workrave for the comparison.
"""

from __future__ import annotations

import argparse
import compileall
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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.sessionbus import Bus, MockService, spawn_logind, spawn_mock, start_bus  # noqa: E402
from support.sni import SniHost  # noqa: E402
from support.xserver import XServer, start_xvfb  # noqa: E402

TEMPLATE = str(ROOT / "tests" / "support" / "notification_template.py")
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

#: breakd's targets (issue 20); lower is better for every figure. PSS is held against
#: Workrave's, measured in the same run.
TARGETS: dict[str, float] = {
    "startup_seconds": 1.0,
    "rss_mb": 30.0,
    "cpu_seconds_per_10_min_idle": 0.03,
    "context_switches_per_min_idle": 15.0,
    "reminder_latency_seconds_max": 1.0,
}
LATENCY_INTERVAL = 20.0
LATENCY_REMINDERS = 3
#: (warm-up, idle, active) seconds of each program's run: full, and --quick.
PHASES = (20.0, 120.0, 60.0)
QUICK_PHASES = (10.0, 30.0, 15.0)
MOVE_EVERY = 5.0


@dataclass(frozen=True)
class Program:
    """One program to measure: what to run, and its name with its version."""

    key: str
    label: str
    command: list[str]


def debian_version(package: str) -> str | None:
    """The installed version of a Debian package, without its Debian revision."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", package],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError:
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return done.stdout.strip().split("-")[0].split(":")[-1]


def peers() -> tuple[list[Program], list[str]]:
    """Safe Eyes and Workrave when installed, and a note for each that is not."""
    found: list[Program] = []
    notes: list[str] = []
    for key, package, name in (
        ("safeeyes", "safeeyes", "Safe Eyes"),
        ("workrave", "workrave", "Workrave"),
    ):
        path = shutil.which(key)
        version = debian_version(package)
        if path is None:
            notes.append(f"{name} not measured: install the Debian package {package}")
            continue
        found.append(Program(key, f"{name} {version or '?'}", [path]))
    return found, notes


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


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (a program's helpers count as its cost)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def tree_memory_mb(root: int) -> dict[str, Any]:
    """RSS, PSS and USS summed over ``root``'s processes, and how many there were."""
    total = {"rss": 0.0, "pss": 0.0, "uss": 0.0}
    processes = 0
    for pid in process_tree(root):
        try:
            reading = memory_mb(pid)
        except OSError:
            continue  # ended meanwhile
        processes += 1
        for key in total:
            total[key] += reading[key]
    return {**{key: round(value, 1) for key, value in total.items()}, "processes": processes}


def tree_cpu_and_switches(root: int) -> tuple[float, int, dict[str, int]]:
    """CPU seconds and context switches summed over ``root``'s processes."""
    cpu, switches, by_thread = 0.0, 0, {}
    for pid in process_tree(root):
        try:
            cpu += cpu_seconds(pid)
            count, threads = context_switches(pid)
        except OSError:
            continue
        switches += count
        by_thread.update({f"{pid}:{name}": value for name, value in threads.items()})
    return cpu, switches, by_thread


def cpu_seconds(pid: int) -> float:
    """CPU time of the process's live threads, in nanoseconds' resolution.

    From each thread's ``schedstat`` (time on a CPU, ns): ``stat``'s utime + stime count
    in 10 ms ticks, which over a two-minute window is 0.05 s per 10 minutes, coarser
    than the figure measured. Without schedstat, the ticks.
    """
    total_ns, found = 0, False
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total_ns += int((task / "schedstat").read_text().split()[0])
            found = True
        except (OSError, IndexError, ValueError):
            continue
    if found:
        return total_ns / 1e9
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
    """Xvfb, buses, a notification server, trays, and one program, in a private HOME.

    ``full`` is the comparison desktop (system bus with logind, SNI bar and trayer, dunst
    when installed); otherwise the latency run's (session bus, the scripted notification
    server, the tray host ``tray_backend`` needs).
    """

    name: str
    home: Path
    tray_backend: str
    full: bool = False
    breakd_args: list[str] = field(default_factory=list)
    xserver: XServer | None = None
    bus: Bus | None = None
    system_bus: Bus | None = None
    logind: MockService | None = None
    notifications: MockService | None = None
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    sni_host: SniHost | None = None
    program: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    startup: dict[str, float] = field(default_factory=dict)

    @property
    def daemon(self) -> subprocess.Popen[bytes] | None:
        return self.program

    def start_desktop(self) -> None:
        self.xserver = start_xvfb()
        self.bus = start_bus()
        self.env = dict(os.environ)
        user_home = self.home / "home"
        for var, sub in (
            ("XDG_CONFIG_HOME", ".config"),
            ("XDG_DATA_HOME", ".local/share"),
            ("XDG_STATE_HOME", ".local/state"),
            ("XDG_CACHE_HOME", ".cache"),
        ):
            folder = user_home / sub
            folder.mkdir(parents=True, exist_ok=True)
            self.env[var] = str(folder)
        # Safe Eyes copies its settings into this folder without creating it.
        (user_home / ".config" / "safeeyes").mkdir(parents=True, exist_ok=True)
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env.update(
            HOME=str(user_home),
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_DIRS=str(self.home / "site"),
            DISPLAY=self.xserver.display,
            DBUS_SESSION_BUS_ADDRESS=self.bus.address,
            NO_AT_BRIDGE="1",
            # No dconf service on the private bus: GTK programs keep settings in memory.
            GSETTINGS_BACKEND="memory",
        )
        self.env.pop("WAYLAND_DISPLAY", None)
        if self.tray_backend != "auto":
            self.env["PYSTRAY_BACKEND"] = self.tray_backend
        saved = {
            k: os.environ.get(k) for k in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS")
        }
        try:
            if self.full:
                self.system_bus = start_bus()
                self.env["DBUS_SYSTEM_BUS_ADDRESS"] = self.system_bus.address
                self.logind = spawn_logind(self.system_bus)
            if self.full and shutil.which("dunst"):
                self.helpers.append(self._spawn([require("dunst", "dunst")]))
            else:
                self.notifications = spawn_mock(
                    self.bus, NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, template=TEMPLATE
                )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if self.full or self.tray_backend in ("auto", "sni"):
            self.sni_host = SniHost(self.xserver, self.bus)
        if self.full or self.tray_backend not in ("auto", "sni"):
            self.helpers.append(
                self._spawn(
                    [require("trayer", "trayer"), "--edge", "bottom", "--align", "right",
                     "--widthtype", "request", "--height", "32", "--SetDockType", "true"]
                )
            )  # fmt: skip
            time.sleep(1.0)  # trayer takes the tray selection

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

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
        self.program = subprocess.Popen(
            [sys.executable, "-m", "breakd", *self.breakd_args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while time.monotonic() - started < timeout and len(self.startup) < 2:
            if self.program.poll() is not None:
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

    def start_program(self, command: list[str]) -> None:
        """Start another program; its output goes to a file in the private HOME."""
        output = (self.home / f"{self.name}.out").open("wb")
        self.program = subprocess.Popen(
            command, env=self.env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
        output.close()

    def output(self) -> str:
        path = self.home / f"{self.name}.out"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

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
        if self.program is not None and self.program.poll() is None:
            self.program.send_signal(signal.SIGTERM)
            try:
                self.program.wait(10)
            except subprocess.TimeoutExpired:
                self.program.kill()
                self.program.wait(5)
        if self.sni_host is not None:
            self.sni_host.stop()
        for helper in reversed(self.helpers):
            if helper.poll() is None:
                helper.terminate()
                try:
                    helper.wait(5)
                except subprocess.TimeoutExpired:
                    helper.kill()
        for service in (self.notifications, self.logind):
            if service is not None:
                service.stop()
        for bus in (self.bus, self.system_bus):
            if bus is not None:
                bus.stop()
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
        breakd_args=[
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
    """Readings of one program's processes at the start and end of a window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu0, self.switches0, self.threads0 = tree_cpu_and_switches(pid)
        self.t0 = time.monotonic()

    def result(self) -> dict[str, Any]:
        cpu, switches, threads = tree_cpu_and_switches(self.pid)
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
        time.sleep(min(left, 0.5))


def measure_program(
    home: Path, program: Program | None, backend: str, phases: tuple[float, float, float]
) -> dict[str, Any]:
    """One program (None: breakd) on a full desktop: warm-up, idle, active."""
    warm_up, idle, active = phases
    key = "breakd" if program is None else program.key
    desktop = Desktop(key, home / key, backend, full=True)
    figures: dict[str, Any] = {}
    try:
        desktop.start_desktop()
        if program is None:
            desktop.start_breakd()
            figures["startup"] = {k: round(v, 3) for k, v in desktop.startup.items()}
            figures["tray_backend_used"] = tray_backend_used(desktop)
        else:
            desktop.start_program(program.command)
        assert desktop.program is not None
        pid = desktop.program.pid
        started = time.monotonic()
        sleep_until(started + warm_up)
        if desktop.program.poll() is not None:
            raise SystemExit(
                f"{key} exited during warm-up:\n{desktop.output()}{desktop.log_text()}"
            )
        watch = Watch(pid)
        sleep_until(started + warm_up + idle)
        figures["memory_mb"] = tree_memory_mb(pid)
        figures["idle"] = watch.result()
        watch = Watch(pid)
        sleep_until(started + warm_up + idle + active, desktop.move_mouse)
        figures["active"] = watch.result()
        figures["memory_mb_after_active"] = tree_memory_mb(pid)
        if desktop.program.poll() is not None:
            raise SystemExit(f"{key} died:\n{desktop.output()}{desktop.log_text()}")
        if program is None:
            figures["state"] = (desktop.status() or {}).get("state")
    finally:
        desktop.stop()
    return figures


# --- the report -------------------------------------------------------------------------


def row(label: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "program": label,
        "rss_mb": figures["memory_mb"]["rss"],
        "pss_mb": figures["memory_mb"]["pss"],
        "uss_mb": figures["memory_mb"]["uss"],
        "processes": figures["memory_mb"]["processes"],
        "cpu_seconds_per_10_min_idle": figures["idle"]["cpu_seconds_per_10_min"],
        "context_switches_per_min_idle": figures["idle"]["context_switches_per_min"],
        "cpu_seconds_per_10_min_active": figures["active"]["cpu_seconds_per_10_min"],
        "context_switches_per_min_active": figures["active"]["context_switches_per_min"],
    }


COLUMNS = (
    ("rss_mb", "RSS MB"),
    ("pss_mb", "PSS MB"),
    ("cpu_seconds_per_10_min_idle", "CPU s/10 min"),
    ("context_switches_per_min_idle", "switches/min"),
    ("cpu_seconds_per_10_min_active", "CPU active"),
    ("context_switches_per_min_active", "sw/min active"),
)


def ratio(mine: float, theirs: float) -> str:
    return "-" if theirs <= 0 else f"{mine / theirs:.2f}x"


def print_comparison(rows: list[dict[str, Any]]) -> None:
    """Each program's figures, then breakd's ratio to each of the others."""
    width = max(len(r["program"]) for r in rows) + 2
    print(f"{'program':<{width}}" + "".join(f"{title:>15}" for _, title in COLUMNS))
    for r in rows:
        print(f"{r['program']:<{width}}" + "".join(f"{r[key]!s:>15}" for key, _ in COLUMNS))
    for other in rows[1:]:
        label = f"breakd / {other['program'].split(' ')[0]}"
        if other["program"].startswith("Safe Eyes"):
            label = "breakd / Safe Eyes"
        print(
            f"{label:<{width}}"
            + "".join(f"{ratio(rows[0][key], other[key]):>15}" for key, _ in COLUMNS)
        )


def print_targets(figures: dict[str, Any], workrave_pss: float | None) -> None:
    targets = dict(TARGETS)
    if workrave_pss is not None:
        targets["pss_mb"] = workrave_pss
    print(f"\n{'breakd':<36}{'measured':>12}{'target':>12}")
    for name, value in figures.items():
        if isinstance(value, list | dict):
            continue
        target = targets.get(name)
        shown = "" if target is None else f"<= {target:g}"
        mark = "" if target is None else (" ok" if value <= target else " MISS")
        print(f"{name:<36}{value!s:>12}{shown:>12}{mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short windows, to try it out")
    parser.add_argument(
        "--tray-backend",
        default="auto",
        help="PYSTRAY_BACKEND for the daemon (gtk, xorg, appindicator, ...; default: auto)",
    )
    parser.add_argument(
        "--only-breakd", action="store_true", help="leave out Safe Eyes and Workrave"
    )
    parser.add_argument(
        "--json", type=Path, default=Path("desktop-benchmark.json"), help="write figures here"
    )
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark reads /proc: it runs on Linux")
    for tool, package in (
        ("Xvfb", "xvfb"), ("dbus-daemon", "dbus"), ("xdotool", "xdotool"),
        ("gtk-sni-tray-standalone", "haskell-gtk-sni-tray-utils"), ("trayer", "trayer"),
    ):  # fmt: skip
        require(tool, package)
    others, notes = (
        ([], ["Safe Eyes and Workrave left out (--only-breakd)"]) if args.only_breakd else peers()
    )
    if not shutil.which("dunst"):
        notes.append("dunst not installed: the scripted notification server stands in")
    compileall.compile_dir(str(ROOT / "breakd"), quiet=1)
    phases = QUICK_PHASES if args.quick else PHASES
    raw: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="breakd-desktop-bench-") as folder:
        home = Path(folder)
        latency = measure_latency(home, args.tray_backend)
        raw["breakd"] = measure_program(home, None, args.tray_backend, phases)
        for program in others:
            raw[program.key] = measure_program(home, program, args.tray_backend, phases)
    breakd_label = f"breakd ({raw['breakd']['tray_backend_used']} tray)"
    rows = [row(breakd_label, raw["breakd"])]
    rows += [row(program.label, raw[program.key]) for program in others]
    print(
        f"warm-up {phases[0]:g} s, idle {phases[1]:g} s, active {phases[2]:g} s"
        f" (mouse moved every {MOVE_EVERY:g} s); memory summed over each program's processes\n"
    )
    print_comparison(rows)
    for note in notes:
        print(f"note: {note}")
    startup = raw["breakd"]["startup"]
    figures: dict[str, Any] = {
        "startup_seconds": round(max(startup.values()), 3) if startup else None,
        "startup_tray_shown_seconds": startup.get("tray_shown"),
        "startup_status_answered_seconds": startup.get("status_answered"),
        **{k: v for k, v in rows[0].items() if k != "program"},
        "reminder_latency_seconds_max": latency["reminder_latency_seconds_max"],
        "reminder_latency_seconds_median": statistics.median(latency["reminder_latency_seconds"]),
    }
    workrave = next((r for r, p in zip(rows[1:], others, strict=True) if p.key == "workrave"), None)
    print_targets(figures, None if workrave is None else workrave["pss_mb"])
    result = {
        "mode": "quick" if args.quick else "full",
        "phases_seconds": {"warm_up": phases[0], "idle": phases[1], "active": phases[2]},
        "tray_backend_requested": args.tray_backend,
        "python": sys.version.split()[0],
        "rows": rows,
        "notes": notes,
        "figures": figures,
        "targets": TARGETS,
        "latency": latency,
        "raw": raw,
    }
    args.json.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
