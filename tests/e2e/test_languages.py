"""The six languages through the real bot and the fake Discord, with the shipped catalogs: a member's replies in
their own language, a server's posts in the server's, and the slash commands synced with every translation.

Expected texts are rendered from the catalogs themselves (so a reworded translation does not break the test) and
checked to differ from the English: a text that stayed English fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core import i18n
from bot.core.i18n import _, n_
from bot.core.servers import ServerService
from bot.db.records import Server
from cogs.status.query import Prober
from cogs.status.repository import StatusSettings
from cogs.status.service import StatusService
from tests.cogs.status.responders import MinecraftResponder
from tests.e2e.engagement_helpers import make_server, record_vote, texts, wait_until
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

TRANSLATED = {locale for language in i18n.TRANSLATED for locale in language.discord}  # es-419: Spanish (Spain)
assert {"fr", "de", "es-ES", "es-419", "pt-BR", "ru"} <= TRANSLATED


def speaking(code: str) -> Any:
    found = i18n.language(code)
    assert found is not None
    return i18n.speaking(found)


def in_language(code: str, message: str, **params: Any) -> str:
    """``message`` as the catalog of ``code`` says it; it must not be the English text."""
    with speaking(code):
        translated = _(message, **params)
    assert translated != _(message, **params), f"{code} has no translation of {message!r}"
    return translated


def walk(commands: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every command, subcommand, option and choice of a synced payload, with where it is."""
    for command in commands:
        yield f"/{command['name']}", command
        stack = [(f"/{command['name']}", option) for option in command.get("options") or []]
        while stack:
            where, option = stack.pop()
            here = f"{where} {option['name']}"
            yield here, option
            stack += [(here, sub) for sub in option.get("options") or []]
            yield from ((f"{here} = {choice['name']}", choice) for choice in option.get("choices") or [])


async def test_synced_commands_carry_names_and_descriptions_in_every_language(
    fake: FakeDiscord, runner: BotRunner
) -> None:
    synced = fake.state.commands[None]  # the harness syncs globally, as `votebot sync` does
    assert len(synced) > 10
    lacking = []
    for where, item in walk(synced):
        if set(item.get("name_localizations") or {}) != TRANSLATED:
            lacking.append(f"{where}: names {sorted(item.get('name_localizations') or {})}")
        if "description" in item and set(item.get("description_localizations") or {}) != TRANSLATED:
            lacking.append(f"{where}: descriptions {sorted(item.get('description_localizations') or {})}")
    assert lacking == []
    vote = next(command for command in synced if command["name"] == "vote")
    assert vote["description_localizations"]["fr"] == in_language("fr", "Vote for our game server")
    assert vote["description_localizations"]["es-419"] == vote["description_localizations"]["es-ES"]
    assert "en-US" not in vote["description_localizations"]  # English is the default text itself


async def test_a_french_member_reads_french_and_an_english_one_english(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await make_server(pool, "Alpha")
    french = (await runner.command(MEMBER, "vote", locale="fr"))[0]["data"]
    english = (await runner.command(MEMBER, "vote", locale="en-US"))[0]["data"]
    assert french["embeds"][0]["title"] == in_language("fr", "Vote for {server}", server="Alpha")
    assert english["embeds"][0]["title"] == "Vote for Alpha"
    [button] = french["components"][0]["components"]
    assert button["label"] == in_language("fr", "Vote now")

    # an error reply: a server name that is not linked
    refusal = reply_text(await runner.command(MEMBER, "vote", locale="fr", server="Nowhere"))
    unknown = "No game server called “{server}” is linked here. Pick one from the list that opens as you type in the "
    with speaking("fr"):
        french_start = _(next(m for m in _catalog_ids() if m.startswith(unknown)), server="Nowhere")[:40]
    assert refusal.startswith(french_start) and not refusal.startswith("No game server called")
    english_refusal = reply_text(await runner.command(ADMIN, "vote", server="Nowhere"))  # 3 /vote per 10 s each
    assert english_refusal.startswith("No game server called")

    # a modal: the provider secret's form, opened by a French-speaking admin
    modal = (await runner.command(ADMIN, "setup provider", locale="fr", provider="topgg"))[0]
    assert modal["type"] == 9
    assert modal["data"]["title"] == in_language(
        "fr", "{provider} secret for {server}", provider="Top.gg", server="Alpha"
    )


def _catalog_ids() -> list[str]:
    from bot.cli.catalogs import TEMPLATE, forms, read_catalog

    return [forms(message.id)[0] for message in read_catalog(TEMPLATE) if message.id]


@pytest.fixture
async def minecraft() -> Any:
    responder = await MinecraftResponder().start()
    yield responder
    await responder.stop()


async def _status_service(runner: BotRunner) -> StatusService:
    runner.running.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    service: StatusService = runner.service("Status")
    service.monitor.prober = Prober(timeout=0.2, allow_private=service.monitor.allow_private)
    return service


async def minecraft_server(servers: ServerService, minecraft: MinecraftResponder) -> Server:
    added = await servers.add(guild_id=GUILD_ID, name="Alpha", vote_url="https://vote.example/1", game="minecraft",
                              address=f"127.0.0.1:{minecraft.port}")  # fmt: skip
    return added.server


async def test_a_german_server_gets_its_board_alert_and_milestone_in_german(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder
) -> None:
    servers = ServerService(pool, features())
    server = await minecraft_server(servers, minecraft)
    answer = reply_text(await runner.command(ADMIN, "setup options", language="de"))  # the admin reads English
    assert "language Deutsch" in answer
    for feature in ("status_board", "offline_alerts", "milestones"):
        await servers.switch_feature(server, feature, enabled=True, channel_id=GENERAL)
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    status = await _status_service(runner)
    await status.monitor.repository.save_settings(StatusSettings(server.id, failures_to_down=2, confirm_interval_s=15))

    await status.monitor.probe_server(server.id)
    setting = await servers.setting(server.id, "status_board")
    assert setting is not None and setting.message_id is not None
    board = fake.message(setting.message_id)
    assert board is not None
    assert [field["name"] for field in board["embeds"][0]["fields"]][:1] == [in_language("de", "Players")]

    minecraft.mode = "silent"
    for _attempt in range(6):
        runner.clock.advance(15)
        await status.monitor.probe_server(server.id)
    [alert] = [t for t in texts(fake, GENERAL) if t.startswith("🔴")]
    with speaking("de"):
        german_start = _("🔴 **{server}** is offline: no answer since {since}.", server="Alpha", since="")[:20]
    assert alert.startswith(german_start) and "is offline" not in alert

    reply_text(await runner.command(ADMIN, "milestones settings", thresholds="1"))
    await record_vote(pool, server, "m1", runner.clock.now, player_name="Steve")
    milestone = await wait_until(lambda: [t for t in texts(fake, GENERAL) if t.startswith("🏆")])
    with speaking("de"):
        singular = "🏆 **{server}** reached **{count}** vote this month ({month})!"
        plural = "🏆 **{server}** reached **{count}** votes this month ({month})!"
        expected = n_(singular, plural, 1, server="Alpha", month=i18n.month_name(2026, 11))
    assert milestone == [expected] and "reached" not in expected


async def test_changing_the_servers_language_re_renders_its_board_on_the_next_refresh(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder
) -> None:
    servers = ServerService(pool, features())
    server = await minecraft_server(servers, minecraft)
    await servers.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    runner.clock.set(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    status = await _status_service(runner)
    await status.monitor.probe_server(server.id)
    setting = await servers.setting(server.id, "status_board")
    assert setting is not None and setting.message_id is not None
    first = fake.message(setting.message_id)
    assert first is not None and "🟢 **Online**" in first["embeds"][0]["description"]

    reply_text(await runner.command(ADMIN, "setup options", language="ru"))
    runner.clock.advance(60)
    fake.clear_requests()
    await status.monitor.probe_server(server.id)
    edits = [r for r in fake.requests if r["method"] == "PATCH" and str(setting.message_id) in r["path"]]
    assert len(edits) == 1  # the same message, edited in place
    edited = fake.message(setting.message_id)
    assert edited is not None and in_language("ru", "🟢 **Online**") in edited["embeds"][0]["description"]

    reply_text(await runner.command(ADMIN, "setup options", language="auto"))  # back to the guild's: en-US
    runner.clock.advance(60)
    await status.monitor.probe_server(server.id)
    again = fake.message(setting.message_id)
    assert again is not None and "🟢 **Online**" in again["embeds"][0]["description"]
    await asyncio.sleep(0)
