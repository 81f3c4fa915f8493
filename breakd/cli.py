"""The ``breakd`` command: run the daemon, inspect settings, talk to the running daemon.

Exit codes: 0 success; 1 an error (a bad config file for ``config check``, a refused
request); 2 a usage error (including a value the daemon refuses as a bad argument); 3 no
daemon is running; 141 the reader of the output went away (``breakd status | head -1``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from breakd import __version__
from breakd.config import (
    SCHEMA,
    describe_settings,
    load_config,
    settings_as_dict,
    system_config_files,
    user_config_file,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
#: Whoever read the output stopped reading (``breakd status | head -1``): the status a
#: shell gives a program killed by SIGPIPE, as ``cat`` and ``ls`` would end with.
EXIT_BROKEN_PIPE = 128 + 13


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="breakd",
        description=(
            "A quiet break reminder: watches how long you sit at the computer and offers a"
            " short exercise break (breaks.length, 2 min by default). With no command, runs the"
            " daemon in this terminal;"
            " `breakd start` runs it in the background."
        ),
        epilog=(
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
        help="also print the log to stderr",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting for this run, e.g. --set interval=45m (repeatable)",
    )
    parser.add_argument(
        "--no-autostart",
        dest="autostart",
        action="store_false",
        help="do not turn on start at login at the first run (see startup.autostart)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the daemon in this terminal (the default)")
    run.set_defaults(func=cmd_run)

    config = commands.add_parser("config", help="where the settings are, check them, show them")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    path = config_commands.add_parser("path", help="print the user's config file path")
    path.add_argument("--all", action="store_true", help="also list the system-wide files")
    path.set_defaults(func=cmd_config_path)
    check = config_commands.add_parser(
        "check", help="validate the config files (exit 0 if fine, 1 with messages if not)"
    )
    check.set_defaults(func=cmd_config_check)
    show = config_commands.add_parser(
        "show", help="print the settings in force and the layer each came from"
    )
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_config_show)

    from breakd.cli_autostart import register as register_autostart
    from breakd.cli_control import register as register_control
    from breakd.cli_exercises import register as register_exercises
    from breakd.cli_start import register as register_start
    from breakd.cli_stats import register as register_stats

    register_start(commands)
    register_control(commands)
    register_stats(commands)
    register_exercises(commands)
    register_autostart(commands)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from breakd.app import run_daemon

    config = load_config(args.overrides)
    return run_daemon(
        config, foreground=args.foreground, overrides=args.overrides, autostart=args.autostart
    )


def cmd_config_path(args: argparse.Namespace) -> int:
    print(user_config_file())
    if args.all:
        for path in system_config_files():
            print(f"{path} (system-wide)")
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    loaded = load_config(args.overrides)
    problems = loaded.problems
    for problem in problems:
        print(f"breakd: {problem}", file=sys.stderr)
    if problems:
        print(
            f"breakd: {len(problems)} problem(s); those settings fall back to the layer below",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if loaded.files:
        print("config OK (" + ", ".join(loaded.files) + ")")
    else:
        print(
            "config OK: no settings file, so the defaults are in force"
            f" (`breakd config show` lists them; your own file would be {user_config_file()})"
        )
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    loaded = load_config(args.overrides)
    if args.json:
        origins = dict(loaded.origins)
        values = settings_as_dict(loaded.settings)
        print(
            json.dumps(
                {key: {"value": values[key], "from": origins[key]} for key in values}, indent=2
            )
        )
    else:
        width = max(len(spec.key) for spec in SCHEMA)
        for key, value, origin in describe_settings(loaded):
            print(f"{key:<{width}} = {value:<34} # {origin}")
    for problem in loaded.problems:
        print(f"breakd: {problem}", file=sys.stderr)
    return EXIT_OK


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


if __name__ == "__main__":
    raise SystemExit(main())
