"""Charts: the one place for their colours, fonts and sizes, rendered with matplotlib (Agg) away from the event loop.

A :class:`Chart` says what to draw — bars stacked by series (votes per day by listing site), a line (players),
an uptime strip (up, down and unknown in three colours: unknown is not down) or a sparkline (a badge) — with
every text already in the reader's language (tick labels, legend names, the "no votes yet" of an empty chart)
and the number format of that language. :class:`ChartRenderer` renders it in a small process pool (matplotlib
is CPU-bound and not async: the loop never waits on it) and keeps the last pictures by the digest of their data
and texts, so the same chart in the same language is drawn once.

PNG is for Discord, SVG for the web. Backgrounds are transparent and texts a mid grey, readable on Discord's dark
and light themes alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import math
import multiprocessing
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

Kind = Literal["bars", "line", "strip", "sparkline"]
Value = float | None  # None: not known (a gap in a line, no cell in a strip), never drawn as 0
Format = Literal["png", "svg"]

TEXT = "#8e9297"  # Discord's muted text: readable on the dark (#313338) and the light (#ffffff) theme
GRID = "#8e929740"
SERIES = ("#5865f2", "#57f287", "#fee75c", "#eb459e", "#ed4245", "#3ba55d", "#faa61a", "#99aab5")
UP, DOWN, UNKNOWN = "#3ba55d", "#ed4245", "#99aab580"  # the uptime strip: unknown is not down
STRIP_VALUES = {1: UP, 0: DOWN, -1: UNKNOWN}
DPI = 100
FONT_SIZE = 11
WORKERS = 1  # one process renders; a second would only help when charts are the bottleneck
CACHE_SIZE = 256


@dataclass(frozen=True)
class Series:
    name: str  # shown in the legend, in the reader's language (a listing site's name is a brand name)
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Chart:
    kind: Kind
    labels: tuple[str, ...]  # one per value: x tick labels (days, hours), already in the reader's language
    series: tuple[Series, ...]
    title: str = ""
    empty_text: str = ""  # drawn instead of the axes when there is nothing to show ("No votes yet this month")
    decimal: str = "."  # the language's decimal and grouping marks, for the y axis
    group: str = ","
    width: int = 800  # pixels (PNG); the SVG has the same proportions
    height: int = 400
    format: Format = "png"
    max_ticks: int = 10  # x labels shown at most (every n-th label beyond)
    legend: tuple[str, ...] = ()  # strip: what up, down and unknown are called, in the reader's language

    def digest(self) -> str:
        """The cache key: every value, text and size (so a chart in another language is another picture)."""
        return _digest(asdict(self))

    @property
    def empty(self) -> bool:
        """Nothing to draw: no value at all (a strip), or every value 0 or unknown (bars, lines)."""
        if self.kind == "strip":
            return not any(series.values for series in self.series)
        return not any(value for series in self.series for value in series.values if value is not None)


@dataclass(frozen=True)
class Panels:
    """Several charts in one picture, stacked top to bottom (``/status``: players over 24 h above the uptime strip).

    Each panel keeps its kind, texts and empty text; the picture's size and format are the panels'; ``ratios`` are
    the panels' relative heights (equal when empty). Cached by digest like a single chart."""

    charts: tuple[Chart, ...]
    ratios: tuple[float, ...] = ()
    width: int = 800
    height: int = 600
    format: Format = "png"

    def digest(self) -> str:
        return _digest({"panels": asdict(self)})


def _digest(data: object) -> str:
    """Every value, text and size (so a chart in another language is another picture); None stays null."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _known(values: tuple[Value, ...]) -> list[float]:
    """A series for matplotlib: an unknown value is NaN, which breaks a line (a gap, not a zero)."""
    return [math.nan if value is None else float(value) for value in values]


def _number(value: float, chart: Chart) -> str:
    text = f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"
    return text.replace(",", "\0").replace(".", chart.decimal).replace("\0", chart.group)


def render(chart: Chart | Panels) -> bytes:
    """The picture as PNG or SVG bytes (runs in a worker process; importable and usable in-process too)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(chart.width / DPI, chart.height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_alpha(0)
    charts = chart.charts if isinstance(chart, Panels) else (chart,)
    ratios = list(chart.ratios) if isinstance(chart, Panels) and chart.ratios else None
    every_axes = figure.subplots(len(charts), 1, squeeze=False, gridspec_kw={"height_ratios": ratios})
    drawn = [_draw(axes, panel) for axes, panel in zip((row[0] for row in every_axes), charts, strict=True)]
    if any(drawn):
        figure.tight_layout()
    elif all(panel.kind == "sparkline" for panel in charts):
        figure.subplots_adjust(left=0.01, right=0.99, top=0.96, bottom=0.04)  # a badge: the line fills it
    return _save(figure, chart.format)


def _draw(axes: Any, chart: Chart) -> bool:
    """One chart on its axes; False when there was nothing to lay out (an empty chart, a sparkline)."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axes.set_facecolor("none")
    if chart.title:
        axes.set_title(chart.title, color=TEXT, fontsize=FONT_SIZE + 2, loc="left")
    if chart.empty:
        axes.set_axis_off()
        axes.text(0.5, 0.5, chart.empty_text, color=TEXT, fontsize=FONT_SIZE + 3, ha="center", va="center",
                  transform=axes.transAxes)  # fmt: skip
        return False
    positions = list(range(len(chart.labels)))
    if chart.kind == "bars":
        bottom = [0.0] * len(positions)
        for index, series in enumerate(chart.series):
            values = [value or 0.0 for value in series.values]
            axes.bar(positions, values, bottom=bottom, color=SERIES[index % len(SERIES)], label=series.name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    elif chart.kind in ("line", "sparkline"):
        for index, series in enumerate(chart.series):
            values, colour = _known(series.values), SERIES[index % len(SERIES)]
            # a marker on each point: a known hour between two unknown ones is a dot, not nothing
            marker = "o" if chart.kind == "line" and any(v is None for v in series.values) else None
            axes.plot(positions, values, color=colour, linewidth=2, label=series.name, marker=marker, markersize=3)
            if chart.kind == "sparkline":
                axes.fill_between(positions, values, color=colour, alpha=0.25)
        axes.set_xlim(-0.5, max(len(positions) - 0.5, 0.5))
    else:  # strip: one row per series, the first on top; one cell per label (1 up, 0 down, -1 unknown, None none)
        rows = len(chart.series)
        cells = [
            (p, rows - 1 - row, STRIP_VALUES.get(int(v), UNKNOWN))
            for row, series in enumerate(chart.series)
            for p, v in zip(positions, series.values, strict=False)
            if v is not None and not math.isnan(v)
        ]
        if cells:  # every cell in one call: one collection to draw, not a call per row
            axes.bar([p for p, _row, _colour in cells], [0.8] * len(cells), bottom=[row for _p, row, _c in cells],
                     width=0.92, color=[colour for _p, _row, colour in cells], align="center")  # fmt: skip
        axes.set_yticks([rows - 1 - row + 0.4 for row in range(rows)], [s.name for s in chart.series])
        axes.set_xlim(-0.5, len(positions) - 0.5)
        axes.set_ylim(-0.1, rows)
        if chart.legend:
            handles = [Patch(color=colour, label=name) for colour, name in zip((UP, DOWN, UNKNOWN), chart.legend,
                                                                                strict=False)]  # fmt: skip
            # under the hour labels, where a long title (or a long language) cannot run into it
            legend = axes.legend(handles=handles, frameon=False, fontsize=FONT_SIZE, loc="upper left",
                                 bbox_to_anchor=(0, -0.16), ncol=len(handles), borderaxespad=0)  # fmt: skip
            for text in legend.get_texts():
                text.set_color(TEXT)
    if chart.kind == "sparkline":
        axes.set_axis_off()
        return False
    step = max(1, -(-len(positions) // chart.max_ticks))
    shown = positions[::-step][::-1]  # counted from the last: the latest day or hour (today, now) is labelled
    axes.set_xticks(shown, [chart.labels[p] for p in shown])
    axes.tick_params(colors=TEXT, labelsize=FONT_SIZE)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if chart.kind != "strip":
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: _number(value, chart)))
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        if len(chart.series) > 1:
            legend = axes.legend(frameon=False, fontsize=FONT_SIZE, loc="upper left")
            for text in legend.get_texts():
                text.set_color(TEXT)
    else:
        axes.tick_params(axis="y", length=0)
    return True


def _save(figure: object, format: Format) -> bytes:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    metadata = {"Software": None} if format == "png" else {"Date": None, "Creator": None}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "votebot"}):  # texts stay texts; the same bytes
        figure.savefig(buffer, format=format, dpi=DPI, transparent=True, metadata=metadata)  # type: ignore[attr-defined]
    return buffer.getvalue()


@dataclass
class ChartRenderer:
    """Renders in a process pool (started on first use), keeping the last :data:`CACHE_SIZE` pictures."""

    workers: int = WORKERS
    cache_size: int = CACHE_SIZE
    hits: int = 0
    misses: int = 0
    _cache: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    _pending: dict[str, asyncio.Future[bytes]] = field(default_factory=dict)
    _pool: ProcessPoolExecutor | None = None

    async def render(self, chart: Chart | Panels) -> bytes:
        key = chart.digest()
        if key in self._cache:
            self.hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._pending:  # the same chart asked for again while it is drawn: drawn once
            self.hits += 1
            return await asyncio.shield(self._pending[key])
        self.misses += 1
        future = asyncio.ensure_future(self._draw(chart))
        self._pending[key] = future
        try:
            picture = await future
        finally:
            self._pending.pop(key, None)
        self._cache[key] = picture
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return picture

    async def _draw(self, chart: Chart | Panels) -> bytes:
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, render, chart)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a new one draws it, and the next
            log.warning("the chart worker process died; starting a new one")
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            return await loop.run_in_executor(self._executor(), render, chart)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # spawn: a clean process, no copy of the bot's loop, sockets or threads
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    async def aclose(self) -> None:
        """Stop the worker process without blocking the loop (the bot's and the web server's shutdown)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    @property
    def hit_rate(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0
