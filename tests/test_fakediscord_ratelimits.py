"""The fake Discord's rate limits (switched on per fake): buckets and their headers, the global limit, the old-message
edit limit, the invalid-request counter, and 10,000 guilds at READY — driven by raw aiohttp and the real discord.py."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import build_interaction

TOKEN = "test-token"
GUILD_ID = 1000000000000000001
GENERAL = 2000000000000000001
OTHER = 2000000000000000002
HIDDEN = 2000000000000000003
ALICE = 3000000000000000001
VOTER_ROLE = 4000000000000000001
VIEW_CHANNEL = 1 << 10
MANY = [2100000000000000000 + n for n in range(60)]


def guild(bot_user_id: int) -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "Limits",
        "channels": [
            {"id": str(GENERAL), "name": "general", "type": 0},
            {"id": str(OTHER), "name": "other", "type": 0},
            {
                "id": str(HIDDEN),
                "name": "hidden",
                "type": 0,
                "permission_overwrites": [{"id": str(bot_user_id), "type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)}],
            },
            *({"id": str(cid), "name": f"c{n}", "type": 0} for n, cid in enumerate(MANY)),
        ],
        "roles": [{"id": str(VOTER_ROLE), "name": "voter", "permissions": "0", "position": 1}],
        "bot_role_position": 5,
        "members": [{"id": str(ALICE), "name": "alice", "roles": []}],
    }


class FrozenClock:
    """The limiter's clock, standing still unless a test moves it (so no test races the wall clock)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def started(
    rate_limits: bool = True, clock: Callable[[], float] | None = None, with_guild: bool = True
) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(token=TOKEN, rate_limits=rate_limits, rate_limit_clock=clock)
    await fake.start()
    if with_guild:
        fake.add_guild(guild(fake.bot_user_id))
    try:
        yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def client_on(fake: FakeDiscord) -> AsyncIterator[discord.AutoShardedClient]:
    """A plain discord.py client, ready, against ``fake``."""
    old_base = discord.http.Route.BASE
    discord.http.Route.BASE = fake.api_base_url
    client = discord.AutoShardedClient(intents=discord.Intents.default())
    task = asyncio.create_task(client.start(TOKEN))
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        await asyncio.wait({task, ready}, timeout=90, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            if task.done():
                task.result()
            pytest.fail("client did not become ready")
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
        discord.http.Route.BASE = old_base


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


async def post(http: aiohttp.ClientSession, fake: FakeDiscord, channel: int, content: str = "hi") -> Any:
    url = f"{fake.api_base_url}/channels/{channel}/messages"
    return await http.post(url, json={"content": content}, headers=auth())


async def limits(http: aiohttp.ClientSession, fake: FakeDiscord) -> dict[str, Any]:
    async with http.get(f"{fake.base_url}/_fake/ratelimits") as resp:
        assert resp.status == 200
        return dict(await resp.json())


async def test_headers_on_every_answer_and_remaining_decreases() -> None:
    async with started() as fake, aiohttp.ClientSession() as http:
        seen = []
        for n in range(3):
            async with await post(http, fake, GENERAL, f"m{n}") as resp:
                assert resp.status == 200
                seen.append(resp.headers)
        assert [h["X-RateLimit-Remaining"] for h in seen] == ["4", "3", "2"]
        assert {h["X-RateLimit-Limit"] for h in seen} == {"5"}
        assert {h["X-RateLimit-Scope"] for h in seen} == {"user"}
        assert len({h["X-RateLimit-Bucket"] for h in seen}) == 1
        resets = [float(h["X-RateLimit-Reset-After"]) for h in seen]
        assert 0 < resets[-1] <= resets[0] <= 5.0
        assert abs(float(seen[0]["X-RateLimit-Reset"]) - (time.time() + resets[0])) < 1.0
        # Another channel: a bucket of its own (the major parameter), with the same hash (the route's).
        async with await post(http, fake, OTHER) as resp:
            assert resp.headers["X-RateLimit-Remaining"] == "4"
            assert resp.headers["X-RateLimit-Bucket"] == seen[0]["X-RateLimit-Bucket"]
        # Errors of a limited route carry the headers too; role changes: 10 per 10 s per guild, shared by PUT/DELETE.
        async with await post(http, fake, HIDDEN) as resp:
            assert resp.status == 403 and resp.headers["X-RateLimit-Remaining"] == "4"
        role = f"{fake.api_base_url}/guilds/{GUILD_ID}/members/{ALICE}/roles/{VOTER_ROLE}"
        async with http.put(role, headers=auth()) as added, http.delete(role, headers=auth()) as removed:
            assert added.status == removed.status == 204
            assert added.headers["X-RateLimit-Limit"] == "10"
            assert [added.headers["X-RateLimit-Remaining"], removed.headers["X-RateLimit-Remaining"]] == ["9", "8"]
            assert added.headers["X-RateLimit-Bucket"] == removed.headers["X-RateLimit-Bucket"]
            assert added.headers["X-RateLimit-Bucket"] != seen[0]["X-RateLimit-Bucket"]
        # Any other route: the generous default.
        async with http.get(f"{fake.api_base_url}/channels/{GENERAL}", headers=auth()) as resp:
            assert resp.headers["X-RateLimit-Limit"] == "50"


async def test_burst_over_the_channel_limit_gets_a_route_429() -> None:
    async with started() as fake, aiohttp.ClientSession() as http:
        statuses, rejected = [], []
        for n in range(7):
            async with await post(http, fake, GENERAL, f"m{n}") as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    rejected.append((dict(resp.headers), await resp.json()))
        assert statuses == [200] * 5 + [429] * 2
        headers, body = rejected[0]
        assert body["global"] is False and 0 < body["retry_after"] <= 5.0
        assert headers["X-RateLimit-Scope"] == "user" and headers["X-RateLimit-Remaining"] == "0"
        assert "X-RateLimit-Global" not in headers and headers["Via"]
        assert len(fake.messages(GENERAL)) == 5
        assert [r.get("rate_limited") for r in fake.requests] == [None] * 5 + ["route"] * 2
        stats = await limits(http, fake)
        assert stats["429"] == {"global": 0, "route": 2, "old_message": 0, "shared": 0}
        # Both were sent after an answer said "0 left, reset in x s": predictable.
        assert stats["predictable_429s"] == 2
        (bucket,) = stats["buckets"]
        assert (bucket["bucket"], bucket["major"], bucket["429"], bucket["predictable_429s"]) == (
            "messages.create",
            str(GENERAL),
            2,
            2,
        )
        assert stats["invalid_requests_10min"] == 2 and stats["by_status"]["429"] == 2


async def test_discordpy_paces_itself_from_the_headers() -> None:
    async with started() as fake, client_on(fake) as client, aiohttp.ClientSession() as http:
        # 5 per second instead of Discord's 5 per 5 s: the same pacing, a shorter test.
        fake.ratelimits.configure({"routes": {"POST /channels/{channel_id}/messages": [5, 1.0]}})
        channel = client.get_channel(GENERAL)
        assert isinstance(channel, discord.TextChannel)
        fake.clear_requests()
        started_at = time.monotonic()
        sent = await asyncio.gather(*(channel.send(f"message {n}") for n in range(12)))
        elapsed = time.monotonic() - started_at
        assert len({m.id for m in sent}) == 12 and len(fake.messages(GENERAL)) == 12
        posts = [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/messages")]
        assert [r["status"] for r in posts] == [200] * 12  # not one 429: it waited for the resets
        assert elapsed >= 2.0  # three windows of 5: it really waited
        stats = await limits(http, fake)
        assert stats["429"]["route"] == stats["429"]["global"] == 0
        assert stats["predictable_429s"] == 0


async def test_global_limit_across_many_channels() -> None:
    clock = FrozenClock()  # 60 requests "within the same instant": well under a second
    async with started(clock=clock) as fake, aiohttp.ClientSession() as http:

        async def one(cid: int) -> tuple[int, dict[str, str], Any]:
            async with await post(http, fake, cid) as resp:
                return resp.status, dict(resp.headers), await resp.json()

        answers = await asyncio.gather(*(one(cid) for cid in MANY))
        assert sum(1 for status, _, _ in answers if status == 200) == 50
        rejected = [(h, b) for status, h, b in answers if status == 429]
        assert len(rejected) == 10
        for headers, body in rejected:
            assert body["global"] is True and body["message"] == "You are being rate limited."
            assert 0 < body["retry_after"] <= 1.0
            assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
        stats = await limits(http, fake)
        assert stats["429"]["global"] == 10 and stats["429"]["route"] == 0
        # The first global 429 could not be foreseen (no header announces the global limit); the 9 sent after it,
        # before its retry_after, could.
        assert stats["predictable_by_kind"]["global"] == 9
        clock.now += 1.0  # a second later: room again
        async with await post(http, fake, MANY[0]) as resp:
            assert resp.status == 200


async def test_interaction_callbacks_and_followups_are_outside_the_global_limit() -> None:
    clock = FrozenClock()
    async with started(clock=clock) as fake, aiohttp.ClientSession() as http:
        inter = build_interaction(
            fake.state, {"guild_id": GUILD_ID, "channel_id": GENERAL, "user_id": ALICE, "name": "vote"}
        )
        for cid in MANY[:50]:
            async with await post(http, fake, cid) as resp:
                assert resp.status == 200
        async with await post(http, fake, MANY[50]) as resp:
            assert resp.status == 429 and (await resp.json())["global"] is True
        callback = f"{fake.api_base_url}/interactions/{inter.id}/{inter.token}/callback"
        async with http.post(callback, json={"type": 5}) as resp:
            assert resp.status == 204
            assert "X-RateLimit-Global" not in resp.headers and resp.headers["X-RateLimit-Scope"] == "user"
        followup = f"{fake.api_base_url}/webhooks/{fake.application_id}/{inter.token}?wait=true"
        async with http.post(followup, json={"content": "done"}) as resp:
            assert resp.status == 200
        edit = f"{fake.api_base_url}/webhooks/{fake.application_id}/{inter.token}/messages/@original"
        async with http.patch(edit, json={"content": "edited"}) as resp:
            assert resp.status == 200
        assert [r["kind"] for r in fake.responses(inter.id)] == ["callback", "followup", "edit_original"]
        async with await post(http, fake, MANY[51]) as resp:
            assert resp.status == 429  # the bot token is still limited
        stats = await limits(http, fake)
        assert stats["429"]["global"] == 2 and stats["global"]["requests"] == 50


async def test_old_message_edits_have_a_tighter_limit() -> None:
    clock = FrozenClock()
    async with started(clock=clock) as fake, aiohttp.ClientSession() as http:

        async def edit(mid: str, content: str) -> tuple[int, dict[str, str], Any]:
            url = f"{fake.api_base_url}/channels/{GENERAL}/messages/{mid}"
            async with http.patch(url, json={"content": content}, headers=auth()) as resp:
                return resp.status, dict(resp.headers), await resp.json()

        async with await post(http, fake, GENERAL, "board") as resp:
            old = (await resp.json())["id"]
        async with await post(http, fake, GENERAL, "fresh") as resp:
            young = (await resp.json())["id"]
        # A young message: the channel's edit bucket only (5 per 5 s).
        assert [(await edit(young, f"v{n}"))[0] for n in range(2)] == [200, 200]
        async with http.post(f"{fake.base_url}/_fake/messages/{old}/age", json={"seconds": 3601}) as resp:
            assert resp.status == 200 and (await resp.json())["age"] > 3600
        status, headers, _ = await edit(old, "v1")
        assert status == 200 and headers["X-RateLimit-Remaining"] == "2"  # the channel's bucket, as Discord shows
        main_hash = headers["X-RateLimit-Bucket"]
        status, headers, body = await edit(old, "v2")  # 1 per 5 s for messages older than an hour
        assert status == 429 and body["global"] is False and 0 < body["retry_after"] <= 5.0
        assert headers["X-RateLimit-Bucket"] != main_hash and headers["X-RateLimit-Remaining"] == "0"
        assert [m["content"] for m in fake.messages(GENERAL)] == ["v1", "v1"]
        assert (await edit(young, "v3"))[0] == 200  # young messages in the channel are not held back
        status, _, _ = await edit(old, "v4")  # again, before the announced retry: predictable
        assert status == 429
        stats = await limits(http, fake)
        assert stats["429"]["old_message"] == 2 and stats["predictable_by_kind"]["old_message"] == 1
        clock.now += 5.0
        assert (await edit(old, "v5"))[0] == 200
        # The other way to age a message: the limiter's clock (the message's snowflake time stays).
        async with await post(http, fake, OTHER, "other board") as resp:
            other = (await resp.json())["id"]
        clock.now += 3601
        url = f"{fake.api_base_url}/channels/{OTHER}/messages/{other}"
        codes = []
        for n in range(2):
            async with http.patch(url, json={"content": f"o{n}"}, headers=auth()) as resp:
                codes.append(resp.status)
        assert codes == [200, 429]


async def test_invalid_requests_are_counted_in_a_sliding_ten_minutes() -> None:
    clock = FrozenClock()
    async with started(clock=clock) as fake, aiohttp.ClientSession() as http:
        fake.ratelimits.configure({"routes": {"POST /channels/{channel_id}/messages": [1, 60.0]}})
        for _ in range(3):  # the channel denies the bot: 403
            async with http.get(f"{fake.api_base_url}/channels/{HIDDEN}/messages", headers=auth()) as resp:
                assert resp.status == 403
        for _ in range(2):
            async with http.get(f"{fake.api_base_url}/users/@me", headers=auth("wrong")) as resp:
                assert resp.status == 401
        for expected in (200, 429):
            async with await post(http, fake, GENERAL) as resp:
                assert resp.status == expected
        fake.add_fault({"method": "GET", "path_regex": "^/users/@me$", "status": 429, "retry_after": 0.01})
        async with http.get(f"{fake.api_base_url}/users/@me", headers=auth()) as resp:
            assert resp.status == 429 and resp.headers["X-RateLimit-Scope"] == "shared"
        stats = await limits(http, fake)
        assert stats["invalid_requests_10min"] == 6  # a shared-scope 429 is not counted, as on Discord
        assert stats["by_status"] == {"401": 2, "403": 3, "429": 1}
        assert stats["429"] == {"global": 0, "route": 1, "old_message": 0, "shared": 1}
        clock.now += 300
        async with http.get(f"{fake.api_base_url}/users/@me", headers=auth("wrong")) as resp:
            assert resp.status == 401
        assert (await limits(http, fake))["invalid_requests_10min"] == 7
        async with http.post(f"{fake.base_url}/_fake/ratelimits/clock", json={"advance": 300.5}) as resp:
            assert resp.status == 200
        stats = await limits(http, fake)
        assert stats["invalid_requests_10min"] == 1 and stats["by_status"] == {"401": 1, "403": 0, "429": 0}
        assert stats["invalid_requests_total"] == 7


async def test_off_by_default_and_switchable() -> None:
    async with started(rate_limits=False) as fake, aiohttp.ClientSession() as http:
        for n in range(8):
            async with await post(http, fake, GENERAL, f"m{n}") as resp:
                assert resp.status == 200
                assert not any(h.lower().startswith("x-ratelimit") for h in resp.headers)
        async with await post(http, fake, HIDDEN) as resp:
            assert resp.status == 403
        stats = await limits(http, fake)
        assert stats["enabled"] is False and stats["by_status"]["403"] == 1  # counted even when not limiting
        async with http.post(f"{fake.base_url}/_fake/ratelimits", json={"enabled": True}) as resp:
            assert (await resp.json())["enabled"] is True
        async with await post(http, fake, GENERAL) as resp:
            assert resp.headers["X-RateLimit-Remaining"] == "4"
        async with http.post(f"{fake.base_url}/_fake/ratelimits", json={"enabled": False}) as resp:
            assert (await resp.json())["enabled"] is False
        async with await post(http, fake, GENERAL) as resp:
            assert "X-RateLimit-Remaining" not in resp.headers


async def test_command_line_flag() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakediscord", "--rate-limits", "--bulk-guilds", "3", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        api_base = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        base = api_base.removesuffix("/api/v10")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/_fake/ratelimits") as resp:
                assert (await resp.json())["enabled"] is True
            async with http.get(f"{base}/_fake/state") as resp:
                assert len((await resp.json())["guilds"]) == 3
    finally:
        proc.terminate()
        await proc.wait()


async def test_ten_thousand_guilds_at_ready() -> None:
    async with started(with_guild=False) as fake, aiohttp.ClientSession() as http:
        began = time.monotonic()
        bulk = {"count": 10_000, "channels_per_guild": 1}
        async with http.post(f"{fake.base_url}/_fake/guilds/bulk", json=bulk) as resp:
            assert resp.status == 200
            created = await resp.json()
        assert created["count"] == 10_000 and len(created["guilds"][0]["channels"]) == 1
        made = time.monotonic() - began
        began = time.monotonic()
        async with client_on(fake) as client:
            ready = time.monotonic() - began
            assert len(client.guilds) == 10_000
            some = client.get_guild(int(created["guilds"][-1]["id"]))
            assert some is not None and len(some.text_channels) == 1
        print(f"10,000 guilds: created in {made:.2f} s, discord.py ready in {ready:.2f} s")
        assert ready < 60


async def test_injected_outages_spend_no_token_and_api_errors_do() -> None:
    async with started() as fake, aiohttp.ClientSession() as http:
        fake.add_fault({"method": "POST", "path_regex": r"/messages$", "status": 503, "count": 10})
        for _ in range(10):  # an outage answers before the limiter: no bucket headers, nothing spent
            async with await post(http, fake, GENERAL) as resp:
                assert resp.status == 503 and "X-RateLimit-Remaining" not in resp.headers
        fake.add_fault({"method": "POST", "path_regex": r"/messages$", "status": 403, "count": 1})
        async with await post(http, fake, GENERAL) as resp:  # an API error: the limiter counted it
            assert resp.status == 403 and resp.headers["X-RateLimit-Remaining"] == "4"
        async with await post(http, fake, GENERAL) as resp:
            assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "3"
