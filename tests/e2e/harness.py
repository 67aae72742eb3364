"""Running the real VoteBot against tests/fakediscord, with start/stop/restart for restart tests."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import discord

from bot.app.client import VoteBot, point_at_api
from bot.app.config import Config
from bot.app.extensions import EXTENSIONS
from bot.app.runtime import webhook_manager
from tests.clock import MovableClock
from tests.fakediscord import FakeDiscord

GUILD_ID = 1_100_000_000_000_000_001
GENERAL = 1_100_000_000_000_000_010
LOCKED = 1_100_000_000_000_000_011  # the bot may read but not send here
ADMIN = 1_100_000_000_000_000_100
MEMBER = 1_100_000_000_000_000_101
ROLE_VOTER = 1_100_000_000_000_000_200
ROLE_HIGH = 1_100_000_000_000_000_201

SEND_MESSAGES = 1 << 11
MANAGE_GUILD = 1 << 5
BASIC = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)  # view, send, embed, history, use commands


def guild_spec(bot_user_id: int) -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "Test Guild",
        "bot_role_position": 10,
        "owner_id": str(ADMIN),
        "channels": [
            {"id": str(GENERAL), "name": "general", "type": 0},
            {
                "id": str(LOCKED),
                "name": "announcements",
                "type": 0,
                "permission_overwrites": [
                    {"id": str(bot_user_id), "type": 1, "allow": "0", "deny": str(SEND_MESSAGES)}
                ],
            },
        ],
        "roles": [
            {"id": str(ROLE_VOTER), "name": "Voter", "permissions": "0", "position": 1, "mentionable": True},
            {"id": str(ROLE_HIGH), "name": "Staff", "permissions": "0", "position": 50},
        ],
        "members": [
            {"id": str(ADMIN), "name": "admin", "roles": [], "permissions": str(BASIC | MANAGE_GUILD)},
            {"id": str(MEMBER), "name": "member", "roles": [], "permissions": str(BASIC)},
        ],
    }


@dataclass
class BotRunner:
    fake: FakeDiscord
    config: Config
    pool: asyncpg.Pool
    clock: MovableClock = field(default_factory=MovableClock)
    extensions: tuple[str, ...] = EXTENSIONS
    bot: VoteBot | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> VoteBot:
        assert self.bot is not None, "the bot is not running"
        return self.bot

    async def start(self) -> VoteBot:
        point_at_api(self.fake.api_base_url)
        bot = VoteBot(
            config=self.config,
            pool=self.pool,
            webhooks=webhook_manager(self.config, self.pool, self.clock),  # as `votebot run`: the same process
            clock=self.clock,
            extensions=self.extensions,
            guild_ready_timeout=0.05,
        )
        self._task = asyncio.create_task(bot.start(self.fake.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()
        if ready not in done:
            raise TimeoutError("the bot did not become ready")
        self.bot = bot
        try:
            await bot.tree.sync()  # so the fake knows the option types, as Discord would
        except BaseException:
            await self.stop()  # a refused sync (say, a bad translation) fails the test instead of hanging it
            raise
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            self.bot = None
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await self._task
            self._task = None

    async def restart(self) -> VoteBot:
        await self.stop()
        return await self.start()

    async def command(
        self, user_id: int, name: str, /, channel_id: int = GENERAL, locale: str = "en-US", **options: Any
    ) -> list[dict[str, Any]]:
        """Run a slash command as ``user_id`` (whose Discord language is ``locale``) and return the bot's
        responses once it answered."""
        spec = {
            "locale": locale,
            "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id),
            "user_id": str(user_id),
            "name": name,
            "options": [{"name": key, "value": value} for key, value in options.items() if value is not None],
        }
        created = await self.fake.interact(spec)
        first = await self.fake.wait_for_response(created["interaction_id"], timeout=10)
        if first[0].get("type") == 5:  # deferred ("thinking"): the answer comes as a followup
            return await self.fake.wait_for_response(created["interaction_id"], count=2, timeout=10)
        return first

    def service(self, cog: str) -> Any:
        """The service behind a loaded cog (``"Rewards"``, ``"Reminders"`` …), to run its timed work by hand."""
        found = self.running.get_cog(cog)
        assert found is not None, f"no cog {cog!r}"
        return found.service  # type: ignore[attr-defined]

    @property
    def web_url(self) -> str:
        """The bot's own webhook server (port picked by the OS)."""
        assert self.running.webhooks is not None
        return f"http://127.0.0.1:{self.running.webhooks.port}"

    async def deliver(self) -> int:
        """Deliver every due vote now (as the dispatcher does when woken); returns the rows handled."""
        return await self.running.dispatcher.drain()


def reply_text(responses: list[dict[str, Any]]) -> str:
    """All text the bot answered with: content and embed texts."""
    parts: list[str] = []
    for response in responses:
        data = response.get("data") or {}
        parts.append(data.get("content") or "")
        for embed in data.get("embeds") or []:
            parts.extend([embed.get("title") or "", embed.get("description") or ""])
            for fld in embed.get("fields") or []:
                parts.extend([fld.get("name", ""), fld.get("value", "")])
    return "\n".join(p for p in parts if p)


def form_inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The text inputs of a modal the bot opened, by custom id."""
    return {c["custom_id"]: c for row in modal["data"]["components"] for c in row["components"]}


async def submit_form(fake: FakeDiscord, modal: dict[str, Any], fields: dict[str, str], user: int = ADMIN) -> str:
    """Submit a modal as ``user``; the answer's text (the followup when the bot deferred first)."""
    created = await fake.interact(
        {
            "type": 5,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(user),
            "custom_id": modal["data"]["custom_id"],
            "fields": fields,
        }
    )
    first = await fake.wait_for_response(created["interaction_id"], timeout=10)
    if first[0].get("type") == 5:
        return reply_text(await fake.wait_for_response(created["interaction_id"], count=2, timeout=10))
    return reply_text(first)
