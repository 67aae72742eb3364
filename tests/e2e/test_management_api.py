"""The management API end to end: real HTTP into the running bot's web server, with the server's API key.

Keys (missing, wrong, another server's), the throttle, the features' shape, switching a feature on with a channel
(the notice reaches the fake's channel), the same refusals as the slash commands, options, status, the votes
summary, and the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import asyncpg
import discord
import pytest

from bot.app.config import Config
from bot.app.extensions import EXTENSIONS, features
from bot.core import i18n
from bot.core.errors import UserError
from bot.core.servers import CreatedServer, ServerService
from bot.core.validation import clean_timezone
from bot.db.transaction import transaction
from cogs.leaderboards.spec import REFRESH_MINUTES
from cogs.status.alerts import MonitorState, State
from cogs.status.query import QueryResult
from cogs.status.repository import StatusRepository
from tests.clock import MovableClock
from tests.e2e.engagement_helpers import wait_until
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, LOCKED, ROLE_HIGH, ROLE_VOTER, BotRunner, reply_text
from tests.e2e.test_stats import record_vote
from tests.fakediscord import FakeDiscord

JSON = {"content-type": "application/json"}


@pytest.fixture
async def http(runner: BotRunner) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=runner.web_url) as session:
        yield session


async def add(pool: asyncpg.Pool, name: str = "Survival", guild_id: int = GUILD_ID) -> CreatedServer:
    return await ServerService(pool, features()).add(
        guild_id=guild_id, name=name, vote_url=f"https://top-server.example/s/{name.lower()}"
    )


def bearer(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


async def call(
    http: aiohttp.ClientSession, method: str, path: str, key: str | None, body: Any = None, **headers: str
) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    sent = {**(bearer(key) if key is not None else {}), **headers}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("content-type", "application/json")
    async with http.request(method, f"/api/v1/servers{path}", data=data, headers=sent) as response:
        return response.status, await response.json(), response.headers


# ---------------------------------------------------------------------------------------------- keys


async def test_wrong_or_missing_key_is_401_and_another_servers_id_404(
    http: aiohttp.ClientSession, pool: asyncpg.Pool
) -> None:
    alpha, beta = await add(pool, "Alpha"), await add(pool, "Beta", guild_id=GUILD_ID + 1)
    a, b = alpha.server.id, beta.server.id

    status, body, headers = await call(http, "GET", f"/{a}", None)
    assert (status, body["ok"]) == (401, False) and headers["WWW-Authenticate"].startswith("Bearer")
    status, body, headers = await call(http, "GET", f"/{a}", "vb_not-a-key")
    assert status == 401 and body == {"ok": False, "error": "invalid or missing API key"}
    assert headers["WWW-Authenticate"].startswith("Bearer")
    async with http.get(f"/api/v1/servers/{a}", headers={"Authorization": f"Basic {alpha.api_key}"}) as response:
        assert response.status == 401  # only Bearer

    # A valid key opens its own server only: another server's id, an unknown id or no id look the same (404).
    for path in (f"/{b}", f"/{b}/features", f"/{b}/votes/summary", f"/{b}/features/reminders", "/999999", "/x"):
        status, body, _ = await call(http, "GET", path, alpha.api_key)
        assert status == 404 and body["ok"] is False, path
    status, _, _ = await call(http, "PATCH", f"/{b}", alpha.api_key, {"timezone": "Europe/Berlin"})
    assert status == 404
    assert (await ServerService(pool, features()).get(b)).timezone == "UTC"  # nothing changed on Beta

    status, body, _ = await call(http, "GET", f"/{a}", alpha.api_key)
    assert status == 200 and body["ok"] is True
    assert body["server"]["name"] == "Alpha" and body["server"]["guild_id"] == str(GUILD_ID)
    status, body, _ = await call(http, "GET", f"/{b}", beta.api_key)
    assert status == 200 and body["server"]["name"] == "Beta"


async def test_failed_keys_are_throttled_with_retry_after(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, clock: MovableClock
) -> None:
    created = await add(pool)
    path = f"/{created.server.id}"
    statuses = [(await call(http, "GET", path, f"vb_guess-{n}"))[0] for n in range(30)]
    assert statuses == [401] * 30  # webhooks.failed_auth_per_minute = 30
    status, body, headers = await call(http, "GET", path, "vb_guess-31")
    assert status == 429 and int(headers["Retry-After"]) >= 1 and body["ok"] is False
    status, _, _ = await call(http, "GET", path, created.api_key)
    assert status == 429  # the source is blocked, right key or not: guessing gains nothing
    clock.advance(seconds=int(headers["Retry-After"]))
    status, _, _ = await call(http, "GET", path, created.api_key)
    assert status == 200
    status, _, _ = await call(http, "GET", f"/{created.server.id + 1}", created.api_key)
    assert status == 404  # a valid key on the wrong id is not a failed attempt…
    assert (await call(http, "GET", path, created.api_key))[0] == 200  # …so it does not block


# ---------------------------------------------------------------------------------------------- features


async def test_features_list_every_declaration_with_its_bounds(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    created = await add(pool)
    status, body, _ = await call(http, "GET", f"/{created.server.id}/features", created.api_key)
    assert status == 200 and body["master_enabled"] is True
    listed = {feature["name"]: feature for feature in body["features"]}
    assert list(listed) == list(features().names)
    board = listed["top10_board"]
    assert board["label"] == "Live top-10 voters board" and board["enabled"] is False
    assert board["channel_id"] is None and board["settings"] == {"refresh_minutes": 10}
    assert board["declaration"]["needs_channel"] is True
    (refresh,) = board["declaration"]["settings"]
    assert refresh == {
        "name": "refresh_minutes",
        "option": "board_refresh",
        "label": "board refresh",
        "kind": "int",
        "default": 10,
        "minimum": 1,
        "maximum": 60,
        "choices": [],
        "max_items": None,
        "zero_means_off": False,
        "unit": "minute",
        "description": REFRESH_MINUTES.description,
    }
    ties = listed["top_voter_role"]["declaration"]["settings"][0]
    assert ties["kind"] == "choice" and ties["choices"] == ["all", "first"] and ties["default"] == "all"
    assert listed["top_voter_role"]["declaration"]["grants_role"] is True

    status, body, _ = await call(http, "GET", f"/{created.server.id}/features/top10_board", created.api_key)
    assert status == 200 and body["feature"] == board
    for unknown in ("nope", "all"):
        status, body, _ = await call(http, "GET", f"/{created.server.id}/features/{unknown}", created.api_key)
        assert status == 404 and "unknown feature" in body["error"]
    status, _, _ = await call(http, "PATCH", f"/{created.server.id}/features/nope", created.api_key, {"enabled": True})
    assert status == 404


async def test_enabling_with_a_channel_posts_the_notice_there(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord, runner: BotRunner
) -> None:
    created = await add(pool)
    path = f"/{created.server.id}/features/reminders"
    status, body, _ = await call(
        http, "PATCH", path, created.api_key, {"enabled": True, "channel_id": str(GENERAL), "role_id": str(ROLE_VOTER)}
    )
    assert status == 200, body
    assert fake.messages(GENERAL)[-1]["content"] == "✅ **Survival**'s vote reminders will be posted in this channel."
    feature = body["feature"]
    assert (
        feature["enabled"] is True and feature["channel_id"] == str(GENERAL) and feature["role_id"] == str(ROLE_VOTER)
    )
    assert body["messages"][0].startswith(f"Turned on **Vote reminders** for **Survival** in <#{GENERAL}>")
    setting = await ServerService(pool, features()).setting(created.server.id, "reminders")
    assert setting is not None and setting.enabled and setting.channel_id == GENERAL and setting.role_id == ROLE_VOTER

    # A feature that is on moves to another channel as /feature enable moves it: the notice there first.
    other = 1_100_000_000_000_000_012
    fake.add_channel({"guild_id": str(GUILD_ID), "id": str(other), "name": "votes", "type": 0})
    await wait_until(lambda: runner.running.get_channel(other) is not None)
    status, body, _ = await call(http, "PATCH", path, created.api_key, {"channel_id": str(other)})
    assert status == 200 and body["feature"]["channel_id"] == str(other) and body["feature"]["enabled"] is True
    assert fake.messages(other)[-1]["content"] == "✅ **Survival**'s vote reminders will be posted in this channel."

    # Off again: the channel and role are kept, as /feature disable keeps them.
    status, body, _ = await call(http, "PATCH", path, created.api_key, {"enabled": False})
    assert status == 200 and body["feature"]["enabled"] is False and body["feature"]["channel_id"] == str(other)


async def test_a_channel_or_role_the_bot_cannot_use_changes_nothing(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, fake: FakeDiscord, runner: BotRunner
) -> None:
    created = await add(pool)
    path = f"/{created.server.id}/features/reminders"
    before = len(fake.messages(LOCKED))
    status, body, _ = await call(http, "PATCH", path, created.api_key, {"enabled": True, "channel_id": str(LOCKED)})
    slash = reply_text(await runner.command(ADMIN, "feature enable", feature="reminders", channel=str(LOCKED)))
    assert status == 422 and body["error"] == slash and "Send Messages" in slash
    status, body, _ = await call(http, "PATCH", path, created.api_key, {"enabled": True, "channel_id": "123"})
    assert status == 422 and "can't see that channel" in body["error"]
    status, body, _ = await call(http, "PATCH", path, created.api_key, {"enabled": True})
    assert status == 422 and body["error"].startswith("To turn on Vote reminders, choose a channel")
    # A role above the bot's own cannot be handed out (the top-voter role is given and taken by the bot).
    role_path = f"/{created.server.id}/features/top_voter_role"
    status, body, _ = await call(
        http, "PATCH", role_path, created.api_key, {"enabled": True, "role_id": str(ROLE_HIGH)}
    )
    assert status == 422 and "above my highest role" in body["error"]
    status, body, _ = await call(http, "PATCH", role_path, created.api_key, {"role_id": "42"})
    assert status == 422 and body["error"] == "That role no longer exists."
    assert len(fake.messages(LOCKED)) == before
    for feature in ("reminders", "top_voter_role"):
        setting = await ServerService(pool, features()).setting(created.server.id, feature)
        assert setting is not None and not setting.enabled and setting.channel_id is None and setting.role_id is None


async def test_settings_out_of_bounds_get_the_slash_commands_refusal(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, runner: BotRunner
) -> None:
    created = await add(pool)
    board = f"/{created.server.id}/features/top10_board"
    with pytest.raises(UserError) as refused:
        REFRESH_MINUTES.parse(0)
    status, body, _ = await call(http, "PATCH", board, created.api_key, {"settings": {"board_refresh": 0}})
    assert status == 422 and body["error"] == str(refused.value) == "The board refresh must be 1 to 60 minutes, not 0."
    status, body, _ = await call(http, "PATCH", board, created.api_key, {"settings": {"refresh_minutes": 61}})
    assert status == 422 and body["error"] == "The board refresh must be 1 to 60 minutes, not 61."

    # The slash command's own words, in English and in the language Accept-Language picks.
    daily = f"/{created.server.id}/features/daily_leaderboard"
    slash = reply_text(await runner.command(ADMIN, "leaderboards settings", post_time="25:99"))
    status, body, _ = await call(http, "PATCH", daily, created.api_key, {"settings": {"post_time": "25:99"}})
    assert status == 422 and body["error"] == slash and "24-hour clock" in slash
    french = reply_text(await runner.command(ADMIN, "leaderboards settings", locale="fr", post_time="25:99"))
    status, body, _ = await call(
        http,
        "PATCH",
        daily,
        created.api_key,
        {"settings": {"post_time": "25:99"}},
        **{"Accept-Language": "fr-CH, en;q=0.5"},
    )
    assert status == 422 and body["error"] == french and french != slash
    status, body, _ = await call(http, "PATCH", daily, created.api_key, {"settings": {"colour": "red"}})
    assert status == 422 and "has no setting `colour`" in body["error"]

    # Nothing was stored by the refusals; a value in bounds is.
    service = ServerService(pool, features())
    for feature in ("top10_board", "daily_leaderboard"):
        assert service.current_settings(await service.setting(created.server.id, feature), feature) == {
            spec.name: spec.default for spec in service.spec(feature).settings
        }
    status, body, _ = await call(http, "PATCH", board, created.api_key, {"settings": {"board_refresh": 30}})
    assert (
        status == 200 and body["feature"]["settings"] == {"refresh_minutes": 30} and body["feature"]["enabled"] is False
    )
    assert (await service.setting(created.server.id, "top10_board")).settings["refresh_minutes"] == 30  # type: ignore[union-attr]


async def test_bad_bodies_are_refused_before_anything_changes(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    created = await add(pool)
    key, server_id = created.api_key, created.server.id
    for path in (f"/{server_id}", f"/{server_id}/features/reminders"):
        status, body, _ = await call(http, "PATCH", path, key, b"{not json")
        assert status == 400 and "not valid JSON" in body["error"]
        status, body, _ = await call(http, "PATCH", path, key, b"[1, 2]")
        assert status == 400 and "JSON object" in body["error"]
        status, body, _ = await call(http, "PATCH", path, key, {})
        assert status == 400 and "nothing to change" in body["error"]
        status, body, _ = await call(http, "PATCH", path, key, b'{"enabled": true}', **{"content-type": "text/plain"})
        assert status == 415 and body["ok"] is False
        async with http.patch(f"/api/v1/servers{path}", data=b"x" * 70_000, headers=bearer(key, **JSON)) as response:
            assert response.status == 413
    status, body, _ = await call(http, "PATCH", f"/{server_id}", key, {"timezone": "UTC", "colour": 1, "shape": 2})
    assert status == 400 and "colour, shape" in body["error"]
    status, body, _ = await call(http, "PATCH", f"/{server_id}", key, {"name": "Other"})
    assert status == 400 and "read-only" in body["error"] and "name" in body["error"]
    status, body, _ = await call(http, "PATCH", f"/{server_id}", key, {"vote_cooldown_hours": "6"})
    assert status == 400 and body["error"] == "vote_cooldown_hours must be a number"
    status, body, _ = await call(http, "PATCH", f"/{server_id}", key, {"enabled": "no"})
    assert status == 400 and body["error"] == "enabled must be true or false"
    feature = f"/{server_id}/features/reminders"
    status, body, _ = await call(http, "PATCH", feature, key, {"enabled": True, "channel": str(GENERAL)})
    assert status == 400 and "unknown field(s): channel" in body["error"]
    status, body, _ = await call(http, "PATCH", feature, key, {"channel_id": "#general"})
    assert status == 400 and "channel_id must be a Discord id" in body["error"]
    status, body, _ = await call(http, "PATCH", feature, key, {"settings": ["channel_ping"]})
    assert status == 400 and "settings must be an object" in body["error"]
    server = await ServerService(pool, features()).get(server_id)
    assert server == created.server


# ---------------------------------------------------------------------------------------------- options


async def test_options_and_master_switch_go_through_the_service(
    http: aiohttp.ClientSession, pool: asyncpg.Pool
) -> None:
    created = await add(pool)
    path, key = f"/{created.server.id}", created.api_key
    status, body, _ = await call(
        http,
        "PATCH",
        path,
        key,
        {"timezone": "Europe/Berlin", "vote_cooldown_hours": 6, "address": "play.example.com:25565", "enabled": False},
    )
    assert status == 200, body
    shown = body["server"]
    assert shown["timezone"] == "Europe/Berlin" and shown["vote_cooldown_hours"] == 6
    assert shown["address"] == "play.example.com:25565" and shown["enabled"] is False
    assert body["messages"][0].startswith("Saved. Options of **Survival**: time zone Europe/Berlin")
    assert "master switch is off" in body["messages"][1]
    stored = await ServerService(pool, features()).get(created.server.id)
    assert stored.timezone == "Europe/Berlin" and stored.vote_cooldown == dt.timedelta(hours=6)
    assert not stored.enabled
    status, body, _ = await call(http, "GET", f"{path}/features", key)
    assert body["master_enabled"] is False

    # Refusals are the service's own words (the slash command's), and change nothing.
    with pytest.raises(UserError) as refused:
        clean_timezone("Mars/Olympus")
    status, body, _ = await call(http, "PATCH", path, key, {"timezone": "Mars/Olympus", "enabled": True})
    assert status == 422 and body["error"] == str(refused.value)
    status, body, _ = await call(http, "PATCH", path, key, {"vote_cooldown_hours": 500})
    assert status == 422 and body["error"].startswith("The vote cooldown must be 1 to 168 hours")
    with i18n.speaking(i18n.language("de") or i18n.ENGLISH), pytest.raises(UserError) as refused_in_german:
        clean_timezone("Mars/Olympus")
    german = str(refused_in_german.value)
    status, body, _ = await call(http, "PATCH", path, key, {"timezone": "Mars/Olympus"}, **{"Accept-Language": "de"})
    assert status == 422 and body["error"] == german != str(refused.value)
    assert await ServerService(pool, features()).get(created.server.id) == stored

    status, body, _ = await call(http, "PATCH", path, key, {"enabled": True, "language": "fr"})
    assert status == 200 and body["server"]["enabled"] is True and body["server"]["language"] == "fr"


# ---------------------------------------------------------------------------------------------- status, votes


async def test_status_is_the_last_known_one(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, clock: MovableClock
) -> None:
    created = await add(pool)
    path, key = f"/{created.server.id}/status", created.api_key
    status, body, _ = await call(http, "GET", path, key)
    assert status == 200 and body["status"]["monitored"] is False and body["status"]["state"] == "unknown"
    assert body["status"]["last_result"] is None

    checked = clock.now - dt.timedelta(minutes=2)
    result = QueryResult(online=True, players=7, max_players=20, name="Survival", version="1.21", latency_ms=12.5)
    async with transaction(pool) as connection:
        await StatusRepository(pool).record_probe(
            connection, created.server.id, checked, result, MonitorState(State.UP, since=checked), None
        )
    status, body, _ = await call(http, "GET", path, key)
    assert status == 200
    shown = body["status"]
    assert shown["monitored"] is True and shown["state"] == "up"
    assert shown["last_check_at"] == checked.isoformat() and shown["since"] == checked.isoformat()
    assert shown["last_result"]["online"] is True and shown["last_result"]["players"] == 7
    assert shown["last_result"]["max_players"] == 20 and shown["last_result"]["version"] == "1.21"
    assert shown["uptime"]["days"] == 7


@pytest.fixture
async def runner_without_status(
    fake: FakeDiscord, config: Config, pool: asyncpg.Pool, clock: MovableClock
) -> AsyncIterator[BotRunner]:
    running = BotRunner(fake, config, pool, clock, extensions=tuple(e for e in EXTENSIONS if e != "cogs.status"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        discord.http.Route.BASE = "https://discord.com/api/v10"


async def test_status_is_404_without_the_status_feature(runner_without_status: BotRunner, pool: asyncpg.Pool) -> None:
    created = await add(pool)
    async with aiohttp.ClientSession(base_url=runner_without_status.web_url) as http:
        status, body, _ = await call(http, "GET", f"/{created.server.id}/status", created.api_key)
        assert status == 404 and body["error"] == "the status feature is not loaded in this bot"
        assert (await call(http, "GET", f"/{created.server.id}", created.api_key))[0] == 200


async def test_votes_summary_counts_in_the_servers_time_zone(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, clock: MovableClock
) -> None:
    created = await add(pool)
    server = await ServerService(pool, features()).update_options(created.server, timezone="America/New_York")
    clock.set(dt.datetime(2026, 11, 18, 3, 0, tzinfo=dt.UTC))  # still the 17th in New York (22:00)
    await record_vote(pool, server, "t1", dt.datetime(2026, 11, 17, 15, tzinfo=dt.UTC), "topgg", discord_user_id=ADMIN)
    await record_vote(pool, server, "t2", dt.datetime(2026, 11, 18, 2, tzinfo=dt.UTC), "topgg", discord_user_id=ADMIN)
    await record_vote(pool, server, "s1", dt.datetime(2026, 11, 17, 20, tzinfo=dt.UTC), player_name="Steve")
    await record_vote(pool, server, "s2", dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), player_name="Steve")
    await record_vote(pool, server, "s3", dt.datetime(2026, 11, 1, 3, tzinfo=dt.UTC), player_name="Steve")  # Oct 31
    await record_vote(pool, server, "old", dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), player_name="Alex")

    status, body, _ = await call(http, "GET", f"/{server.id}/votes/summary", created.api_key)
    assert status == 200, body
    assert body["timezone"] == "America/New_York"
    assert body["today"] == {"day": "2026-11-17", "votes": 3}
    assert body["month"] == {"month": "2026-11", "votes": 4}
    assert body["total"] == 6
    daily = body["daily"]
    assert len(daily) == 30 and daily[0]["day"] == "2026-10-19" and daily[-1]["day"] == "2026-11-17"
    by_day = {d["day"]: d for d in daily}
    assert by_day["2026-11-17"] == {"day": "2026-11-17", "votes": 3, "by_site": {"topgg": 2, "topserver": 1}}
    assert by_day["2026-10-31"]["votes"] == 1 and by_day["2026-11-02"]["votes"] == 1
    assert sum(d["votes"] for d in daily) == 5
    assert body["top_voters"] == [  # a tie: whoever got there first
        {"member_id": None, "name": "Steve", "votes": 2},
        {"member_id": str(ADMIN), "name": None, "votes": 2},
    ]


# ---------------------------------------------------------------------------------------------- audit log


async def test_api_changes_are_in_the_audit_log(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    """Needs the audit log (table ``audit_log``, written by ServerService with the actor in force): it passes once
    that work is merged."""
    created = await add(pool)
    server_id, key = created.server.id, created.api_key
    assert (await call(http, "PATCH", f"/{server_id}", key, {"timezone": "Europe/Paris"}))[0] == 200
    feature = f"/{server_id}/features/reminders"
    assert (await call(http, "PATCH", feature, key, {"enabled": True, "channel_id": str(GENERAL)}))[0] == 200
    assert (await call(http, "PATCH", f"/{server_id}/features/top10_board", key, {"settings": {"board_refresh": 5}}))[
        0
    ] == 200
    assert (await call(http, "PATCH", f"/{server_id}/features/top10_board", key, {"settings": {"board_refresh": 0}}))[
        0
    ] == 422
    rows = await pool.fetch(
        "SELECT guild_id, source, user_id, actor, action, details FROM audit_log WHERE server_id = $1 ORDER BY id",
        server_id,
    )
    assert [row["action"] for row in rows] == ["server.options", "feature.on", "feature.configure"]
    assert all(row["source"] == "api" and row["user_id"] is None and row["actor"] == "API key" for row in rows)
    assert all(row["guild_id"] == GUILD_ID for row in rows)
    details = [row["details"] if isinstance(row["details"], dict) else json.loads(row["details"]) for row in rows]
    assert "Europe/Paris" in json.dumps(details[0])
    assert "reminders" in json.dumps(details[1]) and "5" in json.dumps(details[2])
