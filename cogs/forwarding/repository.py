"""All SQL of vote forwarding: destinations, and each (destination, vote) delivery with its state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from bot.core.shards import ShardOwnership
from bot.db.executor import Executor
from bot.db.shards import shard_filter
from bot.db.transaction import transaction
from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Kind

_COLUMNS = (
    "id, server_id, name, kind, host, port, url, service_name, secret, providers, paused, failing_since, "
    "last_success_at, last_error, last_error_text, last_error_at, created_at"
)
QUEUED = ("pending", "sending")
EVERY_SHARD = ShardOwnership()


def _destination(record: asyncpg.Record) -> Destination:
    values = dict(record)
    values["kind"] = Kind(values["kind"])
    values["providers"] = tuple(values["providers"] or ())
    return Destination(**values)


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/forward list`` shows of a destination's queue."""

    backlog: int  # waiting or being sent
    delivered: int
    skipped: int  # no player name to send (an unlinked Top.gg voter)
    dead: int  # gave up after 24 h: `votebot forward replay`


@dataclass(frozen=True, slots=True)
class Backlog:
    """Forwarding across every server, for the bot owners: what waits, what fails, what was given up on."""

    queued: int  # votes waiting or being sent
    failing: int  # destinations failing now (retrying, or paused for it)
    dead: int  # votes given up on: `votebot forward replay`


@dataclass(frozen=True, slots=True)
class Claimed:
    """The head of a destination's queue, leased to this process for one attempt."""

    vote: ForwardedVote
    attempts: int  # including this one
    first_failed_at: dt.datetime | None


class DestinationNameTaken(Exception):
    pass


class ForwardingRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # ------------------------------------------------------------------ destinations
    async def add(
        self,
        server_id: int,
        *,
        name: str,
        kind: Kind,
        secret: str,
        host: str | None = None,
        port: int | None = None,
        url: str | None = None,
        service_name: str = "votebot",
        providers: Sequence[str] = (),
    ) -> Destination:
        try:
            record = await self._pool.fetchrow(
                f"""
                INSERT INTO forward_destinations
                    (server_id, name, kind, host, port, url, service_name, secret, providers)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_COLUMNS}
                """,
                server_id, name, kind.value, host, port, url, service_name, secret, list(providers),
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise DestinationNameTaken(name) from None
        if record is None:
            raise LookupError(f"server {server_id} is gone")
        return _destination(record)

    async def of_server(self, server_id: int) -> list[Destination]:
        records = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM forward_destinations WHERE server_id = $1 ORDER BY id", server_id
        )
        return [_destination(r) for r in records]

    async def get(self, destination_id: int) -> Destination | None:
        record = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM forward_destinations WHERE id = $1", destination_id)
        return _destination(record) if record else None

    async def by_name(self, server_id: int, name: str) -> Destination | None:
        record = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM forward_destinations WHERE server_id = $1 AND lower(name) = lower($2)",
            server_id, name,
        )  # fmt: skip
        return _destination(record) if record else None

    async def set_paused(self, destination_id: int, paused: str | None) -> None:
        """Pause (``owner`` or ``failing``) or resume; resuming forgets the failure streak, so a destination that
        fails again is paused a day later, not at once."""
        await self._pool.execute(
            """
            UPDATE forward_destinations SET paused = $2,
                failing_since = CASE WHEN $2::text IS NULL THEN NULL ELSE failing_since END
            WHERE id = $1
            """,
            destination_id, paused,
        )  # fmt: skip

    async def remove(self, destination_id: int) -> None:
        await self._pool.execute("DELETE FROM forward_destinations WHERE id = $1", destination_id)

    async def health(self, destination_id: int) -> Health:
        record = await self._pool.fetchrow(
            """
            SELECT count(*) FILTER (WHERE state IN ('pending', 'sending')) AS backlog,
                   count(*) FILTER (WHERE state = 'delivered') AS delivered,
                   count(*) FILTER (WHERE state = 'skipped') AS skipped,
                   count(*) FILTER (WHERE state = 'dead') AS dead
            FROM forward_deliveries WHERE destination_id = $1
            """,
            destination_id,
        )
        if record is None:  # an aggregate always answers one row
            raise LookupError(destination_id)
        return Health(record["backlog"], record["delivered"], record["skipped"], record["dead"])

    async def backlog(self) -> Backlog:
        record = await self._pool.fetchrow(
            """
            SELECT (SELECT count(*) FROM forward_deliveries WHERE state IN ('pending', 'sending')) AS queued,
                   (SELECT count(*) FROM forward_destinations
                    WHERE failing_since IS NOT NULL OR paused = 'failing') AS failing,
                   (SELECT count(*) FROM forward_deliveries WHERE state = 'dead') AS dead
            """
        )
        if record is None:  # a SELECT without FROM always answers one row
            raise LookupError("backlog")
        return Backlog(record["queued"], record["failing"], record["dead"])

    # ------------------------------------------------------------------ deliveries
    async def enqueue(self, vote_id: int, rows: Sequence[tuple[int, str | None]]) -> int:
        """One delivery per (destination, username or None = skipped); a vote handed over again adds nothing."""
        if not rows:
            return 0
        result = await self._pool.execute(
            """
            INSERT INTO forward_deliveries (destination_id, vote_id, username, state, done_at)
            SELECT destination_id, $1, username, CASE WHEN username IS NULL THEN 'skipped' ELSE 'pending' END,
                   CASE WHEN username IS NULL THEN now() END
            FROM unnest($2::bigint[], $3::text[]) AS t (destination_id, username)
            ON CONFLICT (destination_id, vote_id) DO NOTHING
            """,
            vote_id, [d for d, _ in rows], [u for _, u in rows],
        )  # fmt: skip
        return int(result.split()[-1])

    async def count_and_taken(self, server_id: int, name: str) -> tuple[int, bool]:
        """How many destinations the server has, and whether ``name`` (any case) is one of them."""
        record = await self._pool.fetchrow(
            "SELECT count(*) AS count, bool_or(lower(name) = lower($2)) AS taken FROM forward_destinations "
            "WHERE server_id = $1",
            server_id, name,
        )  # fmt: skip
        return (int(record["count"]), bool(record["taken"])) if record else (0, False)

    async def due_destinations(self, now: dt.datetime, shards: ShardOwnership = EVERY_SHARD) -> list[Destination]:
        """Destinations delivering (not paused, their server's master switch on, their guild on ``shards``) whose
        queue HEAD may go now (the votes behind a head waiting out its back-off wait with it)."""
        records = await self._pool.fetch(
            f"""
            SELECT {", ".join("d." + c for c in _COLUMNS.split(", "))}
            FROM (SELECT DISTINCT ON (destination_id) destination_id, next_attempt_at, leased_until
                  FROM forward_deliveries WHERE state IN ('pending', 'sending')
                  ORDER BY destination_id, vote_id) h
            JOIN forward_destinations d ON d.id = h.destination_id
            JOIN servers s ON s.id = d.server_id AND s.enabled
            WHERE d.paused IS NULL AND h.next_attempt_at <= $1 AND (h.leased_until IS NULL OR h.leased_until <= $1)
              AND {shard_filter("s.guild_id", "$2", "$3")}
            ORDER BY d.id
            """,
            now, *shards.sql_args(),
        )  # fmt: skip
        return [_destination(r) for r in records]

    async def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """When the earliest queue head (waiting out a back-off or a lease) may go; ``now`` when one may go now."""
        value = await self._pool.fetchval(
            """
            SELECT min(greatest(h.next_attempt_at, h.leased_until, $1))
            FROM (SELECT DISTINCT ON (destination_id) destination_id, next_attempt_at, leased_until
                  FROM forward_deliveries WHERE state IN ('pending', 'sending')
                  ORDER BY destination_id, vote_id) h
            JOIN forward_destinations d ON d.id = h.destination_id
            WHERE d.paused IS NULL
            """,
            now,
        )
        return value if isinstance(value, dt.datetime) else None

    async def claim_head(self, destination: Destination, now: dt.datetime, lease: dt.timedelta) -> Claimed | None:
        """Lease the oldest queued vote of ``destination`` for one attempt, or None when it must wait (a back-off,
        or another attempt holds it). A head left ``sending`` by a crash is sent again when the destination
        acknowledges deliveries; Votifier v1 never does, so that vote counts as sent (written once, never twice)."""
        async with transaction(self._pool) as connection:
            while True:
                head = await connection.fetchrow(
                    """
                    SELECT f.vote_id, f.state, f.username, f.attempts, f.first_failed_at,
                           coalesce(f.leased_until > $2, false) AS leased, f.next_attempt_at <= $2 AS due,
                           v.provider, v.external_id, v.discord_user_id, v.voted_at, v.weight, s.name AS server_name
                    FROM forward_deliveries f JOIN votes v ON v.id = f.vote_id JOIN servers s ON s.id = v.server_id
                    WHERE f.destination_id = $1 AND f.state IN ('pending', 'sending')
                    ORDER BY f.vote_id LIMIT 1 FOR UPDATE OF f
                    """,
                    destination.id, now,
                )  # fmt: skip
                if head is None or head["leased"]:
                    return None
                if head["state"] == "sending" and not destination.kind.acknowledged:
                    await _finish(connection, destination.id, head["vote_id"], "delivered", now)
                    continue
                if not head["due"]:
                    return None
                await connection.execute(
                    """
                    UPDATE forward_deliveries SET state = 'pending', attempts = attempts + 1, leased_until = $3
                    WHERE destination_id = $1 AND vote_id = $2
                    """,
                    destination.id, head["vote_id"], now + lease,
                )  # fmt: skip
                vote = ForwardedVote(
                    ledger_id=head["vote_id"],
                    server_id=destination.server_id,
                    server_name=head["server_name"],
                    provider=head["provider"],
                    external_id=head["external_id"],
                    username=head["username"],
                    discord_user_id=head["discord_user_id"],
                    voted_at=head["voted_at"],
                    weight=head["weight"],
                )
                return Claimed(vote, head["attempts"] + 1, head["first_failed_at"])

    async def release_leases(self, shards: ShardOwnership = EVERY_SHARD) -> int:
        """Forget the leases of attempts a killed process left behind on the guilds of ``shards`` (only the process
        owning a guild works on its destinations, so at its start none of their leases is alive)."""
        result = await self._pool.execute(
            f"""
            UPDATE forward_deliveries f SET leased_until = NULL
            FROM forward_destinations d JOIN servers s ON s.id = d.server_id
            WHERE d.id = f.destination_id AND f.leased_until IS NOT NULL AND f.state IN ('pending', 'sending')
              AND {shard_filter("s.guild_id", "$1", "$2")}
            """,
            *shards.sql_args(),
        )
        return int(result.split()[-1])

    async def mark_written(self, destination_id: int, vote_id: int) -> None:
        """The vote's first byte is about to go out: from now on it may have arrived."""
        await self._pool.execute(
            "UPDATE forward_deliveries SET state = 'sending' WHERE destination_id = $1 AND vote_id = $2",
            destination_id, vote_id,
        )  # fmt: skip

    async def mark_delivered(self, destination_id: int, vote_id: int, now: dt.datetime) -> None:
        """The vote is delivered and the destination healthy: one statement (one round trip) per delivery."""
        await self._pool.execute(
            """
            WITH done AS (
                UPDATE forward_deliveries SET state = 'delivered', done_at = $3, leased_until = NULL
                WHERE destination_id = $1 AND vote_id = $2
            )
            UPDATE forward_destinations SET last_success_at = $3, failing_since = NULL WHERE id = $1
            """,
            destination_id, vote_id, now,
        )  # fmt: skip

    async def mark_failed(
        self, destination_id: int, vote_id: int, now: dt.datetime, error: DeliveryFailed, retry_at: dt.datetime | None
    ) -> dt.datetime:
        """Record a failed attempt: retried at ``retry_at``, or dead-lettered when None. Returns since when the
        destination has been failing."""
        english = error.english[:300]
        text = {"reason": error.reason, "params": {k: str(v) for k, v in error.params.items()}}
        async with transaction(self._pool) as connection:
            await connection.execute(
                """
                UPDATE forward_deliveries SET
                    state = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'pending' END,
                    next_attempt_at = coalesce($4, next_attempt_at), leased_until = NULL,
                    first_failed_at = coalesce(first_failed_at, $3), last_error = $5,
                    done_at = CASE WHEN $4::timestamptz IS NULL THEN $3 END
                WHERE destination_id = $1 AND vote_id = $2
                """,
                destination_id, vote_id, now, retry_at, english,
            )  # fmt: skip
            since = await connection.fetchval(
                """
                UPDATE forward_destinations SET last_error = $3, last_error_text = $4, last_error_at = $2,
                    failing_since = coalesce(failing_since, $2)
                WHERE id = $1 RETURNING failing_since
                """,
                destination_id, now, english, text,
            )  # fmt: skip
        return since if isinstance(since, dt.datetime) else now

    async def replay(self, destination_ids: Sequence[int]) -> int:
        """Queue the dead letters of these destinations again, as new (their order kept)."""
        result = await self._pool.execute(
            """
            UPDATE forward_deliveries SET state = 'pending', attempts = 0, next_attempt_at = '-infinity',
                first_failed_at = NULL, last_error = NULL, done_at = NULL, leased_until = NULL
            WHERE destination_id = ANY($1::bigint[]) AND state = 'dead'
            """,
            list(destination_ids),
        )
        return int(result.split()[-1])


async def _finish(connection: Executor, destination_id: int, vote_id: int, state: str, now: dt.datetime) -> None:
    await connection.execute(
        """
        UPDATE forward_deliveries SET state = $3, done_at = $4, leased_until = NULL
        WHERE destination_id = $1 AND vote_id = $2
        """,
        destination_id, vote_id, state, now,
    )  # fmt: skip
