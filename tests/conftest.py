"""Shared pytest set-up: every test runs with private XDG folders so nothing touches the
user's real config, history or autostart entries."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import daemons  # noqa: F401 - fixtures for every test module
from support.xserver import xserver  # noqa: F401


@pytest.fixture(autouse=True)
def private_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every XDG folder into the test's temporary directory."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(folder))
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    if sys.platform == "darwin":  # platformdirs puts everything under ~/Library there
        monkeypatch.setenv("HOME", str(home))
    site = home / "site"
    site.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(site))
    yield home
