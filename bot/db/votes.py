"""Reading recorded votes, with the one rule for which votes belong to a member (the write side is the ledger).

**Attribution.** A vote belongs to member M when it carries M's Discord id (Top.gg), or carries no Discord
id and its player name is the one M linked with ``/link`` (case-insensitive; Top-Server, Votifier,
GAMEMONITORING). The rule is written once, as :data:`ATTRIBUTION_JOIN` + :data:`ATTRIBUTED_MEMBER`; every
query that asks whose a vote is builds on them (:data:`ATTRIBUTED_VOTES` for many members at once, the
dispatcher's vote events in :mod:`bot.votes.repository`), and :func:`member_votes` is the same rule as two
index probes for one member. ``/points``, /vote's cooldown, rewards, giveaways, leaderboards, milestones and
the badge all count through them, so they always agree.

Periods (``start``/``end``) come from :mod:`bot.core.time` in the server's zone; every window here is
``start <= voted_at < end``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.db.executor import Executor
from bot.db.records import VoteRecord

_COLUMNS = "id, server_id, provider, external_id, player_name, discord_user_id, weight, voted_at, expires_at"
_V_COLUMNS = ", ".join(f"v.{c.strip()}" for c in _COLUMNS.split(","))


def member_votes(server: str, member: str) -> str:
    """The votes of one member on one server (SQL placeholders ``server``/``member``), as a subquery.

    Two index probes (by Discord id, and by the linked player name) instead of a join over every vote."""
    return f"""(
        SELECT {_COLUMNS} FROM votes WHERE server_id = {server} AND discord_user_id = {member}
        UNION ALL
        SELECT {_V_COLUMNS} FROM player_links l
        JOIN votes v ON v.server_id = l.server_id AND lower(v.player_name) = lower(l.player_name)
        WHERE l.server_id = {server} AND l.discord_user_id = {member} AND v.discord_user_id IS NULL
    )"""


ATTRIBUTION_JOIN = (
    "LEFT JOIN player_links l ON l.server_id = v.server_id AND lower(l.player_name) = lower(v.player_name)"
)
"""The link (``l``) whose player name a vote (``v``) carries; add it after ``FROM votes v``."""

ATTRIBUTED_MEMBER = "COALESCE(v.discord_user_id, l.discord_user_id)"
"""Whose vote ``v`` is, given :data:`ATTRIBUTION_JOIN`: its Discord id, else the member who linked its player
name; NULL for an unlinked player name."""

ATTRIBUTED_VOTES = f"""
SELECT v.id, v.server_id, {ATTRIBUTED_MEMBER} AS member_id, v.player_name,
       l.player_name AS linked_name, v.weight, v.voted_at
FROM votes v
{ATTRIBUTION_JOIN}
"""
"""Every vote with the member it belongs to (``member_id``, NULL for an unlinked player name); add a WHERE
on ``v.``. The same rule as :func:`member_votes`, for queries over many members at once."""


@dataclass(frozen=True, slots=True)
class Voter:
    member_id: int | None  # the member the votes belong to; None: an unlinked player name
    name: str | None  # player name to show
    votes: int


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date  # in the server's zone
    provider: str
    votes: int  # vote points (weights)


class VoteRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # ------------------------------------------------------------------ one member
    async def last_for_member(self, server_id: int, member_id: int) -> VoteRecord | None:
        record = await self._db.fetchrow(
            f"SELECT * FROM {member_votes('$1', '$2')} m ORDER BY voted_at DESC LIMIT 1", server_id, member_id
        )
        return VoteRecord.from_record(record) if record else None

    async def points(
        self, server_id: int, member_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> int:
        """The member's vote points (weights) in ``[since, until)``, all time by default."""
        value = await self._db.fetchval(
            f"""
            SELECT COALESCE(sum(weight), 0) FROM {member_votes("$1", "$2")} m
            WHERE voted_at >= COALESCE($3::timestamptz, '-infinity')
              AND voted_at < COALESCE($4::timestamptz, 'infinity')
            """,
            server_id,
            member_id,
            since,
            until,
        )
        return int(value)

    async def members_who_voted(
        self, server_id: int, member_ids: list[int], since: dt.datetime, until: dt.datetime | None = None
    ) -> set[int]:
        """Which of ``member_ids`` have a vote in ``[since, until)``, no upper bound by default (giveaway entry
        and bonus)."""
        records = await self._db.fetch(
            f"""
            SELECT DISTINCT member_id FROM ({ATTRIBUTED_VOTES} WHERE v.server_id = $1 AND v.voted_at >= $3
                                            AND v.voted_at < COALESCE($4::timestamptz, 'infinity')) a
            WHERE member_id = ANY($2::bigint[])
            """,
            server_id,
            member_ids,
            since,
            until,
        )
        return {r["member_id"] for r in records}

    # ------------------------------------------------------------------ one server
    async def count(self, server_id: int, start: dt.datetime, end: dt.datetime) -> int:
        """Vote points of the server in ``[start, end)``."""
        value = await self._db.fetchval(
            "SELECT COALESCE(sum(weight), 0) FROM votes WHERE server_id = $1 AND voted_at >= $2 AND voted_at < $3",
            server_id,
            start,
            end,
        )
        return int(value)

    async def daily_counts(self, server_id: int, start: dt.datetime, end: dt.datetime, timezone: str) -> list[DayCount]:
        """Vote points per local day (in ``timezone``) and listing site in ``[start, end)``; days without votes are
        left out. Charts of votes per day stack them by site."""
        records = await self._db.fetch(
            """
            SELECT (voted_at AT TIME ZONE $4)::date AS day, provider, sum(weight)::int AS votes
            FROM votes WHERE server_id = $1 AND voted_at >= $2 AND voted_at < $3
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            server_id,
            start,
            end,
            timezone,
        )
        return [DayCount(r["day"], r["provider"], r["votes"]) for r in records]

    async def total(self, server_id: int) -> int:
        value = await self._db.fetchval("SELECT COALESCE(sum(weight), 0) FROM votes WHERE server_id = $1", server_id)
        return int(value)

    async def top_voters(
        self, server_id: int, start: dt.datetime, end: dt.datetime, limit: int = 10, *, linked_only: bool = False
    ) -> list[Voter]:
        """The best voters in ``[start, end)``: most points first, then whoever got there first."""
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

    async def category_ranks(self, category: str | None, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
        """Every server of ``category``'s rank by vote points in ``[start, end)`` (ties share a rank), in one query:
        the public badges rank a whole category at once and keep the answer for a minute."""
        rows = await self._db.fetch(
            """
            WITH totals AS (
                SELECT s.id, COALESCE(sum(v.weight), 0) AS votes
                FROM servers s
                LEFT JOIN votes v ON v.server_id = s.id AND v.voted_at >= $2 AND v.voted_at < $3
                WHERE s.category IS NOT DISTINCT FROM $1
                GROUP BY s.id
            )
            SELECT id, rank() OVER (ORDER BY votes DESC) AS rank FROM totals
            """,
            category,
            start,
            end,
        )
        return {int(row["id"]): int(row["rank"]) for row in rows}

    async def category_rank(
        self, server_id: int, category: str | None, start: dt.datetime, end: dt.datetime
    ) -> tuple[int, int]:
        """``(rank, servers ranked)`` by vote points in ``[start, end)`` among the servers of the same category
        (every server without one when ``category`` is None). Ties share a rank."""
        ranks = await self.category_ranks(category, start, end)
        return ranks.get(server_id, 1), max(len(ranks), 1)

    async def last_at(self, server_id: int, provider: str) -> dt.datetime | None:
        """When the server's latest vote from ``provider`` was cast (the Top.gg backfill's bookmark)."""
        return await self._db.fetchval(
            "SELECT max(voted_at) FROM votes WHERE server_id = $1 AND provider = $2", server_id, provider
        )

    async def with_vote_between(
        self, server_id: int, provider: str, windows: Sequence[tuple[int, dt.datetime, dt.datetime]]
    ) -> set[int]:
        """Of these ``(discord user, start, end)``, the users who already have a vote of ``provider`` for the
        server with ``start <= voted_at < end`` — one query for a whole page of listed votes."""
        records = await self._db.fetch(
            """
            SELECT w.user_id FROM unnest($3::bigint[], $4::timestamptz[], $5::timestamptz[]) AS w(user_id, s, e)
            WHERE EXISTS (
                SELECT 1 FROM votes v
                WHERE v.server_id = $1 AND v.provider = $2 AND v.discord_user_id = w.user_id
                  AND v.voted_at >= w.s AND v.voted_at < w.e
            )
            """,
            server_id,
            provider,
            [w[0] for w in windows],
            [w[1] for w in windows],
            [w[2] for w in windows],
        )
        return {r["user_id"] for r in records}

    # ------------------------------------------------------------------ one member's month (/stats me)
    async def member_daily_counts(
        self, server_id: int, member_id: int, start: dt.datetime, end: dt.datetime, timezone: str
    ) -> list[DayCount]:
        """The member's vote points per local day (in ``timezone``) and listing site in ``[start, end)``, by the one
        attribution rule (:func:`member_votes`); days without votes are left out."""
        records = await self._db.fetch(
            f"""
            SELECT (voted_at AT TIME ZONE $5)::date AS day, provider, sum(weight)::int AS votes
            FROM {member_votes("$1", "$2")} m
            WHERE voted_at >= $3 AND voted_at < $4
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            server_id,
            member_id,
            start,
            end,
            timezone,
        )
        return [DayCount(r["day"], r["provider"], r["votes"]) for r in records]

    async def voter_place(
        self, server_id: int, member_id: int, start: dt.datetime, end: dt.datetime
    ) -> tuple[int | None, int]:
        """``(place, voters)``: the member's place by vote points in ``[start, end)`` among everyone who voted then
        (None when the member has no points), and how many voted. Voters are counted as :meth:`top_voters` counts
        them: members, and player names nobody linked; ties share a place."""
        record = await self._db.fetchrow(
            f"""
            WITH totals AS (
                SELECT member_id, sum(weight) AS votes
                FROM ({ATTRIBUTED_VOTES} WHERE v.server_id = $1 AND v.voted_at >= $3 AND v.voted_at < $4) a
                WHERE member_id IS NOT NULL OR player_name IS NOT NULL
                GROUP BY member_id, CASE WHEN member_id IS NULL THEN lower(player_name) END
                HAVING sum(weight) > 0
            ), ranked AS (
                SELECT member_id, rank() OVER (ORDER BY votes DESC) AS place FROM totals
            )
            SELECT (SELECT place FROM ranked WHERE member_id = $2) AS place, (SELECT count(*) FROM totals) AS voters
            """,
            server_id,
            member_id,
            start,
            end,
        )
        assert record is not None  # noqa: S101 - an aggregate query always returns its row
        place = record["place"]
        return (int(place) if place is not None else None), int(record["voters"])
