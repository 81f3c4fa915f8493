"""The history chart: the expected size, not blank, stretches in the colour their length
calls for, readable without DejaVu, and a sample kept as a test artifact for people to
look at."""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageFont
from test_stats import INTERVAL, MIN, Recorder, local, report_for, working_monday
from test_stats_cli import a_sit_stand_day

from breakd import chart
from breakd.chart import (
    AMBER,
    BACKGROUND,
    DEFAULT_WIDTH,
    INK,
    RED,
    TEAL,
    VIOLET,
    chart_size,
    hour_range,
    hour_x,
    render_report,
    render_week,
    row_middle,
    stretch_colour,
)
from breakd.cli.stats import register
from breakd.stats import Report, read_history

RGB = tuple[int, int, int]


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def artifacts_dir(tmp_path: Path) -> Path:
    """Where to keep images for people to look at: $BREAKD_TEST_ARTIFACTS, else tmp."""
    folder = Path(os.environ.get("BREAKD_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def colour_share(image: Image.Image, colour: RGB, tolerance: int = 12) -> float:
    """The share of the picture's pixels within ``tolerance`` of ``colour``."""
    rgb = image.convert("RGB")
    near = 0
    for count, pixel in rgb.getcolors(maxcolors=rgb.width * rgb.height) or []:
        assert isinstance(pixel, tuple)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True)):
            near += count
    return near / (rgb.width * rgb.height)


def a_week(path: Path) -> Recorder:
    """Monday as scripted, then a few shorter days, the user sitting still on Friday."""
    r = working_monday(path)
    for day, plan in (
        (3, [25, 35, 50]),
        (4, [20, 20, 20, 20, 20]),
        (5, [65]),
        (6, [30, 95]),
    ):
        r.start_day(local(2026, 3, day, 8, 30))
        for minutes in plan:
            r.sit(minutes * MIN)
            if r.engine.status().reminder_due:
                r.take_break()
            else:
                r.away(8 * MIN)
        if day < 6:
            r.end_day()
    r.store.touch(r.now)
    return r


def test_stretch_colours_follow_the_interval() -> None:
    assert stretch_colour(10 * MIN, INTERVAL) == TEAL
    assert stretch_colour(INTERVAL, INTERVAL) == TEAL
    assert stretch_colour(INTERVAL + 1, INTERVAL) == AMBER
    assert stretch_colour(2 * INTERVAL, INTERVAL) == AMBER
    assert stretch_colour(2 * INTERVAL + 1, INTERVAL) == RED


def test_a_week_chart_is_drawn_whole(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    recorder = a_week(path)
    now = recorder.now
    recorder.close()
    with sqlite3.connect(path) as db:
        image = render_week(db, 7, INTERVAL, now=now)
    image.save(artifacts_dir(tmp_path) / "stats-week.png")
    assert image.mode == "RGB"
    assert image.size == chart_size(7) == (DEFAULT_WIDTH, image.height)
    assert 300 < image.height < 600
    assert image.getpixel((2, 2)) == BACKGROUND
    background = colour_share(image, BACKGROUND, tolerance=3)
    assert 0.5 < background < 0.95, "mostly white, but not blank"
    teal, amber, red = (colour_share(image, c) for c in (TEAL, AMBER, RED))
    assert teal > 0.01 and amber > 0.003 and red > 0.005
    assert colour_share(image, INK, tolerance=30) > 0.005  # text and break markers
    # Anti-aliased: edges blend, so there are far more colours than were drawn with.
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 500


def test_each_stretch_is_drawn_in_its_colour(tmp_path: Path) -> None:
    """Monday's stretches (30, 70, 45, 20, 30, 130 min) sampled at their middles."""
    path = tmp_path / "history.sqlite3"
    working_monday(path).close()
    report = report_for(path, date(2026, 3, 2), date(2026, 3, 2))
    image = render_report(report)
    [line] = report.timelines
    low, high = hour_range(report.timelines)
    y = round(row_middle(0))
    seen = []
    for piece in line.pieces:
        middle = (piece.started_at + piece.ended_at) / 2
        x = hour_x(chart.wall_hours(line, middle), low, high)
        seen.append(image.getpixel((round(x), y)))
    assert seen == [TEAL, RED, AMBER, TEAL, TEAL, RED]


def test_standing_is_drawn_apart_from_sitting_with_its_legend(tmp_path: Path) -> None:
    """A sit-stand day: the 25 minutes standing are violet inside their (amber) stretch,
    and the legend names the colour; a day without standing has no violet at all."""
    path = tmp_path / "history.sqlite3"
    a_sit_stand_day(path).close()
    report = report_for(path, date(2026, 3, 2), date(2026, 3, 2))
    image = render_report(report, now=local(2026, 3, 2, 18, 0))
    image.save(artifacts_dir(tmp_path) / "stats-standing.png")
    [line] = report.timelines
    low, high = hour_range(report.timelines)
    y = round(row_middle(0))

    def colour_at(hour: int, minute: int) -> RGB:
        moment = local(2026, 3, 2, hour, minute).timestamp()
        return image.getpixel((round(hour_x(chart.wall_hours(line, moment), low, high)), y))

    assert colour_at(9, 10) == AMBER  # sitting, in a stretch of an hour
    assert colour_at(9, 32) == VIOLET  # standing, 9:20 to 9:45
    assert colour_at(9, 52) == AMBER
    legend = image.crop((0, 0, image.width, round(row_middle(0)) - 30))
    assert colour_share(legend, VIOLET, tolerance=4) > 0.0005
    working_monday(tmp_path / "fixed.sqlite3").close()
    fixed = render_report(
        report_for(tmp_path / "fixed.sqlite3", date(2026, 3, 2), date(2026, 3, 2))
    )
    assert colour_share(fixed, VIOLET, tolerance=20) == 0


def test_row_per_day_and_size_grows_with_days(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    working_monday(path).close()
    with sqlite3.connect(path) as db:
        one = render_week(db, [date(2026, 3, 2)], INTERVAL)
        days = [date(2026, 3, 1) + timedelta(days=n) for n in range(14)]
        two_weeks = render_week(db, days, INTERVAL)
    assert one.size == chart_size(1)
    assert two_weeks.size == chart_size(14)
    assert chart_size(14)[1] - chart_size(7)[1] > 7 * 30


def test_drawn_from_rows_already_read(tmp_path: Path) -> None:
    """The tray hands over rows it read itself."""
    path = tmp_path / "history.sqlite3"
    working_monday(path).close()
    with sqlite3.connect(path) as db:
        start, end = local(2026, 2, 24).timestamp(), local(2026, 3, 3).timestamp()
        rows = read_history(db, start, end, now=end)
        from_db = render_week(db, 7, INTERVAL, now=local(2026, 3, 2, 18, 0))
    from_rows = render_week(rows, 7, INTERVAL, now=local(2026, 3, 2, 18, 0))
    assert from_rows.tobytes() == from_db.tobytes()


def test_empty_history_still_draws_a_frame(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    Recorder(path, local(2026, 3, 2, 9, 0)).close()
    with sqlite3.connect(path) as db:
        image = render_week(db, 7, INTERVAL, now=local(2026, 3, 20, 12, 0))
    assert image.size == chart_size(7)
    assert colour_share(image, TEAL) < 0.001  # the legend's swatch only
    assert colour_share(image, INK, tolerance=30) > 0.001  # title, legend, labels


def test_daylight_saving_days_draw(tmp_path: Path, berlin: None) -> None:
    path = tmp_path / "history.sqlite3"
    r = Recorder(path, local(2026, 10, 24, 22, 0), step=60)
    r.sit(30 * 3600)
    r.end_day()
    r.close()
    days = [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    report = report_for(path, days[0], days[-1])
    # The 25-hour day still ends at 24:00 on its clock face.
    line = report.timelines[1]
    assert chart.wall_hours(line, line.end) == pytest.approx(24)
    assert hour_range(report.timelines) == (0, 24)
    image = render_report(report)
    assert image.size == chart_size(3)
    assert colour_share(image, RED) > 0.03


def test_without_dejavu_pillow_font_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truetype = ImageFont.truetype

    def missing(font: object, *args: object, **kwargs: object) -> ImageFont.FreeTypeFont:
        if isinstance(font, str):  # a font looked up by name: DejaVu is not installed
            raise OSError("cannot open resource")
        return truetype(font, *args, **kwargs)  # type: ignore[arg-type]

    path = tmp_path / "history.sqlite3"
    working_monday(path).close()
    monkeypatch.setattr(ImageFont, "truetype", missing)
    report = report_for(path, date(2026, 3, 2), date(2026, 3, 2))
    image = render_report(report)
    assert image.size == chart_size(1)
    assert colour_share(image, INK, tolerance=30) > 0.002


def test_cli_chart_writes_the_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "history.sqlite3"
    a_week(path).close()
    out = artifacts_dir(tmp_path) / "stats-cli-chart.png"
    parser = argparse.ArgumentParser(prog="breakd")
    register(parser.add_subparsers(dest="command"))
    argv = ["stats", "--history", str(path), "--from", "2026-03-02", "--to", "2026-03-08"]
    args = parser.parse_args([*argv, "--chart", str(out)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "Sitting and breaks" in printed and f"{out}: chart of 7 days" in printed
    with Image.open(out) as written:
        assert written.format == "PNG" and written.size == chart_size(7)
    # With --json the note goes to stderr so the JSON stays clean.
    args = parser.parse_args([*argv, "--json", "--chart", str(out)])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("{") and f"{out}: chart" in captured.err


#: The chart's title as the code writes it (its msgid).
TITLE = "Sitting and breaks"


def _titled(monkeypatch: pytest.MonkeyPatch, report: Report, title: str) -> Image.Image:
    """The chart with its title in another script, as a translation would give it."""
    monkeypatch.setattr(chart, "_", lambda message: title if message == TITLE else message)
    return render_report(report)


def test_japanese_and_chinese_titles_are_drawn_with_their_glyphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """breakd picks Noto Sans CJK (Debian's fonts-noto-cjk) so a CJK translation reads: two
    different titles give two different pictures, neither of them the missing-glyph box
    that two unknown characters share."""
    font = chart._font(21, bold=True)
    assert isinstance(font, ImageFont.FreeTypeFont) and "NotoSansCJK" in str(font.path)
    path = tmp_path / "history.sqlite3"
    working_monday(path).close()
    report = report_for(path, date(2026, 3, 2), date(2026, 3, 2))
    japanese = _titled(monkeypatch, report, "座って休憩")
    chinese = _titled(monkeypatch, report, "久坐与休息")
    # Characters no font has (private use): the box a missing glyph is drawn as.
    tofu = _titled(monkeypatch, report, "\ue000\ue001\ue002\ue003\ue004")
    other_tofu = _titled(monkeypatch, report, "\ue005\ue006\ue007\ue008\ue009")
    assert tofu.tobytes() == other_tofu.tobytes(), "the reference is not the missing glyph"
    assert japanese.tobytes() != chinese.tobytes()
    assert japanese.tobytes() != tofu.tobytes() and chinese.tobytes() != tofu.tobytes()
    japanese.save(artifacts_dir(tmp_path) / "chart-japanese-title.png")
