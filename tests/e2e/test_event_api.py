"""The signed event API end to end: HTTP into the real WebhookManager, alerts out through the real bot."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from bot.core.credentials import store_secret
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.web.app import WebhookManager
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, BotRunner, reply_text
from tests.e2e.test_reviews import alerts, features_on, wait_alerts
from tests.fakediscord import FakeDiscord

SECRET = "event-secret-0123456789"


def signed(body: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"x-votebot-signature": f"sha256={digest}", "content-type": "application/json"}


@pytest.fixture
async def http(runner: BotRunner, pool: asyncpg.Pool) -> AsyncIterator[aiohttp.ClientSession]:
    manager = WebhookManager(pool, host="127.0.0.1", port=0)
    assert runner.bot is not None
    manager.attach_bot(runner.bot)  # as `votebot run` does: pushed events wake the bot at once
    await manager.run()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as session:
            yield session
    finally:
        await manager.close()


async def test_signed_event_alerts_once_and_bad_signature_is_refused(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await features_on(pool)
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    event = {"type": "review.create", "id": "rev-1", "data": {"author": "Steve_**", "rating": 4, "text": "gg"}}

    raw, headers = signed(event, secret="wrong-secret")
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 401
    flipped = raw.replace(b"gg", b"GG")
    async with http.post(f"/events/{server.id}", data=flipped, headers=signed(event)[1]) as response:
        assert response.status == 401
    async with http.post(f"/events/{server.id}", data=raw, headers={"content-type": "application/json"}) as response:
        assert response.status == 401
    assert await pool.fetchval("SELECT count(*) FROM reviews") == 0

    raw, headers = signed(event)
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 202 and (await response.json())["duplicate"] is False
    async with http.post(f"/events/{server.id}", data=raw, headers=headers) as response:
        assert response.status == 200 and (await response.json())["duplicate"] is True
    alert = (await wait_alerts(fake, 1))[0]
    assert "★★★★☆" in alert["embeds"][0]["description"]
    await asyncio.sleep(0.3)
    assert len(alerts(fake)) == 1


async def test_event_bad_input(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    server = await features_on(pool)
    unconfigured = (await ServerService(pool).add(guild_id=GUILD_ID, name="Other", vote_url="https://e.com")).server
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    cases = [
        (
            f"/events/{server.id}",
            *signed({"type": "review.create", "id": "x", "data": {"author": "a", "rating": 9}}),
            400,
        ),
        (f"/events/{server.id}", *signed({"type": "nope", "id": "x", "data": {}}), 400),
        (f"/events/{unconfigured.id}", *signed({"type": "rank.update", "id": "x", "data": {"rank": 1}}), 404),
        ("/events/999999", *signed({"type": "rank.update", "id": "x", "data": {"rank": 1}}), 404),
        ("/events/abc", *signed({}), 404),
    ]
    for path, raw, headers, status in cases:
        async with http.post(path, data=raw, headers=headers) as response:
            assert response.status == status, (path, raw)
    not_json = b"{not json"
    digest = hmac.new(SECRET.encode(), not_json, hashlib.sha256).hexdigest()
    async with http.post(
        f"/events/{server.id}", data=not_json, headers={"x-votebot-signature": f"sha256={digest}"}
    ) as r:
        assert r.status == 400
    async with http.post(f"/events/{server.id}", data=b"x" * 70_000, headers=signed({})[1]) as response:
        assert response.status == 413
    assert await pool.fetchval("SELECT count(*) FROM community_events") == 0


async def test_setup_provider_modal_and_generate(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    server = (await ServerService(pool).add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/v")).server
    responses = await runner.command(ADMIN, "setup provider", provider="topgg")
    modal = responses[0]
    assert modal["type"] == 9  # a modal: the secret is never part of the command line
    created = await fake.interact(
        {
            "type": 5,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(ADMIN),
            "custom_id": modal["data"]["custom_id"],
            "fields": {"secret": "whs_my_topgg_secret_value"},
        }
    )
    answer = reply_text(await fake.wait_for_response(created["interaction_id"]))
    assert "saved (`sha256:" in answer and "whs_my_topgg_secret_value" not in answer
    assert f"/webhooks/topgg/{server.id}" in answer
    credential = await CredentialRepository(pool).get(server.id, "topgg")
    assert credential is not None and credential.secret == "whs_my_topgg_secret_value"

    generated = reply_text(await runner.command(ADMIN, "setup provider", provider="events", generate=True))
    stored = await CredentialRepository(pool).get(server.id, "events")
    assert stored is not None and f"`{stored.secret}`" in generated and "shown once" in generated
