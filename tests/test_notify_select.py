"""Which notifier breakd picks, from what the environment offers (no server needed)."""

from __future__ import annotations

from pathlib import Path

from breakd.notify.select import choose_notifier, plyer_can_deliver
from breakd.resources import data_dir

ICON = data_dir("icons") / "breakd.png"


def path_with_notify_send(tmp_path: Path) -> str:
    """A PATH whose only folder holds an executable named notify-send."""
    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "notify-send"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    return str(folder)


def test_without_a_session_bus_nothing_on_linux_can_show_a_notification(tmp_path: Path) -> None:
    """notify-send on the PATH does not help: it needs the bus too (libnotify-bin)."""
    environ = {"PATH": path_with_notify_send(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)}
    assert plyer_can_deliver(environ, "linux") == "no D-Bus session bus"
    notifier, notes = choose_notifier("auto", ICON, lambda _key: None, environ=environ)
    assert notifier.name == "log"
    assert notes == [
        "freedesktop: no D-Bus session bus",
        "plyer: no D-Bus session bus",
    ]


def test_plyer_is_possible_with_a_session_bus(tmp_path: Path) -> None:
    environ = {"PATH": path_with_notify_send(tmp_path), "DBUS_SESSION_BUS_ADDRESS": "unix:x"}
    assert plyer_can_deliver(environ, "linux") is None


def test_other_platforms_need_no_bus() -> None:
    assert plyer_can_deliver({}, "win32") is None
    assert plyer_can_deliver({}, "darwin") is None
