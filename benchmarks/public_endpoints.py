"""Public endpoints under load: badges and PULL ``check`` at 32 connections while signed votes arrive.

    .venv/bin/python benchmarks/public_endpoints.py [--servers 2000] [--votes 300000] [--seconds 15]
        [--connections 32] [--voters 4] [--skew 1.0]

Loads ``--servers`` servers (in 20 categories, each with an API key) and ``--votes`` votes this month into the
embedded PostgreSQL, then runs the real ``WebhookManager`` (pool of 10, as the bot's default) in a child process
in three modes, one after the other on the same data:

- ``uncached``: no badge cache and no bound on public reads (how the port behaved before issue 11);
- ``bounded``: no badge cache, public reads bounded (``webhooks.public_read_concurrency`` = 4);
- ``cached``: the shipped setup, badge cache and bound.

This process drives it with ``--connections`` keep-alive clients asking for random badges (a server drawn by
popularity, Zipf with exponent ``--skew``, 0 for uniform; a random type; a random query string, so no HTTP cache
helps) and PULL ``check`` calls (random server, valid key, random
player), while ``--voters`` clients send signed Top-Server votes back to back. Prints per mode: badge and check
requests/s, vote p50/p99 (target: p99 under 50 ms), the public-read slot waits, 503s, and the ratio of each mode's
vote p99 and badge rate to the ``uncached`` baseline of the same run. Not run by CI.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import multiprocessing
import random
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "ts-benchmark-secret-0123456789"  # noqa: S105 - made up
MODES = ("uncached", "bounded", "cached")
NOW = dt.datetime.now(dt.UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- data


async def load(url: str, servers: int, votes: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """
            INSERT INTO servers (guild_id, name, vote_url, api_key_hash, category)
            SELECT 1000 + g, 'Server ' || g, 'https://example.com/' || g, encode(sha256(('key-' || g)::bytea), 'hex'),
                   'category ' || (g % 20)
            FROM generate_series(1, $1) g
            """,
            servers,
        )
        await connection.execute(
            """
            INSERT INTO provider_credentials (server_id, provider, secret)
            SELECT id, 'topserver', $1 FROM servers
            """,
            SECRET,
        )
        start = NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        await connection.execute(
            """
            INSERT INTO votes (server_id, provider, external_id, player_name, voted_at)
            SELECT 1 + g % $1, 'topserver', 'seed' || g, 'player' || (g / $1) % 300,
                   $3::timestamptz + random() * ($4::timestamptz - $3::timestamptz)
            FROM generate_series(1, $2) g
            """,
            servers,
            votes,
            start,
            NOW,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# --------------------------------------------------------------------------- server (child process)


def serve(url: str, port: int, mode: str, ready: Any) -> None:
    asyncio.run(_serve(url, port, mode, ready))


async def _serve(url: str, port: int, mode: str, ready: Any) -> None:
    from aiohttp import web

    from bot.db.pool import PoolDefaults, create_pool
    from bot.web.app import WebhookManager
    from bot.web.guard import PUBLIC_READS_KEY, PublicReads, WebLimits
    from bot.web.routes.widget import BADGES_KEY, BadgeCache

    class TimedReads(PublicReads):
        """The shipped bound, timing how long each reader waited for a slot."""

        waits: list[float]

        def slot(self) -> Any:
            outer = super().slot()
            reads = self

            class Timed:
                async def __aenter__(self) -> None:
                    started = time.perf_counter()
                    await outer.__aenter__()
                    reads.waits.append(time.perf_counter() - started)

                async def __aexit__(self, *exc: object) -> None:
                    await outer.__aexit__(*exc)  # type: ignore[arg-type]

            return Timed()

    pool = await create_pool(url, PoolDefaults(min_pool_size=10, max_pool_size=10))
    limits = WebLimits(failed_auth_per_minute=10**6, max_connections_per_source=10_000)
    manager = WebhookManager(pool, host="127.0.0.1", port=port, limits=limits)
    reads = TimedReads(4 if mode != "uncached" else 10_000, wait=5.0)
    reads.waits = []
    manager.webserver[PUBLIC_READS_KEY] = reads
    if mode != "cached":
        manager.webserver[BADGES_KEY] = BadgeCache(manager.intake.clock, fresh=dt.timedelta(0))

    async def stats(request: web.Request) -> web.Response:
        waits = sorted(reads.waits)
        cache = request.app[BADGES_KEY]
        return web.json_response(
            {
                "slot_waits": len([w for w in waits if w > 0.001]),
                "slot_wait_p99_ms": 1000 * waits[int(len(waits) * 0.99)] if waits else 0.0,
                "busy_503": reads.busy_refusals,
                "cache_hits": cache.hits,
                "cache_misses": cache.misses,
            }
        )

    manager.webserver.router.add_get("/bench/stats", stats)
    await manager.run()
    ready.set()
    await asyncio.Event().wait()


# --------------------------------------------------------------------------- load


async def readers(base: str, servers: int, connections: int, until: float, skew: float) -> tuple[int, int, int]:
    badges = checks = errors = 0
    # Badge views follow popularity (a badge sits on its server's page): Zipf with exponent ``skew``, 0 = uniform.
    weights = list(itertools.accumulate(1 / rank**skew for rank in range(1, servers + 1)))
    ids = list(range(1, servers + 1))
    random.shuffle(ids)

    async def one(http: aiohttp.ClientSession) -> None:
        nonlocal badges, checks, errors
        while time.perf_counter() < until:
            sid = random.choices(ids, cum_weights=weights)[0]
            if random.random() < 0.7:
                kind = random.choice(("full", "votes", "rank"))
                url, params = f"{base}/api/widget/{sid}", {"type": kind, "v": uuid.uuid4().hex[:8]}
            else:
                url, params = f"{base}/api/v1/vote/check", {"key": f"key-{sid}", "player": f"player{sid % 300}"}
            async with http.get(url, params=params) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
                elif "widget" in url:
                    badges += 1
                else:
                    checks += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(one(http) for _ in range(connections)))
    return badges, checks, errors


async def voters(base: str, servers: int, count: int, until: float) -> list[float]:
    from bot.web.providers import sign_topserver

    latencies: list[float] = []

    async def one(http: aiohttp.ClientSession) -> None:
        while time.perf_counter() < until:
            sid = random.randint(1, servers)
            body = json.dumps(
                {
                    "event": "vote",
                    "serverId": "bench",
                    "voteId": uuid.uuid4().hex,
                    "player": "Steve",
                    "votedAt": NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                }
            ).encode()
            headers = {"Content-Type": "application/json", "x-topserver-signature": sign_topserver(SECRET, body)}
            started = time.perf_counter()
            async with http.post(f"{base}/webhooks/topserver/{sid}", data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one(http) for _ in range(count)))
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def run_mode(url: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    ready = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(url, port, mode, ready), daemon=True)
    child.start()
    try:
        if not await asyncio.to_thread(ready.wait, 60):
            raise RuntimeError("server did not start")
        base = f"http://127.0.0.1:{port}"
        until = time.perf_counter() + args.seconds
        (badges, checks, errors), latencies = await asyncio.gather(
            readers(base, args.servers, args.connections, until, args.skew),
            voters(base, args.servers, args.voters, until),
        )
        async with aiohttp.ClientSession() as http, http.get(f"{base}/bench/stats") as response:
            stats = await response.json()
    finally:
        child.kill()
        child.join()
    return {
        "mode": mode,
        "badge_rps": badges / args.seconds,
        "check_rps": checks / args.seconds,
        "read_errors": errors,
        "votes": len(latencies),
        "vote_p50_ms": 1000 * percentile(latencies, 0.5),
        "vote_p99_ms": 1000 * percentile(latencies, 0.99),
        **stats,
    }


async def main(args: argparse.Namespace) -> None:
    from tests.pg import start_cluster

    cluster, server = await asyncio.to_thread(start_cluster)
    url = await cluster.create_database()
    try:
        print(f"loading {args.servers} servers and {args.votes} votes …", flush=True)
        await load(url, args.servers, args.votes)
        results = [await run_mode(url, mode, args) for mode in MODES]
    finally:
        await cluster.drop_database(url)
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
    base = results[0]
    print(
        f"\n{args.connections} reader connections, {args.voters} voters, {args.seconds:g} s per mode, "
        f"{args.servers} servers, {args.votes} votes this month, popularity skew {args.skew:g}"
    )
    header = (
        f"{'mode':<9} {'badge/s':>8} {'check/s':>8} {'votes':>6} {'vote p50':>9} {'vote p99':>9} "
        f"{'p99 ×base':>9} {'badge ×base':>11} {'slot waits':>10} {'wait p99':>9} {'503s':>5} {'cache hit':>9}"
    )
    print(header)
    for row in results:
        lookups = row["cache_hits"] + row["cache_misses"]
        print(
            f"{row['mode']:<9} {row['badge_rps']:>8.0f} {row['check_rps']:>8.0f} {row['votes']:>6} "
            f"{row['vote_p50_ms']:>7.1f}ms {row['vote_p99_ms']:>7.1f}ms "
            f"{row['vote_p99_ms'] / base['vote_p99_ms']:>9.2f} "
            f"{row['badge_rps'] / max(base['badge_rps'], 1e-9):>11.2f} "
            f"{row['slot_waits']:>10} {row['slot_wait_p99_ms']:>7.1f}ms {row['busy_503']:>5} "
            f"{(row['cache_hits'] / lookups if lookups else 0):>9.0%}"
        )
    shipped = results[-1]
    verdict = "met" if shipped["vote_p99_ms"] < 50 else "NOT met"
    print(f"\ntarget vote p99 < 50 ms with the shipped setup: {verdict} ({shipped['vote_p99_ms']:.1f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--votes", type=int, default=300_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--voters", type=int, default=4)
    parser.add_argument("--skew", type=float, default=1.0, help="Zipf exponent of badge popularity; 0 = uniform")
    asyncio.run(main(parser.parse_args()))
