"""Choosing a backend: the one shape every concern with several backends uses.

Each concern's ``select`` module keeps an ordered registry, backend name to factory. A
factory builds its backend for this machine, or raises ``BackendUnavailable`` (or
another error its ``select`` names) saying why it cannot work here. ``choose`` tries
the names it is given in order and returns the first backend built, with a note for
each one passed over, which the daemon logs once. The names users may write in the
settings live with the schema in ``breakd.config``; a test ties them to the registries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Backend = TypeVar("Backend")
Context = TypeVar("Context")


class BackendUnavailable(Exception):
    """This backend cannot work here (or any more); the message says why."""


@dataclass(frozen=True)
class Chosen(Generic[Backend]):
    """The backend that works here, under its registry name."""

    name: str
    backend: Backend


def passed_over_note(name: str, error: BaseException) -> str:
    """The usual note on a backend passed over: "x11: cannot open the display :0"."""
    return f"{name}: {error}"


def check_choice(preference: str, choices: Sequence[str], what: str) -> None:
    """Raise ValueError unless ``preference`` is one of ``choices``."""
    if preference not in choices:
        raise ValueError(f"unknown {what} {preference!r}; use one of: {', '.join(choices)}")


def choose(
    order: Iterable[str],
    registry: Mapping[str, Callable[[Context], Backend]],
    context: Context,
    *,
    passed_over: tuple[type[Exception], ...] = (BackendUnavailable,),
    note: Callable[[str, BaseException], str] = passed_over_note,
) -> tuple[Chosen[Backend] | None, list[str]]:
    """The first backend of ``order`` that builds with ``context``, and notes on the rest.

    A factory that raises one of ``passed_over`` is passed over with a note; any other
    error is a bug and propagates. None when every one was passed over: the caller then
    falls back to what always works (the log, "always present", no tray).
    """
    notes: list[str] = []
    for name in order:
        try:
            return Chosen(name, registry[name](context)), notes
        except passed_over as error:
            notes.append(note(name, error))
    return None, notes
