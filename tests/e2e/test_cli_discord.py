"""The operator CLI as a process, talking to the fake Discord over REST with the bot token."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.app.extensions import features
from bot.core.guild_checks import invite_url, needed_permissions
from bot.core.servers import ServerService
from tests.conftest import bot_environ
from tests.e2e.harness import GENERAL, GUILD_ID, LOCKED, ROLE_HIGH, ROLE_VOTER
from tests.fakediscord import FakeDiscord

NOT_JOINED = 1_100_000_000_000_009_999
OTHER_GUILD = 1_100_000_000_000_008_000
OTHER_CHANNEL = 1_100_000_000_000_008_010
CLOSED_PORT = "http://127.0.0.1:9/api/v10"  # nothing listens there


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def votebot(tmp_path: Path, database_url: str, fake: FakeDiscord | None, *args: str, **env: str) -> Ran:
    (tmp_path / "bot.toml").touch()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k != "DISCORD_TOKEN"}
    environ |= bot_environ(database_url, str(tmp_path / "data"))
    if fake is not None:
        environ |= {"DISCORD_TOKEN": fake.token, "VOTEBOT_DISCORD__API_BASE_URL": fake.api_base_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, "--config", str(tmp_path / "bot.toml"),
        env=environ | env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Ran(process.returncode, stdout.decode(), stderr.decode())


async def test_sync_to_a_guild_the_bot_is_not_in_says_how_to_invite_it(
    tmp_path: Path, database_url: str, fake: FakeDiscord
) -> None:
    refused = await votebot(tmp_path, database_url, fake, "sync", "--guild", str(NOT_JOINED))
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr
    url = invite_url(fake.application_id, needed_permissions(features()))
    assert refused.stderr.strip() == (
        f"votebot: error: the bot is not in guild {NOT_JOINED}. Invite it first with {url} and run this command again."
    )
    assert NOT_JOINED not in fake.state.commands

    synced = await votebot(tmp_path, database_url, fake, "sync", "--guild", str(GUILD_ID))
    assert synced.returncode == 0, synced.stderr
    assert f"to guild {GUILD_ID}" in synced.stdout and fake.state.commands[GUILD_ID]


async def linked_server(pool: asyncpg.Pool) -> int:
    created = await ServerService(pool, features()).add(guild_id=GUILD_ID, name="Survival", vote_url="https://e.com/v")
    return created.server.id


async def stored(pool: asyncpg.Pool, server_id: int, feature: str) -> dict[str, object]:
    row = await pool.fetchrow(
        "SELECT enabled, channel_id, role_id FROM server_features WHERE server_id=$1 AND feature=$2",
        server_id,
        feature,
    )
    return dict(row) if row is not None else {"enabled": False, "channel_id": None, "role_id": None}


async def test_feature_set_checks_the_channel_with_discord(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked_server(pool)
    fake.add_guild({"id": str(OTHER_GUILD), "name": "Elsewhere", "channels": [{"id": str(OTHER_CHANNEL), "type": 0}]})

    async def feature_set(*args: str, **env: str) -> Ran:
        return await votebot(tmp_path, database_url, fake, "feature", "set", str(server), "reminders", *args, **env)

    for channel, message in (
        (999, "there is no channel 999 on Discord; check the id (--channel)."),
        (OTHER_CHANNEL, f"channel {OTHER_CHANNEL} is not in guild {GUILD_ID} (Test Guild), the guild this server"),
        (LOCKED, f"the bot can't post in #announcements ({LOCKED}): it lacks the Send Messages permission there."),
    ):
        refused = await feature_set("--on", "--channel", str(channel))
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert await stored(pool, server, "reminders") == {"enabled": False, "channel_id": None, "role_id": None}

    accepted = await feature_set("--on", "--channel", str(GENERAL))
    assert accepted.returncode == 0 and accepted.stderr == "", accepted.stderr
    assert accepted.stdout.strip() == f"Turned on reminders for server {server} (Survival): channel {GENERAL}."
    assert await stored(pool, server, "reminders") == {
        "enabled": True,
        "channel_id": GENERAL,
        "role_id": None,
    }

    # Discord can't be asked: the change is made, with a warning saying so
    offline = await feature_set("--on", "--channel", "999", DISCORD_TOKEN="")
    assert offline.returncode == 0, offline.stderr
    assert offline.stderr.strip() == (
        "votebot: warning: discord.token is not set, so channel 999 could not be checked with Discord. The bot "
        "checks it when it starts and tells the server's owner if it can't post there."
    )
    unreachable = await feature_set("--on", "--channel", str(GENERAL), VOTEBOT_DISCORD__API_BASE_URL=CLOSED_PORT)
    assert unreachable.returncode == 0 and "could not be checked with Discord (Discord could not be reached" in (
        unreachable.stderr
    )


async def test_feature_set_names_cli_flags_and_checks_the_role(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await linked_server(pool)

    async def feature_set(*args: str) -> Ran:
        return await votebot(tmp_path, database_url, fake, "feature", "set", str(server), *args)

    no_role = await feature_set("top_voter_role", "--on")
    assert no_role.returncode == 1
    assert no_role.stderr.strip() == "votebot: error: Top-voter role needs a role: pass --role ID."
    no_channel = await feature_set("reminders", "--on")
    assert no_channel.returncode == 1 and "needs a channel: pass --channel ID." in no_channel.stderr
    too_high = await feature_set("top_voter_role", "--on", "--role", str(ROLE_HIGH))
    assert too_high.returncode == 1 and "is above the bot's highest role" in too_high.stderr, too_high.stderr
    unknown = await feature_set("top_voter_role", "--on", "--role", "999")
    assert unknown.returncode == 1 and "there is no role 999 in guild" in unknown.stderr, unknown.stderr
    assert await stored(pool, server, "top_voter_role") == {"enabled": False, "channel_id": None, "role_id": None}
    given = await feature_set("top_voter_role", "--on", "--role", str(ROLE_VOTER))
    assert given.returncode == 0 and f": role {ROLE_VOTER}." in given.stdout, given.stderr
    # a role the bot only pings (wipes) must notify someone: Staff is not mentionable, the bot lacks Mention @everyone
    quiet = await feature_set("wipes", "--on", "--channel", str(GENERAL), "--role", str(ROLE_HIGH))
    assert quiet.returncode == 1 and "is not mentionable and the bot lacks Mention @everyone" in quiet.stderr
    pinged = await feature_set("wipes", "--on", "--channel", str(GENERAL), "--role", str(ROLE_VOTER))
    assert pinged.returncode == 0, pinged.stderr
