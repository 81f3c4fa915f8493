"""The tray icon, drawn with Pillow from the artwork in ``icons/``.

A tray shows the icon at 16 to 32 pixels, so each state differs in something that
survives that size: colour (teal counting, amber due, blue on a break, grey paused or
away), a ring round the edge that fills as sitting time nears the interval, and a badge
in the top-right corner ("z" snoozed, bars paused, a dot due).

Everything is drawn on a 256-pixel canvas and scaled down once, which keeps small sizes
smooth. The ring moves in twelve steps, so a counting icon changes about once every few
minutes; the tray redraws only when :func:`icon_state` changes. Which state shows
what lives in :mod:`breakd.tray.looks`, which needs no Pillow.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from breakd.resources import data_dir
from breakd.tray.looks import PROGRESS_STEPS, IconState, Look, icon_state

__all__ = [
    "CANVAS", "PROGRESS_STEPS", "IconState", "Look", "argb32", "icon_state", "render", "strip",
]  # fmt: skip

#: The size everything is drawn at before it is scaled down.
CANVAS = 256

Colour = tuple[int, int, int]
TEAL: Colour = (42, 157, 143)  # the artwork's own tile
AMBER: Colour = (240, 165, 30)
BREAK_BLUE: Colour = (70, 100, 220)
GREY: Colour = (128, 134, 133)
BADGE_DARK: Colour = (38, 50, 56)
WHITE: Colour = (255, 255, 255)


@lru_cache(maxsize=1)
def _artwork_layers() -> tuple[Image.Image, Image.Image]:
    """The artwork split into its tile's shape and its figure (as alpha masks).

    Keeping the figure apart lets every state recolour the tile and keep the figure.
    """
    art = Image.open(data_dir("icons") / "breakd.png").convert("RGBA")
    art = art.resize((CANVAS, CANVAS), Image.Resampling.LANCZOS)
    tile = art.getchannel("A")
    red, green, blue, _ = art.split()
    # The figure is white (the chair a paler tint) on teal: how far the darkest channel
    # rises above the tile's darkest channel is how much figure a pixel holds.
    lightest_min = ImageChops.darker(ImageChops.darker(red, green), blue)
    floor = min(TEAL)
    figure = lightest_min.point(
        lambda v: max(0, min(255, round((v - floor) * 255 / (255 - floor))))
    )
    return tile, ImageChops.multiply(figure, tile)


def _layer(colour: Colour, mask: Image.Image, opacity: float = 1.0) -> Image.Image:
    layer = Image.new("RGBA", mask.size, (*colour, 255))
    alpha = mask if opacity >= 1 else mask.point(lambda v: round(v * opacity))
    layer.putalpha(alpha)
    return layer


def _ring(size: int, progress: float, colour: Colour, track: bool) -> Image.Image:
    """A ring round the edge, filled clockwise from the top by ``progress`` (0..1)."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    scale = CANVAS / size
    width = round(max(2.0, size / 10) * scale)
    inset = width // 2 + round(scale / 2)
    box = (inset, inset, CANVAS - 1 - inset, CANVAS - 1 - inset)
    if track:
        draw.ellipse(box, outline=(0, 0, 0, 120), width=width)
    if progress >= 1:
        draw.ellipse(box, outline=(*colour, 255), width=width)
    elif progress > 0:
        draw.arc(box, -90, -90 + 360 * progress, fill=(*colour, 255), width=width)
    return layer


def _badge(size: int, look: Look) -> Image.Image:
    """The top-right badge: a dot (due), a "z" (snoozed) or pause bars (paused)."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    scale = CANVAS / size
    # At least 10 px across, so a "z" or two bars still read at 16 px.
    diameter = round(max(10.0, size * 0.5) * scale)
    left, top = CANVAS - diameter, 0
    edge = round(max(1.0, size / 24) * scale)
    fill = AMBER if look is Look.DUE else BADGE_DARK
    draw.ellipse(
        (left, top, left + diameter - 1, top + diameter - 1),
        fill=(*fill, 255),
        outline=(*WHITE, 255),
        width=edge,
    )
    stroke = round(max(1.0, size / 14) * scale)
    cx, cy = left + diameter / 2, top + diameter / 2
    half = diameter * 0.24
    if look is Look.SNOOZED:
        half = diameter * 0.27  # a "z" needs room between its strokes to read as one
        draw.line(
            [(cx - half, cy - half), (cx + half, cy - half), (cx - half, cy + half),
             (cx + half, cy + half)],
            fill=(*WHITE, 255),
            width=stroke,
            joint="curve",
        )  # fmt: skip
    elif look is Look.PAUSED:
        stroke = round(max(1.5, size / 14) * scale)
        gap = max(stroke * 0.5, diameter * 0.08)
        for x in (cx - gap - stroke / 2, cx + gap + stroke / 2):
            draw.line([(x, cy - half), (x, cy + half)], fill=(*WHITE, 255), width=stroke)
    return layer


@lru_cache(maxsize=64)
def render(state: IconState, size: int = 32) -> Image.Image:
    """The icon for ``state`` at ``size`` pixels (RGBA; shared, so do not change it)."""
    if not 8 <= size <= CANVAS:
        raise ValueError(f"icon size {size} is outside 8..{CANVAS}")
    tile, figure = _artwork_layers()
    look = Look(state.look)
    colour = {Look.BREAK: BREAK_BLUE, Look.PAUSED: GREY, Look.AWAY: GREY}.get(look, TEAL)
    canvas = _layer(colour, tile)
    dim = look in (Look.PAUSED, Look.AWAY)
    canvas = Image.alpha_composite(canvas, _layer(WHITE, figure, 0.75 if dim else 1.0))
    if look is Look.COUNTING:
        canvas = Image.alpha_composite(
            canvas, _ring(size, state.progress / PROGRESS_STEPS, WHITE, track=True)
        )
    elif look is Look.DUE:
        canvas = Image.alpha_composite(canvas, _ring(size, 1.0, AMBER, track=False))
    if look in (Look.DUE, Look.SNOOZED, Look.PAUSED):
        canvas = Image.alpha_composite(canvas, _badge(size, look))
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def argb32(picture: Image.Image) -> bytes:
    """``picture`` as a StatusNotifierItem wants it: ARGB32, each pixel in network order."""
    red, green, blue, alpha = picture.convert("RGBA").split()
    return Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def strip(states: list[IconState], sizes: tuple[int, ...] = (16, 22, 32)) -> Image.Image:
    """Every state at every size on one sheet (rows: sizes), to look at side by side."""
    pad = 6
    width = sum(pad + max(sizes) for _ in states) + pad
    height = sum(pad + size for size in sizes) + pad
    sheet = Image.new("RGBA", (width, height), (51, 51, 51, 255))
    y = pad
    for size in sizes:
        x = pad
        for state in states:
            picture = render(state, size)
            sheet.alpha_composite(picture, (x, y))
            x += max(sizes) + pad
        y += size + pad
    return sheet
