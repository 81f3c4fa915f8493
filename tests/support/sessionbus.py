"""Private D-Bus buses and python-dbusmock services for tests.

``start_bus`` runs a real ``dbus-daemon`` with a minimal configuration of its own: it
listens in a temporary folder, lets everyone own and call anything, and has no service
folders, so nothing on the machine is ever auto-started. Two of them stand in for the
session and the system bus (export the second one's address as
``DBUS_SYSTEM_BUS_ADDRESS``; clients find the system bus there).

``spawn_mock`` runs python-dbusmock (``python -m dbusmock``) on such a bus; the test
then shapes it through dbusmock's own interface (``AddMethod``, ``AddObject``,
``EmitSignal``, ...), from a dbus-python connection, with ``MockService.mock``.
``spawn_logind`` builds a logind with one session from plain dbusmock calls: dbusmock's
stock ``logind`` template imports PyGObject, which a virtualenv usually lacks.

A missing dbus-daemon or python-dbusmock fails the test with what to install.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

START_TIMEOUT = 10.0

MOCK_IFACE = "org.freedesktop.DBus.Mock"

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _dbus_python() -> Any:
    try:
        import dbus
    except ImportError:
        pytest.fail(
            "dbus-python is missing: pip install dbus-python (building it needs the Debian"
            " packages libdbus-1-dev, libglib2.0-dev and pkg-config)",
            pytrace=False,
        )
    return dbus


class Bus:
    """A running private dbus-daemon."""

    def __init__(self, process: subprocess.Popen[bytes], address: str, folder: Path) -> None:
        self.process = process
        self.address = address
        self.folder = folder

    def connect(self) -> Any:
        """A dbus-python connection to this bus (blocking calls, no main loop needed)."""
        dbus = _dbus_python()
        return dbus.bus.BusConnection(self.address)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_bus() -> Bus:
    """Start a private dbus-daemon and return once it prints its address."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.fail("dbus-daemon not found: install the Debian package dbus", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="breakd-bus-"))
    config = folder / "bus.conf"
    config.write_text(_CONFIG.format(folder=folder))
    process = subprocess.Popen(
        [daemon, f"--config-file={config}", "--print-address=1", "--nofork", "--nopidfile"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    line = _read_line(process.stdout, START_TIMEOUT)
    if not line:
        process.kill()
        _, err = process.communicate(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"dbus-daemon did not start: {err.decode(errors='replace')}")
    return Bus(process, line, folder)


def _read_line(stream: IO[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    data = b""
    fd = stream.fileno()
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return ""
        chunk = os.read(fd, 4096)
        if not chunk:
            return ""
        data += chunk
    return data.decode().strip()


@contextmanager
def private_bus(
    monkeypatch: pytest.MonkeyPatch | None = None, variable: str | None = None
) -> Iterator[Bus]:
    """A bus for the duration of a ``with``; ``variable`` (e.g. DBUS_SESSION_BUS_ADDRESS)
    is pointed at it through ``monkeypatch``."""
    bus = start_bus()
    try:
        if monkeypatch is not None and variable is not None:
            monkeypatch.setenv(variable, bus.address)
        yield bus
    finally:
        bus.stop()


class MockService:
    """One python-dbusmock process owning ``name`` on a private bus."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        bus: Bus,
        name: str,
        path: str,
        log: IO[bytes],
    ) -> None:
        self.process = process
        self.bus = bus
        self.name = name
        self.path = path
        self._log = log
        self._connection = bus.connect()

    def mock(self, path: str | None = None) -> Any:
        """dbusmock's control interface on ``path`` (the main object by default)."""
        dbus = _dbus_python()
        obj = self._connection.get_object(self.name, path or self.path)
        return dbus.Interface(obj, MOCK_IFACE)

    def interface(self, interface: str, path: str | None = None) -> Any:
        """The mocked object as a client sees it, to call its methods."""
        dbus = _dbus_python()
        obj = self._connection.get_object(self.name, path or self.path)
        return dbus.Interface(obj, interface)

    def emit(
        self,
        interface: str,
        name: str,
        signature: str,
        args: Sequence[Any],
        path: str | None = None,
    ) -> None:
        """Emit a signal from the mocked object (dbusmock's ``EmitSignal``)."""
        self.mock(path).EmitSignal(interface, name, signature, list(args))

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        """End the service; its name vanishes from the bus."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._connection.close()
        self._log.close()


def spawn_mock(
    bus: Bus,
    name: str,
    path: str,
    interface: str,
    *,
    system: bool = False,
    template: str | None = None,
    parameters: str | None = None,
) -> MockService:
    """Start python-dbusmock on ``bus`` and wait until it owns ``name``.

    ``system`` makes dbusmock treat ``bus`` as the system bus (its address is handed over
    as ``DBUS_SYSTEM_BUS_ADDRESS``). With ``template``, dbusmock's own name, path and
    interface for it are used and ``name``/``path`` must match them.
    """
    try:
        import dbusmock  # noqa: F401
    except ImportError:
        pytest.fail("python-dbusmock is missing: pip install python-dbusmock", pytrace=False)
    variable = "DBUS_SYSTEM_BUS_ADDRESS" if system else "DBUS_SESSION_BUS_ADDRESS"
    env = {**os.environ, variable: bus.address}
    args = [sys.executable, "-m", "dbusmock", "--system" if system else "--session"]
    if template is not None:
        args += ["--template", template]
        if parameters is not None:
            args += ["--parameters", parameters]
    else:
        args += [name, path, interface]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open while the mock runs; stop() closes it
    process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    connection = bus.connect()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not connection.name_has_owner(name):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=5)
                log.seek(0)
                output = log.read().decode(errors="replace")
                log.close()
                raise RuntimeError(f"dbusmock did not take {name}:\n{output}")
            time.sleep(0.02)
    finally:
        connection.close()
    return MockService(process, bus, name, path, log)


# --- ready-made services -------------------------------------------------------------

LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
LOGIND_SESSION = "org.freedesktop.login1.Session"


def spawn_logind(system_bus: Bus, session_id: str = "c1", locked: bool = False) -> MockService:
    """A logind with one session, ``session_id``, that ``GetSession``, ``GetSessionByPID``
    and ``GetSession("auto")`` all lead to.

    Like real logind, the session's ``Lock``/``Unlock`` methods emit the ``Lock``/``Unlock``
    signals and ``SetLockedHint`` updates ``LockedHint`` (with PropertiesChanged); the
    manager's ``PrepareForSleep`` is emitted with ``MockService.emit``.
    """
    dbus = _dbus_python()
    service = spawn_mock(system_bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, system=True)
    session_path = f"{LOGIND_PATH}/session/{session_id}"
    manager = service.mock()
    get_session = (
        f'ret = "{LOGIND_PATH}/session/" + ("{session_id}" if args[0] == "auto" else args[0])'
    )
    manager.AddMethods(
        LOGIND_MANAGER,
        [
            ("GetSession", "s", "o", get_session),
            ("GetSessionByPID", "u", "o", f'ret = "{session_path}"'),
        ],
    )
    manager.AddProperties(LOGIND_MANAGER, {"PreparingForSleep": False})
    manager.AddObject(
        session_path,
        LOGIND_SESSION,
        {"Id": session_id, "Active": True, "LockedHint": dbus.Boolean(locked)},
        [
            ("Lock", "", "", 'self.EmitSignal("", "Lock", "", [])'),
            ("Unlock", "", "", 'self.EmitSignal("", "Unlock", "", [])'),
            ("SetLockedHint", "b", "", 'self.UpdateProperties("", {"LockedHint": args[0]})'),
        ],
    )
    return service


MUTTER = "org.gnome.Mutter.IdleMonitor"
MUTTER_PATH = "/org/gnome/Mutter/IdleMonitor/Core"


def spawn_mutter_idle_monitor(session_bus: Bus, idle_ms: int = 0) -> MockService:
    """Mutter's IdleMonitor answering ``GetIdletime`` with ``idle_ms`` (see ``set_idle_ms``)."""
    service = spawn_mock(session_bus, MUTTER, MUTTER_PATH, MUTTER)
    set_idle_ms(service, "GetIdletime", "t", idle_ms)
    return service


SCREENSAVER = "org.freedesktop.ScreenSaver"


def spawn_freedesktop_screensaver(
    session_bus: Bus, idle_ms: int = 0, path: str = "/org/freedesktop/ScreenSaver"
) -> MockService:
    """``org.freedesktop.ScreenSaver`` at ``path`` (KDE also uses ``/ScreenSaver``)."""
    service = spawn_mock(session_bus, SCREENSAVER, path, SCREENSAVER)
    set_idle_ms(service, "GetSessionIdleTime", "u", idle_ms)
    return service


def set_idle_ms(service: MockService, method: str, out_signature: str, idle_ms: int) -> None:
    """(Re)define the idle-time method to answer ``idle_ms``."""
    service.mock().AddMethod("", method, "", out_signature, f"ret = {int(idle_ms)}")


GNOME_SCREENSAVER = "org.gnome.ScreenSaver"


def spawn_gnome_screensaver(session_bus: Bus) -> MockService:
    """dbusmock's stock ``gnome_screensaver`` template (``SetActive`` emits ActiveChanged)."""
    return spawn_mock(
        session_bus,
        GNOME_SCREENSAVER,
        "/org/gnome/ScreenSaver",
        GNOME_SCREENSAVER,
        template="gnome_screensaver",
    )
