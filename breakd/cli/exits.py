"""The exit statuses every ``breakd`` command ends with, in one place.

0 success; 1 an error (a bad config file for ``config check``, a refused request); 2 a
usage error (including a value the daemon refuses as a bad argument); 3 no daemon is
running; 141 the reader of the output went away (``breakd status | head -1``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # `breakd status` does without typing
if TYPE_CHECKING:
    import argparse
    from typing import TypeAlias

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
#: Ctrl+C ended a command that runs until stopped (``breakd status --follow``).
EXIT_INTERRUPTED = 128 + 2
#: Whoever read the output stopped reading (``breakd status | head -1``): the status a
#: shell gives a program killed by SIGPIPE, as ``cat`` and ``ls`` would end with.
EXIT_BROKEN_PIPE = 128 + 13

#: What each command module's ``register`` adds its commands to.
#: (Quoted: argparse's class takes no type argument at run time on Python 3.11.)
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
