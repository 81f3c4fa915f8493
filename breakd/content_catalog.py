"""The exercises' words in the message catalog: a Babel extractor over ``content/*.toml``.

Why the catalog and not a translated copy of each field in every exercise file: an
exercise file stays one readable English text that its author maintains, a translator
works on one ``.po`` file per language with the tools that already exist for it (fuzzy
matches show a changed step, the catalog tests catch a missing one), and adding a
language never touches the exercises. At run time :mod:`breakd.content` passes each
text through gettext, so a user's own exercise files simply stay as written.

Babel calls :func:`extract_content` for the files ``babel.cfg`` maps to it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

#: The fields a break shows, with the note a translator sees.
EXERCISE_FIELDS = {
    "title": "exercise title (at most 40 characters)",
    "cue": "exercise cue: one line in a notification (at most 90 characters)",
    "helps": "what the exercise helps with",
    "caution": "exercise caution",
}
SAFETY_FIELDS = {
    "short": "safety advice, one line in the break window",
    "full": "safety advice, the full paragraph",
}

Extracted = tuple[int, str | None, str, list[str]]


def normalize(text: str) -> str:
    """A content text as breakd shows it and as its msgid reads: whitespace collapsed."""
    return " ".join(text.split())


def extract_content(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield (line, function, message, comments) for each text in an exercise or safety file."""
    raw = fileobj.read().decode("utf-8")
    document = tomllib.loads(raw)
    lines = raw.splitlines()

    def line_of(text: str) -> int:
        probe = text.split("\n")[0][:30]
        return next((n for n, line in enumerate(lines, 1) if probe and probe in line), 0)

    if "short" in document or "full" in document:
        for key, note in SAFETY_FIELDS.items():
            if isinstance(value := document.get(key), str):
                yield line_of(value.strip()), None, normalize(value), [note]
        return
    entries = document.get("exercise", [document])
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        exercise = entry.get("id", "?")
        for key, note in EXERCISE_FIELDS.items():
            if isinstance(value := entry.get(key), str):
                yield line_of(value), None, normalize(value), [f"{exercise}: {note}"]
        steps = entry.get("steps", [])
        for number, step in enumerate(steps if isinstance(steps, list) else [], 1):
            if isinstance(step, str):
                yield line_of(step), None, normalize(step), [f"{exercise}: step {number}"]
