"""Finding an open GTK menu in a screenshot and reading its rows, without OCR.

GTK's default theme draws menus white (every channel at least 250), which no tray bar
or desktop background in these tests is; text, arrows and check boxes are dark. So
the menu is the white area, and each row of an item is a band of dark pixels in it.
A menu drawn whole has one band per shown item, the first and the last close to its
edges; a scrolled one has a scroll arrow, fewer bands, items cut off, or an empty
band at one end.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops

#: How far the first and last rows may sit from the menu's edges (padding and border).
EDGE = 22


@dataclass(frozen=True)
class Box:
    """A rectangle on the screen."""

    x: int
    y: int
    width: int
    height: int

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def right(self) -> int:
        return self.x + self.width

    def crop(self, picture: Image.Image) -> Image.Image:
        return picture.crop((self.x, self.y, self.right, self.bottom))


@dataclass(frozen=True)
class Row:
    """One band of ink in a menu: an item's text (top and bottom screen rows)."""

    top: int
    bottom: int

    @property
    def middle(self) -> int:
        return (self.top + self.bottom) // 2


@dataclass(frozen=True)
class MenuShot:
    """A menu found on the screen and its rows, top to bottom."""

    box: Box
    rows: tuple[Row, ...]

    def problems(self, items: int, screen: tuple[int, int]) -> list[str]:
        """Why this is not a whole menu of ``items`` rows on a screen of that size."""
        found = []
        if len(self.rows) != items:
            found.append(f"{len(self.rows)} rows drawn for {items} items")
        if self.rows and self.rows[0].top - self.box.y > EDGE:
            found.append(f"the first row starts {self.rows[0].top - self.box.y} px down")
        if self.rows and self.box.bottom - self.rows[-1].bottom > EDGE:
            found.append(f"an empty band of {self.box.bottom - self.rows[-1].bottom} px below")
        if self.box.x < 0 or self.box.right > screen[0] or self.box.bottom > screen[1]:
            found.append(f"the menu {self.box} leaves the screen {screen}")
        return found


def _white(picture: Image.Image) -> Image.Image:
    """255 where a pixel is menu-white, else 0."""
    channels = picture.convert("RGB").split()
    masks = [channel.point(lambda v: 255 if v >= 250 else 0) for channel in channels]
    return ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])


def find_menu(
    picture: Image.Image, below: int, outside: Box | None = None, least: int = 60
) -> Box | None:
    """The white area under screen row ``below`` (a menu), grown upward while its left
    edge stays white (a menu may cover the bar); ``outside`` is left out (a parent menu)."""
    mask = _white(picture)
    if outside is not None:
        mask.paste(0, (outside.x, outside.y, outside.right, outside.bottom))
    under = mask.crop((0, below, mask.width, mask.height))
    # Columns and rows with at least ``least`` white pixels: the pointer's few white
    # pixels do not count.
    columns = _spans(under.resize((under.width, 1), Image.Resampling.BOX), under.height, least)
    rows = _spans(under.resize((1, under.height), Image.Resampling.BOX), under.width, least)
    if columns is None or rows is None:
        return None
    (left, right), (top, bottom) = columns, (rows[0] + below, rows[1] + below)
    if right - left < least or bottom - top < least:
        return None
    # Upward, the menu's left padding (no text there) tells it from the bar.
    while top > 0:
        line = mask.crop((left + 2, top - 1, left + 12, top))
        if line.getextrema()[0] == 0:
            break
        top -= 1
    return Box(left, top, right - left, bottom - top)


def _spans(means: Image.Image, length: int, least: int) -> tuple[int, int] | None:
    """First and past-last index whose mean (over ``length`` pixels) has ``least`` white."""
    values = list(means.tobytes())
    threshold = 255 * least / length
    hits = [index for index, value in enumerate(values) if value >= threshold]
    return (hits[0], hits[-1] + 1) if hits else None


def read_menu(picture: Image.Image, box: Box) -> MenuShot:
    """The bands of ink in ``box`` (its border and a few pixels inside it left out)."""
    inner = Box(box.x + 4, box.y + 2, box.width - 8, box.height - 4)
    grey = inner.crop(picture).convert("L")
    dark = grey.point(lambda v: 255 if v < 200 else 0)
    rows: list[Row] = []
    start: int | None = None
    for y in range(dark.height + 1):
        inked = y < dark.height and dark.crop((0, y, dark.width, y + 1)).getbbox() is not None
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            if y - start >= 3:  # a separator is a thin line, not a row of text
                rows.append(Row(inner.y + start, inner.y + y))
            start = None
    return MenuShot(box, tuple(rows))
