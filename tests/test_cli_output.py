"""The ``breakd`` command's output when nobody reads all of it (``| head``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.daemon import breakd, breakd_into_closed_pipe


@pytest.mark.parametrize(
    "args",
    [
        ("config", "show"),
        ("config", "show", "--json"),
        ("config", "path", "--all"),
        ("exercises",),
        ("exercises", "show", "knee-press"),
    ],
)
def test_a_closed_pipe_ends_the_command_quietly(args: tuple[str, ...]) -> None:
    """No BrokenPipeError traceback: exit 141, as a command ended by SIGPIPE does."""
    result = breakd_into_closed_pipe(*args)
    assert result.stderr == ""
    assert result.returncode == 141


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_argparses_own_output_into_a_closed_pipe_is_quiet(flag: str) -> None:
    """argparse drops a failed write of its help itself and exits 0; nothing is printed."""
    result = breakd_into_closed_pipe(flag)
    assert result.stderr == ""
    assert result.returncode == 0


def test_head_takes_its_lines_and_breakd_ends_quietly() -> None:
    """The pipeline itself, as typed in a shell."""
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", '"$0" -m breakd config show | head -2', sys.executable],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert len(result.stdout.splitlines()) == 2
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.returncode in (0, 141)  # 0 when head read before breakd finished writing


def test_output_read_in_full_is_unchanged() -> None:
    result = breakd("config", "show")
    assert result.returncode == 0
    assert result.stdout.startswith("reminders.interval")
