"""Shared pytest set-up: every test runs with private XDG folders so nothing touches the
user's real config, history or autostart entries, and in English whatever the machine's
locale (a test that wants another language sets it)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import daemons  # noqa: F401 - fixtures for every test module
from support.xserver import xserver  # noqa: F401

from breakd import i18n

#: The environment every test and every process it starts begins with: messages in
#: English, the C locale's clock, whatever the machine's own locale.
ENGLISH = {"LANGUAGE": "en", "LC_ALL": "C.UTF-8"}


def pytest_configure(config: pytest.Config) -> None:
    """English for the whole run, and the catalogs compiled once before any test, so no
    daemon started by a test has to compile one (and no two race to)."""
    os.environ.update(ENGLISH)
    os.environ.pop(i18n.LANGUAGE_VARIABLE, None)
    for po in sorted(Path(i18n.LOCALE_DIR).glob("*/LC_MESSAGES/breakd.po")):
        i18n.compile_catalog(po, po.with_suffix(".mo"))
    i18n.setup()


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts in English, and a test that switched the language is undone."""
    for name, value in ENGLISH.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    i18n.setup()
    yield
    os.environ.pop(i18n.LANGUAGE_VARIABLE, None)
    i18n.setup()


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
