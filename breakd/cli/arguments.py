"""Argument types the command modules share, loading nothing until an argument is read."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


def path(text: str) -> Path:
    """A file named on the command line (``type=path``).

    Not ``type=Path``: that would load pathlib for every ``breakd`` command, as the
    parser is built, whatever the command.
    """
    from pathlib import Path

    return Path(text)
