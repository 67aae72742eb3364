"""SQL for voter engagement: links, rewards, temporary roles, keyed periodic runs and leaderboards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor
from bot.votes.dispatcher import EVENT_COLUMNS, EVENT_JOINS, server_from_row
from bot.votes.events import VoteEvent

# Recent delivered votes whose rewards never ran; ``v.id > $4`` bounds the scan (recorded_at has no index).
UNREWARDED_VOTES = f"""
SELECT {EVENT_COLUMNS} FROM votes v {EVENT_JOINS}
WHERE v.id > $4
  AND v.recorded_at > now() - $1::interval AND v.recorded_at < now() - $2::interval AND s.enabled
  AND NOT EXISTS (SELECT 1 FROM vote_rewards r WHERE r.vote_id = v.id)
  AND NOT EXISTS (SELECT 1 FROM vote_outbox o WHERE o.vote_id = v.id)
  AND NOT EXISTS (
      SELECT 1 FROM server_features f WHERE f.server_id = v.server_id AND f.feature = 'vote' AND NOT f.enabled
  )
ORDER BY v.id LIMIT $3
"""
LAST_VOTE_ID_BEFORE = "SELECT max(id) FROM votes WHERE id > $1 AND recorded_at <= now() - $2::interval"

# A vote belongs to a member when it carries their Discord id or the player name they linked.
ATTRIBUTED_VOTES = """
SELECT v.server_id, COALESCE(v.discord_user_id, l.discord_user_id) AS member_id, v.player_name,
       l.player_name AS linked_name, v.weight, v.voted_at
FROM votes v
LEFT JOIN player_links l ON l.server_id = v.server_id AND lower(l.player_name) = lower(v.player_name)
"""


@dataclass(frozen=True, slots=True)
class Link:
    server_id: int
    discord_user_id: int
    player_name: str
    ping_opt_in: bool

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Link:
        return cls(record["server_id"], record["discord_user_id"], record["player_name"], record["ping_opt_in"])


@dataclass(frozen=True, slots=True)
class Voter:
    member_id: int | None  # linked or Discord-identified member
    name: str | None  # player name to show
    votes: int


@dataclass(frozen=True, slots=True)
class RoleGrant:
    server_id: int
    guild_id: int
    discord_user_id: int
    role_id: int
    expires_at: dt.datetime  # the lease this claim holds
    attempts: int


class NameTaken(Exception):
    def __init__(self, holder: int) -> None:
        super().__init__(holder)
        self.holder = holder


class EngagementRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # ------------------------------------------------------------------ links
    async def get_link(self, server_id: int, user_id: int) -> Link | None:
        record = await self._db.fetchrow(
            "SELECT * FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return Link.from_record(record) if record else None

    async def link_by_name(self, server_id: int, name: str) -> Link | None:
        record = await self._db.fetchrow(
            "SELECT * FROM player_links WHERE server_id = $1 AND lower(player_name) = lower($2)", server_id, name
        )
        return Link.from_record(record) if record else None

    async def link(
        self, server_id: int, user_id: int, name: str, *, ping: bool = False, reassign: bool = False
    ) -> Link:
        """Tie ``name`` to the member (replacing their old name); NameTaken unless ``reassign``."""
        async with _transaction(self._db) as connection:
            holder = await connection.fetchval(
                "SELECT discord_user_id FROM player_links WHERE server_id = $1 AND lower(player_name) = lower($2) "
                "FOR UPDATE",
                server_id,
                name,
            )
            if holder is not None and holder != user_id:
                if not reassign:
                    raise NameTaken(holder)
                await connection.execute(
                    "DELETE FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, holder
                )
            record = await connection.fetchrow(
                """
                INSERT INTO player_links (server_id, discord_user_id, player_name, ping_opt_in) VALUES ($1, $2, $3, $4)
                ON CONFLICT (server_id, discord_user_id) DO UPDATE
                    SET player_name = EXCLUDED.player_name, ping_opt_in = EXCLUDED.ping_opt_in, linked_at = now()
                RETURNING *
                """,
                server_id,
                user_id,
                name,
                ping,
            )
            return Link.from_record(record)

    async def unlink(self, server_id: int, user_id: int) -> bool:
        status = await self._db.execute(
            "DELETE FROM player_links WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return status.endswith(" 1")

    # ---------------------------------------------------------------- rewards
    async def claim_reward(self, server_id: int, vote_id: int, user_id: int | None) -> bool:
        """True exactly once per vote: the key every per-vote effect hangs on."""
        claimed = await self._db.fetchval(
            "INSERT INTO vote_rewards (vote_id, server_id, discord_user_id) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING RETURNING true",
            vote_id,
            server_id,
            user_id,
        )
        return bool(claimed)

    async def unrewarded_votes(
        self, newer_than: dt.timedelta, older_than: dt.timedelta, limit: int = 100, *, after_id: int = 0
    ) -> list[VoteEvent]:
        """Recent delivered votes whose rewards never ran (e.g. the bot stopped before its listener did).

        Votes of a disabled server or with the ``vote`` feature switched off are skipped: their rewards
        will never run, and listing them would crowd the others out of ``limit``. ``after_id`` (see
        :meth:`last_vote_id_before`) bounds the scan: ``recorded_at`` has no index of its own.
        """
        records = await self._db.fetch(UNREWARDED_VOTES, newer_than, older_than, limit, after_id)
        return [VoteEvent.from_record(r, server_from_row(r)) for r in records]

    async def last_vote_id_before(self, age: dt.timedelta, *, after_id: int = 0) -> int:
        """The highest id of a vote recorded more than ``age`` ago (at least ``after_id``).

        A range scan of the primary key from ``after_id``: the catch-up sweep keeps the result and scans
        only the votes recorded since, instead of the whole table every time.
        """
        value = await self._db.fetchval(LAST_VOTE_ID_BEFORE, after_id, age)
        return after_id if value is None else int(value)

    async def points(self, server_id: int, user_id: int, since: dt.datetime | None = None) -> int:
        value = await self._db.fetchval(
            f"SELECT COALESCE(sum(weight), 0) FROM ({ATTRIBUTED_VOTES} WHERE v.server_id = $1) a "
            "WHERE member_id = $2 AND voted_at >= COALESCE($3, '-infinity'::timestamptz)",
            server_id,
            user_id,
            since,
        )
        return int(value)

    async def next_vote_at(self, server_id: int, user_id: int, cooldown: dt.timedelta) -> dt.datetime | None:
        """When the member may vote again, from their last attributed vote (provider expiry or cooldown)."""
        return await self._db.fetchval(
            """
            SELECT COALESCE(v.expires_at, v.voted_at + $3::interval)
            FROM votes v
            LEFT JOIN player_links l ON l.server_id = v.server_id AND lower(l.player_name) = lower(v.player_name)
            WHERE v.server_id = $1 AND COALESCE(v.discord_user_id, l.discord_user_id) = $2
            ORDER BY v.voted_at DESC LIMIT 1
            """,
            server_id,
            user_id,
            cooldown,
        )

    async def grant_role(
        self, server_id: int, guild_id: int, user_id: int, role_id: int, expires_at: dt.datetime
    ) -> None:
        await self._db.execute(
            """
            INSERT INTO role_grants (server_id, guild_id, discord_user_id, role_id, expires_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (server_id, discord_user_id, role_id) DO UPDATE
                SET expires_at = GREATEST(role_grants.expires_at, EXCLUDED.expires_at), attempts = 0, last_error = NULL
            """,
            server_id,
            guild_id,
            user_id,
            role_id,
            expires_at,
        )

    async def claim_expired_roles(self, now: dt.datetime, lease: dt.timedelta, limit: int = 100) -> list[RoleGrant]:
        """Expired grants, leased to this caller (SKIP LOCKED: two bots never take the same row)."""
        records = await self._db.fetch(
            """
            UPDATE role_grants g
            SET expires_at = $1 + $2::interval * power(2, least(g.attempts, 6))::int, attempts = g.attempts + 1
            FROM (SELECT server_id, discord_user_id, role_id FROM role_grants WHERE expires_at <= $1
                  ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
            WHERE (g.server_id, g.discord_user_id, g.role_id) = (due.server_id, due.discord_user_id, due.role_id)
            RETURNING g.server_id, g.guild_id, g.discord_user_id, g.role_id, g.expires_at, g.attempts
            """,
            now,
            lease,
            limit,
        )
        return [RoleGrant(**dict(r)) for r in records]

    async def finish_role(self, grant: RoleGrant) -> None:
        """Drop the grant unless a newer vote extended it meanwhile."""
        await self._db.execute(
            "DELETE FROM role_grants "
            "WHERE server_id = $1 AND discord_user_id = $2 AND role_id = $3 AND expires_at = $4",
            grant.server_id,
            grant.discord_user_id,
            grant.role_id,
            grant.expires_at,
        )

    async def role_failed(self, grant: RoleGrant, error: str) -> None:
        await self._db.execute(
            "UPDATE role_grants SET last_error = $4 WHERE server_id = $1 AND discord_user_id = $2 AND role_id = $3",
            grant.server_id,
            grant.discord_user_id,
            grant.role_id,
            error[:500],
        )

    # ----------------------------------------------------------- keyed runs
    async def claim_run(self, server_id: int, kind: str, period: str, value: int | None = None) -> bool:
        """Insert the (server, kind, period) key; True only for the first caller ever."""
        claimed = await self._db.fetchval(
            "INSERT INTO engagement_runs (server_id, kind, period, value) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING RETURNING true",
            server_id,
            kind,
            period,
            value,
        )
        return bool(claimed)

    async def release_run(self, server_id: int, kind: str, period: str) -> None:
        """Forget a claimed run whose output failed, so the next tick tries again."""
        await self._db.execute(
            "DELETE FROM engagement_runs WHERE server_id = $1 AND kind = $2 AND period = $3", server_id, kind, period
        )

    async def has_run(self, server_id: int, kind: str, period: str) -> bool:
        return bool(
            await self._db.fetchval(
                "SELECT true FROM engagement_runs WHERE server_id = $1 AND kind = $2 AND period = $3",
                server_id,
                kind,
                period,
            )
        )

    async def improve_best(self, server_id: int, kind: str, period: str, rank: int) -> tuple[bool, bool]:
        """Record a (lower is better) rank; returns (first of the period, improved on the stored best)."""
        record = await self._db.fetchrow(
            """
            INSERT INTO engagement_runs (server_id, kind, period, value) VALUES ($1, $2, $3, $4)
            ON CONFLICT (server_id, kind, period) DO UPDATE SET value = EXCLUDED.value, done_at = now()
                WHERE engagement_runs.value > EXCLUDED.value
            RETURNING (xmax = 0) AS inserted
            """,
            server_id,
            kind,
            period,
            rank,
        )
        if record is None:
            return False, False
        return bool(record["inserted"]), not record["inserted"]

    # ----------------------------------------------------------- leaderboards
    async def vote_count(self, server_id: int, start: dt.datetime, end: dt.datetime) -> int:
        value = await self._db.fetchval(
            "SELECT COALESCE(sum(weight), 0) FROM votes WHERE server_id = $1 AND voted_at >= $2 AND voted_at < $3",
            server_id,
            start,
            end,
        )
        return int(value)

    async def total_votes(self, server_id: int) -> int:
        value = await self._db.fetchval("SELECT COALESCE(sum(weight), 0) FROM votes WHERE server_id = $1", server_id)
        return int(value)

    async def top_voters(
        self, server_id: int, start: dt.datetime, end: dt.datetime, limit: int = 10, *, linked_only: bool = False
    ) -> list[Voter]:
        records = await self._db.fetch(
            f"""
            SELECT member_id, COALESCE(max(linked_name), max(player_name)) AS name, sum(weight)::int AS votes,
                   max(voted_at) AS last_vote
            FROM ({ATTRIBUTED_VOTES} WHERE v.server_id = $1 AND v.voted_at >= $2 AND v.voted_at < $3) a
            WHERE (member_id IS NOT NULL OR (player_name IS NOT NULL AND NOT $5))
            GROUP BY member_id, CASE WHEN member_id IS NULL THEN lower(player_name) END
            ORDER BY votes DESC, last_vote ASC
            LIMIT $4
            """,
            server_id,
            start,
            end,
            limit,
            linked_only,
        )
        return [Voter(r["member_id"], r["name"], r["votes"]) for r in records]

    async def category_rank(self, server_id: int, category: str, start: dt.datetime, end: dt.datetime) -> int:
        """1 + the number of known servers in the category with more votes in the window."""
        value = await self._db.fetchval(
            """
            WITH counts AS (
                SELECT s.id, COALESCE(sum(v.weight), 0) AS votes
                FROM servers s LEFT JOIN votes v ON v.server_id = s.id AND v.voted_at >= $3 AND v.voted_at < $4
                WHERE s.category = $2 GROUP BY s.id
            )
            SELECT 1 + count(*) FROM counts WHERE votes > (SELECT votes FROM counts WHERE id = $1)
            """,
            server_id,
            category,
            start,
            end,
        )
        return int(value)

    # ---------------------------------------------------------- top-voter role
    async def role_holders(self, server_id: int) -> list[tuple[int, int]]:
        records = await self._db.fetch(
            "SELECT discord_user_id, role_id FROM top_voter_holders WHERE server_id = $1", server_id
        )
        return [(r["discord_user_id"], r["role_id"]) for r in records]

    async def set_role_holders(self, server_id: int, role_id: int, period: str, members: list[int]) -> None:
        await self._db.execute("DELETE FROM top_voter_holders WHERE server_id = $1", server_id)
        await self._db.executemany(
            "INSERT INTO top_voter_holders (server_id, discord_user_id, role_id, period) VALUES ($1, $2, $3, $4)",
            [(server_id, member, role_id, period) for member in members],
        )


class _transaction:
    """A transaction on a pool (acquire + begin) or on a connection the caller already holds."""

    def __init__(self, db: Executor) -> None:
        self._db = db
        self._connection: asyncpg.Connection | None = None
        self._tx: object = None

    async def __aenter__(self) -> asyncpg.Connection:
        if isinstance(self._db, asyncpg.Pool):
            self._connection = await self._db.acquire()
            connection = self._connection
        else:
            connection = self._db
        self._tx = connection.transaction()
        await self._tx.start()  # type: ignore[attr-defined]
        return connection

    async def __aexit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
                await self._tx.commit()  # type: ignore[attr-defined]
            else:
                await self._tx.rollback()  # type: ignore[attr-defined]
        finally:
            if self._connection is not None and isinstance(self._db, asyncpg.Pool):
                await self._db.release(self._connection)
