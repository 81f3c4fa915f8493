r"""Reading and writing Desktop Entry files (freedesktop.org Desktop Entry Specification).

Two layers of escaping apply to the ``Exec`` key, and both matter for a launcher path
with spaces or odd characters:

1. *Quoting* (the spec's "Exec key" section): an argument containing a reserved
   character (space, tab, newline, ``" ' \ > < ~ | & ; $ * ? # ( )`` and backtick) is
   put in double quotes, and inside the quotes ``"``, backtick, ``$`` and ``\`` get a
   backslash in front. A literal ``%`` is written ``%%`` (``%`` starts a field code).
2. *String escaping* (the spec's "Possible value types"): the whole value is a
   ``string``, whose escapes ``\s \n \t \r \\`` are undone *before* the quoting is. So
   every backslash the quoting adds is doubled again in the file: a ``$`` in a quoted
   argument is written ``\\$``, a backslash ``\\\\``.

Reading does the same in reverse (``split_exec``). GLib's launcher (``gio launch``)
agrees with this for everything breakd writes; the tests run entries through both.
"""

from __future__ import annotations

from collections.abc import Sequence

GROUP = "Desktop Entry"

#: Characters that force an Exec argument into double quotes.
RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
#: Characters that take a backslash inside a double-quoted Exec argument.
ESCAPED_IN_QUOTES = frozenset('"`$\\')

_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def escape_string(value: str) -> str:
    r"""``value`` as a ``string``/``localestring``/``iconstring`` value in the file.

    Backslash, newline, tab and carriage return become ``\\ \n \t \r``; a space at
    either end becomes ``\s`` so readers that trim the value keep it. Other control
    characters cannot be written at all.
    """
    for char in value:
        if (ord(char) < 0x20 and char not in "\n\t\r") or char == "\x7f":
            raise ValueError(f"{value!r} contains a control character a desktop file cannot hold")
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    if out.startswith(" "):
        out = "\\s" + out[1:]
    if out.endswith(" "):
        out = out[:-1] + "\\s"
    return out


def unescape_string(raw: str) -> str:
    r"""Undo ``escape_string``. An unknown escape such as ``\$`` is kept as written, for
    the quoting layer to read (some writers skip the string escaping)."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw) and raw[i + 1] in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[raw[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def quote_exec_arg(arg: str) -> str:
    """One Exec argument, quoted per the spec (before string escaping)."""
    arg = arg.replace("%", "%%")
    if arg and not RESERVED.intersection(arg):
        return arg
    return '"' + "".join("\\" + c if c in ESCAPED_IN_QUOTES else c for c in arg) + '"'


def exec_value(argv: Sequence[str]) -> str:
    """The ``Exec=`` value, as written in the file, that runs exactly ``argv``."""
    if not argv:
        raise ValueError("an Exec line needs a program")
    if "=" in argv[0]:
        # The spec forbids it, quoted or not.
        raise ValueError(f"the program path {argv[0]!r} contains '=', which Exec cannot hold")
    return escape_string(" ".join(quote_exec_arg(arg) for arg in argv))


def split_exec(value: str) -> list[str]:
    """The arguments an ``Exec=`` value (as written in the file) runs.

    Undoes the string escapes, then the quoting, then ``%%``. Other field codes are
    dropped: an autostart entry is started without files or URLs. Raises ValueError on
    what the spec forbids (an unterminated quote, a reserved character outside quotes,
    an argument only partly quoted).
    """
    text = unescape_string(value)
    args: list[str] = []
    i, end = 0, len(text)
    while i < end:
        if text[i] == " ":
            i += 1
            continue
        if text[i] == '"':
            word: list[str] = []
            i += 1
            while True:
                if i >= end:
                    raise ValueError(f"unterminated quote in Exec value {value!r}")
                char = text[i]
                if char == "\\" and i + 1 < end and text[i + 1] in ESCAPED_IN_QUOTES:
                    word.append(text[i + 1])
                    i += 2
                elif char == '"':
                    i += 1
                    break
                else:
                    word.append(char)
                    i += 1
            if i < end and text[i] != " ":
                raise ValueError(f"an argument is only partly quoted in Exec value {value!r}")
            args.append(_expand_field_codes("".join(word)))
            continue
        start = i
        while i < end and text[i] != " ":
            i += 1
        raw = text[start:i]
        reserved = sorted(RESERVED.intersection(raw))
        if reserved:
            raise ValueError(
                f"reserved character {reserved[0]!r} outside quotes in Exec value {value!r}"
            )
        expanded = _expand_field_codes(raw)
        if expanded:  # a word that was only a field code (%U) stands for nothing
            args.append(expanded)
    return args


def _expand_field_codes(word: str) -> str:
    """``%%`` becomes ``%``; every other field code expands to nothing here."""
    out: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == "%" and i + 1 < len(word):
            if word[i + 1] == "%":
                out.append("%")
            i += 2
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def render(pairs: Sequence[tuple[str, str]], comment: str = "") -> str:
    """A ``[Desktop Entry]`` file from keys and already escaped values."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines.append(f"[{GROUP}]")
    lines.extend(f"{key}={value}" for key, value in pairs)
    return "\n".join(lines) + "\n"


def parse(text: str) -> dict[str, str]:
    """The keys of the ``[Desktop Entry]`` group, values as written (still escaped).

    Comments and other groups are skipped; spaces around ``=`` are ignored, as the
    spec says; the first of duplicate keys wins.
    """
    values: dict[str, str] = {}
    group: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            group = stripped[1:-1]
            continue
        if group != GROUP or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        values.setdefault(key.strip(), value.strip(" \t"))
    return values
