"""GAMEMONITORING with a fake GM API, Top.gg integrations, and database outages — all over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from bot.db.credentials import CredentialRepository
from bot.db.pool import register_codecs
from bot.web.app import WebhookManager
from bot.web.intake import IntakeSettings
from bot.web.providers import sign_gamemonitoring, sign_topgg_v1, sign_topserver
from tests.clock import MovableClock
from tests.http_util import serving
from tests.web.conftest import add_server, set_secret, vote_rows
from tests.web.test_routes import TS_SECRET, post, topgg_body, ts_body

GM_TOKEN = "gm-token-0123456789"
PUBLIC = "https://votes.example.com"


class FakeGM:
    def __init__(self) -> None:
        self.fetches: list[str] = []
        self.status = 200
        self.server_id = 777

    async def vote(self, request: web.Request) -> web.Response:
        event_id = request.match_info["event_id"]
        self.fetches.append(event_id)
        if self.status != 200:
            return web.json_response({"error": "down"}, status=self.status)
        return web.json_response(
            {"response": {"id": event_id, "nickname": "Steve", "server": {"id": self.server_id}, "user": {"id": 5}}}
        )


@pytest.fixture
async def fake_gm() -> AsyncIterator[tuple[FakeGM, str]]:
    fake = FakeGM()
    app = web.Application()
    app.router.add_get("/votes/{event_id}", fake.vote)
    async with serving(app) as base_url:
        yield fake, base_url


@pytest.fixture
async def configured(
    pool: asyncpg.Pool, fake_gm: tuple[FakeGM, str], clock: MovableClock
) -> AsyncIterator[aiohttp.ClientSession]:
    settings = IntakeSettings(public_url=PUBLIC, gamemonitoring_api_base=fake_gm[1])
    manager = WebhookManager(pool, host="127.0.0.1", port=0, settings=settings, clock=clock)
    await manager.run()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as session:
            yield session
    finally:
        await manager.close()


def gm_delivery(event_id: str, *, is_test: bool = False, token: str = GM_TOKEN) -> bytes:
    payload = {"event_type": "server.vote", "event_id": event_id, "is_test": is_test}
    return json.dumps(sign_gamemonitoring(token, payload)).encode()


async def test_gamemonitoring(
    configured: aiohttp.ClientSession, pool: asyncpg.Pool, fake_gm: tuple[FakeGM, str]
) -> None:
    fake, _ = fake_gm
    sid = await add_server(pool)
    await set_secret(pool, sid, "gamemonitoring", GM_TOKEN, gm_server_id="777")
    path = f"/webhooks/gamemonitoring/{sid}"

    status, _ = await post(configured, path, gm_delivery("test-1", is_test=True), {})
    assert status == 204 and fake.fetches == []
    status, _ = await post(configured, path, gm_delivery("ev-1", token="wrong"), {})
    assert status == 401 and fake.fetches == []

    status, text = await post(configured, path, gm_delivery("ev-1"), {})
    assert status == 200, text
    rows = await vote_rows(pool, "gamemonitoring")
    assert [(r["external_id"], r["player_name"]) for r in rows] == [("server.vote:ev-1", "Steve")]

    fake.server_id = 778
    status, _ = await post(configured, path, gm_delivery("ev-2"), {})
    assert status == 403
    fake.server_id, fake.status = 777, 500
    status, _ = await post(configured, path, gm_delivery("ev-3"), {})
    assert status == 503
    fake.status = 200  # GAMEMONITORING retries after the 503
    status, _ = await post(configured, path, gm_delivery("ev-3"), {})
    assert status == 200
    assert [r["external_id"] for r in await vote_rows(pool)] == ["server.vote:ev-1", "server.vote:ev-3"]


async def test_topgg_integration_flow(
    configured: aiohttp.ClientSession, pool: asyncpg.Pool, clock: MovableClock
) -> None:
    sid = await add_server(pool)
    await set_secret(pool, sid, "topgg", "v0-secret-value", integration_token="tok-abcdef0123456789")
    create = json.dumps(
        {
            "type": "integration.create",
            "data": {
                "connection_id": "conn-1",
                "webhook_secret": "whs_connection_secret_01",
                "project": {"id": "803190510032756736", "platform_id": "42"},
                "user": {"id": "9", "platform_id": "160105994217586689"},
            },
        }
    ).encode()
    for query in ("", f"?server={sid}", f"?server={sid}&token=wrong", "?server=999&token=tok-abcdef0123456789"):
        status, _ = await post(configured, f"/integrations/topgg{query}", create, {})
        assert status == 401, query
    assert await CredentialRepository(pool).topgg_connections(sid) == []

    url = f"/integrations/topgg?server={sid}&token=tok-abcdef0123456789"
    status, text = await post(configured, url, create, {})
    assert status == 200
    assert json.loads(text) == {"webhook_url": f"{PUBLIC}/webhooks/topgg/{sid}", "routes": ["vote.create"]}
    webhook_path = urlsplit(json.loads(text)["webhook_url"]).path

    body = topgg_body()
    signed = {"x-topgg-signature": sign_topgg_v1("whs_connection_secret_01", body, int(clock.now.timestamp()))}
    status, text = await post(configured, webhook_path, body, signed)
    assert status == 200, text
    assert len(await vote_rows(pool, "topgg")) == 1

    delete = json.dumps({"type": "integration.delete", "data": {"connection_id": "conn-1"}}).encode()
    status, _ = await post(configured, url, delete, {})
    assert status == 204
    assert await CredentialRepository(pool).topgg_connections(sid) == []
    other = topgg_body(user="160105994217586690")
    signed = {"x-topgg-signature": sign_topgg_v1("whs_connection_secret_01", other, int(clock.now.timestamp()))}
    status, _ = await post(configured, webhook_path, other, signed)
    assert status == 401  # the deleted connection's secret no longer works (cache invalidated)


async def test_integration_without_public_url_is_500(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    sid = await add_server(pool)
    await set_secret(pool, sid, "topgg", "v0-secret-value", integration_token="tok-1234567890")
    create = json.dumps(
        {
            "type": "integration.create",
            "data": {
                "connection_id": "c",
                "webhook_secret": "whs_abcdefgh12",
                "project": {"id": "1"},
                "user": {"id": "2"},
            },
        }
    ).encode()
    status, _ = await post(http, f"/integrations/topgg?server={sid}&token=tok-1234567890", create, {})
    assert status == 500 and "webhooks.public_url" in caplog.text
    assert await CredentialRepository(pool).topgg_connections(sid) == []


async def test_locked_table_answers_503_and_the_retry_records_once(database_url: str, pool: asyncpg.Pool) -> None:
    """A statement timeout while another session holds an exclusive lock on votes: 503, then the retry lands."""
    sid = await add_server(pool)
    await set_secret(pool, sid, "topserver", TS_SECRET)
    slow_pool = await asyncpg.create_pool(
        init=register_codecs, dsn=database_url, min_size=1, max_size=4, server_settings={"statement_timeout": "300"}
    )
    manager = WebhookManager(slow_pool, host="127.0.0.1", port=0)
    await manager.run()
    body = ts_body()
    headers = {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as http:
            status, _ = await post(
                http,
                f"/webhooks/topserver/{sid}",
                ts_body("warm"),
                {"x-topserver-signature": sign_topserver(TS_SECRET, ts_body("warm"))},
            )
            assert status == 200
            locker = await asyncpg.connect(database_url)
            try:
                async with locker.transaction():
                    await locker.execute("LOCK TABLE votes IN ACCESS EXCLUSIVE MODE")
                    status, text = await post(http, f"/webhooks/topserver/{sid}", body, headers)
                    assert status == 503, text
            finally:
                await locker.close()
            assert [r["external_id"] for r in await vote_rows(pool)] == ["warm"]
            status, text = await post(http, f"/webhooks/topserver/{sid}", body, headers)
            assert (status, json.loads(text)["duplicate"]) == (200, False)
    finally:
        await manager.close()
        await slow_pool.close()
    assert [r["external_id"] for r in await vote_rows(pool)] == ["warm", "ckvote0001"]


async def test_database_down_answers_503_and_nothing_is_lost(database_url: str, pool: asyncpg.Pool, pg_cluster) -> None:
    """Every connection of the bot is killed and new ones are refused (database down), then it comes back."""
    sid = await add_server(pool)
    await set_secret(pool, sid, "topserver", TS_SECRET)
    name = urlsplit(database_url).path.lstrip("/")
    bot_pool = await asyncpg.create_pool(init=register_codecs, dsn=database_url, min_size=2, max_size=4)
    manager = WebhookManager(bot_pool, host="127.0.0.1", port=0)
    await manager.run()
    body = ts_body()
    headers = {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    admin = await asyncpg.connect(pg_cluster.admin_url)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as http:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            for _ in range(2):
                status, _ = await post(http, f"/webhooks/topserver/{sid}", body, headers)
                assert status == 503
            async with http.get("/healthz") as response:
                assert response.status == 503
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            status, text = await post(http, f"/webhooks/topserver/{sid}", body, headers)
            assert status == 200, text
            status, text = await post(http, f"/webhooks/topserver/{sid}", body, headers)
            assert json.loads(text)["duplicate"] is True
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await manager.close()
        await bot_pool.close()
    check = await asyncpg.connect(database_url)
    try:
        assert await check.fetchval("SELECT count(*) FROM votes") == 1
        assert await check.fetchval("SELECT count(*) FROM vote_outbox") == 1
    finally:
        await check.close()
