"""``breakd exercises``: list the exercises, show one step by step, draw their pictures.

The list and the pictures include the user's own exercises (from the ``exercises``
folder next to the settings file), so this is also how people check a file they wrote:
any problem in it is printed, naming the file, the entry and the field.
"""

from __future__ import annotations

import argparse
import sys

from breakd.choices import POSITIONS
from breakd.cli.arguments import path
from breakd.cli.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from breakd.i18n import _, ngettext
from breakd.state import BreakType

# Every `breakd` command registers this one: the exercises and the settings load only
# when an exercises command runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from breakd.cli.exits import Subcommands
    from breakd.content import Exercise, LoadResult

DEFAULT_SHEET_SIZE = 160
MIN_SHEET_SIZE = 32
MAX_SHEET_SIZE = 1024
WIDTH = 88


def register(subparsers: Subcommands) -> None:
    """Add the ``exercises`` command and its actions to breakd's command line."""
    exercises = subparsers.add_parser(
        "exercises",
        help=_("list the exercises, show one, or draw their pictures"),
        description=_(
            "With no action, list the exercises: id, position, duration and title."
            " Your own exercises, in the exercises folder beside your settings file"
            " (`breakd config path`), are included."
        ),
    )
    exercises.add_argument(
        "--position", choices=POSITIONS, help=_("only the seated or only the standing ones")
    )
    exercises.add_argument(
        "--break",
        dest="break_kind",
        choices=[kind.value for kind in BreakType],
        help=_("only those offered in the usual exercise break or in the walking break"),
    )
    exercises.set_defaults(func=cmd_list)
    actions = exercises.add_subparsers(dest="exercises_command", metavar="ACTION")

    show = actions.add_parser("show", help=_("print one exercise step by step"))
    show.add_argument("id", help=_("the exercise's id, as listed by `breakd exercises`"))
    show.set_defaults(func=cmd_show)

    sheet = actions.add_parser(
        "sheet", help=_("draw every exercise's pictures on one PNG contact sheet")
    )
    sheet.add_argument("out", type=path, metavar="OUT.png", help=_("the PNG file to write"))
    sheet.add_argument(
        "--size",
        type=int,
        default=DEFAULT_SHEET_SIZE,
        metavar="N",
        help=_("width of each picture in pixels ({low} to {high}, default {default})").format(
            low=MIN_SHEET_SIZE, high=MAX_SHEET_SIZE, default=DEFAULT_SHEET_SIZE
        ),
    )
    sheet.set_defaults(func=cmd_sheet)


def cmd_list(args: argparse.Namespace) -> int:
    loaded = _load()
    chosen = _filtered(loaded, args.position, args.break_kind)
    width = max((len(e.id) for e in chosen), default=2)
    for exercise in chosen:
        print(
            f"{exercise.id:<{width}}  {position_word(exercise.position):<8}"
            f"  {exercise.duration:>3} s  {exercise.title}"
        )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    loaded = _load()
    exercise = loaded.get(args.id)
    if exercise is None:
        import difflib

        ids = [e.id for e in loaded.exercises]
        close = difflib.get_close_matches(args.id, ids, n=3)
        message = (
            _("there is no exercise called {id} (did you mean {close}?)").format(
                id=repr(args.id), close=", ".join(close)
            )
            if close
            else _("there is no exercise called {id}").format(id=repr(args.id))
        )
        print(
            "breakd: " + message + _("; run `breakd exercises` to list the ids"),
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(describe(exercise))
    return EXIT_OK


def cmd_sheet(args: argparse.Namespace) -> int:
    size: int = args.size
    if not MIN_SHEET_SIZE <= size <= MAX_SHEET_SIZE:
        print(
            "breakd: "
            + _("--size must be {low} to {high} pixels, not {size}").format(
                low=MIN_SHEET_SIZE, high=MAX_SHEET_SIZE, size=size
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    from breakd.pictures import contact_sheet  # Pillow is only needed here

    loaded = _load()
    chosen = _filtered(loaded, args.position, args.break_kind)
    if not chosen:
        print("breakd: " + _("no exercises to draw"), file=sys.stderr)
        return EXIT_ERROR
    out: Path = args.out
    image = contact_sheet(chosen, size)
    try:
        image.save(out, format="PNG")
    except OSError as error:
        print(
            "breakd: " + _("cannot write {path}: {error}").format(path=out, error=error),
            file=sys.stderr,
        )
        return EXIT_ERROR
    count = ngettext("{count} exercise", "{count} exercises", len(chosen)).format(count=len(chosen))
    print(f"{out}: {count}, {image.width}x{image.height} px")
    return EXIT_OK


def describe(exercise: Exercise) -> str:
    """The full text of one exercise, as ``breakd exercises show`` prints it."""
    import textwrap

    from breakd.content import load_safety

    lines = [
        f"{exercise.title} ({exercise.id})",
        _("Position: {position}    Duration: {seconds} s").format(
            position=position_word(exercise.position), seconds=exercise.duration
        ),
        "",
    ]
    for number, step in enumerate(exercise.steps, start=1):
        lines.append(
            textwrap.fill(step, WIDTH, initial_indent=f"  {number}. ", subsequent_indent=" " * 5)
        )
    lines.append("")
    lines.append(_field(_("Cue"), exercise.cue))
    lines.append(_field(_("Helps"), exercise.helps))
    if exercise.caution:
        lines.append(_field(_("Caution"), exercise.caution))
    source = exercise.source
    cited = _('{document}, section "{section}"').format(
        document=source.cited, section=source.section
    )
    lines.append(_field(_("Source"), cited))
    lines.append(_field(_("Safety"), load_safety().short))
    return "\n".join(lines)


def position_word(position: str) -> str:
    """ "seated"/"standing" in the user's language (the data keeps the English word)."""
    words = {"seated": _("seated"), "standing": _("standing")}
    return words.get(position, position)


def _field(name: str, text: str) -> str:
    import textwrap

    return textwrap.fill(text, WIDTH, initial_indent=f"{name}: ", subsequent_indent="  ")


def _load() -> LoadResult:
    from breakd.config import user_config_dir
    from breakd.content import load_exercises

    loaded = load_exercises([user_config_dir() / "exercises"])
    for problem in loaded.problems:
        print(f"breakd: {problem}", file=sys.stderr)
    return loaded


def _filtered(
    loaded: LoadResult, position: str | None, break_kind: str | None = None
) -> list[Exercise]:
    """The exercises of ``position`` (or all) offered in ``break_kind`` breaks (or any),
    seated ones first, then by id."""
    chosen = [e for e in loaded.exercises if position is None or e.position == position]
    if break_kind is not None:
        chosen = [e for e in chosen if e.suits(BreakType(break_kind))]
    return sorted(chosen, key=lambda e: (POSITIONS.index(e.position), e.id))
