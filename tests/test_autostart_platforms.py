"""What the other mechanisms write: the systemd unit, the macOS LaunchAgent, the Windows
Run value. Their content comes from pure functions, checked here on Linux: quoting,
paths with spaces, round trips, and ``systemd-analyze verify`` where it is installed.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breakd import __version__
from breakd.autostart import AutostartError, AutostartStatus, Launcher
from breakd.autostart import systemd as systemd_module
from breakd.autostart.launcher import find_windows_launcher
from breakd.autostart.macos import LaunchAgentAutostart, launch_agent, launch_agent_bytes
from breakd.autostart.systemd import (
    SystemdAutostart,
    exec_start,
    quote_systemd_arg,
    split_exec_start,
    unit_text,
)
from breakd.autostart.windows import (
    APPROVED_KEY,
    RUN_KEY,
    RunKeyAutostart,
    quote_windows_arg,
    run_value,
    split_windows_command,
    startup_approved_disabled,
)


@pytest.fixture(autouse=True)
def no_systemctl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never talk to a real systemd user manager."""
    monkeypatch.setattr(systemd_module, "find_systemctl", lambda: None)


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n")
    path.chmod(0o755)
    return path


# --- systemd -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "program", "quoted"),
    [
        ("/usr/bin/breakd", True, "/usr/bin/breakd"),
        ("/home/a b/breakd", True, '"/home/a b/breakd"'),
        ("/home/$x/breakd", True, '"/home/$x/breakd"'),  # the path is taken literally
        ("$x", False, '"$$x"'),  # arguments have variables expanded
        ("50%", False, "50%%"),
        ('say "hi"\\', False, '"say \\"hi\\"\\\\"'),
        ("tab\there\n", False, '"tab\\there\\n"'),
        (";", False, '";"'),
        ("", False, '""'),
    ],
)
def test_exec_start_words_are_quoted_by_systemds_rules(
    arg: str, program: bool, quoted: str
) -> None:
    assert quote_systemd_arg(arg, program=program) == quoted


@given(
    st.lists(
        st.text(st.characters(codec="utf-8"), max_size=12)
        | st.sampled_from(["a b", "$x", "$$", "%", "%%", "\\", '"', "'", ";", "\n"]),
        max_size=4,
    ),
    st.text(
        st.characters(codec="utf-8", min_codepoint=0x20, exclude_characters="\"'\\\x7f"),
        max_size=10,
    ),
)
def test_split_exec_start_reads_back_every_line(args: list[str], folder: str) -> None:
    argv = [f"/opt/{folder}/breakd", *args]
    assert split_exec_start(exec_start(argv)) == argv


def test_exec_start_needs_a_program_path_systemd_accepts() -> None:
    with pytest.raises(AutostartError, match="absolute"):
        exec_start(["breakd"])
    for path in ("/home/it's/breakd", '/home/"q"/breakd', "/home/a\\b/breakd"):
        with pytest.raises(AutostartError, match="without --systemd"):
            exec_start([path])


def test_the_unit_restarts_on_failure_and_follows_the_graphical_session() -> None:
    text = unit_text(Launcher(Path("/home/a b/.local/bin/breakd")), version="9.9")
    lines = text.splitlines()
    assert 'ExecStart="/home/a b/.local/bin/breakd"' in lines
    for line in (
        "Restart=on-failure",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "WantedBy=graphical-session.target",
        "X-breakd-Version=9.9",
    ):
        assert line in lines


def systemd_analyze_verify(unit: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is not installed (Debian package systemd)")
    return subprocess.run(
        [tool, "--user", "verify", str(unit)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )


@pytest.mark.linux_desktop
def test_systemd_reads_the_program_path_with_spaces_as_written(tmp_path: Path) -> None:
    # systemd-analyze checks that ExecStart's program exists, so a pass means it
    # unquoted the path exactly; the missing path shows the check is really made.
    launcher = executable(tmp_path / "My Apps $HOME (1) 50% #x ;" / "bin" / "breakd")
    unit = tmp_path / "units" / "breakd.service"
    unit.parent.mkdir()
    unit.write_text(unit_text(Launcher(launcher, ("--set", "interval=45m"))))
    result = systemd_analyze_verify(unit)
    report = result.stdout + result.stderr
    assert str(launcher) not in report, report
    assert result.returncode == 0, report

    unit.write_text(unit_text(Launcher(tmp_path / "no such folder" / "breakd")))
    missing = systemd_analyze_verify(unit)
    assert missing.returncode != 0
    assert f"{tmp_path / 'no such folder' / 'breakd'} is not executable" in (
        missing.stdout + missing.stderr
    )


@pytest.mark.linux_desktop
def test_systemd_backend_enable_status_disable(tmp_path: Path) -> None:
    launcher = executable(tmp_path / "a venv" / "bin" / "breakd")
    backend = SystemdAutostart(Launcher(launcher))
    unit = backend.enable()
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    assert unit == units / "breakd.service"
    link = units / "graphical-session.target.wants" / "breakd.service"
    assert link.is_symlink() and link.resolve() == unit.resolve()
    assert any("systemctl is not on the PATH" in note for note in backend.notes)
    status = backend.status()
    assert (status.enabled, status.where, status.points_to, status.problem) == (
        True,
        unit,
        launcher,
        None,
    )

    link.unlink()  # what `systemctl --user disable breakd` does
    status = backend.status()
    assert not status.enabled and status.note is not None and "not enabled" in status.note

    hand_made = units / "default.target.wants" / "breakd.service"
    hand_made.parent.mkdir()
    hand_made.symlink_to(unit)
    assert backend.is_enabled()
    shutil.rmtree(tmp_path / "a venv")
    assert "no longer exists" in (backend.status().problem or "")
    assert sorted(backend.disable()) == sorted([hand_made, unit])
    assert not backend.status().enabled and backend.status().where is None


# --- macOS ---------------------------------------------------------------------------


def test_the_launch_agent_plist_round_trips_with_spaces() -> None:
    launcher = Launcher(Path("/Users/Ann Lee/Library/breakd venv/bin/breakd"))
    data = launch_agent_bytes(launcher)
    assert data.startswith(b"<?xml")
    agent = plistlib.loads(data)
    assert agent == launch_agent(launcher)
    assert agent["Label"] == "breakd"
    assert agent["ProgramArguments"] == ["/Users/Ann Lee/Library/breakd venv/bin/breakd"]
    assert agent["RunAtLoad"] is True
    assert agent["ProcessType"] == "Interactive"
    assert agent["LimitLoadToSessionType"] == "Aqua"
    assert agent["StandardOutPath"] == agent["StandardErrorPath"] == "/dev/null"
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    args = launch_agent(Launcher(Path("/usr/bin/python3"), ("-m", "breakd")))
    assert args["ProgramArguments"] == ["/usr/bin/python3", "-m", "breakd"]


def test_the_launch_agent_backend(tmp_path: Path) -> None:
    home = tmp_path / "Ann Lee"
    launcher = executable(tmp_path / "breakd venv" / "bin" / "breakd")
    backend = LaunchAgentAutostart(Launcher(launcher), home=home)
    path = backend.enable()
    assert path == home / "Library" / "LaunchAgents" / "breakd.plist"
    assert backend.status().points_to == launcher and backend.is_enabled()
    assert backend.status().problem is None
    shutil.rmtree(tmp_path / "breakd venv")
    assert "no longer exists" in (backend.status().problem or "")
    assert backend.disable() == [path] and not backend.is_enabled()


# --- Windows -------------------------------------------------------------------------


def test_the_run_value_quotes_the_program_and_the_arguments() -> None:
    gui = Launcher(Path(r"C:\Program Files\Python 3.11\Scripts\breakd-gui.exe"))
    assert run_value(gui) == r'"C:\Program Files\Python 3.11\Scripts\breakd-gui.exe"'
    pythonw = Launcher(Path(r"C:\Users\Ann Lee\breakd\Scripts\pythonw.exe"), ("-m", "breakd"))
    assert run_value(pythonw) == r'"C:\Users\Ann Lee\breakd\Scripts\pythonw.exe" -m breakd'
    tricky = Launcher(Path(r"C:\b\pythonw.exe"), ("a b", 'say "hi"', "dir\\", ""))
    assert run_value(tricky) == r'"C:\b\pythonw.exe" "a b" "say \"hi\"" dir\ ""'
    assert quote_windows_arg("end in space\\") == '"end in space\\\\"'


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        (r'"C:\Program Files\x.exe" -m breakd', [r"C:\Program Files\x.exe", "-m", "breakd"]),
        (r"C:\x.exe a\\b", [r"C:\x.exe", r"a\\b"]),
        (r'x.exe a\\\"b "c d" e""f', ["x.exe", 'a\\"b', "c d", "ef"]),
        (r'x.exe "a""b"', ["x.exe", 'a"b']),
        (r'"C:\dir\\" x', ["C:\\dir\\\\", "x"]),  # the program: quotes only, no escapes
    ],
)
def test_windows_command_lines_split_by_the_documented_rules(command: str, argv: list[str]) -> None:
    assert split_windows_command(command) == argv


windows_args = st.lists(
    st.text(st.sampled_from('ab \t\\"c'), max_size=8) | st.text(max_size=6), max_size=5
)


@given(windows_args)
def test_run_values_read_back_to_the_same_arguments(args: list[str]) -> None:
    program = r"C:\Users\Ann Lee\AppData\Local\breakd venv\Scripts\pythonw.exe"
    launcher = Launcher(Path(program), tuple(args))
    assert split_windows_command(run_value(launcher)) == [program, *args]


@given(windows_args)
def test_the_splitter_agrees_with_the_standard_librarys_quoting(args: list[str]) -> None:
    # subprocess.list2cmdline implements the same C runtime rules, independently.
    command = '"C:\\x.exe" ' + subprocess.list2cmdline(args)
    assert split_windows_command(command) == ["C:\\x.exe", *args]


def test_a_windows_path_cannot_hold_a_quote() -> None:
    with pytest.raises(AutostartError):
        run_value(Launcher(Path('C:\\a"b\\x.exe')))


def test_task_managers_off_switch_is_read() -> None:
    assert startup_approved_disabled(bytes([3] + [0] * 11))
    assert startup_approved_disabled(bytes([7] + [0] * 11))
    assert not startup_approved_disabled(bytes([2] + [0] * 11))
    assert not startup_approved_disabled(None)
    assert not startup_approved_disabled(b"")


class MemoryRegistry:
    """An in-memory HKEY_CURRENT_USER with the three operations the backend uses."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], object] = {}

    def get(self, key: str, name: str) -> object | None:
        return self.values.get((key, name))

    def set_string(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> bool:
        return self.values.pop((key, name), None) is not None


def test_the_run_key_backend(tmp_path: Path) -> None:
    registry = MemoryRegistry()
    launcher = executable(tmp_path / "Program Files" / "breakd" / "breakd-gui.exe")
    backend = RunKeyAutostart(Launcher(launcher), registry=registry)
    where = backend.enable()
    assert str(where).endswith(r"CurrentVersion\Run\breakd")
    assert registry.values[(RUN_KEY, "breakd")] == f'"{launcher}"'
    assert backend.status() == AutostartStatus(True, where, launcher, None)

    registry.values[(APPROVED_KEY, "breakd")] = bytes([3] + [0] * 11)
    status = backend.status()
    assert not status.enabled and "Task Manager" in (status.note or "")
    backend.enable()
    assert backend.is_enabled() and (APPROVED_KEY, "breakd") not in registry.values
    assert any("Task Manager" in note for note in backend.notes)

    registry.values[(RUN_KEY, "breakd")] = r'"C:\Python311\python.exe" -m breakd'
    assert "console window" in (backend.status().note or "")
    assert "no longer exists" in (backend.status().problem or "")
    assert len(backend.disable()) == 1
    assert not backend.is_enabled() and registry.values == {}


def test_the_windows_launcher_is_windowless(tmp_path: Path) -> None:
    scripts = tmp_path / "Program Files" / "Python 3.11" / "Scripts"
    python = scripts / "python.exe"
    pythonw = executable(scripts / "pythonw.exe")
    executable(python)
    with pytest.raises(AutostartError):
        find_windows_launcher(executable=str(tmp_path / "none" / "python.exe"), scripts_dirs=[])
    assert find_windows_launcher(executable=str(python), scripts_dirs=[scripts]) == Launcher(
        pythonw, ("-m", "breakd")
    )
    gui = executable(scripts / "breakd-gui.exe")
    assert find_windows_launcher(executable=str(python), scripts_dirs=[scripts]) == Launcher(gui)


def test_the_version_is_recorded_in_the_unit() -> None:
    assert f"X-breakd-Version={__version__}" in unit_text(Launcher(Path("/usr/bin/breakd")))
