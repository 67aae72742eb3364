"""``votebot run`` as a real process against the fake Discord and the test database (for kill/restart tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from tests.conftest import bot_environ
from tests.fakediscord import FakeDiscord


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """``votebot run`` in its own process, against the fake Discord and the test database."""

    def __init__(self, fake: FakeDiscord, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k != "DISCORD_TOKEN"}
        self.env |= bot_environ(database_url, str(data_dir)) | {
            "VOTEBOT_DISCORD__API_BASE_URL": fake.api_base_url,
            "VOTEBOT_WEBHOOKS__PORT": str(self.port),
            "VOTEBOT_VOTIFIER__ENABLED": "false",
        }
        self.config = data_dir / "bot.toml"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text("")
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(self.config),
            env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        deadline = asyncio.get_running_loop().time() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process.returncode is None, "votebot run exited"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                assert asyncio.get_running_loop().time() < deadline, "votebot run did not come up"
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
