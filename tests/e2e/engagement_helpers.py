"""Shared helpers for the engagement end-to-end tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService, hash_api_key
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.e2e.harness import GUILD_ID, BotRunner, reply_text
from tests.fakediscord import FakeDiscord


async def make_server(pool: asyncpg.Pool, name: str = "Alpha", **columns: Any) -> Server:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=GUILD_ID, name=name, vote_url="https://example.com/vote")).server
    for column, value in columns.items():  # timezone, category, vote_cooldown: no service setter exists yet
        await pool.execute(f"UPDATE servers SET {column} = $2 WHERE id = $1", server.id, value)
    return await service.get(server.id)


async def record_vote(pool: asyncpg.Pool, server: Server, external_id: str, at: dt.datetime, **kwargs: Any) -> int:
    result = await VoteLedger(pool).record(
        Vote(server_id=server.id, provider="topserver", external_id=external_id, voted_at=at, **kwargs)
    )
    assert result.vote_id is not None
    return result.vote_id


async def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def texts(fake: FakeDiscord, channel_id: int) -> list[str]:
    return [m.get("content") or "" for m in fake.messages(channel_id)]


_THANKED_NAMES = re.compile(r"^🎉 Thank you (?P<names>.+?) for voting for \*\*")
_THANKED_COUNT = re.compile(r"^🎉 Thank you to the (?P<count>\d+) voters? of \*\*")
_OTHERS = re.compile(r"(\d+) other voters?")
_NAMED = re.compile(r"\*\*(.+?)\*\*|(<@\d+>)")
UNNAMED = "?"


def thanked_voters(texts: list[str]) -> list[str]:
    """Every voter the English thank-you posts thank, sorted: a name (``Steve``), a mention (``<@123>``), or
    :data:`UNNAMED` for each voter thanked without a name (counted in "and 12 other voters", or thanked alone)."""
    voters: list[str] = []
    for text in texts:
        if text.startswith("🎉 Thank you for voting for "):
            voters.append(UNNAMED)
        elif counted := _THANKED_COUNT.match(text):
            voters.extend([UNNAMED] * int(counted["count"]))
        elif named := _THANKED_NAMES.match(text):
            names = named["names"]
            voters.extend(bold or mention for bold, mention in _NAMED.findall(names))
            if others := _OTHERS.search(names):
                voters.extend([UNNAMED] * int(others[1]))
    return sorted(voters)


def sent(fake: FakeDiscord, method: str, path_part: str) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["method"] == method and path_part in r["path"]]


def member_roles(fake: FakeDiscord, user_id: int) -> list[int]:
    guild = fake.state.get_guild(GUILD_ID)
    return [int(r) for r in fake.state.get_member(guild, user_id)["roles"]]


async def delivered(pool: asyncpg.Pool, timeout: float = 5.0) -> None:
    """Every recorded vote has been handed to every consumer (the bot's dispatcher runs in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await pool.fetchval("SELECT count(*) FROM vote_outbox WHERE failures IS NULL"):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("votes still waiting for delivery")
        await asyncio.sleep(0.02)


PLUGIN_KEY = "vb_test-plugin-key"  # the API key the game plugin of the tests' servers is configured with
CODE = re.compile(r"`/votebot link ([A-Z2-9]{4}-[A-Z2-9]{4})`")


def link_code(reply: str) -> str:
    found = CODE.search(reply)
    assert found, f"no link code in {reply!r}"
    return found.group(1)


async def confirm_link(runner: BotRunner, pool: asyncpg.Pool, server: Server, code: str, username: str) -> Any:
    """What the game plugin does when the player types the code: the bot's PULL API, over HTTP."""
    await pool.execute("UPDATE servers SET api_key_hash = $2 WHERE id = $1", server.id, hash_api_key(PLUGIN_KEY))
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{runner.web_url}/api/v1/link/confirm", json={"key": PLUGIN_KEY, "code": code, "username": username}
        ) as response,
    ):
        return response.status, await response.json()


async def link_in_game(
    runner: BotRunner, pool: asyncpg.Pool, server: Server, user_id: int, player: str, *, ping: bool = False
) -> None:
    """A member links ``player`` as members do: /link, then the code typed in game as that player."""
    code = link_code(reply_text(await runner.command(user_id, "link", player=player, ping=ping)))
    status, body = await confirm_link(runner, pool, server, code, player)
    assert status == 200, body
