"""Start at login on Linux: the XDG autostart entry, the CLI, the first run.

The entries are checked with the real ``desktop-file-validate``, and an entry whose
launcher lives in a folder with spaces, quotes and ``$`` starts the real daemon, both by
running its Exec line as the Desktop Entry spec reads it and through GLib's launcher.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.daemon import wait_for

from breakd import __version__
from breakd.autostart import (
    AutostartBackend,
    AutostartError,
    AutostartStatus,
    Launcher,
    StartAtLogin,
    enable_on_first_run,
    first_run_marker,
    remember_choice,
)
from breakd.autostart import desktop_entry as de
from breakd.autostart import systemd as systemd_module
from breakd.autostart.base import launcher_problem
from breakd.autostart.launcher import find_posix_launcher
from breakd.autostart.linux import LinuxAutostart
from breakd.autostart.select import default_backend
from breakd.autostart.xdg import (
    XdgAutostart,
    autostart_entry_path,
    autostart_entry_text,
    icon_paths,
    install_desktop_entry,
    menu_entry_path,
    uninstall_desktop_entry,
)
from breakd.cli.autostart import register
from breakd.resources import data_dir

pytestmark = pytest.mark.linux_desktop

#: A folder name with every kind of character the Exec quoting must survive (GLib
#: itself cannot launch a program whose path holds "%", so that one is tested apart).
AWKWARD_FOLDER = 'Fake Install $HOME (it\'s) #1 `x` "q" a\\b'


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own (for ~/.local/bin), and no systemctl: tests never reach systemd."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(systemd_module, "find_systemctl", lambda: None)
    return home


def config_home() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"])


def data_home() -> Path:
    return Path(os.environ["XDG_DATA_HOME"])


def assert_icons_installed() -> None:
    """The icon theme has breakd's SVG and its 256x256 PNG, copied from the shipped ones."""
    apps = data_home() / "icons" / "hicolor"
    svg = apps / "scalable" / "apps" / "breakd.svg"
    png = apps / "256x256" / "apps" / "breakd.png"
    assert svg.read_bytes() == (data_dir("icons") / "breakd.svg").read_bytes()
    assert png.read_bytes() == (data_dir("icons") / "breakd.png").read_bytes()
    assert sorted(icon_paths()) == sorted([svg, png])


def validate(path: Path) -> None:
    """Run the real desktop-file-validate; fail (not skip) when it is missing."""
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.fail(
            "desktop-file-validate is missing: install the Debian package desktop-file-utils"
        )
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=30)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"{path} is not valid:\n{report}\n{path.read_text()}"
    assert "error" not in report.lower(), report


def fake_installation(root: Path, folder: str = AWKWARD_FOLDER) -> Path:
    """A folder with a real ``breakd`` launcher for this interpreter, as pip would make."""
    bin_dir = root / folder / "bin"
    bin_dir.mkdir(parents=True)
    launcher = bin_dir / "breakd"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m breakd "$@"\n')
    launcher.chmod(0o755)
    return launcher


def run_cli(*argv: str) -> int:
    """``breakd <argv>`` through this module's ``register``, as breakd.cli will call it."""
    parser = argparse.ArgumentParser(prog="breakd")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def breakd(*argv: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "breakd", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- the spec's escaping, both layers ------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/breakd", "/usr/bin/breakd"),
        ("/home/a b/breakd", '"/home/a b/breakd"'),
        ("it's", '"it\'s"'),
        ("$HOME", '"\\$HOME"'),
        ("a`b`", '"a\\`b\\`"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("50%", "50%%"),
        ("", '""'),
        ("~", '"~"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(arg: str, quoted: str) -> None:
    assert de.quote_exec_arg(arg) == quoted


def test_the_string_escape_doubles_every_backslash_the_quoting_added() -> None:
    # The spec's own example: a literal $ in a quoted argument is \\$ in the file.
    assert de.exec_value(["/opt/a b/$x"]) == '"/opt/a b/\\\\$x"'
    # ... and a literal backslash is four of them.
    assert de.exec_value(["/opt/a b\\c"]) == '"/opt/a b\\\\\\\\c"'
    assert de.exec_value(["/opt/breakd", "-m", "50%"]) == "/opt/breakd -m 50%%"


def test_exec_refuses_what_the_spec_forbids() -> None:
    with pytest.raises(ValueError, match="'='"):
        de.exec_value(["/opt/a=b/breakd"])
    for bad in ('"/opt/a b', "/opt/$x", '"/a b"c'):
        with pytest.raises(ValueError):
            de.split_exec(bad)


def test_split_exec_drops_field_codes_and_keeps_percent() -> None:
    assert de.split_exec("/usr/bin/breakd %U") == ["/usr/bin/breakd"]
    assert de.split_exec('/usr/bin/breakd "50%%" %%') == ["/usr/bin/breakd", "50%", "%"]
    assert de.split_exec("/usr/bin/breakd  --flag") == ["/usr/bin/breakd", "--flag"]


def test_string_values_keep_leading_and_trailing_spaces() -> None:
    assert de.escape_string(" a\tb\n ") == "\\sa\\tb\\n\\s"
    assert de.unescape_string("\\sa\\tb\\n\\s") == " a\tb\n "
    with pytest.raises(ValueError, match="control character"):
        de.escape_string("bell\a")


@given(
    st.lists(
        st.text(st.characters(codec="utf-8", min_codepoint=0x20), max_size=12)
        | st.sampled_from(["a b", "$", "\\", '"', "`", "%", "%%", "%U", "'", "\n", "\t"]),
        min_size=1,
        max_size=5,
    ).filter(lambda argv: "=" not in argv[0] and "\x7f" not in "".join(argv))
)
def test_split_exec_reads_back_every_exec_value(argv: list[str]) -> None:
    assert de.split_exec(de.exec_value(argv)) == argv


def test_parse_reads_the_desktop_entry_group_only() -> None:
    text = "# c\n[Desktop Entry]\nName = breakd\nExec=/a\n\n[Desktop Action x]\nExec=/b\n"
    assert de.parse(text) == {"Name": "breakd", "Exec": "/a"}


# --- the autostart entry -------------------------------------------------------------


def test_enable_writes_a_valid_entry_that_runs_the_launcher(tmp_path: Path) -> None:
    launcher = fake_installation(tmp_path)
    backend = XdgAutostart(Launcher(launcher))
    written = backend.enable()
    assert written == config_home() / "autostart" / "breakd.desktop"
    validate(written)
    values = de.parse(written.read_text())
    assert values["Type"] == "Application"
    assert values["Terminal"] == "false"
    assert values["StartupNotify"] == "false"
    assert values["X-GNOME-Autostart-enabled"] == "true"
    assert values["X-breakd-Version"] == __version__
    assert values["Categories"] == "Utility;"
    assert de.split_exec(values["Exec"]) == [str(launcher)]
    assert de.unescape_string(values["TryExec"]) == str(launcher)
    assert values["Icon"] == "breakd"
    assert_icons_installed()
    assert backend.status() == AutostartStatus(True, written, launcher, None)
    assert backend.is_enabled()
    assert oct(written.stat().st_mode & 0o777) == oct(0o644)


def test_enable_again_replaces_the_entry_and_disable_removes_it(tmp_path: Path) -> None:
    old = fake_installation(tmp_path, "old")
    new = fake_installation(tmp_path, "new")
    XdgAutostart(Launcher(old)).enable()
    backend = XdgAutostart(Launcher(new))
    path = backend.enable()
    assert backend.status().points_to == new
    assert list(path.parent.iterdir()) == [path]  # no temporary files left behind
    assert sorted(backend.disable()) == sorted([path, *icon_paths()])
    assert not path.exists()
    assert not any(icon.exists() for icon in icon_paths())
    assert backend.disable() == []
    assert backend.status() == AutostartStatus(False)


def test_status_reports_a_launcher_that_no_longer_exists(tmp_path: Path) -> None:
    launcher = fake_installation(tmp_path, "old venv")
    backend = XdgAutostart(Launcher(launcher))
    backend.enable()
    shutil.rmtree(tmp_path / "old venv")
    status = backend.status()
    assert status.enabled
    assert status.points_to == launcher
    assert status.problem is not None
    assert f"the entry points at {launcher}, which no longer exists" in status.problem


def test_status_reports_a_dangling_link_and_a_missing_interpreter(tmp_path: Path) -> None:
    venv = fake_installation(tmp_path, "venv")
    link = tmp_path / "home" / ".local" / "bin" / "breakd"
    link.parent.mkdir(parents=True)
    link.symlink_to(venv)
    assert launcher_problem(link) is None
    shutil.rmtree(tmp_path / "venv")
    problem = launcher_problem(link)
    assert problem is not None and f"a link to {venv}, which no longer exists" in problem

    script = tmp_path / "breakd"
    script.write_text("#!/gone/python3.11\nprint('hi')\n")
    script.chmod(0o755)
    problem = launcher_problem(script)
    assert problem is not None and "runs /gone/python3.11, which no longer exists" in problem
    script.chmod(0o644)
    assert "not executable" in (launcher_problem(script) or "")


@pytest.mark.parametrize(
    ("line", "note"),
    [("Hidden=true", "Hidden=true"), ("X-GNOME-Autostart-enabled=false", "turned off")],
)
def test_an_entry_turned_off_by_the_desktop_reads_as_off(
    tmp_path: Path, line: str, note: str
) -> None:
    backend = XdgAutostart(Launcher(fake_installation(tmp_path)))
    path = backend.enable()
    text = path.read_text().replace("X-GNOME-Autostart-enabled=true\n", "")
    path.write_text(text + line + "\n")
    status = backend.status()
    assert not status.enabled and status.problem is None
    assert status.note is not None and note in status.note
    backend.enable()
    assert backend.is_enabled()


def test_status_explains_an_entry_it_cannot_run() -> None:
    path = autostart_entry_path()
    path.parent.mkdir(parents=True)
    path.write_text("[Desktop Entry]\nType=Application\nName=x\nExec=/opt/$x\n")
    status = XdgAutostart().status()
    assert status.problem is not None and "reserved character '$'" in status.problem
    path.write_text("[Desktop Entry]\nType=Application\nName=x\nExec=no-such-breakd-here\n")
    assert "not on the PATH" in (XdgAutostart().status().problem or "")


@pytest.mark.parametrize("how", ["spec", "gio"])
def test_the_entry_starts_the_real_daemon_silently_from_a_folder_with_spaces(
    tmp_path: Path, how: str
) -> None:
    """Run the Exec line as a desktop would, and see breakd come up and print nothing."""
    if how == "gio" and shutil.which("gio") is None:
        pytest.fail("gio is not installed (Debian package libglib2.0-bin)")
    launcher = fake_installation(tmp_path)
    entry = XdgAutostart(Launcher(launcher)).enable()
    validate(entry)
    argv = de.split_exec(de.parse(entry.read_text())["Exec"])
    assert argv == [str(launcher)]
    assert breakd("status").returncode == 3, "a daemon is already running"
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        if how == "spec":
            process: subprocess.Popen[bytes] | None = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        else:
            # GLib's own launcher, as GNOME uses it; the daemon inherits these files.
            process = None
            subprocess.run(
                ["gio", "launch", str(entry)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                timeout=20,
                check=True,
            )
    try:
        wait_for(lambda: breakd("status").returncode == 0, 60, "`breakd status` to answer")
    finally:
        stopped = breakd("quit")
        if process is not None:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    assert stopped.returncode == 0, stopped.stderr
    assert process is None or process.returncode == 0
    wait_for(lambda: breakd("status").returncode == 3, 60, "the daemon to stop")
    assert out_path.read_bytes() == b""
    assert err_path.read_bytes() == b""


# --- the launcher it names -----------------------------------------------------------


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A fake virtualenv ``bin`` folder with a python and a breakd script."""
    bin_dir = tmp_path / "venv dir" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "breakd"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def test_the_launcher_is_the_local_bin_link_when_it_is_this_installation(
    venv: Path, private_home: Path
) -> None:
    local = private_home / ".local" / "bin" / "breakd"
    local.parent.mkdir(parents=True)
    local.symlink_to(venv / "breakd")
    found = find_posix_launcher(home=private_home, executable=str(venv / "python"))
    assert found == Launcher(local)


def test_a_local_bin_breakd_of_another_installation_is_passed_over(
    venv: Path, private_home: Path, tmp_path: Path
) -> None:
    other = fake_installation(tmp_path, "other")
    local = private_home / ".local" / "bin" / "breakd"
    local.parent.mkdir(parents=True)
    local.symlink_to(other)
    found = find_posix_launcher(home=private_home, executable=str(venv / "python"))
    assert found == Launcher(venv / "breakd")


def test_without_a_venv_script_the_path_or_python_m_breakd_is_used(
    tmp_path: Path, private_home: Path
) -> None:
    python = tmp_path / "bare" / "python3"
    on_path = find_posix_launcher(
        home=private_home, executable=str(python), which=lambda name: "/usr/bin/breakd"
    )
    assert on_path == Launcher(Path("/usr/bin/breakd"))
    last = find_posix_launcher(home=private_home, executable=str(python), which=lambda name: None)
    assert last == Launcher(python, ("-m", "breakd"))


def test_the_running_interpreters_script_is_found() -> None:
    found = find_posix_launcher()
    assert found.program.is_absolute()
    assert launcher_problem(found.program) is None


# --- the applications menu entry -----------------------------------------------------


def test_install_desktop_entry_writes_a_valid_menu_entry_and_the_icons(tmp_path: Path) -> None:
    launcher = fake_installation(tmp_path)
    written = install_desktop_entry(Launcher(launcher))
    menu = menu_entry_path()
    assert menu in written and menu == data_home() / "applications" / "breakd.desktop"
    validate(menu)
    values = de.parse(menu.read_text())
    assert values["Icon"] == "breakd"
    assert de.split_exec(values["Exec"]) == [str(launcher)]
    theme = data_home() / "icons" / "hicolor"
    assert (theme / "scalable" / "apps" / "breakd.svg").read_bytes() == (
        data_dir("icons") / "breakd.svg"
    ).read_bytes()
    assert (theme / "256x256" / "apps" / "breakd.png").is_file()

    removed = uninstall_desktop_entry()
    assert sorted(removed) == sorted([menu, *icon_paths()])
    assert not any(path.exists() for path in removed)
    assert uninstall_desktop_entry() == []


def test_the_icons_stay_while_either_entry_names_them(tmp_path: Path) -> None:
    launcher = Launcher(fake_installation(tmp_path))
    autostart = XdgAutostart(launcher)
    autostart.enable()
    install_desktop_entry(launcher)
    # The menu entry goes; start at login still shows the icon.
    assert uninstall_desktop_entry() == [menu_entry_path()]
    assert_icons_installed()
    validate(autostart.path)
    # Start at login goes too: nothing names the icon any more.
    assert sorted(autostart.disable()) == sorted([autostart.path, *icon_paths()])
    assert not (data_home() / "icons" / "hicolor" / "scalable" / "apps" / "breakd.svg").exists()

    # The other order: start at login off first, the menu entry keeps the icons.
    autostart.enable()
    install_desktop_entry(launcher)
    assert autostart.disable() == [autostart.path]
    assert_icons_installed()
    assert sorted(uninstall_desktop_entry()) == sorted([menu_entry_path(), *icon_paths()])


def test_an_icon_theme_that_cannot_be_written_costs_only_the_icon(tmp_path: Path) -> None:
    """Start at login still works; the entry names the shipped picture instead."""
    (data_home() / "icons").write_text("a file where the icon folder should be")
    backend = XdgAutostart(Launcher(fake_installation(tmp_path)))
    written = backend.enable()
    validate(written)
    icon = Path(de.unescape_string(de.parse(written.read_text())["Icon"]))
    assert icon == data_dir("icons") / "breakd.png" and icon.is_file()
    assert any("icon" in note for note in backend.notes)
    assert backend.is_enabled()


# --- the command line ----------------------------------------------------------------


def test_cli_enable_status_disable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("autostart", "status") == 0
    assert "start at login: off" in capsys.readouterr().out

    assert run_cli("autostart", "enable") == 0
    out = capsys.readouterr().out
    entry = autostart_entry_path()
    assert f"wrote the XDG autostart entry {entry}" in out
    validate(entry)
    assert first_run_marker().exists(), "an explicit choice settles the first-run question"

    assert run_cli("autostart") == 0
    assert f"start at login: on ({entry}, runs " in capsys.readouterr().out
    assert run_cli("autostart", "status", "--json") == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["enabled"] is True and reported["where"] == str(entry)
    assert reported["problem"] is None

    assert run_cli("autostart", "disable") == 0
    assert f"removed {entry}" in capsys.readouterr().out
    assert not entry.exists()
    assert run_cli("autostart", "disable") == 0
    assert "already off" in capsys.readouterr().out


def test_cli_status_exits_1_when_the_launcher_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launcher = fake_installation(tmp_path, "old venv")
    XdgAutostart(Launcher(launcher)).enable()
    shutil.rmtree(tmp_path / "old venv")
    assert run_cli("autostart", "status") == 1
    captured = capsys.readouterr()
    assert "start at login: broken" in captured.out
    assert f"{launcher}, which no longer exists" in captured.err
    assert run_cli("autostart", "status", "--json") == 1
    assert "no longer exists" in json.loads(capsys.readouterr().out)["problem"]


def test_cli_systemd_and_xdg_replace_each_other_and_disable_removes_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unit = config_home() / "systemd" / "user" / "breakd.service"
    link = config_home() / "systemd" / "user" / "graphical-session.target.wants" / "breakd.service"
    entry = autostart_entry_path()
    assert run_cli("autostart", "enable") == 0
    assert run_cli("autostart", "enable", "--systemd") == 0
    out = capsys.readouterr().out
    assert f"wrote the systemd user unit {unit}" in out
    assert "systemctl --user enable --now breakd" in out
    assert f"removed the XDG autostart entry ({entry}" in out  # and its icons
    assert unit.exists() and link.is_symlink() and not entry.exists()
    assert run_cli("autostart", "status") == 0
    assert f"start at login: on ({unit}" in capsys.readouterr().out

    assert run_cli("autostart", "disable") == 0
    out = capsys.readouterr().out
    assert f"removed {unit}" in out and f"removed {link}" in out
    assert not unit.exists() and not link.is_symlink()


def test_cli_install_and_uninstall_desktop_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("install-desktop-entry") == 0
    assert f"wrote {menu_entry_path()}" in capsys.readouterr().out
    validate(menu_entry_path())
    assert run_cli("uninstall-desktop-entry") == 0
    assert f"removed {menu_entry_path()}" in capsys.readouterr().out
    assert run_cli("uninstall-desktop-entry") == 0
    assert "nothing to remove" in capsys.readouterr().out


# --- the first run -------------------------------------------------------------------


def test_the_first_run_enables_once(tmp_path: Path) -> None:
    marker = tmp_path / "state" / "marker"
    backend = LinuxAutostart(Launcher(fake_installation(tmp_path)))
    assert enable_on_first_run(marker, allowed=True, backend=backend)
    assert marker.exists() and backend.is_enabled()
    backend.disable()
    assert not enable_on_first_run(marker, allowed=True, backend=backend)
    assert not backend.is_enabled(), "a later run never undoes the user's 'off'"


def test_the_first_run_does_nothing_when_not_allowed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    backend = LinuxAutostart(Launcher(fake_installation(tmp_path)))
    assert not enable_on_first_run(marker, allowed=False, backend=backend)
    assert not marker.exists() and not backend.is_enabled()
    # Allowed later, that run is still the first.
    assert enable_on_first_run(marker, allowed=True, backend=backend)


def test_the_first_run_respects_an_earlier_choice(tmp_path: Path) -> None:
    remember_choice()
    backend = LinuxAutostart(Launcher(fake_installation(tmp_path)))
    assert not enable_on_first_run(allowed=True, backend=backend)
    assert not backend.is_enabled()


def test_the_first_run_when_already_enabled_reports_false(tmp_path: Path) -> None:
    backend = LinuxAutostart(Launcher(fake_installation(tmp_path)))
    backend.enable()
    assert not enable_on_first_run(tmp_path / "marker", allowed=True, backend=backend)
    assert (tmp_path / "marker").exists()


class FailingBackend(AutostartBackend):
    kind = "test"

    def enable(self) -> Path:
        raise AutostartError("no launcher here")

    def disable(self) -> list[Path]:
        return []

    def status(self) -> AutostartStatus:
        return AutostartStatus(False)


def test_a_failed_first_run_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "marker"
    with caplog.at_level(logging.WARNING, logger="breakd.autostart.select"):
        assert not enable_on_first_run(marker, allowed=True, backend=FailingBackend())
        assert not enable_on_first_run(marker, allowed=True, backend=FailingBackend())
    assert [r.getMessage() for r in caplog.records] == [
        "start at login: could not turn it on (no launcher here);"
        " `breakd autostart enable` tries again"
    ]


def test_the_default_backend_writes_into_the_private_config_home() -> None:
    backend = default_backend()
    assert isinstance(backend, LinuxAutostart)
    assert backend.xdg.path == config_home() / "autostart" / "breakd.desktop"
    with pytest.raises(AutostartError, match="Linux"):
        default_backend(systemd=True, platform="darwin")


def test_the_entry_text_is_pure() -> None:
    launcher = Launcher(Path("/home/a b/.local/bin/breakd"))
    text = autostart_entry_text(launcher, "breakd", version="9.9")
    assert 'Exec="/home/a b/.local/bin/breakd"\n' in text
    assert "TryExec=/home/a b/.local/bin/breakd\n" in text
    assert "X-breakd-Version=9.9\n" in text
    assert text.startswith("# Written by `breakd autostart enable`")


class CountingAutostart(LinuxAutostart):
    """The real Linux backend, counting how often the files are read for a status."""

    def __init__(self, launcher: Launcher) -> None:
        super().__init__(launcher)
        self.reads = 0

    def status(self) -> AutostartStatus:
        self.reads += 1
        return super().status()


def test_the_tray_checkbox_reads_the_files_again_only_when_they_changed(tmp_path: Path) -> None:
    """The tray asks at every redraw (once a minute); a change made elsewhere (`breakd
    autostart` in a terminal, a deleted installation, a hand-removed systemd link) is
    still seen at the next one."""
    launcher = fake_installation(tmp_path)
    backend = CountingAutostart(Launcher(launcher))
    checkbox = StartAtLogin(backend)
    assert checkbox.is_on() is False
    assert checkbox.is_on() is False and backend.reads == 1

    LinuxAutostart(Launcher(launcher)).enable()  # another process turns it on
    assert checkbox.is_on() is True and backend.reads == 2
    for _ in range(5):
        assert checkbox.is_on() is True
    assert backend.reads == 2

    launcher.unlink()  # the installation it starts is deleted: read again
    checkbox.is_on()
    assert backend.reads == 3 and backend.status().problem is not None
    LinuxAutostart(Launcher(launcher)).disable()
    assert checkbox.is_on() is False

    unit_launcher = fake_installation(tmp_path / "unit", "plain")
    systemd = LinuxAutostart(Launcher(unit_launcher), systemd=True)
    systemd.enable()
    assert checkbox.is_on() is True
    reads = backend.reads
    assert checkbox.is_on() is True and backend.reads == reads
    wants = config_home() / "systemd" / "user" / "graphical-session.target.wants"
    (wants / "breakd.service").unlink()  # `systemctl --user disable` by hand
    assert checkbox.is_on() is False
