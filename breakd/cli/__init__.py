"""The ``breakd`` command: run the daemon, inspect settings, talk to the running daemon.

One module per command group (``config``, ``start``, ``control``, ``stats``,
``exercises``, ``autostart``), each with a ``register`` that adds its commands to the
parser; ``exits`` holds the exit statuses they share. None of them imports the daemon,
the engine, the tray or the notifiers: those load only when ``breakd run`` starts the
daemon, so every other command starts quickly and works where they cannot.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

from breakd import __version__, i18n
from breakd.cli import autostart, config, control, exercises, start, stats
from breakd.cli.exits import EXIT_BROKEN_PIPE
from breakd.i18n import _

TYPE_CHECKING = False  # typing is not loaded for `breakd status`
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from breakd.cli.exits import Subcommands

    Register = Callable[[Subcommands], None]
    _SubcommandsBase = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubcommandsBase = argparse._SubParsersAction

#: Each command group's ``register``, in the order of ``breakd --help``.
_GROUPS = (
    config.register,
    start.register,
    control.register,
    stats.register,
    exercises.register,
    autostart.register,
)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized without ``shutil``.

    argparse makes a formatter for every argument it adds and sizes it with
    ``shutil.get_terminal_size``; importing shutil (with zlib, bz2 and lzma) costs every
    ``breakd status`` more than reading the terminal's width does.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _terminal_columns() - 2  # as argparse leaves a margin
        super().__init__(prog, indent_increment, max_help_position, width)


@functools.cache  # one width per run: argparse asks for every argument it adds
def _terminal_columns() -> int:
    """The terminal's width the way ``shutil.get_terminal_size`` finds it (80 if unknown)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help (and every subcommand's) uses :class:`_HelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


class _Ignored:
    """Takes any call and does nothing: the parser a group builds while only its
    commands' names and help are wanted."""

    def __getattr__(self, name: str) -> Callable[..., _Ignored]:
        return self._ignore

    def _ignore(self, *args: object, **kwargs: object) -> _Ignored:
        return self


class _CommandsOnDemand(_SubcommandsBase):
    """breakd's commands, each group's parsers built only when one of its commands runs.

    ``breakd --help`` needs only each command's name and one line of help, and ``breakd
    status`` only its own group's parsers; building all of them took a tenth of a
    ``breakd status``. So each group's ``register`` first runs in listing mode, where
    ``add_parser`` keeps the name and help and hands back a stand-in, and runs again
    for real once one of its commands is chosen.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing_for: Register | None = None
        self._pending: dict[str, Register] = {}
        self._not_built: argparse.ArgumentParser | None = None

    def list_group(self, register: Register) -> None:
        """Offer ``register``'s commands by name; build them when one is chosen."""
        self._listing_for = register
        try:
            register(self)
        finally:
            self._listing_for = None

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        group = self._listing_for
        if group is not None:
            if self._not_built is None:
                self._not_built = argparse.ArgumentParser(add_help=False)
            self._name_parser_map[name] = self._not_built  # so the name is a valid choice
            if "help" in kwargs:
                listed = self._ChoicesPseudoAction(name, (), kwargs["help"])
                self._choices_actions.append(listed)
            self._pending[name] = group
            return _Ignored()  # type: ignore[return-value]  # every call on it is ignored
        if self._pending.pop(name, None) is not None:
            del self._name_parser_map[name]
            kwargs.pop("help", None)  # listed already
        return super().add_parser(name, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, list) and values and values[0] in self._pending:
            self._pending[values[0]](self)  # build the chosen command's group
        super().__call__(parser, namespace, values, option_string)


def _remember_argparse_words() -> None:
    """Look each of argparse's own words up in gettext once, not once per use.

    argparse passes "show this help message and exit", "options" and the like through
    ``gettext`` for every parser and argument it makes; each call searches the disk for
    a catalogue again, which was half the time of building breakd's parser (so of
    every ``breakd status``). The answers cannot change while one command runs.
    """
    lookup = getattr(argparse, "_", None)
    if lookup is not None and not hasattr(lookup, "cache_info"):
        argparse._ = functools.cache(lookup)  # type: ignore[attr-defined]


def build_parser(*, on_demand: bool = False) -> argparse.ArgumentParser:
    """breakd's whole command line; ``on_demand`` builds each command group's parsers
    only when one of its commands is run (``main`` does: it parses one command line)."""
    _remember_argparse_words()
    # Typed as the base class: every command module's `register` takes its subcommands.
    parser: argparse.ArgumentParser = _Parser(
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", action=_CommandsOnDemand)
    assert isinstance(commands, _CommandsOnDemand)

    run = commands.add_parser("run", help=_("run the daemon in this terminal (the default)"))
    run.set_defaults(func=cmd_run)

    for register in _GROUPS:
        if on_demand:
            commands.list_group(register)
        else:
            register(commands)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from breakd.app import run_daemon  # the daemon's code is loaded only to run it
    from breakd.config import load_config

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
    parser = build_parser(on_demand=True)
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
