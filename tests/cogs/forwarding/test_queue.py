"""The forwarding queue against a real PostgreSQL, with scripted senders: every vote once per destination, in order,
through outages, crashes, back-off, dead letters and the pause after a day of failures (clock injected)."""

from __future__ import annotations

import datetime as dt
import errno
from dataclasses import dataclass, field

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.features import MASTER_SWITCH
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.db.links import LinkRepository
from bot.db.records import Server
from bot.votes.events import VoteEvent
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote
from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Kind, Written
from cogs.forwarding.service import GIVE_UP_AFTER, ForwardingService
from tests.clock import MovableClock


@dataclass
class ScriptedSender:
    """A game server that is up or down, and may fail after the vote was written (the answer lost)."""

    down: bool = False
    lose_answer: bool = False
    received: list[tuple[int, str]] = field(default_factory=list)  # (destination id, username) in arrival order
    writes: int = 0

    async def send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        if self.down:
            raise OSError(errno.ECONNREFUSED, "Connection refused")
        await written()
        self.writes += 1
        self.received.append((destination.id, vote.username))
        if self.lose_answer:
            raise DeliveryFailed("the connection closed before the answer")
        return "ok"


@dataclass
class Notices:
    """The owner's notices (AdminNotices.once: the first time per key only)."""

    told: dict[str, str] = field(default_factory=dict)

    async def once(self, server: Server, key: str, text: str) -> None:
        self.told.setdefault(key, text)


@pytest.fixture
async def server(pool: asyncpg.Pool) -> Server:
    return (await ServerService(pool, features()).add(guild_id=7, name="Survival", vote_url="https://e.com/v")).server


def service(pool: asyncpg.Pool, clock: MovableClock, sender: ScriptedSender, notices: Notices | None = None):
    senders = {kind: sender for kind in Kind}
    return ForwardingService(
        pool, ServerService(pool, features()), notices or Notices(), senders,  # type: ignore[arg-type]
        clock=clock, ownership=ShardOwnership.of(None, None), allow_private=True,
    )  # fmt: skip


async def vote(pool: asyncpg.Pool, server: Server, n: int, at: dt.datetime, **fields: object) -> VoteEvent:
    provider = str(fields.pop("provider", "topserver"))
    player = fields.pop("player_name", f"player{n}")
    result = await VoteLedger(pool).record(
        Vote(server_id=server.id, provider=provider, external_id=f"v{n}", voted_at=at, player_name=player,  # type: ignore[arg-type]
             **fields)  # type: ignore[arg-type]
    )  # fmt: skip
    assert result.vote_id is not None
    return VoteEvent(result.vote_id, server, provider, f"v{n}", player, fields.get("discord_user_id"), 1, at, None)  # type: ignore[arg-type]


async def run_until_idle(forwarding: ForwardingService, clock: MovableClock, *, limit: int = 200) -> None:
    """Deliver what is due, move the clock to the next due time, repeat until nothing is queued."""
    for _round in range(limit):
        next_due = await forwarding.deliver_due(clock())
        if next_due is None:
            return
        if next_due > clock():
            clock.set(next_due)
    raise AssertionError("the queue never drained")


async def test_a_destination_down_for_two_minutes_gets_every_vote_afterwards_in_order_once(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    sender = ScriptedSender(down=True)
    forwarding = service(pool, clock, sender)
    destination = await forwarding.repository.add(server.id, name="game", kind=Kind.VOTIFIER_V2, secret="t" * 16,
                                                   host="127.0.0.1", port=8192)  # fmt: skip
    start = clock()
    for n in range(20):
        event = await vote(pool, server, n, clock())
        await forwarding.handle(event)
        await forwarding.handle(event)  # the dispatcher hands a vote over again after a crash: nothing new
    while clock() - start < dt.timedelta(minutes=2):
        next_due = await forwarding.deliver_due(clock())
        assert next_due is not None
        clock.set(max(next_due, clock() + dt.timedelta(seconds=1)))
    assert sender.received == []
    sender.down = False
    await run_until_idle(forwarding, clock)
    assert sender.received == [(destination.id, f"player{n}") for n in range(20)]
    health = await forwarding.repository.health(destination.id)
    assert (health.backlog, health.delivered, health.dead) == (0, 20, 0)
    refreshed = await forwarding.repository.get(destination.id)
    assert refreshed is not None and refreshed.failing_since is None and refreshed.last_success_at is not None


async def test_an_answer_lost_after_the_write_is_sent_again_except_to_votifier_v1(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    """v2 and webhooks are retried until acknowledged; v1 has no acknowledgement: once written, it was sent."""
    sender = ScriptedSender(lose_answer=True)
    forwarding = service(pool, clock, sender)
    v2 = await forwarding.repository.add(server.id, name="v2", kind=Kind.VOTIFIER_V2, secret="t" * 16,
                                          host="127.0.0.1", port=1)  # fmt: skip
    v1 = await forwarding.repository.add(server.id, name="v1", kind=Kind.VOTIFIER_V1, secret="key",
                                          host="127.0.0.1", port=2)  # fmt: skip
    await forwarding.handle(await vote(pool, server, 1, clock()))
    await forwarding.deliver_due(clock())
    assert sorted(sender.received) == sorted([(v2.id, "player1"), (v1.id, "player1")])
    assert (await forwarding.repository.health(v1.id)).delivered == 1
    assert (await forwarding.repository.health(v2.id)).backlog == 1  # no "ok" came back: it goes again

    sender.lose_answer = False
    await run_until_idle(forwarding, clock)
    assert sender.received.count((v1.id, "player1")) == 1
    assert sender.received.count((v2.id, "player1")) == 2
    assert (await forwarding.repository.health(v2.id)).delivered == 1


async def test_a_crash_between_the_write_and_the_answer(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    """A process killed mid-send leaves the vote ``sending``: once its lease ran out, an acknowledged kind sends it
    again, Votifier v1 counts it as sent (the bytes went out) — nothing lost, nothing sent twice to v1."""
    sender = ScriptedSender()
    forwarding = service(pool, clock, sender)
    for kind, port in ((Kind.WEBHOOK, None), (Kind.VOTIFIER_V1, 2)):
        fields = {"url": "https://hooks.example/v"} if kind is Kind.WEBHOOK else {"host": "127.0.0.1", "port": port}
        destination = await forwarding.repository.add(server.id, name=kind.value, kind=kind, secret="s", **fields)
        await forwarding.handle(await vote(pool, server, port or 9, clock()))
        claimed = await forwarding.repository.claim_head(destination, clock(), dt.timedelta(minutes=2))
        assert claimed is not None
        await forwarding.repository.mark_written(destination.id, claimed.vote.ledger_id)  # … and the process dies
        assert await forwarding.repository.claim_head(destination, clock(), dt.timedelta(minutes=2)) is None  # leased
    clock.advance(minutes=3)
    await run_until_idle(forwarding, clock)
    webhook, v1 = await forwarding.repository.of_server(server.id)
    # the webhook gets its unacknowledged vote again, then the next one; v1's vote is not written a second time
    assert sender.received == [(webhook.id, "player9"), (webhook.id, "player2")]
    assert (await forwarding.repository.health(webhook.id)).delivered == 2
    assert (await forwarding.repository.health(v1.id)).delivered == 1


async def test_failing_for_a_day_dead_letters_the_vote_pauses_the_destination_and_tells_the_owner_once(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    sender, notices = ScriptedSender(down=True), Notices()
    forwarding = service(pool, clock, sender, notices)
    destination = await forwarding.repository.add(server.id, name="game", kind=Kind.VOTIFIER_V2, secret="t" * 16,
                                                   host="127.0.0.1", port=8192)  # fmt: skip
    await forwarding.handle(await vote(pool, server, 1, clock()))
    start = clock()
    while clock() - start <= GIVE_UP_AFTER + dt.timedelta(hours=1):
        await forwarding.deliver_due(clock())
        clock.advance(minutes=30)
    refreshed = await forwarding.repository.get(destination.id)
    assert refreshed is not None and refreshed.paused == "failing"
    health = await forwarding.repository.health(destination.id)
    assert (health.backlog, health.dead) == (0, 1)
    [told] = notices.told.values()
    assert "**Survival**" in told and "/forward resume" in told and "game" in told
    attempts = await pool.fetchval("SELECT attempts FROM forward_deliveries WHERE destination_id = $1", destination.id)
    assert 40 <= attempts <= 60  # back-off: 5 s doubling to 30 min, not a connection every 10 seconds for a day

    # paused: new votes queue up, nothing is sent; resumed and replayed: everything goes, in order
    await forwarding.handle(await vote(pool, server, 2, clock()))
    sender.down = False
    await forwarding.deliver_due(clock())
    assert sender.received == []
    await forwarding.resume(refreshed)
    assert await forwarding.replay([refreshed]) == 1
    await run_until_idle(forwarding, clock)
    assert sender.received == [(destination.id, "player1"), (destination.id, "player2")]


async def test_top_gg_votes_go_under_the_linked_name_unlinked_ones_are_skipped_and_filters_apply(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    sender = ScriptedSender()
    forwarding = service(pool, clock, sender)
    everything = await forwarding.repository.add(server.id, name="all", kind=Kind.WEBHOOK, secret="s",
                                                  url="https://hooks.example/a")  # fmt: skip
    only_topgg = await forwarding.repository.add(server.id, name="topgg", kind=Kind.WEBHOOK, secret="s",
                                                  url="https://hooks.example/b", providers=["topgg"])  # fmt: skip
    await LinkRepository(pool).link(server.id, 42, "Steve")
    await forwarding.handle(
        await vote(pool, server, 1, clock(), provider="topgg", player_name=None, discord_user_id=42)
    )
    await forwarding.handle(
        await vote(pool, server, 2, clock(), provider="topgg", player_name=None, discord_user_id=43)
    )
    await forwarding.handle(await vote(pool, server, 3, clock()))  # Top-Server: not for the topgg-only one
    await run_until_idle(forwarding, clock)
    expected = [(everything.id, "Steve"), (everything.id, "player3"), (only_topgg.id, "Steve")]
    assert sorted(sender.received) == sorted(expected)  # each destination in its own order, in parallel
    assert [(await forwarding.repository.health(d.id)).skipped for d in (everything, only_topgg)] == [1, 1]


async def test_the_master_switch_stops_forwarding(pool: asyncpg.Pool, server: Server, clock: MovableClock) -> None:
    sender = ScriptedSender()
    forwarding = service(pool, clock, sender)
    await forwarding.repository.add(server.id, name="game", kind=Kind.WEBHOOK, secret="s", url="https://h.example/")
    servers = ServerService(pool, features())
    await servers.switch_feature(server, MASTER_SWITCH, enabled=False)
    off = await servers.get(server.id)
    assert off is not None and not off.enabled
    await forwarding.handle(await vote(pool, off, 1, clock()))
    await run_until_idle(forwarding, clock)
    assert sender.received == []


async def test_each_test_vote_has_its_own_webhook_id(pool: asyncpg.Pool, server: Server, clock: MovableClock) -> None:
    """A receiver drops a webhook-id it has seen: two /forward test votes must not look like one vote retried."""
    seen: list[str] = []

    class Recording(ScriptedSender):
        async def send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
            seen.append(vote.message_id(destination.id))
            return "HTTP 204"

    forwarding = service(pool, clock, Recording())
    destination = await forwarding.repository.add(server.id, name="site", kind=Kind.WEBHOOK, secret="s",
                                                   url="https://hooks.example/v")  # fmt: skip
    assert await forwarding.test(server, destination, "Steve") == "HTTP 204"
    assert await forwarding.test(server, destination, "Steve") == "HTTP 204"
    assert len(set(seen)) == 2 and all(s.startswith("test_") for s in seen)
    assert (await forwarding.repository.health(destination.id)).delivered == 0  # a test is not a recorded vote


async def test_a_real_receiver_down_for_two_minutes_gets_every_vote_afterwards_in_order_once(
    pool: asyncpg.Pool, server: Server, clock: MovableClock, unused_tcp_port: int
) -> None:
    """The same outage with the real webhook sender: nothing listens on the port for two minutes of the queue's
    clock (every attempt refused), then a receiver verifying with standardwebhooks comes up on it."""
    from aiohttp import web
    from standardwebhooks.webhooks import Webhook

    from cogs.forwarding.webhook import WebhookSender, new_webhook_secret

    secret, ids = new_webhook_secret(), []

    async def hook(request: web.Request) -> web.Response:
        Webhook(secret).verify(await request.read(), dict(request.headers))
        ids.append(request.headers["webhook-id"])
        return web.Response(status=204)

    sender = WebhookSender(allow_private=True)  # signs with the wall clock, as the receiver checks it
    forwarding = ForwardingService(
        pool, ServerService(pool, features()), Notices(), {Kind.WEBHOOK: sender},  # type: ignore[arg-type]
        clock=clock, ownership=ShardOwnership.of(None, None), allow_private=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{unused_tcp_port}/votes"
    destination = await forwarding.repository.add(server.id, name="site", kind=Kind.WEBHOOK, secret=secret, url=url)
    events = [await vote(pool, server, n, clock()) for n in range(10)]
    for event in events:
        await forwarding.handle(event)
    start = clock()
    while clock() - start < dt.timedelta(minutes=2):
        next_due = await forwarding.deliver_due(clock())
        assert next_due is not None
        clock.set(max(next_due, clock() + dt.timedelta(seconds=1)))
    app = web.Application()
    app.router.add_post("/votes", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        await run_until_idle(forwarding, clock)
    finally:
        await runner.cleanup()
        await sender.close()
    assert ids == [f"vote_{event.ledger_id}_{destination.id}" for event in events]


async def test_a_process_delivers_only_for_the_guilds_of_its_shards(
    pool: asyncpg.Pool, server: Server, clock: MovableClock
) -> None:
    """Guild 7 is on shard 0 of 2: the process running shard 1 leaves its queue (and its leases) alone."""
    sender = ScriptedSender()
    senders = {kind: sender for kind in Kind}

    def process(shard: int) -> ForwardingService:
        return ForwardingService(
            pool, ServerService(pool, features()), Notices(), senders,  # type: ignore[arg-type]
            clock=clock, ownership=ShardOwnership.of([shard], 2), allow_private=True,
        )  # fmt: skip

    other, owner = process(1), process(0)
    destination = await other.repository.add(server.id, name="site", kind=Kind.WEBHOOK, secret="s",
                                              url="https://hooks.example/v")  # fmt: skip
    await other.handle(await vote(pool, server, 1, clock()))
    claimed = await other.repository.claim_head(destination, clock(), dt.timedelta(minutes=2))  # a killed attempt
    assert claimed is not None
    await other.deliver_due(clock())
    assert sender.received == []
    assert await pool.fetchval("SELECT leased_until FROM forward_deliveries") is not None  # not its lease to drop
    await owner.deliver_due(clock())  # the owner's first run takes the lease back and delivers at once
    assert sender.received == [(destination.id, "player1")]
