"""The webhook port as a hostile internet sees it: slow and idle clients, floods of badges, bad input, probing.

Real sockets against the real WebhookManager; the attacker's connections come from 127.0.0.2 (loopback on
Linux) so the per-address limits can tell them from the listing site on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.web.app import WebhookManager
from bot.web.guard import PUBLIC_READS_KEY, PublicReads, WebLimits
from bot.web.intake import UNAUTHORIZED
from bot.web.providers import sign_topserver
from bot.web.routes.widget import BADGES_KEY
from tests.clock import MovableClock
from tests.web.conftest import add_server, set_secret, vote_rows
from tests.web.test_routes import ts_body

TS_SECRET = "ts-secret-for-the-public-port"
ATTACKER = "127.0.0.2"


@contextlib.asynccontextmanager
async def running(pool: asyncpg.Pool, clock: MovableClock, **limits: object) -> AsyncIterator[WebhookManager]:
    manager = WebhookManager(pool, host="127.0.0.1", port=0, clock=clock, limits=WebLimits(**limits))  # type: ignore[arg-type]
    await manager.run()
    try:
        yield manager
    finally:
        await manager.close()


async def deliver(port: int, server_id: int, voted_at: str = "2026-11-18T11:00:00.000Z") -> tuple[int, float]:
    """One signed Top-Server delivery from 127.0.0.1 (a new vote each time): (status, seconds it took)."""
    vote = {"event": "vote", "serverId": "ck", "voteId": uuid.uuid4().hex[:12], "player": "Steve", "votedAt": voted_at}
    body = json.dumps(vote).encode()
    headers = {"Content-Type": "application/json", "x-topserver-signature": sign_topserver(TS_SECRET, body)}
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/webhooks/topserver/{server_id}"
        async with http.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status, time.perf_counter() - started


async def open_from(
    address: str, port: int, first_bytes: bytes = b""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    if first_bytes:
        writer.write(first_bytes)
        await writer.drain()
    return reader, writer


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        while await asyncio.wait_for(reader.read(4096), within):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


@pytest.fixture
async def server_id(pool: asyncpg.Pool) -> int:
    sid = await add_server(pool)
    await set_secret(pool, sid, "topserver", TS_SECRET)
    return sid


async def test_idle_and_half_sent_requests_are_cut_and_never_block_a_delivery(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    async with running(pool, clock, keepalive_timeout=1.0, max_connections_per_source=500) as manager:
        idle = [await open_from(ATTACKER, manager.port) for _ in range(300)]
        half = [
            await open_from(ATTACKER, manager.port, b"POST /webhooks/topserver/1 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            for _ in range(100)
        ]
        assert manager.connections.open_connections >= 390
        status, seconds = await deliver(manager.port, server_id)
        assert status == 200 and seconds < 1.0
        # Both kinds are closed by the server once the keep-alive timeout passes (aiohttp's default: an hour).
        results = await asyncio.gather(*(closed_by_server(reader, 5.0) for reader, _ in idle + half))
        assert all(results), f"{results.count(False)} connections still open"
        for _, writer in idle + half:
            writer.close()
    assert len(await vote_rows(pool)) == 1


async def test_connections_over_the_per_source_cap_get_503_and_others_still_deliver(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    async with running(pool, clock, max_connections_per_source=20) as manager:
        held = [await open_from(ATTACKER, manager.port) for _ in range(20)]
        await asyncio.sleep(0.05)
        reader, writer = await open_from(ATTACKER, manager.port)
        answer = await asyncio.wait_for(reader.read(), 2.0)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert manager.connections.refused["per_source"] == 1
        writer.close()
        status, _ = await deliver(manager.port, server_id)
        assert status == 200
        for _, held_writer in held:
            held_writer.close()


async def test_a_body_that_never_arrives_or_is_abandoned_is_not_a_database_failure(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    head = (
        f"POST /webhooks/topserver/{server_id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 400\r\n\r\n"
    ).encode()
    async with running(pool, clock, body_timeout=0.3) as manager:
        reader, writer = await open_from("127.0.0.1", manager.port, head + b'{"event": "vo')
        answer = await asyncio.wait_for(reader.read(4096), 3.0)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        writer.close()
        _, writer = await open_from("127.0.0.1", manager.port, head + b'{"event": "vo')
        await asyncio.sleep(0.05)
        writer.transport.abort()  # the sender goes away mid-body
        await asyncio.sleep(0.2)
        rejected = manager.intake.metrics.rejected
        assert rejected[("topserver", "client_gone")] == 2
        assert rejected[("topserver", "database")] == 0
        status, _ = await deliver(manager.port, server_id)
        assert status == 200


async def test_badges_are_cached_whatever_the_query_string(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    async with running(pool, clock) as manager, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{manager.port}/api/widget/{server_id}"
        bodies = set()
        for n in range(25):
            async with http.get(url, params={"type": "full", "cachebuster": str(n)}) as response:
                assert response.status == 200
                assert response.headers["Cache-Control"].startswith("public, max-age=")
                etag = response.headers["ETag"]
                bodies.add(await response.text())
        cache = manager.webserver[BADGES_KEY]
        assert (cache.misses, cache.hits, len(bodies)) == (1, 24, 1)
        async with http.get(url, headers={"If-None-Match": etag}) as response:
            assert response.status == 304
        assert (await deliver(manager.port, server_id))[0] == 200
        async with http.get(url) as response:
            assert "0 votes" in await response.text()  # still the cached badge
        clock.advance(seconds=61)
        async with http.get(url) as response:
            assert "1 votes" in await response.text() and response.headers["ETag"] != etag


async def test_public_reads_wait_for_their_own_slots_and_never_starve_intake(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    manager = WebhookManager(pool, host="127.0.0.1", port=0, clock=clock)
    reads = PublicReads(1, wait=0.2)
    manager.webserver[PUBLIC_READS_KEY] = reads
    await manager.run()
    try:
        async with reads.slot(), aiohttp.ClientSession() as http:  # every public slot taken
            base = f"http://127.0.0.1:{manager.port}"
            async with http.get(f"{base}/api/widget/{server_id}") as response:
                assert response.status == 503 and response.headers["Retry-After"] == "2"
            async with http.get(f"{base}/api/v1/vote/check", params={"key": "k" * 20, "player": "Steve"}) as response:
                assert response.status == 503
            status, _ = await deliver(manager.port, server_id)
            assert status == 200  # intake does not go through the public bound
        assert reads.busy_refusals == 2
    finally:
        await manager.close()


async def test_metrics_can_require_a_bearer_token(pool: asyncpg.Pool, clock: MovableClock) -> None:
    token = "metrics-token-0123456789"
    async with running(pool, clock, metrics_token=token) as manager, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{manager.port}/metrics"
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": token}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 401 and token not in await response.text()
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200 and "votebot_votes_received_total" in await response.text()
        async with http.get(f"http://127.0.0.1:{manager.port}/healthz") as response:
            assert response.status == 200


async def test_failed_signatures_are_throttled_per_source_with_one_uniform_answer(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = ts_body()
    path = f"/webhooks/topserver/{server_id}"
    async with running(pool, clock, failed_auth_per_minute=5) as manager:
        connector = aiohttp.TCPConnector(local_addr=(ATTACKER, 0))
        async with aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}", connector=connector) as attacker:
            answers = []
            for n in range(8):
                wrong = sign_topserver(f"guess-{n:02d}-0123456789", body)
                headers = {"Content-Type": "application/json", "x-topserver-signature": wrong}
                async with attacker.post(path, data=body, headers=headers) as response:
                    answers.append((response.status, (await response.json())["error"]))
            assert answers[:5] == [(401, UNAUTHORIZED)] * 5
            assert {status for status, _ in answers[5:]} == {429}
            good = {"Content-Type": "application/json", "x-topserver-signature": sign_topserver(TS_SECRET, body)}
            async with attacker.post(path, data=body, headers=good) as response:
                assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        status, _ = await deliver(manager.port, server_id)  # the listing site on another address is unaffected
        assert status == 200
    assert caplog.text.count("from 127.0.0.2 refused (401)") == 5


async def test_deep_json_and_unicode_digits_get_clear_4xx(
    pool: asyncpg.Pool, clock: MovableClock, server_id: int
) -> None:
    async with running(pool, clock) as manager, aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}") as http:
        nested = b"[" * 30_000 + b"]" * 30_000
        async with http.post("/api/v1/vote/claim", data=nested, headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400 and "nested too deeply" in (await r.json())["error"]
        async with http.post(
            "/api/v1/vote/claim", data=b"x" * 70_000, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 413
        for path in ("/api/widget/²", "/api/widget/١٢", "/webhooks/topserver/²"):
            method = http.post if path.startswith("/webhooks") else http.get
            async with method(path) as response:
                assert response.status == 404, path
        headers = {"Content-Type": "application/json", "x-topserver-signature": "sha256=" + "0" * 64}
        async with http.post(f"/webhooks/topserver/{server_id}", data=b"{}", headers=headers) as response:
            assert response.status == 401


def test_unicode_digits_in_an_address_are_refused_clearly() -> None:
    from bot.core.errors import UserError
    from bot.core.validation import clean_address

    for address in ("example.org:²", "example.org:٢٥٥٦٥", "example.org:-1"):
        with pytest.raises(UserError, match="port must be a number"):
            clean_address(address)
    assert clean_address("Example.org:25565") == "example.org:25565"


def test_gamemonitoring_mismatch_logs_a_bounded_line(caplog: pytest.LogCaptureFixture) -> None:
    from bot.web.providers import SignatureError
    from bot.web.providers.gamemonitoring import verify_gamemonitoring

    payload = {"event_type": "server.vote", "event_id": "1", "filler": "x" * 60_000, "signature": "00" * 32}
    with caplog.at_level(logging.WARNING), pytest.raises(SignatureError):
        verify_gamemonitoring("gm-token-0123456789", payload)
    assert caplog.records and all(len(record.getMessage()) < 1000 for record in caplog.records)


def test_socket_source_addresses_work_here() -> None:
    """The tests above need 127.0.0.2 to be a local address (it is on Linux)."""
    with socket.socket() as probe:
        probe.bind((ATTACKER, 0))
        assert probe.getsockname()[0] == ATTACKER


async def test_one_query_ranks_a_whole_category_for_every_badge_of_it(pool: asyncpg.Pool, clock: MovableClock) -> None:
    from bot.db.votes import VoteRepository
    from bot.web.routes.widget import VOTES_KEY

    ids = [await add_server(pool, f"S{n}", guild_id=n + 1) for n in range(4)]
    await pool.execute("UPDATE servers SET category = CASE WHEN id = $1 THEN 'creative' ELSE 'survival' END", ids[3])
    for server, votes in zip(ids, (5, 2, 2, 9), strict=True):
        await pool.execute(
            """
            INSERT INTO votes (server_id, provider, external_id, player_name, voted_at)
            SELECT $1::bigint, 'topserver', 'v' || $1::bigint || '-' || g, 'p' || g, $3::timestamptz
            FROM generate_series(1, $2) g
            """,
            server,
            votes,
            clock.now - dt.timedelta(hours=1),
        )

    class Counting(VoteRepository):
        calls = 0

        async def category_ranks(self, *args: Any) -> dict[int, int]:
            Counting.calls += 1
            return await super().category_ranks(*args)

    manager = WebhookManager(pool, host="127.0.0.1", port=0, clock=clock)
    manager.webserver[VOTES_KEY] = Counting(pool)
    await manager.run()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}") as http:

            async def rank_badge(server: int) -> str:
                async with http.get(f"/api/widget/{server}", params={"type": "rank"}) as response:
                    return await response.text()

            shown = await asyncio.gather(*(rank_badge(server) for server in ids[:3] * 5))
        assert Counting.calls == 1  # fifteen concurrent badges of one category, one ranking query
        assert ["#1 of 3" in shown[0], "#2 of 3" in shown[1], "#2 of 3" in shown[2]] == [True, True, True]
        month_start, month_end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        repository = VoteRepository(pool)
        survival = await repository.category_ranks("survival", month_start, month_end)
        assert survival == {ids[0]: 1, ids[1]: 2, ids[2]: 2}  # 5, 2 and 2 votes: a tie shares its rank
        assert await repository.category_rank(ids[2], "survival", month_start, month_end) == (2, 3)
        assert await repository.category_rank(ids[3], "creative", month_start, month_end) == (1, 1)
    finally:
        await manager.close()
