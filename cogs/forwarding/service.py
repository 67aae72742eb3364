"""Votes out: hand every vote on to the game server's destinations, once per destination and vote.

- As a **vote consumer** (``handle``) it queues one delivery per matching destination, in the vote's
  transaction-free idempotent way: the (destination, vote) key makes a vote handed over again add nothing.
  The username sent is the vote's player name; a Top.gg vote (a Discord id) goes under the member's linked
  player name, and is skipped — counted, shown in ``/forward list`` — when there is none.
- As **due work** (``deliver_due``) it sends each destination's queue in vote order, one vote at a time (one
  connection per game server, however large the burst). A failed head is retried with exponential back-off
  and blocks the votes behind it (they keep their order); after 24 h of failing it is dead-lettered and the
  queue moves on; a destination failing for 24 h is paused and its owner told once.
- Exactly once as far as the protocol allows: Votifier v2 and webhooks are retried until acknowledged (a
  webhook's ``webhook-id`` stays the same, so a receiver drops a repeat); Votifier v1 has no acknowledgement
  and is sent once: after its bytes were written it is never sent again, even across a crash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.core.admin_notice import AdminNotices
from bot.core.audit import current_actor, record_change
from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.scheduling import DueWork
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import escape
from bot.core.time import Clock, format_duration
from bot.db.links import LinkRepository
from bot.db.records import Server
from bot.votes.events import VoteEvent
from cogs.forwarding.checks import (
    clean_destination_name,
    clean_providers,
    clean_public_key,
    clean_token,
    clean_votifier_address,
    clean_webhook_url,
)
from cogs.forwarding.model import TEST_PROVIDER, DeliveryFailed, Destination, ForwardedVote, Kind, Sender
from cogs.forwarding.repository import Backlog, Claimed, DestinationNameTaken, ForwardingRepository, Health
from cogs.forwarding.webhook import new_webhook_secret

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)  # an attempt that takes longer (a hung process) is given to another run
ATTEMPT_SECONDS = 15.0  # connect, write and wait for the acknowledgement
BACKOFF_FIRST = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(minutes=30)
GIVE_UP_AFTER = dt.timedelta(hours=24)  # a vote failing this long is dead-lettered; a destination, paused
PARALLEL_DESTINATIONS = 16  # destinations sent to at once (each one sequentially, in vote order)
TEST_PLAYER = "votebot_test"
MAX_DESTINATIONS = 10  # per game server


def test_player(player: str | None) -> str:
    """The player a test vote is for: as typed (spaces tidied), else :data:`TEST_PLAYER`."""
    return " ".join((player or "").split())[:64] or TEST_PLAYER


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s … up to 30 min between the attempts of one vote."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(20, max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class DestinationHealth:
    destination: Destination
    health: Health


class ForwardingService:
    name = "forwarding"  # the vote consumer's stable name

    def __init__(
        self,
        pool: asyncpg.Pool,
        servers: ServerService,
        notices: AdminNotices,
        senders: Mapping[Kind, Sender],
        *,
        clock: Clock,
        ownership: ShardOwnership,
        allow_private: bool = False,
    ) -> None:
        self._pool = pool
        self.repository = ForwardingRepository(pool)
        self._links = LinkRepository(pool)
        self._servers = servers
        self._notices = notices
        self.senders = dict(senders)
        self._clock = clock
        self._ownership = ownership
        self.allow_private = allow_private  # status.allow_private_addresses: the operator's address policy
        self.work: DueWork | None = None  # set by setup(): woken when a vote is queued
        self._recovered = False
        self._queued_meanwhile = False  # a vote was queued while a run was under way: it runs once more

    # ------------------------------------------------------------------ the vote consumer
    async def handle(self, event: VoteEvent) -> None:
        if not event.server.enabled:
            return  # the master switch pauses every feature
        destinations = [d for d in await self.repository.of_server(event.server.id) if d.takes(event.provider)]
        if not destinations:
            return
        username = await self._username(event)
        queued = await self.repository.enqueue(event.ledger_id, [(d.id, username) for d in destinations])
        if username is None:
            log.info("vote %s: no player name to forward (an unlinked Discord voter); skipped", event.ledger_id)
        if queued:
            self._queued_meanwhile = True
            if self.work is not None:
                self.work.wake()

    async def _username(self, event: VoteEvent) -> str | None:
        if event.player_name:
            return event.player_name[:64]
        if event.discord_user_id is not None:
            link = await self._links.get(event.server.id, event.discord_user_id)
            return link.player_name[:64] if link is not None else None
        return None

    # ------------------------------------------------------------------ delivery
    async def deliver_due(self, now: dt.datetime) -> dt.datetime | None:
        if not self._recovered:  # the first run of this process: attempts a killed one left are ours to redo
            if released := await self.repository.release_leases(self._ownership):
                log.info("forwarding: %s attempt(s) cut off by the last shutdown are retried now", released)
            self._recovered = True
        while True:  # votes queued during a run are taken by it (a wake-up during a run would be dropped)
            self._queued_meanwhile = False
            busy: set[int] = set()
            await asyncio.gather(*(self._worker(busy) for _worker in range(PARALLEL_DESTINATIONS)))
            if not self._queued_meanwhile:
                return await self.repository.next_due(self._clock())

    async def _worker(self, busy: set[int]) -> None:
        """Take the next due destination nobody works on, drain it, repeat: a slow destination holds one worker,
        not the whole run, and a destination that became due meanwhile is taken at once."""
        while True:
            due = await self.repository.due_destinations(self._clock(), self._ownership)
            waiting = [d for d in due if d.id not in busy]
            if not waiting:
                return
            destination = waiting[0]
            busy.add(destination.id)
            try:
                await self._drain(destination)
            finally:
                busy.discard(destination.id)

    async def _drain(self, destination: Destination) -> None:
        while True:
            claimed = await self.repository.claim_head(destination, self._clock(), LEASE)
            if claimed is None or not await self._attempt(destination, claimed):
                return

    async def _attempt(self, destination: Destination, claimed: Claimed) -> bool:
        """One attempt at the head; True when it is done with (delivered), False when it must wait."""
        vote, written = claimed.vote, False

        async def mark_written() -> None:
            nonlocal written
            written = True
            if not destination.kind.acknowledged:  # others are sent again until acknowledged: nothing to keep
                await self.repository.mark_written(destination.id, vote.ledger_id)

        try:
            await asyncio.wait_for(
                self.senders[destination.kind].send(destination, vote, mark_written), ATTEMPT_SECONDS
            )
        except DeliveryFailed as exc:
            failure = exc
        except TimeoutError:
            failure = DeliveryFailed(N_("no answer within {seconds} seconds"), {"seconds": int(ATTEMPT_SECONDS)})
        except OSError as exc:
            failure = DeliveryFailed(N_("network error: {detail}"), {"detail": exc.strerror or type(exc).__name__})
        else:
            await self.repository.mark_delivered(destination.id, vote.ledger_id, self._clock())
            return True
        if written and not destination.kind.acknowledged:  # Votifier v1 after the write: sent, never twice
            log.info("forward %s: vote %s written (%s); Votifier v1 does not confirm", destination.id,
                     vote.ledger_id, failure.english)  # fmt: skip
            await self.repository.mark_delivered(destination.id, vote.ledger_id, self._clock())
            return True
        await self._failed(destination, claimed, failure)
        return False

    async def _failed(self, destination: Destination, claimed: Claimed, failure: DeliveryFailed) -> None:
        now = self._clock()
        first = claimed.first_failed_at or now
        retry_at = None if now - first >= GIVE_UP_AFTER else now + backoff(claimed.attempts)
        log.warning("forward %s (%s): vote %s attempt %s failed: %s%s", destination.id, destination.kind,
                    claimed.vote.ledger_id, claimed.attempts, failure.english,
                    "" if retry_at else "; dead-lettered")  # fmt: skip
        failing_since = await self.repository.mark_failed(
            destination.id, claimed.vote.ledger_id, now, failure, retry_at
        )
        if now - failing_since >= GIVE_UP_AFTER:
            await self._pause_failing(destination, failing_since, failure)

    async def _pause_failing(self, destination: Destination, since: dt.datetime, failure: DeliveryFailed) -> None:
        await self.repository.set_paused(destination.id, "failing")
        server = await self._servers.get(destination.server_id)
        if server is None:
            return
        with self._servers.speaking_for(server):
            text = _(
                "I paused forwarding votes of **{server}** to **{destination}** ({where}): it has been failing for "
                "{duration} ({reason}). Votes keep being queued; fix it and run /forward resume.",
                server=escape(server.name),
                destination=escape(destination.name),
                where=escape(destination.shown),
                duration=format_duration(self._clock() - since),
                reason=failure.shown,
            )
        await self._notices.once(server, f"forward:{destination.id}:{since.isoformat()}", text)

    # ------------------------------------------------------------------ what owners do
    async def add_votifier(
        self,
        server: Server,
        *,
        name: str,
        address: str,
        secret: str,
        version: int = 2,
        service_name: str = "votebot",
        providers: str | None = None,
    ) -> Destination:
        """A Votifier destination: v2 with the NuVotifier token, v1 with the game server's public key."""
        kind = Kind.VOTIFIER_V2 if version == 2 else Kind.VOTIFIER_V1
        clean_name, chosen = clean_destination_name(name), clean_providers(providers)
        host, port = await clean_votifier_address(address, allow_private=self.allow_private)
        key = clean_token(secret) if kind is Kind.VOTIFIER_V2 else clean_public_key(secret)
        service = " ".join(service_name.split())[:64] or "votebot"
        return await self._add(server, name=clean_name, kind=kind, secret=key, host=host, port=port,
                               service_name=service, providers=chosen)  # fmt: skip

    async def add_webhook(
        self, server: Server, *, name: str, url: str, providers: str | None = None
    ) -> tuple[Destination, str]:
        """A signed-webhook destination and its new ``whsec_`` secret (shown once: the receiver verifies with it)."""
        clean_name, chosen = clean_destination_name(name), clean_providers(providers)
        clean_url = await clean_webhook_url(url, allow_private=self.allow_private)
        secret = new_webhook_secret()
        added = await self._add(server, name=clean_name, kind=Kind.WEBHOOK, secret=secret, url=clean_url,
                                providers=chosen)  # fmt: skip
        return added, secret

    async def check_new(self, server: Server, name: str) -> str:
        """The cleaned name of a destination ``server`` may still add (before an admin pastes a secret)."""
        clean_name = clean_destination_name(name)
        count, taken = await self.repository.count_and_taken(server.id, clean_name)
        if count >= MAX_DESTINATIONS:
            raise UserError(
                _(
                    "**{server}** already has {count} vote destinations, the most it can have. Remove one first.",
                    server=escape(server.name),
                    count=str(MAX_DESTINATIONS),
                )
            )
        if taken:
            raise UserError(
                _(
                    "**{server}** already has a vote destination called “{name}”. Pick another name.",
                    server=escape(server.name),
                    name=escape(clean_name),
                )
            )
        return clean_name

    async def _add(self, server: Server, **fields: Any) -> Destination:
        await self.check_new(server, fields["name"])
        try:
            added = await self.repository.add(server.id, **fields)
        except DestinationNameTaken:  # added at the same moment by another admin
            raise UserError(
                _(
                    "**{server}** already has a vote destination called “{name}”. Pick another name.",
                    server=escape(server.name),
                    name=escape(fields["name"]),
                )
            ) from None
        await record_change(
            self._pool,
            server,
            "forwarding.add",
            {"name": added.name, "kind": added.kind.value, "where": added.shown, "providers": list(added.providers)},
        )
        return added

    async def _record(self, destination: Destination, action: str, **details: object) -> None:
        """The audit log's entry for a change to ``destination`` (its server looked up only when someone acts)."""
        if current_actor() is None:
            return
        server = await self._servers.find(destination.server_id)
        if server is not None:
            await record_change(self._pool, server, action, {"name": destination.name, **details})

    async def destination(self, server: Server, name: str) -> Destination:
        found = await self.repository.by_name(server.id, name)
        if found is None:
            raise UserError(
                _(
                    "**{server}** has no vote destination called “{name}”. /forward list shows them.",
                    server=escape(server.name),
                    name=escape(name[:40]),
                )
            )
        return found

    async def overview(self, server: Server) -> list[DestinationHealth]:
        return [
            DestinationHealth(d, await self.repository.health(d.id)) for d in await self.repository.of_server(server.id)
        ]

    async def health(self, destination: Destination) -> Health:
        """The destination's deliveries so far and what waits for it."""
        return await self.repository.health(destination.id)

    async def backlog(self) -> Backlog:
        """Every destination's queue at once (the owners' instance page)."""
        return await self.repository.backlog()

    async def pause(self, destination: Destination) -> None:
        await self.repository.set_paused(destination.id, "owner")
        await self._record(destination, "forwarding.pause")

    async def resume(self, destination: Destination) -> int:
        """Deliver again; returns how many queued votes go out first."""
        await self.repository.set_paused(destination.id, None)
        await self._record(destination, "forwarding.resume")
        if self.work is not None:
            self.work.wake()
        return (await self.repository.health(destination.id)).backlog

    async def remove(self, destination: Destination) -> Health:
        """Delete the destination and its queue; returns what its queue held."""
        health = await self.repository.health(destination.id)
        await self.repository.remove(destination.id)
        await self._record(destination, "forwarding.remove")
        return health

    async def names(self, server: Server, typed: str) -> list[Destination]:
        """The server's destinations whose name contains ``typed`` (any case), for the name's autocomplete."""
        needle = typed.strip().casefold()
        return [d for d in await self.repository.of_server(server.id) if needle in d.name.casefold()]

    async def replay(self, destinations: list[Destination]) -> int:
        replayed = await self.repository.replay([d.id for d in destinations])
        if replayed and destinations:
            names = ", ".join(d.name for d in destinations)
            await self._record(destinations[0], "forwarding.replay", name=names, count=replayed)
        if replayed and self.work is not None:
            self.work.wake()
        return replayed

    async def test(self, server: Server, destination: Destination, player: str | None = None) -> str | None:
        """Send one real test vote now (outside the queue: it is not recorded); the destination's answer, or
        :class:`DeliveryFailed` saying plainly why it was refused."""
        now = self._clock()
        vote = ForwardedVote(
            ledger_id=0, server_id=server.id, server_name=server.name, provider=TEST_PROVIDER,
            external_id=secrets.token_hex(8), username=test_player(player), discord_user_id=None,
            voted_at=now, weight=1,
        )  # fmt: skip

        async def nothing() -> None:
            return None

        try:
            return await asyncio.wait_for(
                self.senders[destination.kind].send(destination, vote, nothing), ATTEMPT_SECONDS
            )
        except TimeoutError:
            raise DeliveryFailed(N_("no answer within {seconds} seconds"), {"seconds": int(ATTEMPT_SECONDS)}) from None
        except OSError as exc:
            raise DeliveryFailed(
                N_("network error: {detail}"), {"detail": exc.strerror or type(exc).__name__}
            ) from None
