"""``breakd config path|check|show``: where the settings are, whether they are valid,
and which layer each value in force came from."""

from __future__ import annotations

import argparse
import json
import sys

from breakd.cli.exits import EXIT_ERROR, EXIT_OK, Subcommands
from breakd.config import (
    SCHEMA,
    describe_settings,
    load_config,
    settings_as_dict,
    system_config_files,
    user_config_file,
)
from breakd.i18n import _


def register(commands: Subcommands) -> None:
    """Add ``config`` and its actions to breakd's command line."""
    config = commands.add_parser("config", help=_("where the settings are, check them, show them"))
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    path = config_commands.add_parser("path", help=_("print the user's config file path"))
    path.add_argument("--all", action="store_true", help=_("also list the system-wide files"))
    path.set_defaults(func=cmd_config_path)
    check = config_commands.add_parser(
        "check", help=_("validate the config files (exit 0 if fine, 1 with messages if not)")
    )
    check.set_defaults(func=cmd_config_check)
    show = config_commands.add_parser(
        "show", help=_("print the settings in force and the layer each came from")
    )
    show.add_argument("--json", action="store_true", help=_("print JSON"))
    show.set_defaults(func=cmd_config_show)


def cmd_config_path(args: argparse.Namespace) -> int:
    print(user_config_file())
    if args.all:
        for path in system_config_files():
            print(_("{path} (system-wide)").format(path=path))
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    loaded = load_config(args.overrides)
    problems = loaded.problems
    for problem in problems:
        print(f"breakd: {problem}", file=sys.stderr)
    if problems:
        print(
            _("breakd: {count} problem(s); those settings fall back to the layer below").format(
                count=len(problems)
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR
    if loaded.files:
        print(_("config OK ({files})").format(files=", ".join(loaded.files)))
    else:
        print(
            _(
                "config OK: no settings file, so the defaults are in force"
                " (`breakd config show` lists them; your own file would be {file})"
            ).format(file=user_config_file())
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
