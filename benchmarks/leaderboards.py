"""Top-10 board refresh cycle: 10,000 servers with a board and 1,000,000 votes in the embedded database.

    .venv/bin/python benchmarks/leaderboards.py [--servers 10000] [--votes 1000000] [--rounds 5]

Loads the data with set-based SQL (votes spread over the last 60 days, 300 players per server, 10 % of the
votes carrying a Discord id and 10 % of the player names linked), then times ``top10_for_boards`` — the one
query a refresh cycle runs for every board (month start in each server's own time zone) — and prints the
median and worst of ``--rounds`` runs and the query plan's top node. Target: one query, under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time

from engagement_data import database, make_servers


async def main(servers: int, votes: int, rounds: int) -> None:
    from cogs.leaderboards.repository import _TOP10_ALL, top10_for_boards

    async with database() as pool:
        started = time.perf_counter()
        await make_servers(pool, servers, "top10_board")
        await pool.execute(
            """
            INSERT INTO votes (server_id, provider, external_id, player_name, discord_user_id, voted_at)
            SELECT 1 + g % $1, 'topserver', 'v' || g, 'player' || (g / $1) % 300,
                   CASE WHEN g % 10 = 0 THEN 100000 + (g / $1) % 300 END,
                   now() - random() * interval '60 days'
            FROM generate_series(1, $2) g
            """,
            servers,
            votes,
        )
        await pool.execute(
            """
            INSERT INTO player_links (server_id, discord_user_id, player_name)
            SELECT s.id, 200000 + p, 'player' || p FROM servers s, generate_series(0, 299, 10) p
            """
        )
        await pool.execute("ANALYZE")
        print(f"loaded {servers} servers, {votes} votes in {time.perf_counter() - started:.1f} s")
        timings = []
        result = {}
        for _ in range(rounds):
            began = time.perf_counter()
            result = await top10_for_boards(pool, time_now())
            timings.append(time.perf_counter() - began)
        boards_full = sum(1 for voters in result.values() if len(voters) == 10)
        print(f"boards: {len(result)} ({boards_full} with 10 voters), rows: {sum(len(v) for v in result.values())}")
        print(
            f"refresh cycle query: median {statistics.median(timings):.3f} s, worst {max(timings):.3f} s "
            f"over {rounds} runs (target < 2 s)"
        )
        plan = await pool.fetchval("EXPLAIN (FORMAT JSON) " + _TOP10_ALL, time_now(), None)
        print("plan top node:", plan[:200].replace("\n", " ") if isinstance(plan, str) else plan)


def time_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.servers, args.votes, args.rounds))
