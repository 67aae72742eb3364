"""The chart renderer: valid PNG and SVG of the expected size, the cache by digest, an empty month drawn clearly."""

from __future__ import annotations

import asyncio
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.core.charts import Chart, ChartRenderer, Series, render

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
