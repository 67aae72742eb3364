"""End to end: picking a server by id or name, names unique regardless of case, and /setup remove asking first
and taking the server's board messages with it (issue 12, items 1, 4 and 12)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
import discord

from bot.app.extensions import features
from bot.core.boards import BoardContent, BoardOutcome
from bot.core.servers import ServerService
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from tests.conftest import bot_environ
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6


async def link(pool: asyncpg.Pool, name: str) -> Server:
    return (await ServerService(pool, features()).add(guild_id=GUILD_ID, name=name, vote_url="https://e.com/v")).server


def online_board() -> BoardContent:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Vote", url="https://e.com/v"))
    return BoardContent(embeds=[discord.Embed(title="Rust Main", description="🟢 Online")], view=view)


async def with_board(runner: BotRunner, pool: asyncpg.Pool, server: Server) -> None:
    await ServerService(pool, features()).switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    assert await runner.running.boards.refresh(server, "status_board", online_board()) is BoardOutcome.POSTED


def boards_in(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.messages(GENERAL) if m.get("embeds") and m["embeds"][0].get("description") == "🟢 Online"]


def buttons(response: dict[str, Any]) -> dict[str, str]:
    """label → custom_id of the buttons under an interaction response."""
    rows = response["data"].get("components") or []
    return {c["label"]: c["custom_id"] for row in rows for c in row["components"]}


async def press(fake: FakeDiscord, user: int, message_id: str, custom_id: str, count: int = 1) -> list[dict]:
    created = await fake.interact(
        {
            "type": 3,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(user),
            "custom_id": custom_id,
            "message_id": message_id,
        }
    )
    return await fake.wait_for_response(created["interaction_id"], count=count, timeout=10)


async def count_servers(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM servers WHERE guild_id = $1", GUILD_ID))


async def test_remove_names_what_goes_asks_the_invoker_and_deletes_the_board(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    rust = await link(pool, "Rust Main")
    await link(pool, "Survival")
    for n in range(3):
        await VoteLedger(pool).record(
            Vote(server_id=rust.id, provider="topgg", external_id=f"v{n}", voted_at=runner.clock.now)
        )
    await runner.command(ADMIN, "setup provider", provider="votifier", server=str(rust.id), generate=True)
    await with_board(runner, pool, rust)

    asked = await runner.command(ADMIN, "setup remove", server="rust main")
    text = reply_text(asked)
    assert asked[0]["data"]["flags"] & EPHEMERAL
    assert f"Removing Rust Main (id {rust.id})" in text
    assert "deletes its settings, 3 recorded votes, 1 provider secret (votifier), and 1 board message." in text
    assert set(buttons(asked[0])) == {"Remove", "Cancel"}
    assert await count_servers(pool) == 2  # nothing deleted yet

    # someone else cannot press it; Cancel keeps everything
    message_id = asked[0]["message_id"]
    refused = await press(fake, MEMBER, message_id, buttons(asked[0])["Remove"])
    assert "Only the admin who ran /setup remove" in reply_text(refused)
    cancelled = await press(fake, ADMIN, message_id, buttons(asked[0])["Cancel"])
    assert cancelled[0]["type"] == 7 and "nothing was removed" in cancelled[0]["data"]["content"]
    assert await count_servers(pool) == 2 and len(boards_in(fake)) == 1

    asked = await runner.command(ADMIN, "setup remove", server=str(rust.id))
    await press(fake, ADMIN, asked[0]["message_id"], buttons(asked[0])["Remove"], count=2)
    done = fake.message(int(asked[0]["message_id"]))
    assert done is not None and f"Removed **Rust Main** (id `{rust.id}`)" in done["content"]
    assert not done.get("components")
    assert "Board messages deleted: 1." in done["content"]
    assert await pool.fetchval("SELECT count(*) FROM servers WHERE id = $1", rust.id) == 0
    assert await pool.fetchval("SELECT count(*) FROM votes WHERE server_id = $1", rust.id) == 0
    assert [s.name for s in await ServerService(pool, features()).list_for_guild(GUILD_ID)] == ["Survival"]
    assert boards_in(fake) == []  # no frozen "🟢 Online" board with a Vote button left behind

    # linked again: one board, not two
    again = await link(pool, "Rust Main")
    await with_board(runner, pool, again)
    assert len(boards_in(fake)) == 1


async def test_remove_reports_a_board_it_cannot_delete(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    rust = await link(pool, "Rust Main")
    await with_board(runner, pool, rust)
    board = boards_in(fake)[0]
    asked = await runner.command(ADMIN, "setup remove", server=str(rust.id))
    fake.add_fault({"method": "DELETE", "path_regex": f"/channels/{GENERAL}/messages/{board['id']}$", "status": 403})
    await press(fake, ADMIN, asked[0]["message_id"], buttons(asked[0])["Remove"], count=2)
    done = fake.message(int(asked[0]["message_id"]))
    assert done is not None and "Removed **Rust Main**" in done["content"]
    assert f"https://discord.com/channels/{GUILD_ID}/{GENERAL}/{board['id']}" in done["content"]
    assert "please delete it by hand" in done["content"]
    assert await count_servers(pool) == 0


async def test_remove_times_out_and_keeps_the_server(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    setup_cog: Any = runner.running.get_cog("Setup")
    setup_cog.confirm_seconds = 0.2
    rust = await link(pool, "Rust Main")
    asked = await runner.command(ADMIN, "setup remove", server=str(rust.id))
    message_id = int(asked[0]["message_id"])

    def timed_out() -> bool:
        message = fake.message(message_id)
        return message is not None and "timed out" in (message.get("content") or "")

    await fake.state.wait_until(timed_out, 10, "the confirmation to time out")
    message = fake.message(message_id)
    assert message is not None and not message.get("components")
    assert await count_servers(pool) == 1


async def test_names_are_unique_regardless_of_case(runner: BotRunner, pool: asyncpg.Pool) -> None:
    rust = await link(pool, "Rust Main")
    text = reply_text(await runner.command(ADMIN, "setup server", name="rust main", vote_url="https://e.com/2"))
    assert f"already has a game server called “Rust Main” (id {rust.id})" in text
    assert await count_servers(pool) == 1
    text = reply_text(await runner.command(ADMIN, "setup server", name="2", vote_url="https://e.com/2"))
    assert "looks like a server id" in text
    assert await count_servers(pool) == 1


async def test_a_server_option_takes_the_id_and_autocomplete_sends_it(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await link(pool, "Survival")
    rust = await link(pool, "Rust Main")
    first, again = [
        reply_text(await runner.command(ADMIN, "setup default", server=given))
        for given in (str(rust.id), f"#{rust.id}")
    ]
    assert first == "**Rust Main** is now the default server: /vote shows it first."
    assert again == "**Rust Main** is already the default server."
    text = reply_text(await runner.command(ADMIN, "setup default", server="survival"))
    assert text == "**Survival** is now the default server: /vote shows it first."
    text = reply_text(await runner.command(ADMIN, "setup default", server="999999"))
    assert "No game server called “999999” is linked here." in text
    # the member-facing /vote resolves the same way
    assert "Vote for Rust Main" in reply_text(await runner.command(MEMBER, "vote", server=str(rust.id)))

    created = await fake.interact(
        {
            "type": 4,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL),
            "user_id": str(ADMIN),
            "name": "setup remove",
            "options": [{"name": "server", "value": "rust", "focused": True}],
        }
    )
    response = (await fake.wait_for_response(created["interaction_id"], timeout=10))[0]
    assert response["type"] == 8
    assert response["data"]["choices"] == [{"name": f"Rust Main (id {rust.id})", "value": str(rust.id)}]


async def votebot(tmp_path: Path, database_url: str, fake: FakeDiscord, *args: str) -> tuple[int, str, str]:
    (tmp_path / "bot.toml").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOTEBOT_") and k != "DISCORD_TOKEN"}
    env |= bot_environ(database_url, str(tmp_path / "data")) | {
        "DISCORD_TOKEN": fake.token,
        "VOTEBOT_DISCORD__API_BASE_URL": fake.api_base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, "--config", str(tmp_path / "bot.toml"),
        env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_cli_server_remove_asks_then_removes_with_the_board(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, tmp_path: Path, database_url: str
) -> None:
    rust = await link(pool, "Rust Main")
    await with_board(runner, pool, rust)

    code, out, err = await votebot(tmp_path, database_url, fake, "server", "remove", str(rust.id))
    assert code == 1, err
    assert f"Removing Rust Main (id {rust.id}) deletes" in out and "1 board message" in out
    assert "nothing was removed: pass --yes" in err
    assert await count_servers(pool) == 1 and len(boards_in(fake)) == 1

    code, out, err = await votebot(tmp_path, database_url, fake, "server", "remove", str(rust.id), "--yes")
    assert code == 0, err
    assert f"removed server {rust.id} (Rust Main) of guild {GUILD_ID}" in out
    assert "board messages deleted: 1" in out
    # the short-lived REST client's discord.py warnings (no Guilds intent, no voice libraries) are not the operator's
    assert "WARNING" not in err and "intent" not in err and "PyNaCl" not in err, err
    assert await count_servers(pool) == 0 and boards_in(fake) == []

    code, _, err = await votebot(tmp_path, database_url, fake, "server", "remove", str(rust.id), "--yes")
    assert code == 1 and f"There is no server with id {rust.id}" in err
