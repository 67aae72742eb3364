"""The owner's ``!sync <guild id>`` for a guild the bot is not in says how to invite it."""

from __future__ import annotations

from bot.app.extensions import features
from bot.core.guild_checks import invite_url, needed_permissions
from tests.e2e.harness import BotRunner
from tests.fakediscord import FakeDiscord

NOT_JOINED = 1_100_000_000_000_009_999


async def test_owner_sync_to_a_guild_the_bot_is_not_in(runner: BotRunner, fake: FakeDiscord) -> None:
    owner = fake.owner_id
    channel_id = int(fake.state.dm_channel_for(owner)["id"])
    start = len(fake.requests)
    fake.post_user_message(channel_id, owner, f"!sync {NOT_JOINED}")
    reply = await fake.wait_for_request("POST", rf"/channels/{channel_id}/messages$", start=start, timeout=10)
    url = invite_url(fake.application_id, needed_permissions(features()))
    assert reply["json"]["content"] == (
        f"I am not in guild {NOT_JOINED}. Invite me first with <{url}>, then send `!sync {NOT_JOINED}` again."
    )
    assert NOT_JOINED not in fake.state.commands
