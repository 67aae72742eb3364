"""Top-10 board refresh cycle: 10,000 servers with a board and 1,000,000 votes in the embedded database.

    .venv/bin/python benchmarks/leaderboards.py [--servers 10000] [--votes 1000000] [--rounds 5]

Loads the data with set-based SQL (votes spread over the last 60 days, 300 players per server, 10 % of the
votes carrying a Discord id and 10 % of the player names linked), then times what a refresh cycle of the
board tick does when every board is due: list the active boards, take each one's month in its server's own
time zone (``bot.core.time.month_of``) and run the one set-based ranking query
(``LeaderboardRepository.top10``). As a baseline, in alternating rounds, the cheapest query that reads the
same votes: a count per server over the same windows, without attribution or ranking. Prints the medians
and worst of ``--rounds`` runs, the ratio of the two, and the query plan's top node. Target: one query,
under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from typing import Any

from engagement_data import database, make_servers


async def main(servers: int, votes: int, rounds: int) -> None:
    from bot.app.extensions import features
    from bot.core.servers import ServerService
    from bot.core.time import month_of, zone
    from cogs.leaderboards.repository import _TOP10, LeaderboardRepository

    async def active(pool: object) -> list[tuple[Any, Any]]:
        return await ServerService(pool, features()).active("top10_board")  # type: ignore[arg-type]

    async def refresh_cycle(pool: object) -> dict[int, list[object]]:
        now = time_now()
        boards = await active(pool)
        windows = [(s.id, month_of(now, zone(s.timezone)).start, now) for s, _ in boards]
        return await LeaderboardRepository(pool).top10(windows)  # type: ignore[arg-type, return-value]

    async def baseline(pool: object, windows: list[tuple[int, dt.datetime, dt.datetime]]) -> int:
        rows = await pool.fetch(BASELINE, *zip(*windows, strict=True))  # type: ignore[attr-defined]
        return len(rows)

    async with database() as pool:
        started = time.perf_counter()
        await make_servers(pool, servers, "top10_board")
        await pool.execute(
            """
            INSERT INTO votes (server_id, provider, external_id, player_name, discord_user_id, voted_at)
            SELECT 1 + g % $1, 'topserver', 'v' || g, 'player' || (g / $1) % 300,
                   CASE WHEN g % 10 = 0 THEN 100000 + (g / $1) % 300 END,
                   $3::timestamptz - random() * interval '60 days'
            FROM generate_series(1, $2) g
            """,
            servers,
            votes,
            time_now(),
        )
        await pool.execute(
            """
            INSERT INTO player_links (server_id, discord_user_id, player_name)
            SELECT s.id, 200000 + p, 'player' || p FROM servers s, generate_series(0, 299, 10) p
            """
        )
        await pool.execute("ANALYZE")
        print(f"loaded {servers} servers, {votes} votes in {time.perf_counter() - started:.1f} s")
        timings, floors, result = [], [], {}
        for _ in range(rounds):
            began = time.perf_counter()
            result = await refresh_cycle(pool)
            timings.append(time.perf_counter() - began)
            now = time_now()
            windows = [(s.id, month_of(now, zone(s.timezone)).start, now) for s, _ in await active(pool)]
            began = time.perf_counter()
            await baseline(pool, windows)
            floors.append(time.perf_counter() - began)
        boards_full = sum(1 for voters in result.values() if len(voters) == 10)
        print(f"boards: {len(result)} ({boards_full} with 10 voters), rows: {sum(len(v) for v in result.values())}")
        print(
            f"refresh cycle query: median {statistics.median(timings):.3f} s, worst {max(timings):.3f} s "
            f"over {rounds} runs (target < 2 s)"
        )
        print(
            f"baseline (count per server over the same windows): median {statistics.median(floors):.3f} s; "
            f"the refresh cycle takes {statistics.median(timings) / statistics.median(floors):.2f}x the baseline"
        )
        ids = list(result)
        starts = [time_now() - dt.timedelta(days=30)] * len(ids)
        plan = await pool.fetchval("EXPLAIN (FORMAT JSON) " + _TOP10, ids, starts, [time_now()] * len(ids))
        print("plan top node:", plan[:200].replace("\n", " ") if isinstance(plan, str) else plan)


BASELINE = """
SELECT b.server_id, count(v.id)
FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS b(server_id, month_start, until)
LEFT JOIN votes v ON v.server_id = b.server_id AND v.voted_at >= b.month_start AND v.voted_at < b.until
GROUP BY b.server_id
"""


def time_now() -> dt.datetime:
    """A fixed mid-month instant, so the boards always hold about half a month of votes."""
    return dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.servers, args.votes, args.rounds))
