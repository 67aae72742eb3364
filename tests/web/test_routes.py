"""Provider routes on the real manager, over real HTTP, against the real database."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import asyncpg
import pytest

from bot.app.runtime import webhook_manager
from bot.web.intake import UNAUTHORIZED
from bot.web.providers import sign_topgg_v1, sign_topserver
from tests.clock import MovableClock
from tests.web.conftest import add_server, set_secret, vote_rows

TS_SECRET = "ts-push-secret-0123456789"
V1_SECRET = "whs_route_secret_0123456789"
V0_SECRET = "legacy-authorization-value"


def ts_body(vote_id: str = "ckvote0001", player: str = "Pseudo123") -> bytes:
    return json.dumps(
        {
            "event": "vote",
            "serverId": "ckserver",
            "voteId": vote_id,
            "player": player,
            "votedAt": "2026-06-22T03:00:00.000Z",
        }
    ).encode()


def topgg_body(
    vote_id: str = "808499215864008704", user: str = "160105994217586689", created: str | None = None
) -> bytes:
    created = created or "2026-02-09T00:47:14.2510149+00:00"
    return json.dumps(
        {
            "type": "vote.create",
            "data": {
                "id": vote_id,
                "weight": 2,
                "created_at": created,
                "expires_at": "2026-02-09T12:47:14.2510149+00:00",
                "project": {"id": "803190510032756736", "type": "bot", "platform": "discord", "platform_id": "42"},
                "user": {"id": "1", "platform_id": user, "name": "username", "avatar_url": "x"},
            },
        }
    ).encode()


@pytest.fixture
async def server_id(pool: asyncpg.Pool) -> int:
    sid = await add_server(pool)
    await set_secret(pool, sid, "topserver", TS_SECRET)
    await set_secret(pool, sid, "topgg", V1_SECRET)
    return sid


async def post(http: aiohttp.ClientSession, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with http.post(path, data=body, headers={"Content-Type": "application/json", **headers}) as response:
        return response.status, await response.text()


# --------------------------------------------------------------------------- Top-Server


async def test_topserver_valid_vote_recorded_once(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, server_id: int
) -> None:
    body = ts_body()
    headers = {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    status, text = await post(http, f"/webhooks/topserver/{server_id}", body, headers)
    assert (status, json.loads(text)) == (200, {"ok": True, "duplicate": False})
    status, text = await post(http, f"/webhooks/topserver/{server_id}", body, headers)
    assert (status, json.loads(text)) == (200, {"ok": True, "duplicate": True})
    rows = await vote_rows(pool)
    assert [(r["provider"], r["external_id"], r["player_name"]) for r in rows] == [
        ("topserver", "ckvote0001", "Pseudo123")
    ]
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 1


async def test_topserver_rejections_record_nothing(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, server_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = ts_body()
    good = sign_topserver(TS_SECRET, body)
    flipped = bytearray(body)
    flipped[10] ^= 0x01
    path = f"/webhooks/topserver/{server_id}"
    cases = [
        (bytes(flipped), {"x-topserver-signature": good}, 401),
        (body, {"x-topserver-signature": sign_topserver("wrong-secret", body)}, 401),
        (body, {}, 401),
        (body, {"x-topserver-signature": "sha256=" + "0" * 63 + "g"}, 401),
        (b"x" * (64 * 1024 + 1), {"x-topserver-signature": "sha256=00"}, 413),
        (b"not json", {"x-topserver-signature": sign_topserver(TS_SECRET, b"not json")}, 400),
    ]
    for payload, headers, expected in cases:
        status, text = await post(http, path, payload, headers)
        assert status == expected, (headers, text)
        assert json.loads(text)["ok"] is False
    test_event = json.dumps({"event": "test"}).encode()
    status, _ = await post(http, path, test_event, {"x-topserver-signature": sign_topserver(TS_SECRET, test_event)})
    assert status == 204
    assert await vote_rows(pool) == []
    assert TS_SECRET not in caplog.text
    assert f"topserver delivery for server {server_id} from 127.0.0.1 refused (401)" in caplog.text


async def test_unknown_server_is_404_and_unconfigured_provider_the_uniform_401(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    bare = await add_server(pool, "Bare", guild_id=2)
    body = ts_body()
    headers = {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    for path in ("/webhooks/topserver/999999", "/webhooks/topserver/abc", "/webhooks/topserver/²"):
        status, text = await post(http, path, body, headers)
        assert status == 404, path
        assert "error" in json.loads(text)
    for path, sent in ((f"/webhooks/topserver/{bare}", headers), (f"/webhooks/topgg/{bare}", {"Authorization": "x"})):
        status, text = await post(http, path, body, sent)
        assert (status, json.loads(text)["error"]) == (401, UNAUTHORIZED), path  # says nothing of the configuration
    assert await vote_rows(pool) == []


# --------------------------------------------------------------------------- Top.gg


async def test_topgg_v1_valid_and_test_event(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, server_id: int, clock: MovableClock
) -> None:
    body = topgg_body()
    status, text = await post(
        http,
        f"/webhooks/topgg/{server_id}",
        body,
        {"x-topgg-signature": sign_topgg_v1(V1_SECRET, body, int(clock.now.timestamp()))},
    )
    assert status == 200, text
    rows = await vote_rows(pool, "topgg")
    assert len(rows) == 1 and rows[0]["discord_user_id"] == 160105994217586689 and rows[0]["weight"] == 2
    assert rows[0]["external_id"].startswith("k:")  # keyed so a backfill copy collides (see topgg_route)
    test = json.dumps({"type": "webhook.test", "data": {"user": {}, "project": {}}}).encode()
    status, _ = await post(
        http,
        f"/webhooks/topgg/{server_id}",
        test,
        {"x-topgg-signature": sign_topgg_v1(V1_SECRET, test, int(clock.now.timestamp()))},
    )
    assert status == 204
    assert len(await vote_rows(pool)) == 1


async def test_topgg_v1_rejections(
    http: aiohttp.ClientSession,
    pool: asyncpg.Pool,
    server_id: int,
    caplog: pytest.LogCaptureFixture,
    clock: MovableClock,
) -> None:
    body = topgg_body()
    now = int(clock.now.timestamp())
    path = f"/webhooks/topgg/{server_id}"
    flipped = bytearray(body)
    flipped[20] ^= 0x01
    cases = [
        (bytes(flipped), sign_topgg_v1(V1_SECRET, body, now), "v1 signature mismatch"),
        (body, sign_topgg_v1("whs_wrong_secret_000000", body, now), "v1 signature mismatch"),
        (body, sign_topgg_v1(V1_SECRET, body, now - 301), "outside the 300s window"),
        (body, sign_topgg_v1(V1_SECRET, body, now + 301), "outside the 300s window"),
        (body, "t=abc,v1=00", "malformed"),
    ]
    for payload, header, reason in cases:
        status, text = await post(http, path, payload, {"x-topgg-signature": header})
        assert status == 401 and json.loads(text)["error"] == UNAUTHORIZED, text  # the reason is only logged
        assert reason in caplog.text
    status, text = await post(http, path, body, {})
    assert status == 401 and json.loads(text)["error"] == UNAUTHORIZED
    status, text = await post(http, path, body, {"Authorization": "whatever"})
    assert status == 401 and json.loads(text)["error"] == UNAUTHORIZED
    assert "v1 webhook secret" in caplog.text  # v0 header against a v1 secret: the log says so
    status, _ = await post(http, path, b"{oops", {"x-topgg-signature": sign_topgg_v1(V1_SECRET, b"{oops", now)})
    assert status == 400
    assert await vote_rows(pool) == []
    assert V1_SECRET not in caplog.text


async def test_topgg_v0(http: aiohttp.ClientSession, pool: asyncpg.Pool, clock: MovableClock) -> None:
    sid = await add_server(pool, "Legacy", guild_id=3)
    await set_secret(pool, sid, "topgg", V0_SECRET)
    body = json.dumps({"bot": "42", "user": "160105994217586689", "type": "upvote", "isWeekend": True}).encode()
    status, _ = await post(http, f"/webhooks/topgg/{sid}", body, {"Authorization": "wrong"})
    assert status == 401
    status, text = await post(
        http,
        f"/webhooks/topgg/{sid}",
        body,
        {"x-topgg-signature": sign_topgg_v1("whs_x_00000000", body, int(clock.now.timestamp()))},
    )
    assert status == 401 and json.loads(text)["error"] == UNAUTHORIZED and "v0 Authorization secret" not in text
    for _ in range(2):
        status, _ = await post(http, f"/webhooks/topgg/{sid}", body, {"Authorization": V0_SECRET})
        assert status == 200
    rows = await vote_rows(pool, "topgg")
    assert len(rows) == 1 and rows[0]["weight"] == 2


async def test_100_concurrent_deliveries_of_one_vote(
    http: aiohttp.ClientSession,
    pool: asyncpg.Pool,
    server_id: int,
    clock: MovableClock,
) -> None:
    body = topgg_body()
    header = sign_topgg_v1(V1_SECRET, body, int(clock.now.timestamp()))
    results = await asyncio.gather(
        *(post(http, f"/webhooks/topgg/{server_id}", body, {"x-topgg-signature": header}) for _ in range(100))
    )
    assert {status for status, _ in results} == {200}
    assert sum(not json.loads(text)["duplicate"] for _, text in results) == 1
    assert len(await vote_rows(pool)) == 1
    assert await pool.fetchval("SELECT count(*) FROM vote_outbox") == 1


async def test_metrics_and_healthz(http: aiohttp.ClientSession, pool: asyncpg.Pool, server_id: int) -> None:
    body = ts_body()
    await post(
        http, f"/webhooks/topserver/{server_id}", body, {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    )
    await post(
        http, f"/webhooks/topserver/{server_id}", body, {"x-topserver-signature": sign_topserver(TS_SECRET, body)}
    )
    await post(http, f"/webhooks/topserver/{server_id}", body, {})
    async with http.get("/metrics") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        text = await response.text()
    assert 'votebot_votes_received_total{provider="topserver"} 3' in text
    assert 'votebot_votes_recorded_total{provider="topserver"} 1' in text
    assert 'votebot_votes_duplicate_total{provider="topserver"} 1' in text
    assert 'votebot_votes_rejected_total{provider="topserver",reason="signature"} 1' in text
    assert 'votebot_request_duration_seconds_bucket{le="+Inf"} 3' in text
    assert "votebot_request_duration_seconds_count 3" in text
    assert "votebot_outbox_backlog 1" in text
    async with http.get("/healthz") as response:
        health = await response.json()
    assert response.status == 200 and health["outbox_backlog"] == 1 and health["dispatcher_lag_seconds"] >= 0


async def test_replay_window_and_urls_come_from_config(
    pool: asyncpg.Pool,
    server_id: int,
    tmp_path,
    database_url: str,
    clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.app.config import load_config
    from tests.conftest import bot_environ

    environ = bot_environ(database_url, str(tmp_path / "data")) | {
        "VOTEBOT_WEBHOOKS__TOPGG_REPLAY_WINDOW": "60",
        "VOTEBOT_GAMEMONITORING__API_BASE_URL": "http://127.0.0.1:9/gm",
    }
    (tmp_path / "bot.toml").write_text("")
    manager = webhook_manager(load_config(tmp_path / "bot.toml", environ=environ), pool, clock)
    assert manager.intake.settings.gamemonitoring_api_base == "http://127.0.0.1:9/gm"
    await manager.run()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{manager.port}") as http:
            body = topgg_body()
            header = sign_topgg_v1(V1_SECRET, body, int(clock.now.timestamp()) - 100)
            status, _ = await post(http, f"/webhooks/topgg/{server_id}", body, {"x-topgg-signature": header})
            assert status == 401 and "60s window" in caplog.text
    finally:
        await manager.close()
