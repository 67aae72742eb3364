"""/stats end to end: the real bot against fakediscord — the server's picture and figures, a member's month and
place, an empty month, languages, the admins' public post, and a signed vote answered at once while 50 pictures
render."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

import aiohttp
import asyncpg
import pytest
from babel.support import NullTranslations

from bot.core import i18n
from bot.core.command_translator import NAME_CONTEXTS
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from bot.web.providers import sign_topserver
from tests.e2e.engagement_helpers import delivered, make_server
from tests.e2e.harness import ADMIN, BASIC, GENERAL, GUILD_ID, LOCKED, MEMBER, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

EPHEMERAL = 1 << 6
PNG = b"\x89PNG\r\n\x1a\n"
OTHER = 1_100_000_000_000_000_401
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)  # the harness's pinned clock: mid-November
TOPSERVER_SECRET = "ts-push-secret-0123456789"


class PseudoFrench(NullTranslations):
    """Every text comes out as ``[fr] <English>``: a text built outside the language in force shows without it."""

    def gettext(self, message: str) -> str:
        return f"[fr] {message}"[: max(100, len(message))]

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"[fr] {singular if n == 1 else plural}"

    def pgettext(self, context: str, message: str) -> str:
        if context in NAME_CONTEXTS.values():
            return f"fr-{message}"
        return f"[fr] {message}"


@pytest.fixture
def pseudo_french(monkeypatch: pytest.MonkeyPatch) -> None:
    english = NullTranslations()
    monkeypatch.setattr(i18n, "_translations", lambda identifier: PseudoFrench() if identifier == "fr" else english)


async def record_vote(
    pool: asyncpg.Pool,
    server: Server,
    vote_id: str,
    moment: dt.datetime,
    provider: str = "topserver",
    **kwargs: Any,
) -> None:
    """A vote through the real ledger (as the intake records it), from ``provider``."""
    result = await VoteLedger(pool).record(Vote(server.id, provider, vote_id, moment, **kwargs))
    assert result.vote_id is not None


def at(day: int, hour: int = 12, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


async def alpha_with_votes(pool: asyncpg.Pool, fake: FakeDiscord, **columns: Any) -> Server:
    """Alpha (category survival) with votes from Top-Server (player names) and Top.gg (Discord ids) over several
    days: 8 this month (steve 3, MEMBER 2, OTHER 2, alex 1), 5 in the same days of October and 7 in all of it;
    Beta and Gamma in the same category with 10 and 1."""
    fake.add_member({"guild_id": str(GUILD_ID), "id": str(OTHER), "name": "other", "roles": [], "permissions": "0"})
    alpha = await make_server(pool, "Alpha", category="survival", **columns)
    beta = await make_server(pool, "Beta", category="survival")
    gamma = await make_server(pool, "Gamma", category="survival")
    for n, moment in enumerate([at(14), at(15), at(16)]):
        await record_vote(pool, alpha, f"steve{n}", moment, player_name="steve")
    for n, moment in enumerate([at(16, 9), at(17, 8)]):
        await record_vote(pool, alpha, f"member{n}", moment, discord_user_id=MEMBER, provider="topgg")
    for n, moment in enumerate([at(10), at(17, 9)]):
        await record_vote(pool, alpha, f"other{n}", moment, discord_user_id=OTHER, provider="topgg")
    await record_vote(pool, alpha, "alex", at(18, 11), player_name="alex")
    for n, moment in enumerate([at(2, month=10), at(9, month=10), at(18, 11, month=10), at(18, 3, month=10)]):
        await record_vote(pool, alpha, f"oct{n}", moment, player_name="old")
    await record_vote(pool, alpha, "oct-gg", at(5, month=10), discord_user_id=OTHER, provider="topgg")
    await record_vote(pool, alpha, "oct-late", at(18, 13, month=10), player_name="old")  # after the same span
    await record_vote(pool, alpha, "oct-end", at(30, month=10), player_name="old")
    for n in range(10):
        await record_vote(pool, beta, f"beta{n}", at(3), player_name=f"b{n}")
    await record_vote(pool, gamma, "gamma", at(3), player_name="g")
    await delivered(pool)
    return alpha


async def answer(runner: BotRunner, user: int, name: str, locale: str = "en-US", **options: Any) -> dict[str, Any]:
    """The message the bot answered a deferred command with (the followup, as the fake stored it)."""
    responses = await runner.command(user, name, locale=locale, **options)
    assert responses[0]["type"] == 5 and responses[0]["data"]["flags"] & EPHEMERAL  # thinking, ephemeral
    message = runner.fake.message(int(responses[-1]["message_id"]))
    assert message is not None
    return message


async def attachment_bytes(fake: FakeDiscord, attachment: dict[str, Any]) -> bytes:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/_fake/attachments/{attachment['id']}") as response,
    ):
        assert response.status == 200
        return await response.read()


async def the_picture(fake: FakeDiscord, message: dict[str, Any], filename: str, size: tuple[int, int]) -> bytes:
    """The message's one attachment: a PNG of ``size``, and the picture its embed shows."""
    (attachment,) = message["attachments"]
    assert attachment["filename"] == filename
    assert (attachment["width"], attachment["height"]) == size
    assert message["embeds"][0]["image"]["url"] == attachment["url"]  # attachment://… resolved as Discord does
    data = await attachment_bytes(fake, attachment)
    assert data.startswith(PNG)
    return data


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


async def test_stats_server_shows_the_picture_the_month_the_rank_and_the_change(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await alpha_with_votes(pool, fake)
    message = await answer(runner, MEMBER, "stats server")
    assert int(message["flags"]) & EPHEMERAL
    await the_picture(fake, message, "votes.png", (800, 400))
    assert message["attachments"][0]["description"] == (
        "Bar chart of the votes for Alpha per day over the last 30 days, by listing site; 8 votes in November 2026."
    )
    embed = message["embeds"][0]
    assert embed["title"] == "Votes for Alpha"
    assert fields(message) == {
        "Votes in November 2026": "**8**",
        "Rank in survival": "#2 of 3",
        "Against last month": "**+60%**\nSame days of October 2026: 5 · whole month: 7",
    }
    assert runner.running.charts.misses == 1
    again = await answer(runner, OTHER, "stats server", server="Alpha")  # the same picture: drawn once
    assert runner.running.charts.misses == 1 and runner.running.charts.hits == 1
    await the_picture(fake, again, "votes.png", (800, 400))


async def test_stats_me_shows_the_members_votes_and_place_and_a_member_without_votes_is_told_how(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await alpha_with_votes(pool, fake)
    mine = await answer(runner, MEMBER, "stats me")
    assert int(mine["flags"]) & EPHEMERAL
    await the_picture(fake, mine, "my-votes.png", (640, 240))
    assert mine["embeds"][0]["title"] == "Your votes for Alpha"
    # steve 3, then MEMBER and OTHER with 2 each share place 2, alex 1
    assert fields(mine) == {"Votes in November 2026": "**2**", "Your place this month": "#2 of 4"}
    assert (
        mine["attachments"][0]["description"]
        == "Bar chart of your votes for Alpha per day in November 2026; 2 in total."
    )
    assert fields(await answer(runner, OTHER, "stats me")) == {
        "Votes in November 2026": "**2**",
        "Your place this month": "#2 of 4",
    }

    nothing = await answer(runner, ADMIN, "stats me")
    assert nothing["attachments"] == [] and nothing["embeds"] == []
    assert nothing["content"] == (
        "You haven’t voted for **Alpha** in November 2026 yet. Vote with /vote: your votes and your place among this "
        "month’s voters then show up here. If you vote under your in-game name, link it first with /link."
    )


async def test_an_empty_month_is_a_picture_not_an_error(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await make_server(pool, "Quiet")
    message = await answer(runner, MEMBER, "stats server")
    await the_picture(fake, message, "votes.png", (800, 400))
    assert fields(message) == {
        "Votes in November 2026": "**0**",
        "Rank": "#1 of 1",
        "Against last month": "**No votes yet, as in the same days of last month**\n"
        "Same days of October 2026: 0 · whole month: 0",
    }
    mine = await answer(runner, MEMBER, "stats me")
    assert mine["content"].startswith("You haven’t voted for **Quiet** in November 2026 yet.")


async def test_a_french_member_gets_french_texts(
    pseudo_french: None, runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await alpha_with_votes(pool, fake)
    message = await answer(runner, MEMBER, "stats server", locale="fr")
    await the_picture(fake, message, "votes.png", (800, 400))
    assert message["embeds"][0]["title"] == "[fr] Votes for Alpha"
    assert fields(message) == {
        "[fr] Votes in novembre 2026": "**8**",
        "[fr] Rank in survival": "[fr] #2 of 3",
        "[fr] Against last month": "**+60\xa0%**\n[fr] Same days of octobre 2026: 5 · whole month: 7",
    }
    assert message["attachments"][0]["description"].startswith("[fr] Bar chart of the votes for Alpha")
    english = await answer(runner, OTHER, "stats server")
    assert english["embeds"][0]["title"] == "Votes for Alpha"
    assert runner.running.charts.misses == 2  # the French picture is another picture (its labels are French)

    mine = await answer(runner, MEMBER, "stats me", locale="fr")
    assert fields(mine) == {"[fr] Votes in novembre 2026": "**2**", "[fr] Your place this month": "[fr] #2 of 4"}
    nothing = await answer(runner, ADMIN, "stats me", locale="fr")
    assert nothing["content"].startswith("[fr] You haven’t voted for **Alpha** in novembre 2026 yet.")


async def test_admins_post_the_stats_publicly_in_the_servers_language(
    pseudo_french: None, runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    await alpha_with_votes(pool, fake, language="fr")
    before = len(fake.messages(GENERAL))
    confirm = await answer(runner, ADMIN, "stats-admin post")  # default: this channel
    posted = fake.messages(GENERAL)[before:]
    assert len(posted) == 1 and not int(posted[0]["flags"]) & EPHEMERAL
    post = posted[0]
    assert confirm["content"] == (  # the admin's own answer is in their language
        f"Posted the vote statistics of **Alpha** in <#{GENERAL}>: "
        f"https://discord.com/channels/{GUILD_ID}/{GENERAL}/{post['id']}"
    )
    await the_picture(fake, post, "votes.png", (800, 400))
    assert post["embeds"][0]["title"] == "[fr] Votes for Alpha"
    assert fields(post)["[fr] Votes in novembre 2026"] == "**8**"
    assert post["attachments"][0]["description"].startswith("[fr] Bar chart of the votes for Alpha")

    refused = await answer(runner, ADMIN, "stats-admin post", channel=str(LOCKED))
    assert refused["content"].startswith(f"I couldn’t post in <#{LOCKED}>: Discord refused access (")
    assert fake.messages(LOCKED) == []

    count = len(fake.messages(GENERAL))
    responses = await runner.command(MEMBER, "stats-admin post", channel=str(GENERAL))
    assert reply_text(responses) == "You need the Manage Server permission to use this command."
    assert len(fake.messages(GENERAL)) == count


LOCALES = ("en-US", "fr", "de", "es-ES", "pt-BR")
SERVERS = 10  # 10 servers × 5 languages: 50 different pictures
FIRST_USER = 1_100_000_000_000_000_500


async def signed_vote(http: aiohttp.ClientSession, runner: BotRunner, server: Server, vote_id: str) -> int:
    body = json.dumps(
        {
            "event": "vote",
            "serverId": "ckserver",
            "voteId": vote_id,
            "player": "latency",
            "votedAt": runner.clock.now.isoformat(),
        }
    ).encode()
    headers = {"x-topserver-signature": sign_topserver(TOPSERVER_SECRET, body)}
    async with http.post(f"{runner.web_url}/webhooks/topserver/{server.id}", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def test_a_signed_vote_is_answered_within_200_ms_while_50_stats_render(
    runner: BotRunner, pool: asyncpg.Pool, fake: FakeDiscord
) -> None:
    """Issue 15: the pictures render in the renderer's process, so the bot's loop keeps answering listing sites."""
    servers = []
    for index in range(SERVERS):  # each server its own votes, so each picture is its own
        server = await make_server(pool, f"S{index}")
        for n in range(index + 1):
            await record_vote(pool, server, f"s{index}-{n}", at(1 + n % 17), player_name=f"p{n}")
        servers.append(server)
    await CredentialRepository(pool).set_secret(servers[0].id, "topserver", TOPSERVER_SECRET, None)
    users = [FIRST_USER + n for n in range(SERVERS * len(LOCALES))]
    for user in users:  # one member each: /stats's cooldown is per member
        fake.add_member({"guild_id": str(GUILD_ID), "id": str(user), "name": f"m{user % 1000}", "roles": [],
                         "permissions": str(BASIC)})  # fmt: skip
    charts = runner.running.charts
    async with aiohttp.ClientSession() as http:
        assert await signed_vote(http, runner, servers[0], "warmup1") == 200  # the route, the session: warm
        await delivered(pool)

        interactions = []
        for n, user in enumerate(users):
            spec = {
                "locale": LOCALES[n % len(LOCALES)],
                "guild_id": str(GUILD_ID),
                "channel_id": str(GENERAL),
                "user_id": str(user),
                "name": "stats server",
                "options": [{"name": "server", "value": str(servers[n // len(LOCALES)].id)}],
            }
            interactions.append((await fake.interact(spec))["interaction_id"])

        def answered() -> int:
            return sum(1 for i in interactions if any(r["kind"] == "followup" for r in fake.responses(i)))

        deadline = time.monotonic() + 60
        # every picture asked for (50 renders under way or waiting for the worker), and the worker drawing them: the
        # first one is done
        while charts.misses < len(users) or answered() == 0:
            assert time.monotonic() < deadline, f"{charts.misses} renders started, {answered()} done"
            await asyncio.sleep(0.005)
        assert answered() < len(users)

        started = time.monotonic()
        status = await signed_vote(http, runner, servers[0], "latency1")
        elapsed = time.monotonic() - started
        still_rendering = len(users) - answered()

        assert 200 <= status < 300
        assert still_rendering > 0, "the pictures were all done before the vote was answered"
        assert elapsed < 0.2, f"the vote took {elapsed * 1000:.0f} ms while {still_rendering} pictures rendered"

    for n, interaction in enumerate(interactions):
        responses = await fake.wait_for_response(interaction, kind="followup", timeout=120)
        message = fake.message(int(responses[0]["message_id"]))
        assert message is not None, n
        await the_picture(fake, message, "votes.png", (800, 400))
    assert charts.misses == len(users)  # 50 real renders, no cache hit among them
    assert await pool.fetchval("SELECT count(*) FROM votes WHERE external_id = 'latency1'") == 1
