"""Opening the config file from the tray: the desktop's own handler for text files
(found with the real xdg-mime), a graphical editor when that handler runs in a terminal,
and the file's path told to the user when there is no editor at all."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from support.daemon import wait_for
from support.xserver import XServer, require_tool

from breakd.opener import find_desktop_entry, open_text_file, runs_in_terminal, text_handler

pytestmark = pytest.mark.linux_desktop


def recorder(folder: Path, name: str, record: Path) -> Path:
    """A stand-in program ``name`` that writes the arguments it was started with."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def make_default(name: str, *, terminal: bool, exec_line: str) -> None:
    """Install ``name`` as the user's default application for text/plain."""
    applications = Path(os.environ["XDG_DATA_HOME"]) / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / name).write_text(
        "[Desktop Entry]\nType=Application\nName=Editor\n"
        f"Exec={exec_line} %f\nTerminal={'true' if terminal else 'false'}\n"
        "MimeType=text/plain;\n"
    )
    (Path(os.environ["XDG_CONFIG_HOME"]) / "mimeapps.list").write_text(
        f"[Default Applications]\ntext/plain={name}\n"
    )


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    require_tool("xdg-mime", "xdg-utils")
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-system-applications"))
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    monkeypatch.delenv("DESKTOP_SESSION", raising=False)
    path = tmp_path / "config.toml"
    path.write_text("# mine\n")
    return path


def test_a_terminal_handler_gives_way_to_a_graphical_editor(
    target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_default("vim.desktop", terminal=True, exec_line="vim")
    handler = text_handler(target)
    assert handler is not None and handler.name == "vim.desktop" and handler.terminal
    record = tmp_path / "mousepad-args"
    bin_dir = tmp_path / "bin"
    recorder(bin_dir, "mousepad", record)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    told: list[tuple[str, str]] = []
    used = open_text_file(
        target,
        tell=lambda title, body: told.append((title, body)),
        platform="linux",
        editors=("breakd-test-absent-editor", "mousepad"),
    )
    assert used == "mousepad"
    assert wait_for(lambda: record.exists() and record.read_text(), 10, "mousepad to start") == (
        f"{target}\n"
    )
    assert told == []


def test_with_no_graphical_editor_the_user_is_told_the_path(
    target: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="breakd.opener")
    make_default("nano.desktop", terminal=True, exec_line="nano")
    told: list[tuple[str, str]] = []
    used = open_text_file(
        target,
        tell=lambda title, body: told.append((title, body)),
        platform="linux",
        editors=("breakd-test-absent-editor",),
    )
    assert used is None
    [(title, body)] = told
    assert title == "breakd settings file"
    assert str(target) in body and "No graphical text editor" in body
    assert "nano.desktop runs in a terminal" in caplog.text


def test_a_graphical_handler_is_used_through_xdg_open(
    target: Path, tmp_path: Path, xserver: XServer
) -> None:
    """xdg-open uses a desktop's handlers only with a display to show them on."""
    require_tool("xdg-open", "xdg-utils")
    record = tmp_path / "editor-args"
    program = recorder(tmp_path / "bin", "breakd-test-editor", record)
    make_default("breakd-test-editor.desktop", terminal=False, exec_line=str(program))
    told: list[tuple[str, str]] = []
    used = open_text_file(
        target, tell=lambda t, b: told.append((t, b)), platform="linux", editors=()
    )
    assert used == "breakd-test-editor.desktop"
    assert wait_for(lambda: record.exists() and record.read_text(), 20, "the handler") == (
        f"{target}\n"
    )
    assert told == []


def test_desktop_entries_are_read_from_the_data_folders(tmp_path: Path) -> None:
    home, system = tmp_path / "home", tmp_path / "system"
    for folder, terminal in ((home, "false"), (system, "true")):
        (folder / "applications").mkdir(parents=True)
        (folder / "applications" / "ed.desktop").write_text(
            f"[Desktop Entry]\nName=ed\nTerminal={terminal}\n[Desktop Action x]\nTerminal=true\n"
        )
    environ = {"XDG_DATA_HOME": str(home), "XDG_DATA_DIRS": str(system)}
    found = find_desktop_entry("ed.desktop", environ)
    assert found == home / "applications" / "ed.desktop"  # the user's own first
    assert not runs_in_terminal(found)  # only [Desktop Entry] counts
    assert runs_in_terminal(system / "applications" / "ed.desktop")
    assert find_desktop_entry("none.desktop", environ) is None
