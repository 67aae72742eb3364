"""Issue 13's promise, swept end to end: a Russian-speaking owner and member never meet an English sentence.

A pseudo catalog stands in for Russian: every ASCII letter of a message's literal text becomes a Cyrillic
one (placeholders, Markdown, emoji and ``<…>`` Discord syntax are kept), and Babel formats numbers, months,
durations and lists the Russian way. The bot then runs its flows for a member and an admin whose Discord
language is Russian, in a server whose language is Russian; every text it sends to Discord (replies, embeds,
buttons, selects, modals, channel posts, DMs) is collected from the fake's request log. Outside text chosen
by the test has no ASCII letters, so any word of three ASCII letters left is a text that missed the catalog
or was built in the wrong language. Pictures are PNGs: every chart the bot's renderer is asked to draw is recorded
instead, and its title, legend, series names, empty text and axis labels (days and hours from Babel's Russian:
"24 нояб.", "15:00") may hold no Latin letter at all beyond the allowed names, its number axis Russian marks.
Attachments' alt texts count as texts. The machinery is in tests/e2e/no_english.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import discord
import pytest
from aiohttp import web
from babel.support import NullTranslations

from bot.app.extensions import features
from bot.core import i18n
from bot.core.boards import BoardContent
from bot.core.charts import Panels
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from bot.votes.credentials import store_secret
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.reviews.topgg import TopggReviewPoller
from cogs.status.query import Prober
from cogs.status.repository import HourStats, StatusRepository, StatusSettings
from cogs.status.service import StatusService
from tests.cogs.status.responders import MinecraftResponder
from tests.e2e.engagement_helpers import confirm_link, delivered, link_code, record_vote, texts, wait_until
from tests.e2e.harness import (
    ADMIN,
    BASIC,
    GENERAL,
    GUILD_ID,
    LOCKED,
    MEMBER,
    ROLE_HIGH,
    ROLE_VOTER,
    BotRunner,
    guild_spec,
)
from tests.e2e.no_english import (
    PLAYER,
    PLAYER_TWO,
    RU,
    SERVER,
    T0,
    Drawn,
    PseudoRussian,
    assert_charts_not_english,
    assert_no_english,
    assert_posts_not_english,
    command,
    custom_ids,
    interact,
    letters,
    press,
    pseudo,
    record_charts,
    ru_server,
)
from tests.e2e.test_event_api import SECRET, push, settled
from tests.fakediscord import FakeDiscord
from tests.http_util import serving


def test_the_pseudo_catalog_keeps_placeholders_and_discord_syntax() -> None:
    assert pseudo("Vote for {server}") == "Воте фор {server}"
    assert pseudo("<@&{role}> 📅 **{title}** starts <t:{at}:R>.") == "<@&{role}> 📅 **{title}** стартс <t:{at}:R>."
    assert pseudo("{value:>5} {{x}} `/vote`") == "{value:>5} {{ж}} `/воте`"
    assert pseudo("Lone { brace") == "Лоне { браце"
    assert pseudo("{a!r}: ok").format(a="x") == "'x': ок"


@pytest.fixture(autouse=True)
def pseudo_russian(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Language.translations`` looks ``_translations`` up when it is called, so the patched function is the
    one every ``_()`` reaches (the real one is cached: its catalogs stay out of this test)."""
    english = NullTranslations()
    russian = PseudoRussian()
    monkeypatch.setattr(i18n, "_translations", lambda identifier: russian if identifier == RU else english)
    assert i18n.language(RU) is not None and i18n.language(RU).translations is russian  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def charts(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """Every chart the bot draws while a test runs (their texts are in the PNGs, out of the fake's request log)."""
    return record_charts(monkeypatch)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The harness's guild, with its own names (which the bot may quote) in Cyrillic and Russian as its locale."""
    server = FakeDiscord(token="test-token")
    await server.start()
    spec = guild_spec(server.bot_user_id)
    spec.update(name="Тестовая гильдия", preferred_locale=RU)
    names = {str(GENERAL): "общий", str(LOCKED): "объявления"}
    for channel in spec["channels"]:
        channel["name"] = names[channel["id"]]
    for role, name in zip(spec["roles"], ("Голосующий", "Персонал"), strict=True):
        role["name"] = name
    for member, name in zip(spec["members"], ("админ", "участник"), strict=True):
        member["name"] = name
    server.add_guild(spec)
    try:
        yield server
    finally:
        await server.stop()


async def test_setup_features_and_errors_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await ru_server(pool)
    # the member's /vote, and its errors: an unknown server name, the cooldown
    await command(runner, MEMBER, "vote")
    await command(runner, MEMBER, "vote", server="Гамма")
    await command(runner, MEMBER, "vote")
    await command(runner, MEMBER, "vote")
    await command(runner, MEMBER, "vote")  # the fourth in ten seconds: please wait

    # /setup: a new server, its options (one refused), the listing, a provider's secret form and its answer
    created = await command(
        runner, ADMIN, "setup server", name="Бета", vote_url="https://example.com/b", game="minecraft"
    )
    assert "vb_" in created
    await command(runner, ADMIN, "setup server", name="Гамма", vote_url="ftp://ъ")
    await command(runner, ADMIN, "setup options", server=SERVER, timezone="Europe/Moscow", vote_cooldown_hours=3.0)
    await command(runner, ADMIN, "setup options", server=SERVER, timezone="Ъ/Ъ")
    await command(runner, ADMIN, "setup options", server=SERVER, vote_cooldown_hours=200.0)
    await command(runner, ADMIN, "setup options", server=SERVER, language=RU)
    await command(runner, ADMIN, "setup list")
    await command(runner, ADMIN, "setup default", server=SERVER)
    modal = (await runner.command(ADMIN, "setup provider", locale=RU, server=SERVER, provider="gamemonitoring"))[0]
    assert modal["type"] == 9
    fields = {"secret": "0123456789-0123456789", "gm_server_id": "1234567"}
    await interact(fake, ADMIN, type=5, custom_id=modal["data"]["custom_id"], fields=fields)
    await command(runner, ADMIN, "setup provider", server=SERVER, provider="votifier", generate=True)
    await command(runner, ADMIN, "setup provider", server=SERVER, provider="topgg", generate=True)

    # /feature: every feature on (each with its channel notice), the listing, one off again, refusals
    for spec in ServerService(pool, features()).registry:
        await command(runner, ADMIN, "feature enable", server=SERVER, feature=spec.name, channel=str(GENERAL),
                      role=str(ROLE_VOTER))  # fmt: skip
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="reviews", channel=str(LOCKED))
    await command(runner, ADMIN, "feature list", server=SERVER)
    await command(runner, ADMIN, "feature disable", server=SERVER, feature="giveaways")
    await command(runner, MEMBER, "feature enable", server=SERVER, feature="reminders", channel=str(GENERAL))
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="reminders")  # no channel
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="top_voter_role", role=str(ROLE_HIGH))
    await command(runner, ADMIN, "feature disable", server=SERVER, feature="all")
    await command(runner, MEMBER, "vote", server=SERVER)  # switched off
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="all")

    # autocomplete: the server option, the time zone, the query protocol
    for name, option, typed in (("vote", "server", "А"), ("setup options", "server", "Б"),
                                ("status-admin configure", "protocol", "mine")):  # fmt: skip
        await interact(fake, ADMIN, type=4, name=name, options=[{"name": option, "value": typed, "focused": True}])

    # /links set and remove by an admin
    await command(runner, ADMIN, "links set", server=SERVER, member=str(MEMBER), player=PLAYER)
    await command(runner, ADMIN, "links set", server=SERVER, member=str(ADMIN), player=PLAYER)
    await command(runner, ADMIN, "links remove", server=SERVER, member=str(ADMIN))
    await command(runner, ADMIN, "links remove", server=SERVER, member=str(ADMIN))

    # /setup remove asks first, naming what goes: refused for someone else, cancelled, then done
    beta = await ServerService(pool, features()).resolve(GUILD_ID, "Бета")
    await record_vote(pool, beta, "b1", runner.clock.now, player_name=PLAYER)
    await ServerService(pool, features()).switch_feature(beta, "status_board", enabled=True, channel_id=GENERAL)
    board = BoardContent([discord.Embed(description="ъ")])
    await runner.running.boards.refresh(beta, "status_board", board)
    asked = await runner.command(ADMIN, "setup remove", locale=RU, server="Бета")
    buttons = custom_ids(asked[0]["data"])
    message = {"id": asked[0]["message_id"]}
    await press(fake, MEMBER, message, buttons[0])
    await press(fake, ADMIN, message, buttons[1])
    asked = await runner.command(ADMIN, "setup remove", locale=RU, server="Бета")
    await press(fake, ADMIN, {"id": asked[0]["message_id"]}, custom_ids(asked[0]["data"])[0])
    await wait_until(lambda: not (fake.message(int(asked[0]["message_id"])) or {}).get("components"))
    assert server.id
    assert_no_english(fake, at_least=40)


async def test_votes_rewards_reminders_milestones_boards_and_links_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    runner.clock.set(T0)
    server = await ru_server(pool)
    service = ServerService(pool, features())
    for feature in ("reminders", "milestones", "top10_board", "daily_leaderboard"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    await command(runner, ADMIN, "rewards setup", channel=str(GENERAL), role=str(ROLE_VOTER))
    await command(runner, ADMIN, "milestones settings", thresholds="1, 2", every=2)
    await command(runner, ADMIN, "milestones settings", thresholds="ъ")
    await command(runner, ADMIN, "leaderboards settings", board_refresh=5, post_time="09:00")
    await command(runner, ADMIN, "leaderboards settings")

    # /link with its code typed in game, /points before and after a vote
    code = link_code(await command(runner, MEMBER, "link", player=PLAYER))
    await command(runner, MEMBER, "points")
    assert (await confirm_link(runner, pool, server, code, PLAYER))[0] == 200
    await command(runner, MEMBER, "link", player=PLAYER)  # already linked
    await command(runner, MEMBER, "link", player=PLAYER_TWO)  # would replace it

    # a vote: the thank-you with its Remind me button, a milestone, the voter role
    await record_vote(pool, server, "v1", T0, player_name=PLAYER, expires_at=T0 + dt.timedelta(hours=2))
    await record_vote(pool, server, "v2", T0, player_name="", discord_user_id=4242)  # a deleted account
    thanks = pseudo("Thank you")
    await wait_until(lambda: sum(thanks in t for t in texts(fake, GENERAL)) == 2)
    await delivered(pool)
    thank_you = next(m for m in fake.messages(GENERAL) if custom_ids(m) and thanks in m["content"])
    await press(fake, MEMBER, thank_you, custom_ids(thank_you)[0])
    await command(runner, MEMBER, "points")
    await command(runner, MEMBER, "vote")
    await command(runner, MEMBER, "remind quiet", start="22:00", end="08:00")
    await command(runner, MEMBER, "remind quiet", start="ъ", end="08:00")

    # the reminder DM and the channel ping, when voting opens again
    reminders = runner.service("Reminders")
    runner.clock.set(T0 + dt.timedelta(hours=2, seconds=1))
    await reminders.sweep()
    assert await runner.service("Rewards").expire_roles() >= 1  # the voter role taken back
    runner.clock.set(T0 + dt.timedelta(hours=12, minutes=5))
    await reminders.sweep()
    await press(fake, MEMBER, thank_you, custom_ids(thank_you)[0])  # voting is open: says so
    await command(runner, MEMBER, "remind off")

    # the boards: the live top-10 and the daily post of the day before
    leaderboards = runner.service("Leaderboards")
    await leaderboards.board_tick()
    runner.clock.set(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    await leaderboards.tick()
    assert any(m["embeds"] for m in fake.messages(GENERAL))

    await command(runner, MEMBER, "unlink")
    await command(runner, MEMBER, "unlink")
    assert_no_english(fake, at_least=30)


@pytest.fixture
async def minecraft() -> AsyncIterator[MinecraftResponder]:
    responder = await MinecraftResponder(
        status={
            "version": {"name": "1.21.3", "protocol": 768},
            "players": {
                "max": 100,
                "online": 2,
                "sample": [{"name": PLAYER, "id": "0"}, {"name": PLAYER_TWO, "id": "1"}],
            },
            "description": {"text": "Сервер Альфа"},
        }
    ).start()
    yield responder
    await responder.stop()


async def test_status_board_alerts_and_owner_notices_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder, charts: Drawn
) -> None:
    runner.clock.set(T0)
    server = await ru_server(pool, address=f"127.0.0.1:{minecraft.port}")
    other = await ru_server(pool, "Бета")  # no address
    service = ServerService(pool, features())
    await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    await service.switch_feature(server, "offline_alerts", enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    await service.switch_feature(other, "status_board", enabled=True, channel_id=LOCKED)  # the bot may not post
    runner.running.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    status = runner.service("Status")
    status.monitor.prober = Prober(timeout=0.2, allow_private=status.monitor.allow_private)
    await status.monitor.repository.save_settings(StatusSettings(server.id, failures_to_down=1, confirm_interval_s=15))

    await command(runner, MEMBER, "status")
    await command(runner, MEMBER, "status", server="Бета")
    await command(runner, ADMIN, "status-admin check", server=SERVER)
    await command(runner, ADMIN, "status-admin check", server="Бета")
    await command(runner, MEMBER, "status-admin check", server=SERVER)
    await command(runner, ADMIN, "status-admin configure", server=SERVER, failures=2, interval=120)
    await command(runner, ADMIN, "status-admin configure", server=SERVER, protocol="ъ")
    await status.monitor.repository.save_settings(StatusSettings(server.id, failures_to_down=1, confirm_interval_s=15))

    for mode in ("ok", "silent", "ok"):  # the board, an offline alert, the recovery
        minecraft.mode = mode
        assert await status.monitor.probe_server(server.id) is not None
        runner.clock.advance(60)
    await status.flush_alerts()
    # the board that cannot be posted: the owner is told by DM
    keeper = runner.running.boards
    await keeper.refresh(other, "status_board", BoardContent([discord.Embed(description="ъ")]))
    assert any(r["path"] == "/users/@me/channels" for r in fake.requests)
    assert any("🔴" in (m.get("content") or "") or m.get("embeds") for m in fake.messages(GENERAL))
    await command(runner, MEMBER, "status")
    assert_no_english(fake, at_least=10)
    assert_charts_not_english(charts, at_least=1, kinds={"line", "strip"})  # /status's pictures


async def test_giveaways_wipes_and_reviews_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    server = await ru_server(pool)
    service = ServerService(pool, features())
    for feature in ("giveaways", "wipes", "reviews"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL, role_id=ROLE_VOTER)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(MEMBER), "nick": "Участник", "roles": [str(ROLE_VOTER)],
                     "permissions": str(BASIC)})  # fmt: skip

    # a giveaway: started, entered, left, refused, ended, rerolled
    await command(runner, ADMIN, "giveaway start", prize="Приз", duration="1h", winners=1,
                  required_role=str(ROLE_VOTER), voter_bonus=2)  # fmt: skip
    await command(runner, ADMIN, "giveaway start", prize="Приз", duration="ъ")
    post = next(m for m in reversed(fake.messages(GENERAL)) if m["components"])
    [enter] = custom_ids(post)
    await press(fake, MEMBER, post, enter)
    await press(fake, MEMBER, post, enter)
    await press(fake, MEMBER, post, enter)
    await press(fake, ADMIN, post, enter)  # without the role
    giveaway = int(enter.rsplit(":", 1)[1])
    await command(runner, ADMIN, "giveaway list")
    options = [{"name": "giveaway", "value": "", "focused": True}]
    await interact(fake, ADMIN, type=4, name="giveaway end", options=options)
    await command(runner, ADMIN, "giveaway end", giveaway=giveaway)
    await wait_until(lambda: any("🎉" in (m.get("content") or "") for m in fake.messages(GENERAL)))
    await command(runner, ADMIN, "giveaway reroll", giveaway=giveaway, winners=1)
    await command(runner, ADMIN, "giveaway end", giveaway=giveaway)

    # a wipe: planned, listed, announced the day before and at its start, removed
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    await command(runner, ADMIN, "wipe add", title="Вайп", when=start.strftime("%Y-%m-%d %H:%M"),
                  description="Карта", repeat="weekly")  # fmt: skip
    await command(runner, ADMIN, "wipe add", title="Вайп", when="ъ")
    later = (start + dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    await command(runner, ADMIN, "wipe add", title="Вайп", when=later, discord_event=True)  # no Manage Events
    await command(runner, ADMIN, "wipe remove", wipe=await pool.fetchval("SELECT max(id) FROM wipes"))
    await command(runner, ADMIN, "wipe list")
    wipes = runner.service("Wipes")
    for at in (start - dt.timedelta(hours=2), start + dt.timedelta(minutes=1)):
        runner.clock.set(at)
        await wipes.announce_due(at)
    wipe = await pool.fetchval("SELECT min(id) FROM wipes")
    # next week's date: announced, moved (members are told), then removed (told again)
    await wipes.announce_due(start + dt.timedelta(days=7, hours=-2))
    runner.clock.set(start + dt.timedelta(days=7, hours=-2))
    moved = start + dt.timedelta(days=9)
    await command(runner, ADMIN, "wipe move", wipe=wipe, when=moved.strftime("%Y-%m-%d %H:%M"))
    await wipes.announce_due(runner.clock.now)
    await command(runner, ADMIN, "wipe remove", wipe=wipe)
    await wipes.announce_due(runner.clock.now)
    assert [m for m in fake.messages(GENERAL) if "🔁" in m["content"]] and [
        m for m in fake.messages(GENERAL) if "❌" in m["content"]
    ]
    await command(runner, ADMIN, "wipe list")

    # a second giveaway, cancelled
    await command(runner, ADMIN, "giveaway start", prize="Второй", duration="2d", winners=2, voted_this_month=True)
    await command(runner, ADMIN, "giveaway cancel", giveaway=giveaway + 1)
    await command(runner, ADMIN, "giveaway end", giveaway=giveaway + 1)

    # a review: the form, its answer and the alert
    opened = await runner.command(MEMBER, "review", locale=RU)
    assert opened[0]["type"] == 9, opened
    await interact(
        fake, MEMBER, type=5, custom_id=opened[0]["data"]["custom_id"], fields={"rating": "4", "text": "Хорошо"}
    )
    opened = await runner.command(MEMBER, "review", locale=RU)  # prefilled: edits the review; a bad rating
    await interact(fake, MEMBER, type=5, custom_id=opened[0]["data"]["custom_id"], fields={"rating": "ъ", "text": "Ъ"})
    await wait_until(
        lambda: any(m["embeds"] and "★" in m["embeds"][0].get("description", "") for m in fake.messages(GENERAL))
    )
    assert_no_english(fake, at_least=25)


async def test_pushed_events_speak_russian(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    runner.clock.set(T0)
    server = await ru_server(pool, category="выживание")
    service = ServerService(pool, features())
    for feature in ("reviews", "giveaways", "wipes", "milestones"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL)
    await store_secret(CredentialRepository(pool), server.id, "events", SECRET)
    starts = T0 + dt.timedelta(days=2)
    events = [
        {"type": "review.create", "id": "e1", "data": {"author": PLAYER, "rating": 5, "text": "Отлично"}},
        {"type": "giveaway.winner", "id": "e2",
         "data": {"prize": "Приз", "winners": [{"name": PLAYER, "discord_id": str(MEMBER)}, {"name": PLAYER_TWO}]}},
        {"type": "wipe.scheduled", "id": "e3",
         "data": {"wipe_id": "w1", "title": "Вайп", "starts_at": starts.isoformat(), "repeat": "weekly"}},
        {"type": "rank.update", "id": "e4", "data": {"rank": 3, "previous_rank": 5}},
        {"type": "rank.update", "id": "e5", "data": {"rank": 2, "category": "Выживание"}},
    ]  # fmt: skip
    async with aiohttp.ClientSession(base_url=runner.web_url) as http:
        for event in events:
            assert (await push(http, server.id, event))[0] == 202, event
    await settled(runner)
    await wait_until(lambda: len(fake.messages(GENERAL)) >= 4)
    wipes = runner.service("Wipes")
    for at in (starts - dt.timedelta(hours=2), starts + dt.timedelta(minutes=1)):
        runner.clock.set(at)
        await wipes.announce_due(at)
    async with aiohttp.ClientSession(base_url=runner.web_url) as http:
        cancelled = {"type": "wipe.cancelled", "id": "e6", "data": {"wipe_id": "w1"}}
        assert (await push(http, server.id, cancelled))[0] == 202
    await settled(runner)
    await wipes.announce_due(runner.clock.now)
    await command(runner, ADMIN, "wipe list")

    # new reviews on Top.gg, polled
    project = {"id": "1", "review_count": 10, "review_score": 4.5}

    async def me(request: web.Request) -> web.Response:
        return web.json_response(project)

    app = web.Application()
    app.router.add_get("/api/v1/projects/@me", me)
    await store_secret(CredentialRepository(pool), server.id, "topgg", "whs_secret_value")
    reviews: Any = runner.service("Reviews")
    async with serving(app) as base_url:
        reviews._poller = TopggReviewPoller(pool, "tok", f"{base_url}/api/v1")
        assert await reviews.poll_topgg() is None  # the baseline
        project["review_count"], project["review_score"] = 12, 4.6
        assert await reviews.poll_topgg() is not None
    assert any("⭐" in m["content"] and "4,6" in m["content"] for m in fake.messages(GENERAL))
    assert_no_english(fake, at_least=8)


async def test_owner_notices_speak_russian(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    """Channels that refuse the bot and a role it must not hand out: the owner is told by DM, in Russian."""
    dangerous = 1_100_000_000_000_000_202
    fake.add_role({"guild_id": str(GUILD_ID), "id": str(dangerous), "name": "Модератор",
                   "permissions": str(1 << 5), "position": 2})  # fmt: skip  # Manage Server
    october = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
    runner.clock.set(october)
    server = await ru_server(pool)
    service = ServerService(pool, features())
    await service.switch_feature(server, "vote", enabled=True, channel_id=LOCKED, role_id=dangerous)
    for feature in ("milestones", "daily_leaderboard", "reminders"):
        await service.switch_feature(server, feature, enabled=True, channel_id=LOCKED)
    await service.switch_feature(server, "top_voter_role", enabled=True, role_id=dangerous)
    await service.switch_feature(server, "reviews", enabled=True, channel_id=999)  # a channel that is gone
    await pool.execute("INSERT INTO player_links (server_id, discord_user_id, player_name) VALUES ($1, $2, $3)",
                       server.id, MEMBER, PLAYER)  # fmt: skip
    await command(runner, ADMIN, "milestones settings", thresholds="1", every=1)

    await record_vote(pool, server, "v1", october, player_name=PLAYER, expires_at=october + dt.timedelta(hours=2))
    await delivered(pool)
    leaderboards = runner.service("Leaderboards")
    runner.clock.set(dt.datetime(2026, 10, 21, 9, 0, tzinfo=dt.UTC))
    await leaderboards.tick()  # the daily post, refused
    runner.clock.set(dt.datetime(2026, 11, 1, 0, 1, tzinfo=dt.UTC))
    await leaderboards.tick()  # the top-voter role for October, refused
    await runner.restart()  # the start-up audit of every configured channel
    owner_dms = int(fake.state.dm_channel_for(ADMIN)["id"])
    await wait_until(lambda: len(texts(fake, owner_dms)) >= 6, timeout=10)
    assert_no_english(fake, at_least=6)


async def test_edge_cases_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder, charts: Drawn
) -> None:
    """The rarer answers: an outdated command, crafted values, a voice channel, closed DMs, a failed check."""
    runner.clock.set(T0)
    server = await ru_server(pool, category="выживание", address=f"127.0.0.1:{minecraft.port}")
    rival = await ru_server(pool, "Бета", category="выживание")
    service = ServerService(pool, features())
    for feature in ("reminders", "milestones", "giveaways"):
        await service.switch_feature(server, feature, enabled=True, channel_id=GENERAL)
    await service.switch_feature(server, "top_voter_role", enabled=True, role_id=ROLE_VOTER)
    await command(runner, ADMIN, "rewards setup", server=SERVER, channel=str(GENERAL))

    await command(runner, MEMBER, "remind me")  # a command this version does not have
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="фейерверк", channel=str(GENERAL))
    voice = 1_100_000_000_000_000_777
    fake.add_channel({"guild_id": str(GUILD_ID), "id": str(voice), "name": "Голосовой", "type": 2})
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="giveaways", channel=str(voice))
    await command(runner, ADMIN, "setup server", name=SERVER, vote_url="https://example.com/c")  # taken
    await command(runner, MEMBER, "link", server=SERVER, player="ъ" * 65)
    minecraft.mode = "garbage"
    await command(runner, MEMBER, "status", server=SERVER)
    # Discord refuses the channel notice; then a bug: the incident reply
    fake.add_fault({"method": "POST", "path_regex": rf"/channels/{GENERAL}/messages$", "status": 403, "count": 1})
    await command(runner, ADMIN, "feature enable", server=SERVER, feature="wipes", channel=str(GENERAL))

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner.running.servers, "list_for_guild", broken)
        assert pseudo("incident") in await command(runner, ADMIN, "setup list")

    # a giveaway only for this month's voters, refused to someone who did not vote
    await command(runner, ADMIN, "giveaway start", server=SERVER, prize="Приз", duration="1h", voted_this_month=True)
    post = next(m for m in reversed(fake.messages(GENERAL)) if m["components"])
    await press(fake, MEMBER, post, custom_ids(post)[0])

    # a rank-up among servers of the same category; a reminder whose DM is closed falls back to the channel
    await pool.execute(
        "INSERT INTO player_links (server_id, discord_user_id, player_name) VALUES ($1, $2, $3)",
        server.id,
        MEMBER,
        PLAYER,
    )
    for key in ("b1", "b2"):
        await record_vote(pool, rival, key, T0, player_name=PLAYER_TWO)
    await delivered(pool)
    await record_vote(pool, server, "a1", T0, player_name=PLAYER, expires_at=T0 + dt.timedelta(hours=1))
    await delivered(pool)  # second of two: the month's baseline
    await record_vote(pool, server, "a2", T0, player_name=PLAYER, expires_at=T0 + dt.timedelta(hours=1))
    await delivered(pool)
    await wait_until(lambda: any("📈" in t for t in texts(fake, GENERAL)))
    thank_you = next(m for m in fake.messages(GENERAL) if custom_ids(m) and "🎉" in m["content"])
    await press(fake, MEMBER, thank_you, custom_ids(thank_you)[0])
    fake.set_dms_open(MEMBER, False)
    runner.clock.set(T0 + dt.timedelta(hours=1, seconds=1))
    await runner.service("Reminders").sweep()

    # the month is over: the top-voter role changes hands
    runner.clock.set(dt.datetime(2026, 12, 1, 0, 1, tzinfo=dt.UTC))
    await runner.service("Leaderboards").tick()
    assert ROLE_VOTER in [int(r) for r in fake.state.get_member(fake.state.get_guild(GUILD_ID), MEMBER)["roles"]]
    assert_no_english(fake, at_least=12)
    assert_charts_not_english(charts, at_least=1)  # the picture of a server that answers garbage


async def test_posts_speak_the_servers_language_when_members_speak_english(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """An English-speaking admin and member in a Russian server: their private answers are English, but what the
    bot posts, edits or tells the owner — even when a command or a button caused it — is Russian."""
    en = "en-US"
    server = await ru_server(pool)
    for feature in ("giveaways", "reviews", "wipes", "reminders", "milestones"):
        await command(runner, ADMIN, "feature enable", locale=en, server=SERVER, feature=feature, channel=str(GENERAL))
    await command(runner, ADMIN, "rewards setup", locale=en, channel=str(GENERAL), role=str(ROLE_VOTER))
    await command(runner, ADMIN, "milestones settings", locale=en, thresholds="1", every=1)
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(MEMBER), "nick": "Участник", "roles": [str(ROLE_VOTER)],
                     "permissions": str(BASIC)})  # fmt: skip

    # a giveaway: its post, the count updated when an English-speaking member enters, the winners
    await command(runner, ADMIN, "giveaway start", locale=en, prize="Приз", duration="1h", voter_bonus=1)
    post = next(m for m in reversed(fake.messages(GENERAL)) if m["components"])
    await press(fake, MEMBER, post, custom_ids(post)[0], locale=en)
    giveaway = int(custom_ids(post)[0].rsplit(":", 1)[1])
    await command(runner, ADMIN, "giveaway end", locale=en, giveaway=giveaway)
    await command(runner, ADMIN, "giveaway reroll", locale=en, giveaway=giveaway)

    # a review written in an English client, a wipe planned in one, a vote's thank-you and its button pressed
    opened = await runner.command(MEMBER, "review", locale=en)
    await interact(fake, MEMBER, type=5, custom_id=opened[0]["data"]["custom_id"], fields={"rating": "5", "text": "Да"},
                   locale=en)  # fmt: skip
    start = (runner.clock.now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    await command(runner, ADMIN, "wipe add", locale=en, title="Вайп", when=start.strftime("%Y-%m-%d %H:%M"))
    await runner.service("Wipes").announce_due(start - dt.timedelta(hours=1))
    code = link_code(await command(runner, MEMBER, "link", locale=en, player=PLAYER))
    assert (await confirm_link(runner, pool, server, code, PLAYER))[0] == 200
    now = runner.clock.now
    await record_vote(pool, server, "v1", now, player_name=PLAYER, expires_at=now + dt.timedelta(hours=1))
    await delivered(pool)
    thank_you = next(m for m in fake.messages(GENERAL) if custom_ids(m) and "🎉" in m["content"])
    await press(fake, MEMBER, thank_you, custom_ids(thank_you)[0], locale=en)
    runner.clock.advance(hours=1, seconds=1)
    await runner.service("Reminders").sweep()
    await wait_until(
        lambda: any("★" in (m["embeds"] or [{}])[0].get("description", "") for m in fake.messages(GENERAL))
    )
    assert_posts_not_english(fake, at_least=15)


# ------------------------------------------------------------------ this round: pictures, the recap, coalesced thanks


async def vote(pool: asyncpg.Pool, server: Server, key: str, at: dt.datetime, provider: str = "topserver",
               **kwargs: Any) -> None:  # fmt: skip
    """A vote through the real ledger, from ``provider`` (Top-Server by player name, Top.gg by Discord id)."""
    assert (await VoteLedger(pool).record(Vote(server.id, provider, key, at, **kwargs))).vote_id is not None


def day(month: int, number: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, number, hour, tzinfo=dt.UTC)


async def test_stats_and_their_charts_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, charts: Drawn
) -> None:
    """/stats server (with votes, new this month, empty), /stats me (with votes and with none), /stats-admin post and
    its refusals, the cooldown: the replies, the alt texts and the charts' titles, legends and day labels."""
    runner.clock.set(T0)
    server = await ru_server(pool, category="выживание", timezone="Europe/Moscow")
    rival = await ru_server(pool, "Бета", category="выживание")
    await ru_server(pool, "Гамма")  # no category, no votes: an empty chart
    for n, moment in enumerate([day(11, 20), day(11, 21), day(11, 22), day(10, 5), day(10, 10), day(10, 28)]):
        await vote(pool, server, f"steve{n}", moment, player_name=PLAYER)
    for n, moment in enumerate([day(11, 22, 9), day(11, 23, 8), day(10, 12)]):
        await vote(pool, server, f"member{n}", moment, "topgg", discord_user_id=MEMBER)
    await vote(pool, server, "alex", day(11, 24, 10), player_name=PLAYER_TWO)
    for n in range(4):
        await vote(pool, rival, f"beta{n}", day(11, 3), player_name=f"Игрок{n}")
    await delivered(pool)

    assert "**6**" in await command(runner, MEMBER, "stats server")  # this month: Стив 3, the member 2, Алекс 1
    await command(runner, MEMBER, "stats server", server="Бета")  # new this month
    await command(runner, MEMBER, "stats server", server="Гамма")  # the third in ten seconds: please wait
    await command(runner, ADMIN, "stats server", server="Гамма")  # nothing this month nor last
    await command(runner, MEMBER, "stats me")
    await command(runner, ADMIN, "stats me")  # no votes: told how
    await command(runner, ADMIN, "stats me", server="Гамма")
    await command(runner, ADMIN, "stats-admin post")  # here, for everyone
    await command(runner, ADMIN, "stats-admin post", channel=str(LOCKED))  # the bot may not post there
    await command(runner, MEMBER, "stats-admin post")  # not an admin
    [post] = [m for m in fake.messages(GENERAL) if m["attachments"]]
    assert post["embeds"][0]["image"]["url"] == post["attachments"][0]["url"]
    assert fake.messages(LOCKED) == []
    assert_no_english(fake, at_least=25)
    # the server's chart (30 days, Top-Server and Top.gg stacked), Beta's, Gamma's empty one, the member's own
    assert_charts_not_english(charts, at_least=5, kinds={"bars"})
    titles = {chart.title for chart in charts if not isinstance(chart, Panels)}
    assert len(titles) >= 2 and all(titles)
    legends = {series.name for chart in charts if not isinstance(chart, Panels) for series in chart.series}
    assert {pseudo("Top-Server"), pseudo("Top.gg")} <= legends  # the listing sites, stacked
    assert any(chart.empty and chart.empty_text for chart in charts if not isinstance(chart, Panels))


async def test_status_pictures_and_the_board_with_its_picture_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder, charts: Drawn
) -> None:
    """/status with its picture (players over 24 hours above the uptime strip; a server never checked, one nobody
    plays on), /status-admin board with and without picture:True, and the board's embed showing the picture."""
    runner.clock.set(T0 + dt.timedelta(minutes=20))
    address = f"127.0.0.1:{minecraft.port}"
    server = await ru_server(pool, address=address, timezone="Europe/Moscow")
    empty = await ru_server(pool, "Бета", address=address)
    never = await ru_server(pool, "Гамма", address=address)
    service = ServerService(pool, features())
    await service.switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    repo = StatusRepository(pool)
    hour = dt.timedelta(hours=1)
    for back in range(1, 30):  # a day and more: up with players, an outage three hours ago, a gap the bot was off
        if back in (7, 8):
            continue
        down = 900.0 if back == 3 else 0.0
        await repo.add_hour(server.id, HourStats(T0 - back * hour, 3600 - down, down, 60, 1000 + back % 5))
        await repo.add_hour(empty.id, HourStats(T0 - back * hour, 3600.0, 0.0, 60, 0))  # nobody played
    status: StatusService = runner.service("Status")
    runner.running.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    status.monitor.prober = Prober(timeout=0.2, allow_private=status.monitor.allow_private)
    assert await status.monitor.probe_server(server.id) is not None  # the board, without its picture

    await command(runner, MEMBER, "status")  # every server: three pictures
    await command(runner, MEMBER, "status", server="Гамма")
    await command(runner, ADMIN, "status-admin board")  # no picture: how to add one
    await command(runner, ADMIN, "status-admin board", picture=True)  # the board redrawn with its picture
    runner.clock.advance(60)
    assert await status.monitor.probe_server(server.id) is not None  # edited, the picture kept
    await command(runner, ADMIN, "status-admin board")
    await command(runner, ADMIN, "status-admin board", server="Бета", picture=True)  # its board is off: says so
    await command(runner, MEMBER, "status-admin board", picture=False)  # not an admin
    [board] = [m for m in fake.messages(GENERAL) if m["embeds"]]
    assert board["attachments"] and board["embeds"][0]["image"]["url"] == board["attachments"][0]["url"]
    await command(runner, ADMIN, "status-admin board", picture=False)
    assert never.id
    assert_no_english(fake, at_least=20)
    # one picture per server and hour (the board shows the one /status drew: the service keeps it for the hour)
    assert_charts_not_english(charts, at_least=3, kinds={"line", "strip"})
    drawn = [chart for picture in charts if isinstance(picture, Panels) for chart in picture.charts]
    assert {chart.empty_text for chart in drawn if chart.kind == "line" and chart.empty} == {
        pseudo("No players in the last 24 hours"),
        pseudo("No data for the last 24 hours yet"),
    }


async def test_the_monthly_recap_and_its_chart_speak_russian(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, charts: Drawn
) -> None:
    """On the 1st at the post time (the server's zone): October against a September without votes, its top voters
    and best day; then November, whose votes carry no name, against October."""
    server = await ru_server(pool, timezone="Europe/Moscow")  # the daily post at 09:00 Moscow: 06:00 UTC
    await ServerService(pool, features()).switch_feature(server, "daily_leaderboard", enabled=True, channel_id=GENERAL)
    code = link_code(await command(runner, MEMBER, "link", player=PLAYER))
    assert (await confirm_link(runner, pool, server, code, PLAYER))[0] == 200
    for n, moment in enumerate([day(10, 5, 10), day(10, 5, 11), day(10, 20)]):
        await vote(pool, server, f"steve{n}", moment, player_name=PLAYER)
    await vote(pool, server, "member", day(10, 12, 10), "topgg", discord_user_id=MEMBER)
    await vote(pool, server, "alex", day(10, 12, 9), player_name=PLAYER_TWO)
    for n in range(2):
        await vote(pool, server, f"nobody{n}", day(11, 10 + n))  # no player name, no member
    await delivered(pool)

    leaderboards = runner.service("Leaderboards")
    for moment in (dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)):
        runner.clock.set(moment)
        await leaderboards.tick()
    recaps = [m for m in fake.messages(GENERAL) if m["attachments"]]
    assert len(recaps) == 2 and all(m["embeds"][0]["image"]["url"] == m["attachments"][0]["url"] for m in recaps)
    assert_no_english(fake, at_least=12)
    assert_charts_not_english(charts, at_least=2, kinds={"bars"})
    october, november = ("\n".join(f["value"] for f in m["embeds"][0]["fields"]) for m in recaps)
    assert f"<@{MEMBER}>" in october and letters("No named voters") in november
    assert all(chart.title for chart in charts if not isinstance(chart, Panels))


async def test_a_burst_of_votes_is_thanked_in_russian(runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord) -> None:
    """A burst thanked in a few coalesced posts ("🎉 Thank you Alice, Bob, and 12 other voters …"), a pinged member
    named first, the Remind me button; then a burst of voters without a name ("Thank you to the 12 voters …")."""
    server = await ru_server(pool)
    service = ServerService(pool, features())
    await service.switch_feature(server, "vote", enabled=True, channel_id=GENERAL)
    await service.switch_feature(server, "reminders", enabled=True, channel_id=GENERAL)
    code = link_code(await command(runner, MEMBER, "link", player="Игрок07", ping=True))
    assert (await confirm_link(runner, pool, server, code, "Игрок07"))[0] == 200

    async def thanked(count: int) -> None:
        deadline = asyncio.get_running_loop().time() + 30
        while await pool.fetchval("SELECT count(*) FROM vote_rewards WHERE thanked_at IS NOT NULL") < count:
            assert asyncio.get_running_loop().time() < deadline, "the burst was not thanked within 30 s"
            await asyncio.sleep(0.05)

    now = runner.clock.now
    await VoteLedger(pool).record_many(
        [Vote(server.id, "topserver", f"burst{i}", now, player_name=f"Игрок{i:02}") for i in range(30)]
    )
    await thanked(30)
    await VoteLedger(pool).record_many([Vote(server.id, "topserver", f"nameless{i}", now) for i in range(12)])
    await thanked(42)
    assert_no_english(fake, at_least=8)
    posts = texts(fake, GENERAL)  # the flows above happened: coalesced posts, the pinged member first, no names
    assert any(letters("other voters") in text for text in posts) and any(f"<@{MEMBER}>" in t for t in posts), posts
    assert any(letters("Thank you to the") in text for text in posts), posts


async def test_pictures_posted_for_everyone_speak_the_servers_language_when_admins_speak_english(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord, minecraft: MinecraftResponder, charts: Drawn
) -> None:
    """An English-speaking admin posts the stats and puts the picture on the status board of a Russian server: their
    own answers are English, but the posts, the boards, their alt texts and their charts are Russian."""
    en = "en-US"
    runner.clock.set(T0 + dt.timedelta(minutes=20))
    server = await ru_server(pool, category="выживание", address=f"127.0.0.1:{minecraft.port}")
    for n, moment in enumerate([day(11, 20), day(11, 21), day(10, 5)]):
        await vote(pool, server, f"steve{n}", moment, player_name=PLAYER)
    await vote(pool, server, "member", day(11, 22), "topgg", discord_user_id=MEMBER)
    await delivered(pool)
    await command(runner, ADMIN, "stats-admin post", locale=en)
    await command(runner, ADMIN, "stats-admin post", locale=en, channel=str(LOCKED))  # refused: the admin is told

    await ServerService(pool, features()).switch_feature(server, "status_board", enabled=True, channel_id=GENERAL)
    repo = StatusRepository(pool)
    for back in range(1, 30):
        await repo.add_hour(server.id, HourStats(T0 - back * dt.timedelta(hours=1), 3600.0, 0.0, 60, 1200 + back))
    status: StatusService = runner.service("Status")
    runner.running.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    status.monitor.prober = Prober(timeout=0.2, allow_private=status.monitor.allow_private)
    assert await status.monitor.probe_server(server.id) is not None
    await command(runner, ADMIN, "status-admin board", locale=en, picture=True)  # redrawn by the admin's command
    [board] = [m for m in fake.messages(GENERAL) if [a for a in m["attachments"] if a["filename"].startswith("status")]]
    assert board["embeds"][0]["image"]["url"] == board["attachments"][0]["url"]
    assert_posts_not_english(fake, at_least=12)
    assert_charts_not_english(charts, at_least=2, kinds={"bars", "line", "strip"})  # nothing drawn for the admin
