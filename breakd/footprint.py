"""Keeping the daemon's resident memory small once it has started.

breakd runs all day beside everything else, so what it holds after start-up is what it
costs. Three things help that no import choice does (figures on a 2-core Linux machine,
the daemon with its StatusNotifierItem tray, see ``benchmarks/desktop.py``):

* glibc gives each thread that calls ``malloc`` an arena of its own, and each arena keeps
  freed memory for itself: about 2 MB over breakd's five threads, for threads that
  allocate a few kilobytes now and then. :func:`limit_malloc_arenas` asks for one arena,
  before the first thread starts.
* Start-up (settings, exercises, the history's recovery) frees more than it keeps, and
  glibc holds on to the freed pages: ``malloc_trim(0)`` gives them back, about 1.5 MB.
* ``gc.freeze()`` moves everything alive after start-up out of the collector's sight, so
  later collections walk only what was made since (less CPU on every full collection).

:func:`settle` does the last two once start-up is over, and at debug level logs which
top-level packages the process has loaded, so a heavy one brought in by accident shows
(``tests/test_footprint.py`` reads it). Everything here is optional: on another C
library or platform it does nothing.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

#: mallopt's parameter number for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
#: The line :func:`settle` logs at debug level, followed by the package names.
LOADED_PACKAGES = "loaded top-level packages:"


def _libc() -> Any | None:
    """The C library's symbols, when this is Linux with glibc's malloc; else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
            return libc
    except (OSError, AttributeError):
        pass
    return None


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Let all threads share ``arenas`` malloc arenas; call before any thread starts."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas) == 1)


def resident_kb() -> int | None:
    """This process's resident memory (``VmRSS``), in kB; None where /proc has none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def loaded_packages() -> list[str]:
    """The top-level packages and modules imported so far, sorted."""
    return sorted({name.partition(".")[0] for name in list(sys.modules)})


def settle() -> None:
    """Once start-up is over: collect, freeze what is left, give freed pages back."""
    gc.collect()
    gc.freeze()
    before = resident_kb()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    after = resident_kb()
    if log.isEnabledFor(logging.DEBUG):
        if before is not None and after is not None:
            log.debug("memory after start-up: %d kB resident (%d kB untrimmed)", after, before)
        log.debug("%s %s", LOADED_PACKAGES, " ".join(loaded_packages()))
