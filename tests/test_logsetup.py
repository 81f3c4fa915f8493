"""The log file: rotated before it passes its size, every file of it private."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from breakd.logsetup import PrivateRotatingFileHandler


def handler(path: Path, *, max_bytes: int = 200, backup_count: int = 2) -> logging.Logger:
    path.parent.mkdir(exist_ok=True)
    logger = logging.getLogger(f"test-logsetup-{path}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    rotating = PrivateRotatingFileHandler(path, max_bytes=max_bytes, backup_count=backup_count)
    logger.addHandler(rotating)
    return logger


def close(logger: logging.Logger) -> None:
    for each in list(logger.handlers):
        logger.removeHandler(each)
        each.close()


def write_lines(path: Path) -> list[str]:
    """Forty lines of 48 bytes through a 200-byte log with two backups; the files left."""
    logger = handler(path)
    try:
        for number in range(40):
            logger.info("line %02d %s", number, "x" * 38)
    finally:
        close(logger)
    return sorted(p.name for p in path.parent.iterdir())


def test_the_log_rotates_before_its_limit_and_keeps_its_backups(tmp_path: Path) -> None:
    path = tmp_path / "log" / "breakd.log"
    files = write_lines(path)
    assert files == ["breakd.log", "breakd.log.1", "breakd.log.2"]
    for name in files:
        assert (tmp_path / "log" / name).stat().st_size <= 200
    assert "line 39" in path.read_text()
    lines = [line for name in files for line in (tmp_path / "log" / name).read_text().splitlines()]
    numbers = sorted(int(line.split()[1]) for line in lines)
    assert numbers == list(range(numbers[0], 40)), "a line was lost in the newest files"


@pytest.mark.linux_desktop
def test_every_file_of_the_log_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """POSIX modes: the current file and the rotated ones are 0600 under umask 022."""
    old = os.umask(0o022)
    try:
        files = write_lines(tmp_path / "log" / "breakd.log")
    finally:
        os.umask(old)
    for name in files:
        assert stat.S_IMODE((tmp_path / "log" / name).stat().st_mode) == 0o600, name


def test_without_a_limit_nothing_rotates(tmp_path: Path) -> None:
    path = tmp_path / "log" / "breakd.log"
    logger = handler(path, max_bytes=0)
    try:
        for number in range(40):
            logger.info("line %02d %s", number, "x" * 30)
    finally:
        close(logger)
    assert [p.name for p in (tmp_path / "log").iterdir()] == ["breakd.log"]
