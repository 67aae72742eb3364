"""`votebot run` as a process against fakediscord: a rejected token is a clear config error."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import bot_environ
from tests.fakediscord import FakeDiscord


async def test_run_with_a_rejected_token_says_so(tmp_path: Path, database_url: str, fake: FakeDiscord) -> None:
    (tmp_path / "bot.toml").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k != "DISCORD_TOKEN"}
    env |= bot_environ(database_url, str(tmp_path / "data")) | {
        "DISCORD_TOKEN": "not-the-right-token",
        "VOTEBOT_DISCORD__API_BASE_URL": fake.api_base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(tmp_path / "bot.toml"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "Discord rejected the token (key 'discord.token')" in stderr.decode()
    assert "Traceback" not in stderr.decode()
