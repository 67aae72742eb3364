"""SQL of the leaderboards: every top-10 board's ranking in one set-based query, and the top-voter role holders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.db.executor import Executor
from bot.db.votes import ATTRIBUTED_VOTES, Voter

# The month-to-date ranking of many boards at once; each board brings its own month window (in its server's
# zone, from bot.core.time). Voters are members (by the attribution rule) or unlinked player names.
_TOP10 = f"""
WITH boards AS (
    SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS b(server_id, month_start, until)
), voters AS (
    SELECT b.server_id, a.member_id, COALESCE(max(a.linked_name), max(a.player_name)) AS name,
           sum(a.weight)::int AS votes, max(a.voted_at) AS last_vote
    FROM boards b
    JOIN ({ATTRIBUTED_VOTES}) a ON a.server_id = b.server_id AND a.voted_at >= b.month_start AND a.voted_at < b.until
    WHERE a.member_id IS NOT NULL OR a.player_name IS NOT NULL
    GROUP BY b.server_id, a.member_id, CASE WHEN a.member_id IS NULL THEN lower(a.player_name) END
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY server_id ORDER BY votes DESC, last_vote ASC) AS rank FROM voters
)
SELECT b.server_id, r.member_id, r.name, r.votes
FROM boards b LEFT JOIN ranked r ON r.server_id = b.server_id AND r.rank <= 10
ORDER BY b.server_id, r.rank
"""


class LeaderboardRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def top10(self, windows: Sequence[tuple[int, dt.datetime, dt.datetime]]) -> dict[int, list[Voter]]:
        """server id → its top 10 voters in its window ``(server id, start, end)``."""
        records = await self._db.fetch(
            _TOP10, [w[0] for w in windows], [w[1] for w in windows], [w[2] for w in windows]
        )
        boards: dict[int, list[Voter]] = {}
        for record in records:
            voters = boards.setdefault(record["server_id"], [])
            if record["votes"] is not None:
                voters.append(Voter(record["member_id"], record["name"], record["votes"]))
        return boards

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
