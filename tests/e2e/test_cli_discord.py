"""The operator CLI as a process, talking to the fake Discord over REST with the bot token."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.app.extensions import features
from bot.core.guild_checks import invite_url, needed_permissions
from tests.conftest import bot_environ
from tests.e2e.harness import GUILD_ID
from tests.fakediscord import FakeDiscord

NOT_JOINED = 1_100_000_000_000_009_999


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
