"""Stick-figure pictures of the exercises, drawn from the pose data at any size.

Poses are stored as normalised joint positions (see :mod:`breakd.content`), so one
description serves a 32 px tray icon and a HiDPI break window alike. Everything is
drawn at four times the requested size and scaled down, which anti-aliases the lines;
line ends and joints are round so the figure reads as one body even when small.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from breakd.content import JOINTS, Arrow, Chair, Desk, Exercise, Frame, Point, Pose, Stairs

#: Drawing happens at this multiple of the requested size, then is scaled down.
SUPERSAMPLE = 4

Colour = tuple[int, int, int, int]

FIGURE: Colour = (47, 62, 77, 255)  # dark slate
FIGURE_FAR: Colour = (138, 151, 165, 255)  # far-side limbs in a side view
ACCENT: Colour = (33, 148, 134, 255)  # calm teal: the part that moves, motion arrows
ACCENT_FAR: Colour = (132, 196, 187, 255)
PROP: Colour = (192, 198, 206, 255)  # light grey chair and desk
PROP_FILL: Colour = (231, 234, 238, 255)
FLOOR: Colour = (221, 225, 230, 255)
WATER: Colour = (176, 222, 216, 255)  # the water in a glass: a pale accent
TRANSPARENT: Colour = (255, 255, 255, 0)

SHEET_BACKGROUND = (255, 255, 255)
SHEET_TITLE = (47, 62, 77)
SHEET_LABEL = (120, 132, 146)
SHEET_CELL_BORDER = (232, 235, 239)
#: Exercises per row of the contact sheet.
SHEET_COLUMNS = 3


def render_frame(
    exercise: Exercise, frame_index: int, size: int, *, background: Colour = TRANSPARENT
) -> Image.Image:
    """Draw one frame of ``exercise`` as a square RGBA image ``size`` pixels wide.

    The background is transparent unless given, so a break window can place the
    picture on any colour.
    """
    frames = exercise.picture.frames
    if not 0 <= frame_index < len(frames):
        raise IndexError(f"{exercise.id} has {len(frames)} frames, not {frame_index + 1}")
    return render_still(exercise, frames[frame_index], size, background=background)


def render_between(exercise: Exercise, start: int, end: int, t: float, size: int) -> Image.Image:
    """The picture ``t`` of the way (0..1) from key frame ``start`` to key frame ``end``."""
    frames = exercise.picture.frames
    for index in (start, end):
        if not 0 <= index < len(frames):
            raise IndexError(f"{exercise.id} has {len(frames)} frames, not {index + 1}")
    return render_still(exercise, interpolate(frames[start], frames[end], t), size)


def render_still(
    exercise: Exercise, frame: Frame, size: int, *, background: Colour = TRANSPARENT
) -> Image.Image:
    """Draw ``frame`` (a key frame or one in between) with ``exercise``'s view and props."""
    if size < 8:
        raise ValueError(f"a picture needs at least 8 pixels, not {size}")
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), background)
    _Painter(image, exercise, size).paint(frame)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def render_frames(exercise: Exercise, size: int) -> list[Image.Image]:
    """Every frame of ``exercise``, in order, for an animation."""
    return [render_frame(exercise, i, size) for i in range(len(exercise.picture.frames))]


def sheet_layout(exercises: Sequence[Exercise], size: int) -> tuple[int, int, int, int, int]:
    """(width, height, gap, label height, title height) of the contact sheet in pixels."""
    count = max(len(exercises), 1)
    frames = max((len(e.picture.frames) for e in exercises), default=1)
    columns = min(SHEET_COLUMNS, count)
    rows = math.ceil(count / columns)
    gap = max(size // 6, 6)
    label_h = max(round(size * 0.12), 10)
    title_h = max(round(size * 0.16), 12)
    block_w = frames * size + (frames - 1) * (gap // 2)
    block_h = size + label_h + title_h
    width = columns * block_w + (columns + 1) * gap
    height = rows * block_h + (rows + 1) * gap
    return width, height, gap, label_h, title_h


def contact_sheet(exercises: Sequence[Exercise], size: int) -> Image.Image:
    """Every frame of every exercise on one white RGB image, titled, for review."""
    width, height, gap, label_h, title_h = sheet_layout(exercises, size)
    sheet = Image.new("RGB", (width, height), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    frames_max = max((len(e.picture.frames) for e in exercises), default=1)
    columns = min(SHEET_COLUMNS, max(len(exercises), 1))
    block_w = frames_max * size + (frames_max - 1) * (gap // 2)
    block_h = size + label_h + title_h
    label_font = _font(max(round(label_h * 0.72), 8))
    title_font = _font(max(round(title_h * 0.7), 9))
    for index, exercise in enumerate(exercises):
        row, column = divmod(index, columns)
        left = gap + column * (block_w + gap)
        top = gap + row * (block_h + gap)
        for f, frame in enumerate(exercise.picture.frames):
            x = left + f * (size + gap // 2)
            draw.rounded_rectangle(
                (x, top, x + size - 1, top + size - 1),
                radius=max(size // 16, 2),
                outline=SHEET_CELL_BORDER,
                width=max(size // 128, 1),
            )
            picture = render_frame(exercise, f, size)
            sheet.paste(picture, (x, top), picture)
            label = _fit_text(draw, f"{f + 1} {frame.label}", label_font, size)
            _centred_text(
                draw, (x + size / 2, top + size + label_h / 2), label, label_font, SHEET_LABEL
            )
        count = len(exercise.picture.frames)
        own_w = count * size + (count - 1) * (gap // 2)
        title = _fit_text(draw, f"{exercise.title} ({exercise.position})", title_font, block_w)
        # centred under its own frames, but never spilling left out of its block
        span = max(own_w, draw.textlength(title, font=title_font))
        centre = (left + span / 2, top + size + label_h + title_h / 2)
        _centred_text(draw, centre, title, title_font, SHEET_TITLE)
    return sheet


# --- in-between poses ---------------------------------------------------------------

#: The figure's bones, joint to joint; "pelvis" is the midpoint of the hips.
BONES = (
    ("pelvis", "hip_l"),
    ("pelvis", "hip_r"),
    ("hip_l", "knee_l"),
    ("knee_l", "foot_l"),
    ("foot_l", "toe_l"),
    ("hip_r", "knee_r"),
    ("knee_r", "foot_r"),
    ("foot_r", "toe_r"),
    ("pelvis", "mid_back"),
    ("mid_back", "neck"),
    ("neck", "head"),
    ("neck", "shoulder_l"),
    ("shoulder_l", "elbow_l"),
    ("elbow_l", "hand_l"),
    ("neck", "shoulder_r"),
    ("shoulder_r", "elbow_r"),
    ("elbow_r", "hand_r"),
)
#: The joint an in-between pose is built from is the one that moves least; among equals,
#: the first of these, so a foot on the floor stays on the floor.
ANCHORS = (
    "toe_l",
    "toe_r",
    "foot_l",
    "foot_r",
    "pelvis",
    "knee_l",
    "knee_r",
    "hip_l",
    "hip_r",
    "mid_back",
    "neck",
    "head",
    "shoulder_l",
    "shoulder_r",
    "elbow_l",
    "elbow_r",
    "hand_l",
    "hand_r",
)
#: Displacements closer than this count as equal when the anchor is chosen.
_ANCHOR_TOLERANCE = 1e-3


def interpolate(start: Frame, end: Frame, t: float) -> Frame:
    """The pose ``t`` of the way (0..1) from ``start`` to ``end``, for a smooth animation.

    Each bone turns at an even pace and changes its length evenly, so a limb swings
    round its joint instead of shrinking through it, as a straight line between the
    joints' positions would make it. A bone turns the shorter way round, except that a
    turn of more than 135° in a side view goes through the front of the figure, as an
    arm raised overhead does. The figure is built outwards from the joint that moves
    least (a planted foot), which therefore stays put. Both ends give the key
    frames themselves. In between, the parts that move are drawn in the accent colour;
    the arrows belong to the key frames only.
    """
    if t <= 0.0:
        return start
    if t >= 1.0:
        return end
    a = _skeleton(start.pose, end.pose)
    b = _skeleton(end.pose, start.pose)
    anchor = min(ANCHORS, key=lambda name: _distance(a[name], b[name]) // _ANCHOR_TOLERANCE)
    points: dict[str, Point] = {anchor: _lerp(a[anchor], b[anchor], t)}
    neighbours: dict[str, list[str]] = {}
    for one, other in BONES:
        neighbours.setdefault(one, []).append(other)
        neighbours.setdefault(other, []).append(one)
    facing = _facing(start.pose)
    queue = deque([anchor])
    while queue:
        joint = queue.popleft()
        for following in neighbours[joint]:
            if following in points:
                continue
            points[following] = _swing(
                points[joint], a[joint], a[following], b[joint], b[following], t, facing
            )
            queue.append(following)
    near, far = (start, end) if t < 0.5 else (end, start)

    def optional(name: str) -> Point | None:
        both_missing = start.pose.point(name) is None and end.pose.point(name) is None
        return None if both_missing else points[name]

    pose = Pose(
        **{name: points[name] for name in JOINTS},
        mid_back=optional("mid_back"),
        toe_l=optional("toe_l"),
        toe_r=optional("toe_r"),
    )
    accent = tuple(dict.fromkeys((*near.accent, *far.accent)))
    return Frame(label=near.label, pose=pose, accent=accent, behind=near.behind)


def bone_vectors(pose: Pose) -> dict[tuple[str, str], tuple[float, float]]:
    """Each bone of ``pose`` as (angle in radians, length), for checking an animation."""
    points = _skeleton(pose, pose)
    vectors = {}
    for one, other in BONES:
        (x0, y0), (x1, y1) = points[one], points[other]
        vectors[(one, other)] = (math.atan2(y1 - y0, x1 - x0), math.hypot(x1 - x0, y1 - y0))
    return vectors


def _skeleton(pose: Pose, other: Pose) -> dict[str, Point]:
    """Every joint of ``pose`` including the pelvis; an optional joint it leaves out is
    put where it would not change the picture (a straight back, or the toes where the
    other pose has them relative to the foot), so two poses always have the same bones."""
    points: dict[str, Point] = {name: getattr(pose, name) for name in JOINTS}
    pelvis = _midpoint(pose.hip_l, pose.hip_r)
    points["pelvis"] = pelvis
    points["mid_back"] = pose.mid_back or _midpoint(pose.neck, pelvis)
    for side in ("l", "r"):
        foot = points[f"foot_{side}"]
        toe = pose.point(f"toe_{side}")
        if toe is None:
            theirs = other.point(f"toe_{side}")
            their_foot = getattr(other, f"foot_{side}")
            toe = (
                foot
                if theirs is None
                else (foot[0] + theirs[0] - their_foot[0], foot[1] + theirs[1] - their_foot[1])
            )
        points[f"toe_{side}"] = toe
    return points


#: A turn larger than this has no obvious way round; in a side view it goes the front way.
_WIDE_TURN = math.radians(135)


def _facing(pose: Pose) -> float:
    """+1 for a figure facing right, -1 facing left, 0 when not seen from the side (the
    toes of both feet point the same way only in a side view)."""
    ways = []
    for side in ("l", "r"):
        toe, foot = pose.point(f"toe_{side}"), getattr(pose, f"foot_{side}")
        if toe is None or abs(toe[0] - foot[0]) < 1e-6:
            return 0.0
        ways.append(math.copysign(1.0, toe[0] - foot[0]))
    return ways[0] if ways[0] == ways[1] else 0.0


def _swing(
    origin: Point, a0: Point, a1: Point, b0: Point, b1: Point, t: float, facing: float
) -> Point:
    """The end of a bone that runs from ``a0`` to ``a1`` at the start and from ``b0`` to
    ``b1`` at the end, ``t`` of the way round, hung from ``origin``."""
    ax, ay = a1[0] - a0[0], a1[1] - a0[1]
    bx, by = b1[0] - b0[0], b1[1] - b0[1]
    length_a, length_b = math.hypot(ax, ay), math.hypot(bx, by)
    angle_b = math.atan2(by, bx)
    angle_a = math.atan2(ay, ax) if length_a > 1e-9 else angle_b
    if length_b <= 1e-9:
        angle_b = angle_a
    turn = (angle_b - angle_a + math.pi) % (2 * math.pi) - math.pi
    if facing and abs(turn) > _WIDE_TURN and math.cos(angle_a + turn / 2) * facing < 0:
        turn -= math.copysign(2 * math.pi, turn)  # the other way round, past the front
    angle = angle_a + turn * t
    length = length_a + (length_b - length_a) * t
    return (origin[0] + length * math.cos(angle), origin[1] + length * math.sin(angle))


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _distance(a: Point, b: Point) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


# --- drawing -------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(pixels: int) -> Font:
    """DejaVu Sans where installed, else Pillow's own font (scalable from Pillow 10.1)."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", pixels)
    except OSError:
        pass
    try:
        return ImageFont.load_default(pixels)
    except TypeError:
        return ImageFont.load_default()


def _centred_text(
    draw: ImageDraw.ImageDraw,
    centre: tuple[float, float],
    text: str,
    font: Font,
    fill: tuple[int, int, int],
) -> None:
    """Text centred on ``centre``; measured by hand so bitmap fonts work as well."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = centre[0] - (left + right) / 2
    y = centre[1] - (top + bottom) / 2
    draw.text((x, y), text, fill=fill, font=font)


def _fit_text(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class _Painter:
    """Draws one frame onto a supersampled canvas."""

    def __init__(self, image: Image.Image, exercise: Exercise, size: int) -> None:
        self.draw = ImageDraw.Draw(image)
        self.scale = image.width
        self.picture = exercise.picture
        # Limbs are half a head radius thick, but never thinner than ~1.6 output pixels,
        # so a 32 px icon still shows a figure rather than a hairline.
        thickness = max(self.picture.head_radius * 0.48, 1.6 / size)
        self.width = thickness * self.scale

    def px(self, point: Point) -> tuple[float, float]:
        return (point[0] * self.scale, point[1] * self.scale)

    def paint(self, frame: Frame) -> None:
        picture = self.picture
        self.floor()
        if picture.chair is not None:
            self.chair(picture.chair)
        if picture.desk is not None:
            self.desk(picture.desk)
        if picture.stairs is not None:
            self.stairs(picture.stairs)
        pose = frame.pose
        accent = set(frame.accent)
        behind = set(frame.behind)
        side = picture.view == "side"

        def colour(part: str, far: bool = False) -> Colour:
            if part in accent:
                return ACCENT_FAR if far else ACCENT
            return FIGURE_FAR if far else FIGURE

        def arm(suffix: str, far: bool) -> None:
            far = far or f"arm_{suffix}" in behind
            points = [pose.point(f"{j}_{suffix}") for j in ("shoulder", "elbow", "hand")]
            if picture.glass == f"hand_{suffix}":
                foot, toe = pose.point(f"foot_{suffix}"), pose.point(f"toe_{suffix}")
                facing = toe[0] - foot[0] if foot is not None and toe is not None else 1.0
                self.glass(pose.point(f"elbow_{suffix}"), pose.point(f"hand_{suffix}"), facing)
            self.stroke(points, colour(f"arm_{suffix}", far))
            hand = points[-1]
            if hand is not None:
                self.dot(hand, self.width * 0.62, colour(f"arm_{suffix}", far))

        def leg(suffix: str, far: bool) -> None:
            far = far or f"leg_{suffix}" in behind
            points = [pose.point(f"{j}_{suffix}") for j in ("hip", "knee", "foot", "toe")]
            self.stroke(points, colour(f"leg_{suffix}", far))

        # Back to front: parts behind the body, then (in a side view, where the figure's
        # left side faces the viewer) the far right limbs, the torso, the near limbs.
        for part in ("arm_l", "arm_r"):
            if part in behind:
                arm(part[-1], far=True)
        for part in ("leg_l", "leg_r"):
            if part in behind:
                leg(part[-1], far=True)
        if side:
            if "arm_r" not in behind:
                arm("r", far=True)
            if "leg_r" not in behind:
                leg("r", far=True)
        else:
            for suffix in ("l", "r"):
                if f"leg_{suffix}" not in behind:
                    leg(suffix, far=False)
        pelvis = _midpoint(pose.hip_l, pose.hip_r)
        spine = colour("spine")
        self.stroke([pose.hip_l, pose.hip_r], spine)
        self.stroke(_spine_curve(pose.neck, pose.mid_back, pelvis), spine)
        self.stroke([pose.shoulder_l, pose.neck, pose.shoulder_r], spine)
        self.stroke([pose.neck, pose.head], colour("head"))
        if side:
            if "leg_l" not in behind:
                leg("l", far=False)
            if "arm_l" not in behind:
                arm("l", far=False)
        else:
            for suffix in ("l", "r"):
                if f"arm_{suffix}" not in behind:
                    arm(suffix, far=False)
        self.dot(pose.head, picture.head_radius * self.scale, colour("head"))
        for arrow in frame.arrows:
            self.arrow(arrow)

    # primitives

    def stroke(self, points: Sequence[Point | None], fill: Colour, width: float = 0.0) -> None:
        """A polyline with round caps and joints; missing (None) points are skipped."""
        width = width or self.width
        xy = [self.px(p) for p in points if p is not None]
        if len(xy) > 1:
            self.draw.line(xy, fill=fill, width=max(round(width), 1), joint="curve")
        for x, y in xy:
            r = width / 2
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def dot(self, centre: Point, radius: float, fill: Colour) -> None:
        x, y = self.px(centre)
        self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)

    def floor(self) -> None:
        y = self.picture.floor
        self.stroke([(0.05, y), (0.95, y)], FLOOR, self.width * 0.55)

    def chair(self, chair: Chair) -> None:
        w = self.width
        floor = self.picture.floor
        x0, x1, y = chair.x, chair.x + chair.width, chair.seat_y
        if chair.back == "behind":
            inset = chair.width * 0.1
            box = (
                *self.px((x0 + inset, y - chair.back_height)),
                *self.px((x1 - inset, y)),
            )
            self.draw.rounded_rectangle(
                box, radius=w * 1.5, fill=PROP_FILL, outline=PROP, width=max(round(w * 0.7), 1)
            )
        leg_in = chair.width * 0.06
        self.stroke([(x0 + leg_in, y), (x0 + leg_in, floor)], PROP, w * 0.8)
        self.stroke([(x1 - leg_in, y), (x1 - leg_in, floor)], PROP, w * 0.8)
        if chair.back in ("left", "right"):
            bx = x0 if chair.back == "left" else x1
            tilt = chair.back_height * (-0.12 if chair.back == "left" else 0.12)
            self.stroke([(bx, y), (bx + tilt, y - chair.back_height)], PROP, w * 1.2)
        self.stroke([(x0, y), (x1, y)], PROP, w * 1.4)

    def desk(self, desk: Desk) -> None:
        w = self.width
        floor = self.picture.floor
        x0, x1, y = desk.x, desk.x + desk.width, desk.y
        for lx in (x0 + desk.width * 0.1, x1 - desk.width * 0.1):
            self.stroke([(lx, y), (lx, floor)], PROP, w * 0.9)
        self.stroke([(x0, y), (x1, y)], PROP, w * 1.8)

    def stairs(self, stairs: Stairs) -> None:
        """A flight of steps rising to the right, as a light solid with marked treads."""
        floor = self.picture.floor
        outline: list[Point] = [(stairs.x, floor)]
        for step in range(stairs.count):
            top = floor - (step + 1) * stairs.rise
            outline += [
                (stairs.x + step * stairs.run, top),
                (stairs.x + (step + 1) * stairs.run, top),
            ]
        outline.append((stairs.x + stairs.count * stairs.run, floor))
        self.draw.polygon([self.px(p) for p in outline], fill=PROP_FILL)
        self.stroke(outline, PROP, self.width * 0.8)

    def glass(self, elbow: Point | None, hand: Point | None, facing: float) -> None:
        """A glass of water beyond the hand, at right angles to the forearm: upright when
        the forearm is level, tipped towards the mouth when the hand is raised to it."""
        if elbow is None or hand is None:
            return
        fx, fy = hand[0] - elbow[0], hand[1] - elbow[1]
        length = math.hypot(fx, fy) or 1.0
        fx, fy = fx / length, fy / length
        # The forearm turned a quarter towards the figure's back: the glass's axis,
        # bottom to top (a figure facing right holds a level forearm pointing right).
        up = (fy, -fx) if facing >= 0 else (-fy, fx)
        height = self.picture.head_radius * 2.2
        bottom, top = height * 0.3, height * 0.4
        middle = (hand[0] + fx * top, hand[1] + fy * top)

        def at(along: float, side: float) -> tuple[float, float]:
            return self.px(
                (
                    middle[0] + up[0] * along + fx * side,
                    middle[1] + up[1] * along + fy * side,
                )
            )

        half = height / 2
        level = 0.15 * half
        water = [
            at(-half, -bottom),
            at(-half, bottom),
            at(level, bottom + (top - bottom) * 0.575),
            at(level, -bottom - (top - bottom) * 0.575),
        ]
        self.draw.polygon(water, fill=WATER)
        outline = [at(half, -top), at(-half, -bottom), at(-half, bottom), at(half, top)]
        self.draw.line(outline, fill=FIGURE, width=max(round(self.width * 0.45), 1), joint="curve")

    def arrow(self, arrow: Arrow) -> None:
        """A curved motion arrow with a filled head, in the accent colour."""
        (x0, y0), (x1, y1) = arrow.start, arrow.end
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            return
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        cx = (x0 + x1) / 2 + nx * arrow.bend * length
        cy = (y0 + y1) / 2 + ny * arrow.bend * length
        points = [_bezier((x0, y0), (cx, cy), (x1, y1), i / 24) for i in range(25)]
        head = self.width * 2.3 / self.scale
        # stop the shaft short of the tip so the head stays pointed
        tx, ty = x1 - cx, y1 - cy
        tangent = math.hypot(tx, ty) or 1.0
        ux, uy = tx / tangent, ty / tangent
        shaft = [p for p in points if math.hypot(x1 - p[0], y1 - p[1]) > head * 0.8]
        self.stroke(shaft, ACCENT, self.width * 0.62)
        base = (x1 - ux * head * 1.3, y1 - uy * head * 1.3)
        wing = head * 0.75
        triangle = [
            self.px((x1, y1)),
            self.px((base[0] - uy * wing, base[1] + ux * wing)),
            self.px((base[0] + uy * wing, base[1] - ux * wing)),
        ]
        self.draw.polygon(triangle, fill=ACCENT)


def _midpoint(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def _bezier(a: Point, c: Point, b: Point, t: float) -> Point:
    u = 1 - t
    return (
        u * u * a[0] + 2 * u * t * c[0] + t * t * b[0],
        u * u * a[1] + 2 * u * t * c[1] + t * t * b[1],
    )


def _spine_curve(neck: Point, mid_back: Point | None, pelvis: Point) -> list[Point]:
    """The back as a smooth curve through ``mid_back`` (a rounded back), else straight."""
    if mid_back is None:
        return [neck, pelvis]
    control = (
        2 * mid_back[0] - (neck[0] + pelvis[0]) / 2,
        2 * mid_back[1] - (neck[1] + pelvis[1]) / 2,
    )
    return [_bezier(neck, control, pelvis, i / 16) for i in range(17)]
