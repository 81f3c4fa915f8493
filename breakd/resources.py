"""Where the shipped data (content, icons, config defaults) lives.

In a wheel the top-level ``content/``, ``icons/`` and ``config/`` folders are carried
inside the package as ``breakd/data/<name>``; in a source checkout (or an editable
install) they sit next to the package. Callers never need to know which.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of shipped data called ``name`` ("content", "icons" or "config")."""
    for candidate in (_PACKAGE_DIR / "data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"breakd's {name!r} data folder is missing: looked in {_PACKAGE_DIR / 'data' / name} "
        f"and {_PACKAGE_DIR.parent / name}; reinstall breakd"
    )
