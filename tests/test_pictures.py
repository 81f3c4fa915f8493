"""Exercise pictures: every frame draws a visible figure at icon and HiDPI sizes, and the
contact sheet reviewers look at comes out whole (it is kept as a test artifact)."""

from __future__ import annotations

import argparse
import math
import os
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from PIL import Image
from support.screen import changed_share

from breakd.cli.exercises import register
from breakd.content import JOINTS, Exercise, Frame, Pose, load_exercises
from breakd.pictures import (
    ACCENT,
    FIGURE,
    bone_vectors,
    contact_sheet,
    interpolate,
    render_between,
    render_frame,
    render_frames,
    sheet_layout,
)

EXERCISES = load_exercises().exercises
FRAMES = [(e, i) for e in EXERCISES for i in range(len(e.picture.frames))]


def artifacts_dir(tmp_path: Path) -> Path:
    """Where to keep images for people to look at: $BREAKD_TEST_ARTIFACTS, else tmp."""
    folder = Path(os.environ.get("BREAKD_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_figure(pixel: object) -> bool:
    """An opaque, dark or coloured pixel: the figure, not the light-grey furniture."""
    if not isinstance(pixel, tuple) or len(pixel) != 4:
        return False
    r, g, b, a = pixel
    return bool(a >= 160 and max(r, g, b) < 175)


def frame_id(value: object) -> str:
    if isinstance(value, tuple):
        exercise, index = value
        assert isinstance(exercise, Exercise)
        return f"{exercise.id}-{index + 1}"
    return str(value)


@pytest.mark.parametrize("size", [32, 256])
@pytest.mark.parametrize("frame", FRAMES, ids=frame_id)
def test_every_frame_renders_a_visible_figure(frame: tuple[Exercise, int], size: int) -> None:
    exercise, index = frame
    image = render_frame(exercise, index, size)
    assert image.mode == "RGBA" and image.size == (size, size)
    colours = image.getcolors(maxcolors=size * size)
    assert colours is not None and len(colours) > 1, "the picture is blank"
    figure = sum(count for count, pixel in colours if is_figure(pixel))
    assert figure >= size * size * 0.01, f"only {figure} figure pixels"
    # the head is drawn where the pose puts it
    pose = exercise.picture.frames[index].pose
    head = image.getpixel((int(pose.head[0] * size), int(pose.head[1] * size)))
    assert is_figure(head), head
    # and the corners stay transparent, so the picture sits on any background
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple) and corner[3] == 0


def test_the_figure_uses_the_slate_colour_and_the_furniture_stays_light() -> None:
    image = render_frame(EXERCISES[0], 0, 256)
    colours = image.getcolors(maxcolors=256 * 256)
    assert colours is not None
    assert any(pixel == FIGURE for _, pixel in colours)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_frames_of_an_exercise_differ(exercise: Exercise) -> None:
    frames = render_frames(exercise, 64)
    assert len(frames) == len(exercise.picture.frames) >= 2
    for earlier, later in pairwise(frames):
        assert earlier.tobytes() != later.tobytes(), "two frames of the animation are the same"


def test_seated_pictures_show_a_chair_under_the_figure() -> None:
    for exercise in EXERCISES:
        chair = exercise.picture.chair
        if chair is None:
            continue
        size = 128
        image = render_frame(exercise, 0, size)
        y = int(chair.seat_y * size)
        row = [image.getpixel((x, y)) for x in range(size)]
        assert any(isinstance(p, tuple) and p[3] > 200 for p in row), exercise.id


def test_bad_requests_are_refused() -> None:
    with pytest.raises(IndexError):
        render_frame(EXERCISES[0], len(EXERCISES[0].picture.frames), 64)
    with pytest.raises(ValueError):
        render_frame(EXERCISES[0], 0, 4)


def test_contact_sheet_shows_every_frame_and_is_kept(tmp_path: Path) -> None:
    size = 96
    sheet = contact_sheet(EXERCISES, size)
    sheet.save(artifacts_dir(tmp_path) / "contact-sheet.png")
    width, height, gap, _, _ = sheet_layout(EXERCISES, size)
    assert sheet.mode == "RGB" and sheet.size == (width, height)
    assert sheet.getpixel((1, 1)) == (255, 255, 255)
    most_frames = max(len(e.picture.frames) for e in EXERCISES)
    assert width >= 3 * most_frames * size
    assert height >= (len(EXERCISES) // 3) * size
    # each exercise's first frame is pasted at the top-left of its block
    top_left = sheet.crop((gap, gap, gap + size, gap + size))
    alone = Image.new("RGB", (size, size), (255, 255, 255))
    picture = render_frame(EXERCISES[0], 0, size)
    alone.paste(picture, (0, 0), picture)
    inner = (4, 4, size - 4, size - 4)
    assert top_left.crop(inner).tobytes() == alone.crop(inner).tobytes()


def test_cli_sheet_writes_a_png_of_the_expected_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = artifacts_dir(tmp_path) / "cli-sheet.png"
    parser = argparse.ArgumentParser(prog="breakd")
    register(parser.add_subparsers(dest="command"))
    for size in (64, 128):
        args = parser.parse_args(["exercises", "sheet", str(out), "--size", str(size)])
        assert args.func(args) == 0
        with Image.open(out) as written:
            assert written.format == "PNG"
            assert written.size == sheet_layout(EXERCISES, size)[:2]
        assert str(out) in capsys.readouterr().out
    small, large = sheet_layout(EXERCISES, 64)[:2], sheet_layout(EXERCISES, 128)[:2]
    assert large[0] > small[0] * 1.8 and large[1] > small[1] * 1.8


def test_cli_sheet_refuses_a_silly_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="breakd")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["exercises", "sheet", str(tmp_path / "x.png"), "--size", "5"])
    assert args.func(args) == 2
    assert "--size" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


# --- pictures nobody can misread ----------------------------------------------------------

#: Drawn again from the side so the movement shows, and the ones added with them.
REDRAWN = ("praying-mantis", "behind-back-clasp", "upper-back-stretch", "tiptoe-raise")
ADDED = (
    "walk-around",
    "take-the-stairs",
    "glass-of-water",
    "standing-thigh-stretch",
    "half-squat",
    "front-leg-bend",
)
BY_ID = {e.id: e for e in EXERCISES}
SMALL = 96


@pytest.mark.parametrize("exercise_id", REDRAWN + ADDED)
def test_every_frame_differs_visibly_from_the_others_at_96_px(exercise_id: str) -> None:
    exercise = BY_ID[exercise_id]
    frames = render_frames(exercise, SMALL)
    for (i, first), (j, second) in combinations(enumerate(frames), 2):
        share = changed_share(first, second)
        assert share >= 0.15, f"frames {i + 1} and {j + 1} differ in only {share:.0%} of the ink"


@pytest.mark.parametrize("exercise_id", ["praying-mantis", "behind-back-clasp"])
def test_hands_behind_the_back_are_drawn_strongly_from_the_side(exercise_id: str) -> None:
    """Seen from the front, arms behind the back were pale stray lines; from the side the
    arm that reaches behind is the near one, drawn in the full accent colour."""
    exercise = BY_ID[exercise_id]
    assert exercise.picture.view == "side"
    for index, frame in enumerate(exercise.picture.frames[1:], start=1):
        data = render_frame(exercise, index, SMALL).tobytes()
        pixels = [data[i : i + 4] for i in range(0, len(data), 4)]
        strong = sum(
            1 for p in pixels if p[3] > 200 and max(abs(p[k] - ACCENT[k]) for k in range(3)) < 40
        )
        assert strong >= 40, f"{frame.label}: only {strong} pixels in the accent colour"
        assert not frame.behind, "nothing needs to be hidden behind the body from the side"


def test_the_tiptoe_heel_is_clearly_off_the_floor_at_96_px() -> None:
    exercise = BY_ID["tiptoe-raise"]
    floor = round(exercise.picture.floor * SMALL)

    def gap_under_heel(index: int) -> int:
        image = render_frame(exercise, index, SMALL)
        ankle = exercise.picture.frames[index].pose.foot_l
        x = round(ankle[0] * SMALL) - 2  # just behind the ankle: the heel
        column = [image.getpixel((x, y)) for y in range(round(ankle[1] * SMALL), floor - 1)]
        clear = [isinstance(p, tuple) and p[3] < 40 for p in column]
        return max(
            (len(run) for run in "".join("x" if c else " " for c in clear).split()), default=0
        )

    assert gap_under_heel(0) == 0, "standing, the heel is on the floor"
    assert gap_under_heel(1) >= 7, "on tiptoe the heel must be lifted clearly"


def test_the_three_standing_bends_are_told_apart_by_how_far_the_head_comes_down() -> None:
    """The upper-back stretch looked like the forward curl: now it rounds only the upper
    back over hips and legs that stay put, the curl folds halfway with the knees bent,
    and the forward bend folds all the way down."""

    def drop(exercise_id: str) -> float:
        start, held = (f.pose for f in BY_ID[exercise_id].picture.frames[:2])
        height = BY_ID[exercise_id].picture.floor - start.head[1]
        return (held.head[1] - start.head[1]) / height

    assert drop("upper-back-stretch") < 0.25
    assert 0.3 < drop("standing-forward-curl") < 0.5
    assert drop("forward-bend") > 0.55
    start, held = (f.pose for f in BY_ID["upper-back-stretch"].picture.frames[:2])
    for joint in ("hip_l", "knee_l", "foot_l", "toe_l", "hip_r", "knee_r", "foot_r", "toe_r"):
        assert start.point(joint) == held.point(joint), f"{joint} moves in the upper-back stretch"
    start, held = (f.pose for f in BY_ID["standing-forward-curl"].picture.frames[:2])
    assert held.hip_l[0] < start.hip_l[0], "the curl sits back into the hips"


# --- in-between poses ---------------------------------------------------------------------

MOVES = [
    (e, i, (i + 1) % len(e.picture.frames)) for e in EXERCISES for i in range(len(e.picture.frames))
]
STEPS = [i / 10 for i in range(11)]


def move_id(value: object) -> str:
    if isinstance(value, tuple):
        exercise, start, end = value
        return f"{exercise.id}-{start + 1}-{end + 1}"
    return str(value)


def test_in_between_poses_begin_and_end_on_the_key_frames() -> None:
    for exercise, start, end in MOVES:
        frames = exercise.picture.frames
        assert interpolate(frames[start], frames[end], 0.0) == frames[start]
        assert interpolate(frames[start], frames[end], 1.0) == frames[end]
    clasp = BY_ID["behind-back-clasp"]
    assert render_between(clasp, 0, 1, 0.0, 64).tobytes() == render_frame(clasp, 0, 64).tobytes()
    assert render_between(clasp, 0, 1, 1.0, 64).tobytes() == render_frame(clasp, 1, 64).tobytes()
    middle = render_between(clasp, 0, 1, 0.5, 64).tobytes()
    assert middle not in (
        render_frame(clasp, 0, 64).tobytes(),
        render_frame(clasp, 1, 64).tobytes(),
    )


@pytest.mark.parametrize("move", MOVES, ids=move_id)
def test_every_bone_turns_and_stretches_steadily_from_one_pose_to_the_next(
    move: tuple[Exercise, int, int],
) -> None:
    """No limb shrinks through its joint or turns back on itself: each bone's angle and
    length change monotonically, and halfway they are halfway."""
    exercise, start, end = move
    first, last = exercise.picture.frames[start], exercise.picture.frames[end]
    poses = [bone_vectors(interpolate(first, last, t).pose) for t in STEPS]
    for bone in poses[0]:
        angles = [poses[0][bone][0]]
        for pose in poses[1:]:  # unwrapped, so a turn through ±180° stays continuous
            turn = (pose[bone][0] - angles[-1] + math.pi) % (2 * math.pi) - math.pi
            angles.append(angles[-1] + turn)
        lengths = [pose[bone][1] for pose in poses]
        for series in (angles, lengths):
            steps = [b - a for a, b in pairwise(series)]
            assert all(s >= -1e-9 for s in steps) or all(s <= 1e-9 for s in steps), bone
        assert math.isclose(angles[5] - angles[0], (angles[10] - angles[0]) / 2, abs_tol=1e-6)
        assert math.isclose(lengths[5], (lengths[0] + lengths[10]) / 2, abs_tol=1e-9)


def test_a_foot_on_the_floor_stays_on_the_floor_between_poses() -> None:
    tiptoe = BY_ID["tiptoe-raise"].picture.frames
    squat = BY_ID["half-squat"].picture.frames
    for t in STEPS:
        assert interpolate(tiptoe[0], tiptoe[1], t).pose.toe_l == tiptoe[0].pose.toe_l
        assert interpolate(squat[0], squat[1], t).pose.toe_l == squat[0].pose.toe_l
    # the heel rises steadily meanwhile
    heights = [interpolate(tiptoe[0], tiptoe[1], t).pose.foot_l[1] for t in STEPS]
    assert all(b < a for a, b in pairwise(heights))


def test_a_pose_that_only_moves_is_halfway_at_the_middle() -> None:
    frame = BY_ID["reach-up"].picture.frames[0]
    moved = {name: (x + 0.1, y - 0.04) for name, (x, y) in bone_points(frame.pose).items()}
    shifted = Frame("moved", Pose(**moved))
    middle = interpolate(frame, shifted, 0.5).pose
    for name, (x, y) in bone_points(frame.pose).items():
        mx, my = getattr(middle, name)
        assert math.isclose(mx, x + 0.05, abs_tol=1e-9) and math.isclose(my, y - 0.02, abs_tol=1e-9)


def test_an_arm_raised_overhead_comes_up_in_front_in_a_side_view() -> None:
    start, raised = BY_ID["behind-back-clasp"].picture.frames[:2]
    middle = interpolate(start, raised, 0.5).pose
    assert middle.elbow_l[0] > middle.shoulder_l[0], "the arm swings up in front, not behind"


def test_in_between_the_moving_parts_are_accented_and_arrows_wait_for_the_pose() -> None:
    start, on_tiptoe = BY_ID["tiptoe-raise"].picture.frames
    assert on_tiptoe.arrows and not start.accent
    for t in (0.2, 0.5, 0.8):
        between = interpolate(start, on_tiptoe, t)
        assert set(on_tiptoe.accent) <= set(between.accent)
        assert between.arrows == ()
        assert between.label == (start.label if t < 0.5 else on_tiptoe.label)


def bone_points(pose: Pose) -> dict[str, tuple[float, float]]:
    return {name: getattr(pose, name) for name in JOINTS}
