"""The chart renderer: valid PNG and SVG of the expected size, the cache by digest, an empty month drawn clearly."""

from __future__ import annotations

import asyncio
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.core.charts import DOWN, UNKNOWN, UP, Chart, ChartRenderer, Panels, Series, render

DAYS = tuple(f"{day}." for day in range(1, 31))
VOTES = Chart(
    kind="bars",
    labels=DAYS,
    series=(Series("Top-Server", tuple(float(d % 7) for d in range(30))), Series("Top.gg", tuple(2.0 for _ in DAYS))),
    title="Votes de novembre 2026",
    decimal=",",
    group="\u202f",
)


@pytest.fixture(scope="module")
def renderer() -> Iterator[ChartRenderer]:
    """One renderer (one worker process) for the module: the pool is not tied to a test's event loop."""
    shared = ChartRenderer()
    try:
        yield shared
    finally:
        shared.close()


def test_a_known_data_set_renders_a_png_of_the_expected_size() -> None:
    picture = render(VOTES)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(picture))
    assert image.size == (800, 400) and image.mode == "RGBA"  # transparent: Discord's dark and light themes


@pytest.mark.parametrize("kind", ["bars", "line", "strip", "sparkline"])
def test_every_kind_renders_an_svg_with_its_texts(kind: str) -> None:
    values = (1.0, 0.0, -1.0, 1.0) if kind == "strip" else (3.0, 5.0, 2.0, 8.0)
    chart = Chart(kind=kind, labels=("00", "06", "12", "18"), series=(Series("Survie", values),),  # type: ignore[arg-type]
                  title="Joueurs", format="svg", width=600, height=300)  # fmt: skip
    root = ET.fromstring(render(chart))  # noqa: S314 - our own renderer's output
    assert root.tag.endswith("svg")
    assert float(root.get("width", "0").removesuffix("pt")) / float(root.get("height", "1").removesuffix("pt")) == 2
    assert (kind == "sparkline") or "Joueurs" in render(chart).decode()  # texts stay texts (searchable, crisp)


def test_an_empty_month_is_a_clear_picture_not_an_error() -> None:
    empty = Chart(kind="bars", labels=DAYS, series=(Series("Top-Server", tuple(0.0 for _ in DAYS)),),
                  empty_text="Pas encore de votes ce mois-ci", format="svg")  # fmt: skip
    picture = render(empty).decode()
    assert "Pas encore de votes ce mois-ci" in picture
    assert Image.open(io.BytesIO(render(Chart(kind="line", labels=(), series=(), empty_text="…")))).size == (800, 400)


def test_the_same_data_renders_the_same_bytes_and_digest() -> None:
    svg = Chart(kind="line", labels=("a", "b"), series=(Series("x", (1.0, 2.0)),), format="svg")
    assert render(svg) == render(svg) and svg.digest() == Chart(**{**svg.__dict__}).digest()


async def test_the_same_chart_and_language_hit_the_cache(renderer: ChartRenderer) -> None:
    before = (renderer.hits, renderer.misses)
    first = await renderer.render(VOTES)
    again = await asyncio.gather(renderer.render(VOTES), renderer.render(VOTES))
    assert again == [first, first]
    assert (renderer.hits - before[0], renderer.misses - before[1]) == (2, 1)
    english = Chart(**{**VOTES.__dict__, "title": "Votes in November 2026", "decimal": ".", "group": ","})
    assert english.digest() != VOTES.digest()
    assert await renderer.render(english) != first
    assert renderer.misses - before[1] == 2  # another language is another picture


async def test_two_charts_asked_for_at_once_are_each_drawn_once(renderer: ChartRenderer) -> None:
    chart = Chart(kind="line", labels=("1", "2", "3"), series=(Series("x", (1.0, 4.0, 2.0)),))
    misses = renderer.misses
    pictures = await asyncio.gather(*(renderer.render(chart) for _ in range(5)))
    assert len(set(pictures)) == 1 and renderer.misses - misses == 1


HOURS = tuple(f"{hour:02d}:00" for hour in range(24))
PLAYERS = Chart(
    kind="line",
    labels=HOURS,
    series=(Series("", tuple(None if 3 <= hour <= 6 else float(hour % 9) for hour in range(24))),),
    title="Joueurs, dernières 24 heures",
)
UPTIME = Chart(
    kind="strip",
    labels=HOURS,
    series=(
        *(Series(f"{day} nov.", tuple([1.0, 0.0, -1.0] * 8)) for day in range(1, 7)),
        Series("7 nov.", (1.0,) * 15 + (None,) * 9),  # today: the hours to come have no cell
    ),
    title="Disponibilité, 7 derniers jours",
    legend=("En ligne", "Hors ligne", "Inconnu"),
)


def test_unknown_values_are_gaps_not_zeros() -> None:
    assert not PLAYERS.empty  # some hours are known
    unknown = Chart(kind="line", labels=HOURS, series=(Series("", (None,) * 24),), empty_text="Pas encore de données")
    assert unknown.empty and "Pas encore de données" in render(Chart(**{**unknown.__dict__, "format": "svg"})).decode()
    assert PLAYERS.digest() != Chart(**{**PLAYERS.__dict__, "series": (Series("", (0.0,) * 24),)}).digest()
    svg = render(Chart(**{**PLAYERS.__dict__, "format": "svg"})).decode()
    # matplotlib breaks the line at NaN: the path restarts (a second "M" move) after the unknown hours
    [line] = re.findall(r'<path d="([^"]*)"[^>]*stroke: #5865f2', svg)
    assert line.count("M ") == 2 and line.count("L ") == 24 - 4 - 2  # 20 known hours in two pieces


def test_panels_stack_charts_in_one_picture_of_the_expected_size() -> None:
    panels = Panels((PLAYERS, UPTIME), ratios=(1.0, 1.2), width=800, height=600)
    picture = render(panels)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(picture)).size == (800, 600)
    svg = render(Panels((PLAYERS, UPTIME), format="svg")).decode()
    for text in ("Joueurs, dernières 24 heures", "Disponibilité, 7 derniers jours", "Inconnu", "7 nov."):
        assert text in svg
    assert panels.digest() == Panels((PLAYERS, UPTIME), ratios=(1.0, 1.2)).digest()
    assert panels.digest() != Panels((UPTIME, PLAYERS), ratios=(1.0, 1.2)).digest()
    assert panels.digest() != Panels((PLAYERS,), ratios=(1.0,)).digest()
    empty = Panels((Chart(kind="line", labels=HOURS, series=(Series("", (None,) * 24),), empty_text="…"), UPTIME))
    assert Image.open(io.BytesIO(render(empty))).size == (800, 600)


def test_the_strip_draws_three_colours_and_no_cell_for_an_unknown_slot() -> None:
    svg = render(Chart(**{**UPTIME.__dict__, "format": "svg"})).decode()
    for colour in (UP, DOWN, UNKNOWN[:7]):
        assert colour in svg
    cells = svg.count("clip-path=")
    full = render(Chart(**{**UPTIME.__dict__, "series": (*UPTIME.series[:6], Series("7 nov.", (1.0,) * 24)),
                           "format": "svg"})).decode()  # fmt: skip
    assert full.count("clip-path=") - cells == 9  # the nine hours to come: no cell drawn


async def test_panels_hit_the_cache(renderer: ChartRenderer) -> None:
    panels = Panels((PLAYERS, UPTIME))
    misses = renderer.misses
    first = await renderer.render(panels)
    assert await renderer.render(Panels((PLAYERS, UPTIME))) == first
    assert renderer.misses - misses == 1


async def test_a_worker_that_died_is_replaced() -> None:
    renderer = ChartRenderer()
    try:
        assert (await renderer.render(VOTES)).startswith(b"\x89PNG")
        pool = renderer._pool
        assert pool is not None
        for process in list(pool._processes.values()):  # killed from outside, as the OOM killer would
            process.kill()
            process.join()
        other = Chart(**{**VOTES.__dict__, "title": "another chart"})
        assert (await renderer.render(other)).startswith(b"\x89PNG")  # a new worker drew it
        assert renderer._pool is not pool
    finally:
        renderer.close()


def test_a_sparkline_fills_its_badge() -> None:
    spark = Chart("sparkline", tuple(str(d) for d in range(30)), (Series("", tuple(float(d % 5) for d in range(30))),),
                  width=240, height=48)  # fmt: skip
    box = Image.open(io.BytesIO(render(spark))).getbbox()  # what is drawn (the background is transparent)
    assert box is not None
    left, top, right, bottom = box
    assert left < 240 * 0.05 and right > 240 * 0.95 and bottom - top > 48 * 0.8  # no wide empty margins


def test_the_latest_day_is_always_labelled() -> None:
    labels = tuple(f"day{n}" for n in range(1, 31))
    chart = Chart("bars", labels, (Series("", tuple(1.0 for _ in labels)),), format="svg")
    svg = render(chart).decode()
    assert "day30" in svg  # today, under the bar members look at first
    assert sum(1 for label in labels if f">{label}<" in svg) <= chart.max_ticks
