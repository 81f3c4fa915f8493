"""The ``breakd`` command: run the daemon, inspect settings, talk to the running daemon.

One module per command group (``config``, ``start``, ``control``, ``stats``,
``exercises``, ``autostart``), each with a ``register`` that adds its commands to the
parser; ``exits`` holds the exit statuses they share. None of them imports the daemon,
the engine, the tray or the notifiers: those load only when ``breakd run`` starts the
daemon, so every other command starts quickly and works where they cannot.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from breakd import __version__, i18n
from breakd.cli import autostart, config, control, exercises, start, stats
from breakd.cli.exits import EXIT_BROKEN_PIPE
from breakd.config import load_config
from breakd.i18n import _


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="breakd",
        description=_(
            "A quiet break reminder: watches how long you sit at the computer and offers a"
            " short exercise break (breaks.length, 2 min by default). With no command, runs the"
            " daemon in this terminal;"
            " `breakd start` runs it in the background."
        ),
        epilog=_(
            "Durations are bounded: a snooze lasts at most 24h, a timed pause at most a year"
            " (8760h; or pause forever), and each setting stays within the range its"
            " comment in config/default.toml gives. Exit codes: 0 success, 1 error,"
            " 2 usage error, 3 breakd is not running, 141 the output was cut short (| head)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"breakd {__version__}")
    parser.add_argument(
        "-v",
        "--foreground",
        action="store_true",
        help=_("also print the log to stderr"),
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("override a setting for this run, e.g. --set interval=45m (repeatable)"),
    )
    parser.add_argument(
        "--no-autostart",
        dest="autostart",
        action="store_false",
        help=_("do not turn on start at login at the first run (see startup.autostart)"),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help=_("run the daemon in this terminal (the default)"))
    run.set_defaults(func=cmd_run)

    # In the order of `breakd --help`.
    config.register(commands)
    start.register(commands)
    control.register(commands)
    stats.register(commands)
    exercises.register(commands)
    autostart.register(commands)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from breakd.app import run_daemon  # the daemon's code is loaded only to run it

    loaded = load_config(args.overrides)
    i18n.setup(loaded.settings.language)
    return run_daemon(
        loaded, foreground=args.foreground, overrides=args.overrides, autostart=args.autostart
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a reader that went away early (``| head``) ends it quietly."""
    try:
        try:
            return _dispatch(argv)
        finally:
            # A broken pipe shows here, not at interpreter exit; this also covers
            # argparse's --help and --version, which leave by SystemExit.
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return cmd_run(args)
    result: int = args.func(args)
    return result


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit cannot raise a second time."""
    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        sys.stdout = None
