"""The built wheel works on its own: installed in a fresh venv, run from another folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_without_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
    )
    [wheel] = dist.glob("breakd-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "breakd/data/config/default.toml" in names
    assert any(n.startswith("breakd/data/content/") for n in names)
    assert any(n.startswith("breakd/data/icons/") for n in names)
    # Every shipped language compiled (no gettext needed where it is installed), no sources.
    locale = Path(__file__).resolve().parents[1] / "breakd" / "locale"
    shipped = sorted(p.parent.parent.name for p in locale.glob("*/LC_MESSAGES/*.po"))
    compiled = sorted(n.split("/")[2] for n in names if n.endswith("/LC_MESSAGES/breakd.mo"))
    assert compiled == shipped and len(shipped) >= 12, (compiled, shipped)
    assert not any(n.endswith(".po") for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    breakd = str(env_dir / "bin" / "breakd")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [breakd, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
        )

    helped = run("--help")
    assert helped.returncode == 0 and "break reminder" in helped.stdout
    checked = run("config", "check")
    assert checked.returncode == 0, checked.stderr
    shown = run("config", "show")
    assert shown.returncode == 0 and "reminders.interval" in shown.stdout
    # The windowless launcher start at login uses on Windows is installed too.
    gui = subprocess.run(
        [str(env_dir / "bin" / "breakd-gui"), "--version"], capture_output=True, text=True
    )
    assert gui.returncode == 0 and gui.stdout.startswith("breakd "), gui.stderr
    listed = run("exercises")
    assert listed.returncode == 0 and "seat-edge-lean" in listed.stdout
    # The installed copy, not the checkout, is what ran.
    where = subprocess.run(
        [str(python), "-c", "import breakd.resources as r; print(r.data_dir('config'))"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), where


@pytest.mark.slow
def test_the_sdist_carries_the_data_and_builds_a_wheel(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-o", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    [sdist] = dist.glob("breakd-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("pyproject.toml", "README.md", "config/default.toml", "icons/breakd.png"):
        assert needed in names, needed
    assert any(n.startswith("content/exercises/") for n in names)
    # A wheel built from the sdist alone (as pip does from PyPI) still carries the data.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(sdist)],
        check=True,
    )
    [wheel] = dist.glob("breakd-*.whl")
    inside = zipfile.ZipFile(wheel).namelist()
    assert "breakd/data/config/default.toml" in inside
    assert any(n.startswith("breakd/data/content/exercises/") for n in inside)
