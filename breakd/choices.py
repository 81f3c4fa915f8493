"""Fixed word lists that the command line offers as choices, in a leaf module.

``breakd --help`` and ``breakd set`` name them; keeping them here lets the command line
build its parser without loading the settings schema (``config``) or the exercises
(``content``), which define their rules around the same words and import them from here.
"""

from __future__ import annotations

#: Settings the running daemon may change (the tray's menu, ``breakd set``), by their
#: short names; the rest take a restart, so they are edited in the file.
SETTABLE = (
    "interval", "length", "exercises", "snooze", "remind_again", "natural_break",
    "long_every", "long_length", "desk", "stand_after", "stand_for",
)  # fmt: skip

#: Where an exercise is done.
POSITIONS = ("seated", "standing")
