"""What ``breakd status``, ``breakd snooze`` and ``breakd --help`` load: only what they need.

Status bars run ``breakd status`` every few seconds, so its start-up is most of its
cost: the whole command should take at most three times a bare ``python -c pass``
(``benchmarks/cli_speed.py`` measures it). Time is not asserted here, since a busy test
machine says nothing about it; instead each command runs against the real daemon in a
process of its own, which reports the modules it had loaded when it finished, and none
of the heavy ones may be among them. A new import that pulls one in fails here, naming
it, long before anyone notices the command got slower.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import pytest
from support.daemon import DaemonProcess

pytestmark = pytest.mark.linux_desktop

#: Modules these commands must not load, each with what it would cost them: the
#: daemon's own code, the settings and their file formats, the statistics and the
#: exercises, and standard modules that alone take a good share of the budget.
HEAVY = {
    "breakd.app": "the daemon's composition",
    "breakd.daemon": "the daemon",
    "breakd.engine": "the engine",
    "breakd.tray": "the tray",
    "breakd.notify": "the notifiers",
    "breakd.autostart": "the autostart backends",
    "breakd.config": "the settings schema",
    "breakd.stats": "the statistics",
    "breakd.content": "the exercises",
    "breakd.files": "file writing helpers",
    "breakd.logsetup": "the log's set-up",
    "breakd.control.server": "the control server",
    "breakd.control.dispatch": "the control server",
    "breakd.control.unix_server": "the control server",
    "tomllib": "settings file parsing",
    "tomlkit": "settings file editing",
    "platformdirs": "user folders (only a fallback needs them)",
    "datetime": "date formatting (status_json's ISO text is read as text)",
    "sqlite3": "history",
    "PIL": "pictures",
    "dataclasses": "dataclasses (with inspect)",
    "inspect": "inspect",
    "typing": "typing (annotations are not evaluated)",
    "pathlib": "pathlib (with urllib and ipaddress)",
    "shutil": "shutil (with zlib, bz2 and lzma)",
    "subprocess": "subprocess",
    "tempfile": "tempfile (with random)",
    "random": "random (only busy retries need it)",
    "logging": "logging",
    "asyncio": "asyncio",
}

#: Runs one command as the ``breakd`` console script does (``breakd.cli:main``) and
#: writes the names of every module loaded by then to stderr, after the command's own
#: output, on a line of its own.
_REPORTER = """
import sys
from breakd.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as leaving:  # --help
    code = leaving.code
sys.stdout.flush()
import json
print("\\nLOADED " + json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def loaded_by(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _REPORTER, *args], capture_output=True, text=True, timeout=60
    )
    marker = result.stderr.rfind("\nLOADED ")
    assert marker >= 0, result.stderr
    return result, set(json.loads(result.stderr[marker + len("\nLOADED ") :]))


def heavy_among(loaded: set[str]) -> list[str]:
    """The heavy modules in ``loaded`` (a package counts with its submodules)."""
    return sorted(
        f"{name} ({HEAVY[top]})"
        for name in loaded
        for top in HEAVY
        if name == top or name.startswith(top + ".")
    )


@pytest.fixture
def running(daemons: list[DaemonProcess]) -> DaemonProcess:
    daemon = DaemonProcess(["--set", "activity.idle_source=always-present"])
    daemons.append(daemon)
    daemon.wait_ready()
    return daemon


@pytest.mark.parametrize(
    "args",
    [("status",), ("status", "--json"), ("snooze", "1m"), ("snooze", "1m", "--json")],
    ids=" ".join,
)
def test_talking_to_the_daemon_loads_nothing_heavy(
    running: DaemonProcess, args: Sequence[str]
) -> None:
    result, loaded = loaded_by(*args)
    assert result.returncode == 0, result.stderr
    assert "breakd.control.client" in loaded  # it did ask the daemon
    assert heavy_among(loaded) == []


@pytest.mark.parametrize("args", [("--help",), ("status", "--help")], ids=" ".join)
def test_help_loads_nothing_heavy(args: Sequence[str]) -> None:
    result, loaded = loaded_by(*args)
    assert result.returncode == 0, result.stderr
    assert "usage: breakd" in result.stdout
    assert heavy_among(loaded) == []


def test_the_check_would_name_a_heavy_module() -> None:
    """The list is matched by package: a submodule of a heavy package counts."""
    result, loaded = loaded_by("config", "path")
    assert result.returncode == 0, result.stderr
    assert "breakd.config (the settings schema)" in heavy_among(loaded)
    assert heavy_among({"breakd.tray.model", "json"}) == ["breakd.tray.model (the tray)"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["status", "--help"],
        ["config", "show", "--help"],
        ["exercises", "--help"],
        ["no-such-command"],
        ["stats", "--days", "many"],
        ["set", "colour", "blue"],
    ],
    ids=" ".join,
)
def test_building_commands_on_demand_reads_the_same(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` builds a group's parsers only once one of its commands is chosen; help
    and errors read exactly as with every parser built up front."""
    from breakd.cli import build_parser

    outputs = []
    for on_demand in (False, True):
        with pytest.raises(SystemExit):
            build_parser(on_demand=on_demand).parse_args(argv)
        outputs.append(capsys.readouterr())
    assert outputs[0] == outputs[1]
    assert "breakd" in outputs[1].out + outputs[1].err


def test_a_command_chosen_on_demand_parses_as_before() -> None:
    from breakd.cli import build_parser

    argv = ["--set", "interval=45m", "snooze", "10m", "--json"]
    full = build_parser().parse_args(argv)
    on_demand = build_parser(on_demand=True).parse_args(argv)
    assert vars(on_demand).keys() == vars(full).keys()
    assert (on_demand.duration, on_demand.json, on_demand.overrides) == (
        "10m",
        True,
        ["interval=45m"],
    )
