"""Charts benchmark: render times of each chart kind, the caches under a realistic mix, the worker's memory, and
the event loop's worst stall while charts render.

    .venv/bin/python benchmarks/charts.py [--quick] [--renders 15] [--requests 150] [--badges 600] [--servers 12]
        [--at-once 50]

Runs the bot's own :class:`bot.core.charts.ChartRenderer` (one spawned worker process, matplotlib Agg) in this
process's event loop, as the bot and its web server share it. In order:

1. **round trip**: a trivial call to the worker (pickling, the pipe, a wake-up: the floor every render pays),
   p50/p99 — the baseline the render times are divided by;
2. **each kind**, with new data every time (cache misses), p50/p99 as the loop sees them: ``bars`` (votes per
   day, 30 days × 4 listing sites, PNG 800×400: ``/stats``), ``line`` (players, 24 points, PNG), ``strip``
   (uptime, 7 days × 24 hours, PNG), ``sparkline`` (30 days, SVG 240×48: the web badge), and ``composite``
   (``Panels``: players above the strip, ``/status``) when the branch has it;
3. **a realistic mix**: ``--requests`` ``/stats`` from 8 members at once for ``--servers`` servers (Zipf
   popularity) in each server's few languages (most members in its main one), a vote arriving every 5
   requests (that server's charts change); then ``--badges`` web badges (``type=chart``) for the same servers
   through the real :class:`~bot.web.routes.widget.BadgeCache` on a simulated clock (a request a second, a vote
   every 10): hit rates of the badge cache and of the renderer behind it;
4. **memory**: the worker's RSS idle (before matplotlib), after the kinds, and its peak (``VmHWM``);
5. **the loop's worst stall**: a ticker every 1 ms records how late it wakes, first while ``--at-once`` distinct
   ``/stats`` charts render at once, then with nothing rendering (the baseline: as long, 5 s at most); and, for
   scale, while 3 of them render in the loop itself (what the pool avoids).

Not run by CI. ``--quick``: fewer renders and requests (about 15 s).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import charts  # noqa: E402
from bot.core.charts import Chart, ChartRenderer, Series  # noqa: E402
from bot.core.i18n import hour_label, language, load_catalogs, short_date, speaking  # noqa: E402
from bot.db.votes import DayCount  # noqa: E402
from bot.votes.charts import last_days, votes_per_day, votes_sparkline  # noqa: E402
from bot.votes.model import PROVIDERS  # noqa: E402

TODAY = dt.date(2026, 11, 18)
DAYS = last_days(TODAY)
LANGUAGES = ("en", "fr", "de", "es-ES", "pt-BR", "ru")
MEMBERS_AT_ONCE = 8


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


# --------------------------------------------------------------------------- charts with new data


def vote_counts(rng: random.Random, sites: int = 4) -> list[DayCount]:
    return [DayCount(day, site, rng.randint(0, 40)) for day in DAYS for site in PROVIDERS[:sites]]


def bars(rng: random.Random) -> Chart:
    return votes_per_day(vote_counts(rng), DAYS, title="Votes per day")


def line(rng: random.Random) -> Chart:
    start = dt.datetime(2026, 11, 17, 13, tzinfo=dt.UTC)
    hours = [start + dt.timedelta(hours=n) for n in range(24)]
    values = tuple(float(rng.randint(0, 120)) for _ in hours)
    return Chart("line", tuple(hour_label(h) for h in hours), (Series("Players", values),), title="Players, 24 h")


def strip(rng: random.Random) -> Chart:
    states = (1, 1, 1, 1, 1, 1, 0, -1)  # mostly up; down and unknown (no probe) now and then
    rows = tuple(
        Series(short_date(TODAY - dt.timedelta(days=n)), tuple(float(rng.choice(states)) for _ in range(24)))
        for n in range(6, -1, -1)
    )
    return Chart("strip", tuple(f"{h:02d}" for h in range(24)), rows, title="Uptime, 7 days")


def sparkline(rng: random.Random) -> Chart:
    return votes_sparkline(vote_counts(rng), DAYS)


def composite(rng: random.Random) -> Any:
    panels = getattr(charts, "Panels", None)  # the status pictures' composite, where the branch has it
    return None if panels is None else panels((line(rng), strip(rng)))


KINDS: dict[str, Callable[[random.Random], Any]] = {
    "bars": bars,
    "line": line,
    "strip": strip,
    "sparkline": sparkline,
    "composite": composite,
}


# --------------------------------------------------------------------------- measures


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


def worker_pids(renderer: ChartRenderer) -> list[int]:
    pool = renderer._pool  # a benchmark looks inside
    return list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MiB, from /proc (psutil's RSS where installed)."""
    fields = {}
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = row.partition(":")
        fields[key] = value.strip()
    peak = int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    try:
        import psutil

        rss = psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return rss, peak


class Ticker:
    """Wakes every ``interval`` and records how late it woke: the loop's stalls."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.late.append(time.perf_counter() - before - self.interval)

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.sleep(0.005)  # ticking before the measured work starts
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(0.005)  # the tick held up by the last of the work is recorded
        assert self._task is not None
        self._task.cancel()

    @property
    def worst(self) -> float:
        return max(self.late, default=0.0)


async def round_trips(renderer: ChartRenderer, count: int) -> tuple[float, list[float]]:
    loop = asyncio.get_running_loop()
    executor = renderer._executor()
    spawn = await timed(lambda: loop.run_in_executor(executor, abs, -1))  # the worker starts
    return spawn, [await timed(lambda: loop.run_in_executor(executor, abs, -1)) for _ in range(count)]


async def kinds(renderer: ChartRenderer, renders: int, baseline: float) -> None:
    rng = random.Random(1)
    print(f"render, new data each time ({renders} each; as the loop sees it, round trip included):")
    for name, build in KINDS.items():
        if build(rng) is None:
            print(f"  {name:<10} not on this branch")
            continue
        await renderer.render(build(rng))  # this kind's first render (imports, fonts) is not counted
        times = [await timed(lambda build=build: renderer.render(build(rng))) for _ in range(renders)]
        p50, p99 = statistics.median(times), percentile(times, 0.99)
        print(f"  {name:<10} p50 {ms(p50):>9}  p99 {ms(p99):>9}  ({p50 / baseline:,.0f}× the round trip's p50)")


async def stats_mix(renderer: ChartRenderer, requests: int, servers: int) -> None:
    """``/stats`` for few servers in few languages, votes arriving meanwhile."""
    rng = random.Random(2)
    data = {server: vote_counts(rng, sites=rng.randint(1, 4)) for server in range(servers)}
    tongues = {server: [LANGUAGES[server % len(LANGUAGES)], "en", LANGUAGES[(server + 1) % len(LANGUAGES)]]
               for server in range(servers)}  # fmt: skip
    popularity = [1 / (rank + 1) for rank in range(servers)]
    plan = []
    for n in range(requests):
        server = rng.choices(range(servers), popularity)[0]
        plan.append((server, rng.choices(tongues[server], (0.8, 0.15, 0.05))[0], n % 5 == 4))
    hits, misses = renderer.hits, renderer.misses
    latencies: list[float] = []
    queue = iter(plan)

    async def member() -> None:
        for server, code, votes in queue:
            if votes:  # a vote today: this server's charts change
                counts = data[server]
                data[server] = [*counts[:-1], dataclasses.replace(counts[-1], votes=counts[-1].votes + 1)]
            found = language(code)
            assert found is not None
            with speaking(found):
                chart = votes_per_day(data[server], DAYS, title="Votes per day")
            latencies.append(await timed(lambda chart=chart: renderer.render(chart)))

    started = time.perf_counter()
    await asyncio.gather(*(member() for _ in range(MEMBERS_AT_ONCE)))
    wall = time.perf_counter() - started
    hit, miss = renderer.hits - hits, renderer.misses - misses
    print(
        f"mix, /stats: {requests} requests ({MEMBERS_AT_ONCE} at once) for {servers} servers, 3 languages each, "
        f"a vote every 5 requests: renderer hit rate {hit / max(1, hit + miss):.0%} ({hit} hits, {miss} renders), "
        f"answer p50 {ms(statistics.median(latencies))}, p99 {ms(percentile(latencies, 0.99))}, "
        f"{requests / wall:.0f} answers/s"
    )


async def badge_mix(renderer: ChartRenderer, requests: int, servers: int) -> None:
    """Web badges (``type=chart``) through the real badge cache, on a simulated clock (a request every second)."""
    from bot.web.routes.widget import BadgeCache

    rng = random.Random(3)
    now = [dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)]
    cache = BadgeCache(lambda: now[0])
    data = {server: vote_counts(rng, sites=1) for server in range(servers)}
    popularity = [1 / (rank + 1) for rank in range(servers)]
    hits, misses = renderer.hits, renderer.misses
    for n in range(requests):
        now[0] += dt.timedelta(seconds=1)
        server = rng.choices(range(servers), popularity)[0]
        if n % 10 == 9:  # a vote every 10 s
            voted = rng.choices(range(servers), popularity)[0]
            counts = data[voted]
            data[voted] = [*counts[:-1], dataclasses.replace(counts[-1], votes=counts[-1].votes + 1)]

        async def produce(server: int = server) -> tuple[str, dt.datetime]:
            picture = await renderer.render(votes_sparkline(data[server], DAYS))
            return picture.decode(), dt.datetime(2026, 11, 19, tzinfo=dt.UTC)

        await cache.load((server, "chart"), produce)
    hit, miss = renderer.hits - hits, renderer.misses - misses
    seconds = requests
    print(
        f"mix, badges: {requests} chart badges over {seconds:.0f} simulated s for {servers} servers, "
        f"a vote every 10 s: "
        f"badge cache hit rate {cache.hits / requests:.0%}; of its {cache.misses} misses the renderer had "
        f"{hit} cached (same data), drew {miss}"
    )


async def stalls(renderer: ChartRenderer, at_once: int) -> None:
    rng = random.Random(4)
    many = [bars(rng) for _ in range(at_once)]
    async with Ticker() as busy:
        started = time.perf_counter()
        await asyncio.gather(*(renderer.render(chart) for chart in many))
        rendering = time.perf_counter() - started
    async with Ticker() as idle:
        await asyncio.sleep(min(rendering, 5.0))
    async with Ticker() as inline:
        for _ in range(3):
            charts.render(bars(rng))
            await asyncio.sleep(0)
    ratio = busy.worst / idle.worst if idle.worst else float("inf")
    print(
        f"loop stall while {at_once} /stats charts render at once ({rendering:.1f} s, "
        f"{at_once / rendering:.1f} charts/s): worst {ms(busy.worst)}, p99 {ms(percentile(busy.late, 0.99))}; "
        f"baseline, nothing rendering: worst {ms(idle.worst)} ({ratio:.1f}× the baseline); "
        f"rendered in the loop instead: worst {ms(inline.worst)}"
    )


async def main(args: argparse.Namespace) -> int:
    load_catalogs()
    renderer = ChartRenderer()
    print(f"chart renderer: {renderer.workers} worker process, cache {renderer.cache_size}; {os.cpu_count()} CPUs")
    try:
        spawn, trips = await round_trips(renderer, args.trips)
        baseline = statistics.median(trips)
        p99 = percentile(trips, 0.99)
        print(f"worker start {ms(spawn)}; trivial round trip ({args.trips}): p50 {ms(baseline)}, p99 {ms(p99)}")
        pid = worker_pids(renderer)[0]
        idle_rss, _ = memory_mb(pid)
        await kinds(renderer, args.renders, baseline)
        rendered_rss, _ = memory_mb(pid)
        await stats_mix(renderer, args.requests, args.servers)
        await badge_mix(renderer, args.badges, args.servers)
        await stalls(renderer, args.at_once)
        rss, peak = memory_mb(pid)
        own, own_peak = memory_mb(os.getpid())
        print(
            f"worker memory: RSS {idle_rss:.0f} MiB idle, {rendered_rss:.0f} MiB after every kind, {rss:.0f} MiB at "
            f"the end, peak {peak:.0f} MiB; this process (the bot's side): RSS {own:.0f} MiB, peak {own_peak:.0f} MiB"
        )
    finally:
        await renderer.aclose()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer renders and requests (about 15 s)")
    parser.add_argument("--renders", type=int, default=15, help="renders per kind (default 15)")
    parser.add_argument("--trips", type=int, default=200, help="trivial round trips to the worker (default 200)")
    parser.add_argument("--requests", type=int, default=150, help="/stats requests in the mix (default 150)")
    parser.add_argument("--badges", type=int, default=600, help="badge requests in the mix (default 600)")
    parser.add_argument("--servers", type=int, default=12, help="servers in the mixes (default 12)")
    parser.add_argument("--at-once", type=int, default=50, help="charts rendering at once for the stall (default 50)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.renders, arguments.trips, arguments.requests, arguments.badges, arguments.at_once = 6, 50, 60, 300, 16
    sys.exit(asyncio.run(main(arguments)))
