"""The Votifier listener on DB-backed keys, recording through the real ledger, with the real aiovotifier client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiovotifier import VotifierClient

from bot.app.config import Config
from bot.db.credentials import CredentialRepository
from bot.votes.votifier.keys import DatabaseVotifierKeys, set_votifier_token
from bot.votes.votifier.service import VotifierService
from tests.web.conftest import add_server, vote_rows


@pytest.fixture
async def votifier(config: Config, pool: asyncpg.Pool) -> AsyncIterator[VotifierService]:
    service = VotifierService(pool, config.votifier.host, config.votifier.port)
    await service.start()
    try:
        yield service
    finally:
        await service.close()


async def wait_rows(pool: asyncpg.Pool, count: int) -> list[asyncpg.Record]:
    for _ in range(100):
        rows = await vote_rows(pool, "votifier")
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} votifier votes")


async def test_v2_and_v1_through_database_keys(votifier: VotifierService, pool: asyncpg.Pool) -> None:
    repo = CredentialRepository(pool)
    first = await add_server(pool, "One", guild_id=1)
    second = await add_server(pool, "Two", guild_id=2)
    public_one = await set_votifier_token(repo, first, "token-one-0123456789")
    await set_votifier_token(repo, second, "token-two-0123456789")
    port = votifier.listener.port

    assert await VotifierClient("127.0.0.1", port, "MCList", "token-two-0123456789").nu_vote("Notch", "1.2.3.4") == {
        "status": "ok"
    }
    await VotifierClient("127.0.0.1", port, "MCList", public_one).vote("Alex", "1.2.3.4")
    rows = await wait_rows(pool, 2)
    assert sorted((r["server_id"], r["player_name"]) for r in rows) == sorted([(second, "Notch"), (first, "Alex")])
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 2

    with pytest.raises(Exception, match="signature"):
        await VotifierClient("127.0.0.1", port, "MCList", "wrong-token").nu_vote("Steve", "1.2.3.4")
    assert len(await vote_rows(pool, "votifier")) == 2


async def test_rotation_takes_effect_at_once_and_key_pair_is_kept(
    votifier: VotifierService, pool: asyncpg.Pool
) -> None:
    repo = CredentialRepository(pool)
    sid = await add_server(pool)
    public = await set_votifier_token(repo, sid, "old-token-0123456789")
    port = votifier.listener.port
    await VotifierClient("127.0.0.1", port, "L", "old-token-0123456789").nu_vote("A", "1.1.1.1")
    assert await set_votifier_token(repo, sid, "new-token-0123456789") == public
    with pytest.raises(Exception, match="signature"):
        await VotifierClient("127.0.0.1", port, "L", "old-token-0123456789").nu_vote("B", "1.1.1.1")
    await VotifierClient("127.0.0.1", port, "L", "new-token-0123456789").nu_vote("C", "1.1.1.1")
    assert [r["player_name"] for r in await wait_rows(pool, 2)] == ["A", "C"]


async def test_keys_are_cached(pool: asyncpg.Pool) -> None:
    sid = await add_server(pool)
    await CredentialRepository(pool).set_secret(sid, "votifier", "tok", {"service_tokens": {"List": "svc"}})
    now = [0.0]
    keys = DatabaseVotifierKeys(pool, ttl=30, clock=lambda: now[0])
    try:
        assert [t.token for t in await keys.tokens_for("list")] == ["svc", "tok"]
        await keys.tokens_for("x")
        await keys.rsa_keys()
        assert keys.loads == 1
        await pool.execute("UPDATE provider_credentials SET secret = 'other'")  # behind the repository's back
        assert [t.token for t in await keys.tokens_for("x")] == ["tok"]
        now[0] = 31
        assert [t.token for t in await keys.tokens_for("x")] == ["other"]
        assert keys.loads == 2
    finally:
        keys.close()
