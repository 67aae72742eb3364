"""Votes out through the real bot: a Top.gg vote in game under the linked player name (an unlinked one skipped and
counted), and ``votebot run`` killed with SIGKILL mid-burst — after its restart every vote arrived, none twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.db.links import LinkRepository
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.forwarding.model import Kind
from cogs.forwarding.repository import ForwardingRepository
from cogs.forwarding.service import ForwardingService
from tests.cogs.forwarding.servers import MiniServer, nuvotifier, running
from tests.e2e.bot_process import BotProcess
from tests.e2e.engagement_helpers import make_server, wait_until
from tests.e2e.harness import BotRunner
from tests.fakediscord import FakeDiscord
from tests.http_util import serving

TOKEN = "nuvotifier-token-0123456789"


@pytest.fixture
async def game_server() -> AsyncIterator[MiniServer]:
    async with running(MiniServer(b"VOTIFIER 2 {challenge}\n", nuvotifier(TOKEN))) as server:
        yield server


async def test_a_linked_top_gg_voter_arrives_in_game_under_the_player_name_an_unlinked_one_is_skipped(
    runner: BotRunner, pool: asyncpg.Pool, game_server: MiniServer
) -> None:
    server = await make_server(pool, "Survival")
    forwarding: ForwardingService = runner.service("Forwarding")
    destination = await forwarding.add_votifier(
        server, name="survival", address=f"127.0.0.1:{game_server.port}", secret=TOKEN, service_name="votebot"
    )
    await LinkRepository(pool).link(server.id, 4242, "Steve")
    now = runner.clock()
    ledger = VoteLedger(pool)
    await ledger.record(Vote(server.id, "topgg", "tg-1", now, discord_user_id=4242))
    await ledger.record(Vote(server.id, "topgg", "tg-2", now, discord_user_id=4343))  # never linked a name
    await ledger.record(Vote(server.id, "topserver", "ts-1", now, player_name="Alex"))
    await runner.deliver()
    await wait_until(lambda: len(game_server.votes) == 2, timeout=10)
    assert [(v["username"], v["serviceName"]) for v in game_server.votes] == [("Steve", "votebot"), ("Alex", "votebot")]
    for _ in range(200):  # a delivery is booked once the game server acknowledged it: just after it arrived
        health = await forwarding.repository.health(destination.id)
        if health.backlog == 0:
            break
        await asyncio.sleep(0.05)
    assert (health.delivered, health.skipped, health.backlog) == (2, 1, 0)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[str], dict[str, str]]]:
    """A plugin's endpoint: verifies every delivery with standardwebhooks and answers slowly (the kill lands
    mid-burst); records the webhook-id of each verified delivery, in arrival order."""
    ids: list[str] = []
    secret_box: dict[str, str] = {}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(secret_box["secret"]).verify(body, dict(request.headers))
        except WebhookVerificationError:
            return web.Response(status=401)
        await asyncio.sleep(0.03)
        ids.append(request.headers["webhook-id"])
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/votes", hook)
    async with serving(app) as base:
        yield f"{base}/votes", ids, secret_box


async def test_killed_mid_burst_every_vote_arrives_once_in_order(
    fake: FakeDiscord,
    database_url: str,
    pool: asyncpg.Pool,
    tmp_path: Path,
    receiver: tuple[str, list[str], dict[str, str]],
) -> None:
    url, ids, secret_box = receiver
    server = await make_server(pool, "Survival")
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    secret_box["secret"] = secret
    destination = await ForwardingRepository(pool).add(server.id, name="plugin", kind=Kind.WEBHOOK, secret=secret,
                                                       url=url)  # fmt: skip
    bot = BotProcess(fake, database_url, tmp_path / "bot")
    bot.env["VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES"] = "true"  # the receiver is on loopback
    await bot.start()
    try:
        now = dt.datetime.now(dt.UTC)
        recorded = await VoteLedger(pool).record_many(
            [Vote(server.id, "topserver", f"v{i}", now, player_name=f"Player{i}") for i in range(40)]
        )
        await wait_until(lambda: len(ids) >= 8, timeout=30)
        await bot.kill()  # SIGKILL: an attempt cut off between the receiver's answer and the bot's bookkeeping
        assert len(set(ids)) < 40
        await bot.start()
        in_ledger_order = sorted(r.vote_id for r in recorded if r.vote_id is not None)
        expected = [f"vote_{vote_id}_{destination.id}" for vote_id in in_ledger_order]
        await wait_until(lambda: set(ids) == set(expected), timeout=60)
        await asyncio.sleep(0.5)  # and nothing more comes
    finally:
        await bot.kill()
    first_seen = list(dict.fromkeys(ids))
    assert first_seen == expected  # every vote, in the ledger's order
    repeats = len(ids) - len(first_seen)
    assert repeats <= 1  # at most the one in flight at the kill, sent again with the same id (the receiver drops it)
    health = await ForwardingRepository(pool).health(destination.id)
    assert (health.delivered, health.backlog, health.dead) == (40, 0, 0)
