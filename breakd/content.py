"""Exercises and safety text as data: the shipped content plus the user's own files.

Every exercise is a TOML file (``content/exercises/<id>.toml``, or any ``*.toml`` in a
user folder) holding the text a break shows and a stick-figure picture of the pose, so
adding or correcting an exercise never needs a code change. Each entry is validated on
its own: a broken one becomes a problem message naming the file, the entry and the
field, and every other exercise still loads. A user entry whose ``id`` matches a shipped
one replaces it. ``content/README.md`` documents the format.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from breakd import choices
from breakd.i18n import _
from breakd.resources import data_dir
from breakd.state import BreakType

POSITIONS = choices.POSITIONS
VIEWS = ("side", "front")
CHAIR_BACKS = ("left", "right", "behind", "none")
#: The hands that can hold a glass (``glass`` in a picture).
HANDS = ("hand_l", "hand_r")

#: Joints every frame must place (normalised 0..1 coordinates, y pointing down).
JOINTS = (
    "head",
    "neck",
    "shoulder_l",
    "shoulder_r",
    "elbow_l",
    "elbow_r",
    "hand_l",
    "hand_r",
    "hip_l",
    "hip_r",
    "knee_l",
    "knee_r",
    "foot_l",
    "foot_r",
)
#: Joints a frame may add: a bend in the back, and the toes (to show a raised heel).
OPTIONAL_JOINTS = ("mid_back", "toe_l", "toe_r")
#: Body parts a frame can draw in the accent colour to show what moves.
PARTS = ("head", "spine", "arm_l", "arm_r", "leg_l", "leg_r")
#: The kinds of break an entry may name in ``breaks``.
BREAK_TYPES = tuple(kind.value for kind in BreakType)
#: What an entry without ``breaks`` suits: the short exercise break.
DEFAULT_BREAKS = (BreakType.EXERCISE,)

#: A notification body is cut off beyond about this many characters.
MAX_CUE = 90
MAX_TITLE = 40
MIN_DURATION = 5
MAX_DURATION = 600

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EXERCISE_KEYS = (
    "id",
    "title",
    "position",
    "duration",
    "steps",
    "cue",
    "helps",
    "caution",
    "source",
    "picture",
    "breaks",
)

Point = tuple[float, float]


class ContentError(Exception):
    """Shipped content that cannot be used at all (a broken installation)."""


@dataclass(frozen=True)
class Source:
    """Where an exercise is described: a document file name, its section heading, and the
    document's title (what people recognise; the file name is only for finding it)."""

    document: str
    section: str
    title: str | None = None

    @property
    def cited(self) -> str:
        """The document as a reader names it: its title, else its file name."""
        return self.title or self.document


@dataclass(frozen=True)
class Pose:
    """Joint positions of the stick figure in one frame."""

    head: Point
    neck: Point
    shoulder_l: Point
    shoulder_r: Point
    elbow_l: Point
    elbow_r: Point
    hand_l: Point
    hand_r: Point
    hip_l: Point
    hip_r: Point
    knee_l: Point
    knee_r: Point
    foot_l: Point
    foot_r: Point
    mid_back: Point | None = None
    toe_l: Point | None = None
    toe_r: Point | None = None

    def point(self, name: str) -> Point | None:
        """The joint called ``name``, or None for an optional joint this pose leaves out."""
        value: Point | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class Arrow:
    """A motion arrow from ``start`` to ``end``; ``bend`` curves it (0 is straight)."""

    start: Point
    end: Point
    bend: float = 0.0


@dataclass(frozen=True)
class Frame:
    """One still of the animation: the pose, the parts that move, and motion arrows.

    ``behind`` names parts that pass behind the body (hands clasped behind the back),
    which are drawn lighter and under the torso so the picture shows where they are.
    """

    label: str
    pose: Pose
    accent: tuple[str, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    behind: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chair:
    """A chair: seat from ``x`` to ``x + width`` at height ``seat_y``, legs to the floor.

    ``back`` says where the backrest is: "left" or "right" in a side view, "behind" the
    figure in a front view, or "none" for a stool.
    """

    x: float
    seat_y: float
    width: float
    back: Literal["left", "right", "behind", "none"] = "none"
    back_height: float = 0.25


@dataclass(frozen=True)
class Desk:
    """A desk or counter top from ``x`` to ``x + width`` at height ``y``, legs to the floor."""

    x: float
    y: float
    width: float


@dataclass(frozen=True)
class Stairs:
    """A flight of ``count`` steps rising to the right from the floor at ``x``, each
    ``run`` deep and ``rise`` high (the top step reaches ``floor - count * rise``)."""

    x: float
    run: float
    rise: float
    count: int


@dataclass(frozen=True)
class Picture:
    """How an exercise is drawn: the view, the props and at least two frames.

    ``glass`` names the hand ("hand_l" or "hand_r") that holds a glass of water, drawn
    at that hand in every frame.
    """

    view: Literal["side", "front"]
    frames: tuple[Frame, ...]
    head_radius: float = 0.05
    floor: float = 0.94
    chair: Chair | None = None
    desk: Desk | None = None
    stairs: Stairs | None = None
    glass: Literal["hand_l", "hand_r"] | None = None


@dataclass(frozen=True)
class Exercise:
    """One office-friendly exercise, with everything a break window needs to show it."""

    id: str
    title: str
    position: Literal["seated", "standing"]
    duration: int
    steps: tuple[str, ...]
    cue: str
    helps: str
    source: Source
    picture: Picture
    caution: str | None = None
    #: The kinds of break it suits ("walk to the kitchen" suits only a walking break).
    breaks: tuple[BreakType, ...] = DEFAULT_BREAKS
    origin: Path | None = field(default=None, compare=False)

    def suits(self, break_type: BreakType) -> bool:
        return break_type in self.breaks


def for_break(exercises: Iterable[Exercise], break_type: BreakType) -> tuple[Exercise, ...]:
    """The exercises a break of ``break_type`` may offer."""
    return tuple(exercise for exercise in exercises if exercise.suits(break_type))


@dataclass(frozen=True)
class Safety:
    """General safety advice: a one-liner for the break window and a full paragraph."""

    short: str
    full: str


@dataclass
class LoadResult:
    """The exercises that loaded and a message for each entry that did not."""

    exercises: tuple[Exercise, ...]
    problems: list[str]

    def get(self, exercise_id: str) -> Exercise | None:
        """The exercise with this id, or None."""
        return next((e for e in self.exercises if e.id == exercise_id), None)


def shipped_exercise_dir() -> Path:
    return data_dir("content") / "exercises"


def load_exercises(extra_dirs: Sequence[Path] = ()) -> LoadResult:
    """Read the shipped exercises, then each folder in ``extra_dirs`` on top, by ``id``.

    Folders that do not exist are skipped quietly: most users never create one.
    """
    problems: list[str] = []
    merged: dict[str, _Entry] = {}
    for layer, folder in enumerate([shipped_exercise_dir(), *extra_dirs]):
        if layer > 0 and not folder.exists():
            continue
        seen_here: dict[str, Path] = {}
        for entry in _read_folder(folder, problems):
            first = seen_here.get(entry.exercise_id)
            if first is not None:
                twice = _("{file}: exercise {id}: id: also defined in {other}; keeping that one")
                problems.append(
                    twice.format(file=entry.path, id=repr(entry.exercise_id), other=first)
                )
                continue
            seen_here[entry.exercise_id] = entry.path
            merged[entry.exercise_id] = entry  # a later folder overrides an earlier one
    exercises = []
    for entry in merged.values():
        exercise = _resolve_picture(entry, merged, problems)
        if exercise is not None:
            exercises.append(exercise)
    return LoadResult(exercises=tuple(exercises), problems=problems)


def load_safety() -> Safety:
    """The shipped safety text (``content/safety.toml``)."""
    path = data_dir("content") / "safety.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ContentError(
            _("{file}: cannot be read ({reason})").format(file=path, reason=error)
        ) from error
    short, full = document.get("short"), document.get("full")
    if not isinstance(short, str) or not short.strip():
        raise ContentError(
            _("{file}: {field} must be a non-empty string").format(file=path, field="'short'")
        )
    if not isinstance(full, str) or not full.strip():
        raise ContentError(
            _("{file}: {field} must be a non-empty string").format(file=path, field="'full'")
        )
    # The texts are msgids of the catalog (breakd/content_catalog.py extracts them).
    paragraph = " ".join(full.split())
    return Safety(short=_(short.strip()), full=_(paragraph))


# --- reading -------------------------------------------------------------------------


@dataclass
class _Entry:
    """A validated entry whose picture may still be a reference to another exercise."""

    exercise_id: str
    path: Path
    fields: dict[str, Any]
    picture: Picture | str


def _read_folder(folder: Path, problems: list[str]) -> Iterable[_Entry]:
    try:
        files = sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError as error:
        problems.append(
            _("{folder}: cannot be listed ({reason})").format(folder=folder, reason=error)
        )
        return
    for path in files:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(_("{file}: cannot be read ({reason})").format(file=path, reason=error))
            continue
        except tomllib.TOMLDecodeError as error:
            problems.append(_("{file}: not valid TOML ({reason})").format(file=path, reason=error))
            continue
        raw_entries: list[Any]
        if "exercise" in document:
            listed = document["exercise"]
            if not isinstance(listed, list):
                problems.append(
                    _("{file}: exercise: must be an array of tables ([[exercise]])").format(
                        file=path
                    )
                )
                continue
            raw_entries = listed
        else:
            raw_entries = [document]
        for index, raw in enumerate(raw_entries):
            entry = _validate_entry(path, index, len(raw_entries), raw, problems)
            if entry is not None:
                yield entry


def _resolve_picture(
    entry: _Entry, merged: Mapping[str, _Entry], problems: list[str]
) -> Exercise | None:
    picture = entry.picture
    if isinstance(picture, str):
        target = merged.get(picture)
        if target is None or isinstance(target.picture, str):
            problems.append(
                _(
                    "{file}: exercise {id}: picture: {picture} is not an exercise"
                    " with its own picture"
                ).format(file=entry.path, id=repr(entry.exercise_id), picture=repr(picture))
            )
            return None
        picture = target.picture
    return Exercise(picture=picture, origin=entry.path, **_translated(entry.fields))


def _translated(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The words of an exercise in the user's language (breakd/content_catalog.py puts the
    shipped ones in the catalog; a user's own exercise has no entry and stays as written)."""
    words = dict(fields)
    for key in ("title", "cue", "helps", "caution"):
        if words.get(key):
            words[key] = _(words[key])
    words["steps"] = tuple(_(step) for step in words["steps"])
    return words


class _Checker:
    """Collects problems for one entry, each prefixed with the file and the entry."""

    def __init__(self, path: Path, label: str, problems: list[str]) -> None:
        self.prefix = _("{file}: exercise {label}").format(file=path, label=label)
        self.problems = problems
        self.failed = False

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.prefix}: {where}: {message}")
        self.failed = True

    def text(self, table: Mapping[str, Any], key: str, where: str, limit: int = 0) -> str:
        value = table.get(key)
        if value is None:
            self.fail(where, _("missing"))
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(where, _("must be a non-empty string, not {value}").format(value=repr(value)))
            return ""
        cleaned = " ".join(value.split())
        if limit and len(cleaned) > limit:
            self.fail(
                where,
                _("is {length} characters; keep it to {limit}").format(
                    length=len(cleaned), limit=limit
                ),
            )
        return cleaned

    def number(
        self, value: Any, where: str, low: float, high: float, default: float | None = None
    ) -> float:
        if value is None and default is not None:
            return default
        if value is None:
            self.fail(where, _("missing"))
            return low
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, _("must be a number, not {value}").format(value=repr(value)))
            return low
        if not low <= value <= high:
            self.fail(
                where,
                _("must be between {low} and {high}, not {value}").format(
                    low=f"{low:g}", high=f"{high:g}", value=repr(value)
                ),
            )
        return float(value)

    def point(self, value: Any, where: str) -> Point:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
        ):
            self.fail(
                where, _("must be [x, y] with two numbers, not {value}").format(value=repr(value))
            )
            return (0.0, 0.0)
        x, y = float(value[0]), float(value[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            self.fail(
                where,
                _("coordinates must lie between 0 and 1, not {value}").format(value=repr(value)),
            )
        return (x, y)

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            self.fail(where, _("missing"))
            return {}
        if not isinstance(value, dict):
            self.fail(where, _("must be a table, not {value}").format(value=repr(value)))
            return {}
        return value

    def unknown_keys(self, table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        allowed = set(allowed)
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail(
                    f"{where}{key}", _("unknown field (known fields: {known})").format(known=known)
                )


def _validate_entry(
    path: Path, index: int, count: int, raw: Any, problems: list[str]
) -> _Entry | None:
    number = f"#{index + 1}" if count > 1 else "#1"
    if not isinstance(raw, dict):
        problems.append(
            _("{file}: exercise {label}: must be a table").format(file=path, label=number)
        )
        return None
    raw_id = raw.get("id")
    label = repr(raw_id) if isinstance(raw_id, str) and _ID.match(raw_id) else number
    check = _Checker(path, label, problems)
    check.unknown_keys(raw, _EXERCISE_KEYS, "")

    exercise_id = check.text(raw, "id", "id")
    if exercise_id and not _ID.match(exercise_id):
        check.fail(
            "id",
            _("{value} must be lower-case words joined by '-'").format(value=repr(exercise_id)),
        )
    title = check.text(raw, "title", "title", MAX_TITLE)
    position = raw.get("position")
    if position is None:
        check.fail("position", _("missing"))
    elif position not in POSITIONS:
        wrong = _('must be "seated" or "standing", not {value}')
        check.fail("position", wrong.format(value=repr(position)))
    duration = raw.get("duration")
    if duration is None:
        check.fail("duration", _("missing"))
    elif isinstance(duration, bool) or not isinstance(duration, int):
        check.fail(
            "duration",
            _("must be a whole number of seconds, not {value}").format(value=repr(duration)),
        )
    elif not MIN_DURATION <= duration <= MAX_DURATION:
        check.fail(
            "duration",
            _("must be {minimum} to {maximum} seconds, not {value}").format(
                minimum=MIN_DURATION, maximum=MAX_DURATION, value=duration
            ),
        )
    steps_raw = raw.get("steps")
    steps: list[str] = []
    if steps_raw is None:
        check.fail("steps", _("missing"))
    elif not isinstance(steps_raw, list) or not steps_raw:
        check.fail("steps", _("must be a non-empty list of strings"))
    else:
        for i, step in enumerate(steps_raw):
            if not isinstance(step, str) or not step.strip():
                check.fail(
                    f"steps[{i + 1}]",
                    _("must be a non-empty string, not {value}").format(value=repr(step)),
                )
            else:
                steps.append(" ".join(step.split()))
    cue = check.text(raw, "cue", "cue", MAX_CUE)
    helps = check.text(raw, "helps", "helps")
    caution = check.text(raw, "caution", "caution") if "caution" in raw else None
    source = Source("", "")
    if "source" not in raw:
        check.fail("source", _("missing (a table with document and section)"))
    elif isinstance(raw["source"], dict):
        source_raw = raw["source"]
        check.unknown_keys(source_raw, ("document", "title", "section"), "source.")
        source = Source(
            check.text(source_raw, "document", "source.document"),
            check.text(source_raw, "section", "source.section"),
            check.text(source_raw, "title", "source.title") if "title" in source_raw else None,
        )
    else:
        check.table(raw["source"], "source")
    breaks = _break_types(check, raw.get("breaks"))
    picture_raw = raw.get("picture")
    picture: Picture | str
    if picture_raw is None:
        check.fail("picture", _("missing"))
        picture = ""
    elif isinstance(picture_raw, str):
        picture = picture_raw  # reuse another exercise's picture, resolved after merging
    else:
        picture = _validate_picture(check, check.table(picture_raw, "picture"))

    if check.failed:
        return None
    fields = {
        "id": exercise_id,
        "title": title,
        "position": position,
        "duration": duration,
        "steps": tuple(steps),
        "cue": cue,
        "helps": helps,
        "caution": caution,
        "source": source,
        "breaks": breaks,
    }
    return _Entry(exercise_id=exercise_id, path=path, fields=fields, picture=picture)


def _break_types(check: _Checker, raw: Any) -> tuple[BreakType, ...]:
    """The optional ``breaks`` list: which kinds of break an exercise suits."""
    if raw is None:
        return DEFAULT_BREAKS
    wrong = _("must be a non-empty list of {choices}").format(choices=BREAK_TYPES)
    if not isinstance(raw, list) or not raw:
        check.fail("breaks", wrong)
        return DEFAULT_BREAKS
    found: list[BreakType] = []
    for item in raw:
        if not isinstance(item, str) or item not in BREAK_TYPES:
            check.fail(
                "breaks",
                _("{value} is not one of {choices}").format(value=repr(item), choices=BREAK_TYPES),
            )
        elif BreakType(item) not in found:
            found.append(BreakType(item))
    return tuple(found) or DEFAULT_BREAKS


def _validate_picture(check: _Checker, raw: Mapping[str, Any]) -> Picture | str:
    check.unknown_keys(
        raw,
        ("view", "head_radius", "floor", "chair", "desk", "stairs", "glass", "frames"),
        "picture.",
    )
    view = raw.get("view")
    if view not in VIEWS:
        check.fail(
            "picture.view", _('must be "side" or "front", not {value}').format(value=repr(view))
        )
    head_radius = check.number(raw.get("head_radius"), "picture.head_radius", 0.01, 0.2, 0.05)
    floor = check.number(raw.get("floor"), "picture.floor", 0.0, 1.0, 0.94)
    chair = None
    if "chair" in raw:
        c = check.table(raw["chair"], "picture.chair")
        check.unknown_keys(c, ("x", "seat_y", "width", "back", "back_height"), "picture.chair.")
        back = c.get("back", "none")
        if back not in CHAIR_BACKS:
            check.fail(
                "picture.chair.back",
                _("must be one of {choices}, not {value}").format(
                    choices=CHAIR_BACKS, value=repr(back)
                ),
            )
        chair = Chair(
            x=check.number(c.get("x"), "picture.chair.x", 0.0, 1.0),
            seat_y=check.number(c.get("seat_y"), "picture.chair.seat_y", 0.0, 1.0),
            width=check.number(c.get("width"), "picture.chair.width", 0.01, 1.0),
            back=back,
            back_height=check.number(
                c.get("back_height"), "picture.chair.back_height", 0.0, 1.0, 0.25
            ),
        )
    desk = None
    if "desk" in raw:
        d = check.table(raw["desk"], "picture.desk")
        check.unknown_keys(d, ("x", "y", "width"), "picture.desk.")
        desk = Desk(
            x=check.number(d.get("x"), "picture.desk.x", 0.0, 1.0),
            y=check.number(d.get("y"), "picture.desk.y", 0.0, 1.0),
            width=check.number(d.get("width"), "picture.desk.width", 0.01, 1.0),
        )
    stairs = None
    if "stairs" in raw:
        st = check.table(raw["stairs"], "picture.stairs")
        check.unknown_keys(st, ("x", "run", "rise", "count"), "picture.stairs.")
        count = st.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 12:
            check.fail(
                "picture.stairs.count",
                _("must be a whole number from {low} to {high}, not {value}").format(
                    low=1, high=12, value=repr(count)
                ),
            )
            count = 1
        stairs = Stairs(
            x=check.number(st.get("x"), "picture.stairs.x", 0.0, 1.0),
            run=check.number(st.get("run"), "picture.stairs.run", 0.01, 1.0),
            rise=check.number(st.get("rise"), "picture.stairs.rise", 0.01, 1.0),
            count=count,
        )
    glass = raw.get("glass")
    if glass is not None and glass not in HANDS:
        check.fail(
            "picture.glass",
            _("must be one of {choices}, not {value}").format(choices=HANDS, value=repr(glass)),
        )
    frames_raw = raw.get("frames")
    frames: list[Frame] = []
    if not isinstance(frames_raw, list) or len(frames_raw) < 2:
        check.fail("picture.frames", _("needs at least two frames ([[picture.frames]])"))
    else:
        for i, frame_raw in enumerate(frames_raw):
            frame = _validate_frame(check, frame_raw, f"picture.frames[{i + 1}]")
            if frame is not None:
                frames.append(frame)
    if check.failed:
        return ""
    assert view in VIEWS
    return Picture(
        view=view,
        frames=tuple(frames),
        head_radius=head_radius,
        floor=floor,
        chair=chair,
        desk=desk,
        stairs=stairs,
        glass=glass,
    )


def _validate_frame(check: _Checker, raw: Any, where: str) -> Frame | None:
    if not isinstance(raw, dict):
        check.fail(where, _("must be a table ([[picture.frames]])"))
        return None
    table: Mapping[str, Any] = raw
    check.unknown_keys(table, ("label", "joints", "accent", "behind", "arrows"), f"{where}.")
    label = check.text(table, "label", f"{where}.label")
    joints_raw = table.get("joints")
    if not isinstance(joints_raw, dict):
        check.table(joints_raw, f"{where}.joints")
        return None
    joints: dict[str, Point] = {}
    for name in JOINTS:
        if name not in joints_raw:
            check.fail(f"{where}.joints.{name}", _("missing"))
        else:
            joints[name] = check.point(joints_raw[name], f"{where}.joints.{name}")
    optional: dict[str, Point | None] = {
        name: check.point(joints_raw[name], f"{where}.joints.{name}")
        if name in joints_raw
        else None
        for name in OPTIONAL_JOINTS
    }
    check.unknown_keys(joints_raw, (*JOINTS, *OPTIONAL_JOINTS), f"{where}.joints.")
    accent = _parts(check, table, "accent", where)
    behind = _parts(check, table, "behind", where)
    arrows: list[Arrow] = []
    arrows_raw = table.get("arrows", [])
    if not isinstance(arrows_raw, list):
        check.fail(
            f"{where}.arrows",
            _("must be a list of {tables} tables").format(tables="{from, to, bend}"),
        )
        arrows_raw = []
    for i, arrow_raw in enumerate(arrows_raw):
        at = f"{where}.arrows[{i + 1}]"
        a = check.table(arrow_raw, at)
        check.unknown_keys(a, ("from", "to", "bend"), f"{at}.")
        arrows.append(
            Arrow(
                start=check.point(a.get("from"), f"{at}.from"),
                end=check.point(a.get("to"), f"{at}.to"),
                bend=check.number(a.get("bend"), f"{at}.bend", -1.0, 1.0, 0.0),
            )
        )
    if check.failed:
        return None
    pose = Pose(
        **joints,
        mid_back=optional["mid_back"],
        toe_l=optional["toe_l"],
        toe_r=optional["toe_r"],
    )
    return Frame(label=label, pose=pose, accent=accent, arrows=tuple(arrows), behind=behind)


def _parts(check: _Checker, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = table.get(key, [])
    if not isinstance(raw, list):
        check.fail(f"{where}.{key}", _("must be a list of parts {parts}").format(parts=PARTS))
        return ()
    parts = []
    for part in raw:
        if part not in PARTS:
            check.fail(
                f"{where}.{key}",
                _("{value} is not one of {choices}").format(value=repr(part), choices=PARTS),
            )
        else:
            parts.append(part)
    return tuple(parts)
