"""The charts page, the status section and the owners' instance page over real HTTP against the running bot: real
votes in the database, a real loopback game server checked by the bot's own status service, the SVGs drawn by the
bot's chart renderer (in the reader's language), and the refusals (a member without Manage Server, a person who
is not a bot owner)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from bot.app.config import Config, load_config
from bot.core.errors import UserError
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from bot.web.dashboard.sections import Fact
from cogs.status.spec import INTERVAL
from tests.cogs.status.responders import MinecraftResponder
from tests.conftest import bot_environ
from tests.e2e.dashboard.client import DashboardClient, dashboard_environ
from tests.e2e.engagement_helpers import delivered, make_server
from tests.e2e.harness import ADMIN, GENERAL, MEMBER, BotRunner
from tests.e2e.test_status import driven_cog, probe
from tests.e2e.test_status_pictures import add_server
from tests.fakediscord import FakeDiscord

OWNER = 1_100_000_000_000_000_999  # discord.owner_ids of these tests' config
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def config(tmp_path, database_url: str, fake: FakeDiscord, port: int) -> Config:
    """The dashboard's test settings, with private game-server addresses allowed (a loopback responder)."""
    environ = bot_environ(database_url, str(tmp_path / "data"))
    environ |= dashboard_environ(port, fake.application_id)
    environ["VOTEBOT_DISCORD__OWNER_IDS"] = str(OWNER)
    environ["VOTEBOT_DISCORD__API_BASE_URL"] = fake.api_base_url
    environ["VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES"] = "true"
    (tmp_path / "bot.toml").write_text("")
    return load_config(tmp_path / "bot.toml", environ=environ)


@pytest.fixture
async def minecraft() -> AsyncIterator[MinecraftResponder]:
    responder = await MinecraftResponder().start()
    yield responder
    await responder.stop()


def at(day: int, hour: int = 12, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


async def vote(pool: asyncpg.Pool, server: Server, key: str, moment: dt.datetime, **kwargs: Any) -> None:
    result = await VoteLedger(pool).record(Vote(server.id, kwargs.pop("provider", "topserver"), key, moment, **kwargs))
    assert result.vote_id is not None


async def with_votes(pool: asyncpg.Pool) -> Server:
    """Alpha: 6 votes this month (steve 3, the member 2 on Top.gg, alex 1), 2 in the same days of October and 3
    in all of it (the clock is pinned at noon on 18 November)."""
    alpha = await make_server(pool, "Alpha")
    for n, day in enumerate((14, 15, 16)):
        await vote(pool, alpha, f"steve{n}", at(day), player_name="steve")
    for n, day in enumerate((16, 17)):
        await vote(pool, alpha, f"member{n}", at(day), discord_user_id=MEMBER, provider="topgg")
    await vote(pool, alpha, "alex", at(18, 9), player_name="alex")
    for n, day in enumerate((2, 9, 30)):
        await vote(pool, alpha, f"oct{n}", at(day, month=10), player_name="old")
    await delivered(pool)
    return alpha


def svg_texts(body: str) -> list[str]:
    root = ET.fromstring(body)  # noqa: S314 - the bot's own SVG; valid XML, or this raises
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


async def test_the_charts_page_shows_the_month_the_top_voters_and_the_votes_chart(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    alpha = await with_votes(pool)
    await browser_less.log_in(ADMIN)
    page = await browser_less.get(f"/dashboard/servers/{alpha.id}/charts")
    assert page.status == 200, page.plain
    assert "Votes in November 2026 6" in page.plain, page.plain
    assert "+200%" in page.plain  # 6 against the 2 of the same days of October (as /stats server says)
    assert "Same days of October 2026: 2 · whole month: 3" in page.plain
    assert "1 steve 3 2 member 2 3 alex 1" in page.plain  # the member named as the bot knows them
    assert f'src="/dashboard/servers/{alpha.id}/charts/votes.svg"' in page.text
    assert 'class="chart"' in page.text
    assert "alt=\"Bar chart of the votes for Alpha per day over the last 30 days, by listing site; 6 votes in " \
        "November 2026.\"" in page.text  # fmt: skip

    picture = await browser_less.get(f"/dashboard/servers/{alpha.id}/charts/votes.svg")
    assert picture.status == 200 and picture.headers["Content-Type"].startswith("image/svg+xml")
    texts = svg_texts(picture.text)
    assert "Votes per day, last 30 days" in texts
    assert {"Top-Server", "Top.gg"} <= set(texts), texts  # the legend: votes stacked by listing site

    # in French, the chart's texts are French
    await browser_less.post("/dashboard/language", {"lang": "fr", "next": "/dashboard/"}, csrf=page.csrf)
    french = await browser_less.get(f"/dashboard/servers/{alpha.id}/charts/votes.svg")
    texts = svg_texts(french.text)
    assert any(text.startswith("Votes par jour") for text in texts), texts
    assert "Votes per day, last 30 days" not in texts
    french_page = await browser_less.get(f"/dashboard/servers/{alpha.id}/charts")
    assert "novembre 2026" in french_page.plain


async def test_an_empty_month_says_so(runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool) -> None:
    quiet = await make_server(pool, "Quiet")
    await browser_less.log_in(ADMIN)
    page = await browser_less.get(f"/dashboard/servers/{quiet.id}/charts")
    assert page.status == 200
    assert "Nobody has voted this month yet." in page.plain
    texts = svg_texts((await browser_less.get(f"/dashboard/servers/{quiet.id}/charts/votes.svg")).text)
    assert "No votes yet" in texts


async def test_a_member_without_manage_server_gets_404_on_the_charts_and_status_pages(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    alpha = await with_votes(pool)
    await browser_less.log_in(MEMBER)
    for path in ("charts", "charts/votes.svg", "s/status", "s/status/picture.svg"):
        page = await browser_less.get(f"/dashboard/servers/{alpha.id}/{path}")
        assert page.status == 404, path
        assert "steve" not in page.text and "<svg" not in page.text
    token = (await browser_less.get("/dashboard/")).csrf
    posted = await browser_less.post(
        f"/dashboard/servers/{alpha.id}/s/status", {"setting.interval_s": "120"}, csrf=token
    )
    assert posted.status == 404
    assert await pool.fetchval("SELECT count(*) FROM status_settings") == 0


async def test_the_status_section_shows_the_check_the_picture_and_saves_the_query_settings(
    runner: BotRunner, browser_less: DashboardClient, pool: asyncpg.Pool, minecraft: MinecraftResponder
) -> None:
    server_id = await add_server(pool, "Survival", minecraft.port, board=True)
    service = await driven_cog(runner, runner.clock)
    await probe(service, server_id, runner.clock, 60)

    await browser_less.log_in(ADMIN)
    overview = await browser_less.get(f"/dashboard/servers/{server_id}")
    assert "Game server status" in overview.plain  # in the server's menu
    page = await browser_less.get(f"/dashboard/servers/{server_id}/s/status")
    assert page.status == 200, page.plain
    assert "Status Online" in page.plain, page.plain
    assert "Players 2/100" in page.plain
    assert "Last check" in page.plain
    assert f'src="/dashboard/servers/{server_id}/s/status/picture.svg"' in page.text
    for name in ("query_port", "interval_s", "failures_to_down", "confirm_interval_s", "connect_url"):
        assert f'<label for="setting.{name}">' in page.text, name
    assert "Seconds between checks" in page.plain and "30" in page.plain  # help from the declaration

    picture = await browser_less.get(f"/dashboard/servers/{server_id}/s/status/picture.svg")
    assert picture.status == 200 and picture.headers["Content-Type"].startswith("image/svg+xml")
    texts = svg_texts(picture.text)
    assert "Players, last 24 hours (most at once each hour)" in texts
    assert (await browser_less.get(f"/dashboard/servers/{server_id}/s/status/other")).status == 404

    # out of bounds: the declaration's own refusal, nothing saved
    try:
        INTERVAL.parse("5")
    except UserError as refusal:
        expected = str(refusal)
    refused = await browser_less.post(f"/dashboard/servers/{server_id}/s/status", {"setting.interval_s": "5"})
    assert refused.status == 422
    assert expected in refused.plain  # "The check interval must be 30 to 3,600 seconds, not 5."
    assert 'value="5"' in refused.text  # what was typed is shown again
    assert await pool.fetchval("SELECT count(*) FROM status_settings") == 0

    done = await browser_less.post(
        f"/dashboard/servers/{server_id}/s/status", {"setting.interval_s": "120", "setting.failures_to_down": "4"}
    )
    assert done.status == 200, done.plain
    assert "Saved the status settings for Survival" in done.plain, done.plain
    assert "answers" in done.plain  # the test check's outcome
    row = await pool.fetchrow(
        "SELECT interval_s, failures_to_down FROM status_settings WHERE server_id = $1", server_id
    )
    assert (row["interval_s"], row["failures_to_down"]) == (120, 4)
    audit = await pool.fetchrow(
        "SELECT source, user_id, action, details FROM audit_log WHERE action = 'status.settings'"
    )
    assert audit["source"] == "dashboard" and audit["user_id"] == ADMIN
    assert audit["details"]["changes"]["interval_s"] == [60, 120]


async def test_the_instance_page_is_for_bot_owners_only(
    runner: BotRunner, fake: FakeDiscord, browser_less: DashboardClient, pool: asyncpg.Pool
) -> None:
    alpha = await with_votes(pool)
    await runner.running.servers.switch_feature(alpha, "status_board", enabled=True, channel_id=GENERAL)
    vote_id = await pool.fetchval("SELECT id FROM votes WHERE external_id = 'alex'")
    await pool.execute(
        "INSERT INTO vote_dead_letters (vote_id, consumer, attempts, last_error, dead_at) VALUES ($1, $2, 5, $3, $4)",
        vote_id,
        "rewards",
        "Discord said no",
        at(18, 10),
    )

    await browser_less.log_in(ADMIN)  # owns the guild, not the bot
    home = await browser_less.get("/dashboard/")
    assert "/dashboard/instance" not in home.text
    assert (await browser_less.get("/dashboard/instance")).status == 404

    async def backlog() -> list[Fact]:
        return [Fact("Messages waiting", "7")]

    async def broken() -> list[Fact]:
        raise RuntimeError("the feature's own table is gone")

    runner.running.dashboard.add_instance_facts("Forwarding backlog", backlog)
    runner.running.dashboard.add_instance_facts("Broken facts", broken)
    fake.add_user({"id": OWNER, "name": "operator"})
    owner = DashboardClient(browser_less.base)
    try:
        await owner.log_in(OWNER)
        page = await owner.get("/dashboard/instance")
        assert page.status == 200, page.plain
        assert "Database reachable" in page.plain
        assert "Dead letters 1" in page.plain
        assert "Votes waiting for delivery 0" in page.plain
        assert "Discord said no" in page.plain and "rewards" in page.plain
        assert f"{alpha.id} Test Guild Alpha on Live status board" in page.plain, page.plain
        assert "Forwarding backlog Messages waiting 7" in page.plain  # what a feature adds
        assert "Broken facts These figures could not be read right now." in page.plain  # the rest still shows
    finally:
        await owner.close()
