"""Exercise content: complete, sourced from the documents, office-friendly, and loaded
entry by entry so one broken user file costs only itself. Also ``breakd exercises``."""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from pathlib import Path

import pytest

from breakd.cli.exercises import register
from breakd.config import user_config_dir
from breakd.content import (
    JOINTS,
    MAX_CUE,
    POSITIONS,
    Exercise,
    for_break,
    load_exercises,
    load_safety,
    shipped_exercise_dir,
)
from breakd.resources import data_dir
from breakd.state import BreakType

# The source documents the exercises cite live outside the repository; CI points this
# variable at them (.ci/run), and a plain clone runs every other test without them.
SOURCE_DOCUMENTS_VARIABLE = "BREAKD_SOURCE_DOCUMENTS"
CORE = {
    "seat-edge-lean": "seated",
    "knee-press": "seated",
    "tiptoe-raise": "standing",
    "hands-on-lower-back": "standing",
}
#: The walking break's own content, which the short exercise break never offers.
WALKING_ONLY = {"walk-around", "take-the-stairs", "glass-of-water"}
#: Standing items added for the walking break and the standing posture.
ADDED_FOR_STANDING = {
    "walk-around",
    "take-the-stairs",
    "glass-of-water",
    "standing-thigh-stretch",
    "half-squat",
    "front-leg-bend",
}


@pytest.fixture(scope="module")
def seed_documents() -> dict[str, str]:
    """The source documents by file name, from the folder ``$BREAKD_SOURCE_DOCUMENTS`` names.

    Unset, the citation check is reported as not run (a plain clone has no documents);
    set to a folder that is missing or empty, it fails.
    """
    folder = os.environ.get(SOURCE_DOCUMENTS_VARIABLE, "")
    if not folder:
        pytest.skip(
            f"citations not checked: set {SOURCE_DOCUMENTS_VARIABLE} to the folder of the "
            "source documents (.ci/run does)"
        )
    seeds = Path(folder)
    if not seeds.is_dir():
        pytest.fail(f"{SOURCE_DOCUMENTS_VARIABLE}={folder}: no such folder")
    documents = {path.name: path.read_text(encoding="utf-8") for path in seeds.glob("*.txt")}
    if not documents:
        pytest.fail(f"{SOURCE_DOCUMENTS_VARIABLE}={folder} holds no .txt documents")
    return documents


@pytest.fixture(scope="module")
def shipped() -> tuple[Exercise, ...]:
    result = load_exercises()
    assert result.problems == []
    return result.exercises


def user_dir() -> Path:
    folder = user_config_dir() / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shipped_text(exercise_id: str) -> str:
    return (shipped_exercise_dir() / f"{exercise_id}.toml").read_text(encoding="utf-8")


# --- the shipped exercises -----------------------------------------------------------


def test_shipped_content_loads_without_problems(shipped: tuple[Exercise, ...]) -> None:
    files = sorted(shipped_exercise_dir().glob("*.toml"))
    assert len(shipped) == len(files) >= 12
    assert sorted(f"{e.id}.toml" for e in shipped) == [f.name for f in files]


def test_every_exercise_has_every_field(shipped: tuple[Exercise, ...]) -> None:
    for e in shipped:
        assert e.title.strip() and len(e.title) <= 40, e.id
        assert e.position in POSITIONS, e.id
        assert isinstance(e.duration, int) and 10 <= e.duration <= 120, e.id
        assert len(e.steps) >= 2 and all(s.strip() for s in e.steps), e.id
        assert all(s[0].isupper() and s.endswith(".") for s in e.steps), e.id
        assert e.cue.strip() and len(e.cue) <= MAX_CUE and "\n" not in e.cue, e.id
        assert e.helps.strip(), e.id
        assert e.caution is None or e.caution.strip(), e.id
        assert e.source.document and e.source.section, e.id
        assert e.source.title and not e.source.title.endswith((".txt", ".")), e.id
        assert e.breaks and len(set(e.breaks)) == len(e.breaks), e.id
        assert len(e.picture.frames) >= 2, e.id


def test_ids_are_unique(shipped: tuple[Exercise, ...]) -> None:
    ids = [e.id for e in shipped]
    assert len(ids) == len(set(ids))


def test_every_source_is_a_seed_document_and_one_of_its_sections(
    shipped: tuple[Exercise, ...], seed_documents: dict[str, str]
) -> None:
    for e in shipped:
        assert e.source.document in seed_documents, (
            f"{e.id} cites {e.source.document}, which is not among the source documents"
        )
        text = seed_documents[e.source.document].lower()
        assert e.source.section.lower() in text, (
            f"{e.id}: section {e.source.section!r} does not occur in {e.source.document}"
        )


def test_every_citation_of_a_document_gives_it_the_same_title(
    shipped: tuple[Exercise, ...],
) -> None:
    titles: dict[str, set[str | None]] = {}
    for e in shipped:
        titles.setdefault(e.source.document, set()).add(e.source.title)
    assert all(len(named) == 1 for named in titles.values()), titles


def test_every_source_title_is_the_documents_own(
    shipped: tuple[Exercise, ...], seed_documents: dict[str, str]
) -> None:
    """The title is the heading the document opens with, not one made up for it."""
    for e in shipped:
        assert e.source.title is not None, e.id
        opening = " ".join(seed_documents[e.source.document][:500].split()).lower()
        assert e.source.title.lower() in opening, (
            f"{e.id}: {e.source.title!r} is not how {e.source.document} opens"
        )


def test_the_four_core_exercises_are_there(shipped: tuple[Exercise, ...]) -> None:
    by_id = {e.id: e for e in shipped}
    for exercise_id, position in CORE.items():
        assert exercise_id in by_id, f"core exercise {exercise_id} is missing"
        core = by_id[exercise_id]
        assert core.position == position
        assert core.source.document == "003_6ef2df3a58be9d54.txt"
    assert by_id["seat-edge-lean"].source.section == "Sedentary exercises"
    assert by_id["knee-press"].source.section == "Sedentary exercises"
    assert by_id["tiptoe-raise"].source.section == "Foot exercises"
    assert by_id["hands-on-lower-back"].source.section == "Foot exercises"


def test_each_break_kind_has_its_own_content(shipped: tuple[Exercise, ...]) -> None:
    """The walking break offers the walk, the stairs and water with standing exercises
    between; the short break keeps to exercises at the desk."""
    walking = {e.id for e in for_break(shipped, BreakType.WALKING)}
    usual = {e.id for e in for_break(shipped, BreakType.EXERCISE)}
    assert walking | usual == {e.id for e in shipped}
    assert walking >= WALKING_ONLY and not WALKING_ONLY & usual
    by_id = {e.id: e for e in shipped}
    assert all(by_id[i].position == "standing" for i in walking), "the walking break is on foot"
    assert len(walking - WALKING_ONLY) >= 6, "standing exercises to do between walks"
    assert set(by_id) >= ADDED_FOR_STANDING
    assert all(by_id[i].position == "standing" for i in ADDED_FOR_STANDING)
    # a file that does not say is for the usual break
    assert by_id["knee-press"].breaks == (BreakType.EXERCISE,)


def test_at_least_six_seated_and_six_standing(shipped: tuple[Exercise, ...]) -> None:
    seated = [e for e in shipped if e.position == "seated"]
    standing = [e for e in shipped if e.position == "standing"]
    assert len(seated) >= 6, [e.id for e in seated]
    assert len(standing) >= 6, [e.id for e in standing]


def test_nothing_needs_the_floor(shipped: tuple[Exercise, ...]) -> None:
    floor_words = re.compile(r"\b(lie|lying|kneel|all fours|on the floor with)\b", re.I)
    for e in shipped:
        text = " ".join((e.title, e.cue, *e.steps))
        assert not floor_words.search(text), f"{e.id} is not an office exercise: {text}"


def test_pictures_show_the_furniture_the_exercise_uses(shipped: tuple[Exercise, ...]) -> None:
    for e in shipped:
        if e.position == "seated":
            assert e.picture.chair is not None, f"{e.id} is seated but its picture has no chair"
        else:
            assert e.picture.chair is None, f"{e.id} is standing but sits on a chair"
        mentions_desk = any("desk" in step or "counter" in step for step in e.steps)
        assert (e.picture.desk is not None) == mentions_desk, e.id


def test_every_frame_places_every_joint_inside_the_picture(
    shipped: tuple[Exercise, ...],
) -> None:
    for e in shipped:
        for frame in e.picture.frames:
            for name in JOINTS:
                x, y = getattr(frame.pose, name)
                assert 0 <= x <= 1 and 0 <= y <= 1, (e.id, frame.label, name)
            # the feet stand on the floor line (or above it, on tiptoe)
            for foot in (frame.pose.foot_l, frame.pose.foot_r):
                assert foot[1] <= e.picture.floor + 1e-9, (e.id, frame.label)


def test_safety_text_has_a_short_and_a_full_form() -> None:
    safety = load_safety()
    assert "\n" not in safety.short and len(safety.short) <= 100
    for phrase in ("smooth", "jerk", "breathe", "stop", "doctor"):
        assert phrase in safety.short.lower() or phrase in safety.full.lower(), phrase
    for phrase in ("pregnan", "injury", "weeks", "pain"):
        assert phrase in safety.full.lower(), phrase


def test_content_readme_carries_the_same_safety_paragraph() -> None:
    readme = (data_dir("content") / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Safety\n\n(.+?)\n\n", readme, re.S | re.M)
    assert match, "content/README.md has no '## Safety' section"
    assert " ".join(match.group(1).split()) == load_safety().full


# --- user files ----------------------------------------------------------------------


def test_breaks_names_the_kinds_of_break_an_entry_suits() -> None:
    folder = user_dir()
    base = shipped_text("knee-press")
    for name, breaks in (("mine-walk", '["walking"]'), ("mine-bad", '["walking", "jogging"]'),
                         ("mine-empty", "[]"), ("mine-word", '"walking"')):  # fmt: skip
        text = base.replace('id = "knee-press"', f'id = "{name}"')
        text = text.replace("duration = 30\n", f"duration = 30\nbreaks = {breaks}\n")
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    result = load_exercises([folder])
    walk = result.get("mine-walk")
    assert walk is not None and walk.breaks == (BreakType.WALKING,)
    assert walk.suits(BreakType.WALKING) and not walk.suits(BreakType.EXERCISE)
    knee = result.get("knee-press")
    assert knee is not None and knee.breaks == (BreakType.EXERCISE,)  # the default
    assert sorted(p.split(": ", 2)[1] for p in result.problems) == [
        "exercise 'mine-bad'",
        "exercise 'mine-empty'",
        "exercise 'mine-word'",
    ]
    assert any("breaks: 'jogging' is not one of" in p for p in result.problems)


def test_a_missing_user_folder_is_not_a_problem(tmp_path: Path) -> None:
    result = load_exercises([tmp_path / "does-not-exist"])
    assert result.problems == []
    assert len(result.exercises) == len(load_exercises().exercises)


def test_broken_user_files_name_file_entry_and_field_and_the_rest_still_loads() -> None:
    folder = user_dir()
    base = shipped_text("knee-press")
    bad_toml = folder / "bad-toml.toml"
    bad_toml.write_text('id = "oops"\ntitle = "unterminated\n', encoding="utf-8")
    no_cue = folder / "no-cue.toml"
    no_cue.write_text(
        "\n".join(
            line
            for line in base.replace("knee-press", "no-cue").splitlines()
            if not line.startswith("cue =")
        ),
        encoding="utf-8",
    )
    lying = folder / "lying.toml"
    lying.write_text(
        base.replace('id = "knee-press"', 'id = "lying-press"').replace(
            'position = "seated"', 'position = "lying"'
        ),
        encoding="utf-8",
    )
    good = folder / "good.toml"
    good.write_text(base.replace('id = "knee-press"', 'id = "my-press"'), encoding="utf-8")

    result = load_exercises([folder])

    assert len(result.problems) == 3, result.problems

    def problem_of(path: Path) -> str:
        [problem] = [p for p in result.problems if p.startswith(f"{path}: ")]
        return problem

    toml_problem, cue_problem = problem_of(bad_toml), problem_of(no_cue)
    position_problem = problem_of(lying)
    assert "TOML" in toml_problem
    assert "'no-cue'" in cue_problem
    assert "cue: missing" in cue_problem
    assert "'lying-press'" in position_problem
    assert "position:" in position_problem and "'lying'" in position_problem
    ids = {e.id for e in result.exercises}
    assert "my-press" in ids and "no-cue" not in ids and "lying-press" not in ids
    assert len(result.exercises) == len(load_exercises().exercises) + 1
    assert result.get("my-press") is not None
    assert result.get("my-press").origin == good  # type: ignore[union-attr]


def test_a_user_entry_with_a_shipped_id_overrides_it() -> None:
    folder = user_dir()
    text = shipped_text("knee-press").replace(
        'title = "Knee press"', 'title = "Knee press, my way"'
    )
    (folder / "knee-press.toml").write_text(text, encoding="utf-8")
    result = load_exercises([folder])
    assert result.problems == []
    presses = [e for e in result.exercises if e.id == "knee-press"]
    assert len(presses) == 1
    assert presses[0].title == "Knee press, my way"
    assert presses[0].origin == folder / "knee-press.toml"


def test_entries_in_a_many_exercise_file_are_checked_one_by_one() -> None:
    folder = user_dir()
    document = tomllib.loads(shipped_text("tiptoe-raise"))
    first = (
        '[[exercise]]\nid = "heel-rise"\ntitle = "Heel rise"\nposition = "standing"\n'
        'duration = 20\ncue = "Rise onto your toes."\nhelps = "Calves."\n'
        'steps = ["Rise.", "Lower."]\npicture = "tiptoe-raise"\n'
        '[exercise.source]\ndocument = "003_6ef2df3a58be9d54.txt"\nsection = "Foot exercises"\n'
    )
    second = '[[exercise]]\ntitle = "No id"\nposition = "standing"\n'
    path = folder / "several.toml"
    path.write_text(first + "\n" + second, encoding="utf-8")
    result = load_exercises([folder])
    heel = result.get("heel-rise")
    assert heel is not None
    assert heel.picture == result.get("tiptoe-raise").picture  # type: ignore[union-attr]
    assert len(document["picture"]["frames"]) == len(heel.picture.frames)
    assert result.problems and all("exercise #2" in p for p in result.problems)
    assert any("id: missing" in p for p in result.problems)
    assert all(str(path) in p for p in result.problems)


def test_picture_mistakes_name_the_frame_and_joint() -> None:
    folder = user_dir()
    text = shipped_text("reach-up").replace('id = "reach-up"', 'id = "reach-again"')
    head = re.search(r"^head = \[.*\]$", text, re.M)
    assert head
    broken = text[: head.start()] + "head = [1.5, 0.2]" + text[head.end() :]
    (folder / "reach-again.toml").write_text(broken, encoding="utf-8")
    (folder / "borrowed.toml").write_text(
        shipped_text("reach-up")
        .replace('id = "reach-up"', 'id = "borrowed"')
        .split("[picture]")[0]
        .replace("[source]", 'picture = "no-such-exercise"\n\n[source]'),
        encoding="utf-8",
    )
    result = load_exercises([folder])
    assert len(result.problems) == 2, result.problems
    joint, reference = sorted(result.problems, key=lambda p: "no-such" in p)
    assert "'reach-again'" in joint and "picture.frames[1].joints.head" in joint
    assert "'borrowed'" in reference and "no-such-exercise" in reference
    assert result.get("reach-again") is None and result.get("borrowed") is None


def test_a_duplicate_id_within_one_folder_keeps_the_first() -> None:
    folder = user_dir()
    text = shipped_text("reach-up").replace('id = "reach-up"', 'id = "twice"')
    (folder / "a.toml").write_text(text, encoding="utf-8")
    (folder / "b.toml").write_text(text.replace('title = "Reach up"', 'title = "B"'), "utf-8")
    result = load_exercises([folder])
    assert result.get("twice").title == "Reach up"  # type: ignore[union-attr]
    [problem] = result.problems
    assert str(folder / "b.toml") in problem and "'twice'" in problem and "id:" in problem


def test_unknown_fields_are_reported_not_ignored() -> None:
    folder = user_dir()
    text = shipped_text("reach-up").replace('id = "reach-up"', 'id = "typo"')
    (folder / "typo.toml").write_text(text.replace("cue =", "cue_text = 'x'\ncue ="), "utf-8")
    [problem] = load_exercises([folder]).problems
    assert "'typo'" in problem and "cue_text" in problem and "unknown field" in problem


def test_break_kind_stairs_and_glass_mistakes_name_the_field() -> None:
    folder = user_dir()
    stairs = shipped_text("take-the-stairs")
    (folder / "a.toml").write_text(
        stairs.replace('id = "take-the-stairs"', 'id = "lunch-walk"').replace(
            'breaks = ["walking"]', 'breaks = ["lunch"]'
        ),
        encoding="utf-8",
    )
    (folder / "b.toml").write_text(
        stairs.replace('id = "take-the-stairs"', 'id = "tower"').replace("count = 4", "count = 40"),
        encoding="utf-8",
    )
    (folder / "c.toml").write_text(
        shipped_text("glass-of-water")
        .replace('id = "glass-of-water"', 'id = "foot-glass"')
        .replace('glass = "hand_l"', 'glass = "foot_l"'),
        encoding="utf-8",
    )
    result = load_exercises([folder])
    assert len(result.problems) == 3, result.problems
    breaks, count, glass = sorted(result.problems)
    assert "'lunch-walk'" in breaks and "breaks:" in breaks and "'lunch'" in breaks
    assert "'tower'" in count and "picture.stairs.count" in count and "40" in count
    assert "'foot-glass'" in glass and "picture.glass" in glass and "'foot_l'" in glass
    assert not {"lunch-walk", "tower", "foot-glass"} & {e.id for e in result.exercises}


def test_cli_lists_the_exercises_of_one_kind_of_break(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("exercises", "--break", "walking") == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {"walk-around", "take-the-stairs", "glass-of-water", "tiptoe-raise"} <= listed
    assert "knee-press" not in listed
    assert run_cli("exercises", "--break", "exercise", "--position", "standing") == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert "tiptoe-raise" in listed and not WALKING_ONLY & listed


# --- breakd exercises ----------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="breakd")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    result: int = args.func(args)
    return result


def test_cli_lists_every_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("exercises") == 0
    out = capsys.readouterr().out.splitlines()
    shipped_ids = {e.id for e in load_exercises().exercises}
    assert {line.split()[0] for line in out} == shipped_ids
    assert any(re.match(r"^seat-edge-lean\s+seated\s+30 s\s+Seat-edge lean$", x) for x in out)


def test_cli_lists_one_position(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("exercises", "--position", "standing") == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(line.split()[1] == "standing" for line in out)
    assert any(line.startswith("tiptoe-raise ") for line in out)


def test_cli_shows_one_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("exercises", "show", "knee-press") == 0
    out = capsys.readouterr().out
    exercise = load_exercises().get("knee-press")
    assert exercise is not None
    assert out.startswith("Knee press (knee-press)\nPosition: seated")
    assert "Duration: 30 s" in out
    for number, step in enumerate(exercise.steps, start=1):
        assert f"  {number}. {step.split()[0]}" in out
    assert f"Cue: {exercise.cue}" in out
    assert "Helps: " in out
    assert (
        'Source: Exercises for the lower back and lower back pain, section "Sedentary exercises"'
        in out
    )
    assert ".txt" not in out
    assert "Safety: " in out


def test_cli_show_names_the_file_of_a_user_source_without_a_title(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = shipped_text("knee-press").replace(
        'title = "Exercises for the lower back and lower back pain"\n', ""
    )
    assert "Exercises for the lower back" not in text
    (user_dir() / "knee-press.toml").write_text(text, encoding="utf-8")
    assert run_cli("exercises", "show", "knee-press") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert 'Source: 003_6ef2df3a58be9d54.txt, section "Sedentary exercises"' in captured.out


def test_cli_show_prints_the_caution_when_there_is_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli("exercises", "show", "standing-forward-curl") == 0
    assert "Caution: If it is hard to keep your balance" in capsys.readouterr().out


def test_cli_show_unknown_id_says_how_to_find_the_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli("exercises", "show", "knee-pres") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "'knee-pres'" in captured.err and "knee-press" in captured.err
    assert "breakd exercises" in captured.err


def test_cli_reports_a_broken_user_file_and_lists_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (user_dir() / "broken.toml").write_text("id = ", encoding="utf-8")
    assert run_cli("exercises") == 0
    captured = capsys.readouterr()
    assert "broken.toml" in captured.err
    assert "seat-edge-lean" in captured.out
