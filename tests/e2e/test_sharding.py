"""``--shards/--shard-count``: each bot handles only the guilds of its shards."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import discord

from bot.app.client import VoteBot, point_at_api
from bot.app.config import Config
from bot.app.extensions import features
from bot.core.servers import ServerService
from tests.e2e.harness import BASIC, MEMBER
from tests.fakediscord import FakeDiscord

SHARD_COUNT = 2


def guild_on_shard(shard_id: int, start: int) -> int:
    guild_id = start
    while (guild_id >> 22) % SHARD_COUNT != shard_id:
        guild_id += 1 << 22
    return guild_id


async def test_each_shard_process_sees_only_its_guilds(config: Config, pool: asyncpg.Pool) -> None:
    fake = FakeDiscord(token="test-token", shard_count=SHARD_COUNT)
    await fake.start()
    guilds = {shard: guild_on_shard(shard, 1_200_000_000_000_000_000) for shard in range(SHARD_COUNT)}
    for shard, guild_id in guilds.items():
        fake.add_guild(
            {
                "id": str(guild_id),
                "name": f"Guild on shard {shard}",
                "channels": [{"id": str(guild_id + 10), "name": "general", "type": 0}],
                "members": [{"id": str(MEMBER), "name": "member", "roles": [], "permissions": str(BASIC)}],
            }
        )
        await ServerService(pool, features()).add(
            guild_id=guild_id, name=f"S{shard}", vote_url=f"https://e.com/{shard}"
        )
    point_at_api(fake.api_base_url)
    bots = [
        VoteBot(config=config, pool=pool, shard_ids=[shard], shard_count=SHARD_COUNT, guild_ready_timeout=0.05)
        for shard in range(SHARD_COUNT)
    ]
    tasks = [asyncio.create_task(bot.start(fake.token)) for bot in bots]
    try:
        await asyncio.wait_for(asyncio.gather(*(bot.wait_until_ready() for bot in bots)), timeout=20)
        for shard, bot in enumerate(bots):
            assert [g.id for g in bot.guilds] == [guilds[shard]]
        await bots[0].tree.sync()
        for shard, guild_id in guilds.items():
            created = await fake.interact(
                {
                    "guild_id": str(guild_id),
                    "channel_id": str(guild_id + 10),
                    "user_id": str(MEMBER),
                    "name": "vote",
                }
            )
            response = (await fake.wait_for_response(created["interaction_id"]))[0]
            assert response["data"]["embeds"][0]["title"] == f"Vote for S{shard}"
    finally:
        for bot in bots:
            await bot.close()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await task
        await fake.stop()
        discord.http.Route.BASE = "https://discord.com/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = discord.gateway.yarl.URL("wss://gateway.discord.gg/")
