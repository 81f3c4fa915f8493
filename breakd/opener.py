"""Open a file with the desktop's default application (editor, image viewer).

The tray's "Open config file" and "Statistics…" hand a file to whatever the user has
chosen for it, instead of breakd shipping an editor or a viewer of its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)


def open_with_desktop(target: Path, platform: str = sys.platform) -> bool:
    """Start the default application for ``target``; False (and a log line) if none can."""
    startfile = getattr(os, "startfile", None)
    if platform == "win32" and startfile is not None:
        try:
            startfile(str(target))
        except OSError as error:
            log.warning("cannot open %s (%s)", target, error)
            return False
        return True
    opener = "open" if platform == "darwin" else "xdg-open"
    program = shutil.which(opener)
    if program is None:
        log.warning("cannot open %s: %s is not installed", target, opener)
        return False
    try:
        child = subprocess.Popen(
            [program, str(target)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("cannot open %s with %s (%s)", target, opener, error)
        return False
    # Reap the opener when it exits, without holding up the caller.
    threading.Thread(target=child.wait, name="breakd-opener", daemon=True).start()
    return True
