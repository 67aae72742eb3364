"""Leaderboard queries over many servers at once, and the top-voter role decision. No Discord imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.db.engagement import Voter
from bot.db.executor import Executor

# Every active top-10 board's month-to-date ranking in one set-based query (month start in each server's zone).
_TOP10_ALL = """
WITH boards AS (
    SELECT s.id AS server_id,
           (date_trunc('month', $1::timestamptz AT TIME ZONE s.timezone) AT TIME ZONE s.timezone) AS month_start
    FROM servers s JOIN server_features f ON f.server_id = s.id AND f.feature = 'top10_board'
    WHERE f.enabled AND s.enabled AND ($2::bigint[] IS NULL OR s.id = ANY($2::bigint[]))
), voters AS (
    SELECT b.server_id, COALESCE(v.discord_user_id, l.discord_user_id) AS member_id,
           COALESCE(max(l.player_name), max(v.player_name)) AS name, sum(v.weight)::int AS votes,
           max(v.voted_at) AS last_vote
    FROM boards b
    JOIN votes v ON v.server_id = b.server_id AND v.voted_at >= b.month_start AND v.voted_at <= $1
    LEFT JOIN player_links l ON l.server_id = v.server_id AND lower(l.player_name) = lower(v.player_name)
    WHERE v.discord_user_id IS NOT NULL OR v.player_name IS NOT NULL
    GROUP BY b.server_id, COALESCE(v.discord_user_id, l.discord_user_id),
             CASE WHEN COALESCE(v.discord_user_id, l.discord_user_id) IS NULL THEN lower(v.player_name) END
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY server_id ORDER BY votes DESC, last_vote ASC) AS rank FROM voters
)
SELECT b.server_id, r.member_id, r.name, r.votes
FROM boards b LEFT JOIN ranked r ON r.server_id = b.server_id AND r.rank <= 10
ORDER BY b.server_id, r.rank
"""


async def top10_for_boards(
    db: Executor, now: dt.datetime, server_ids: Sequence[int] | None = None
) -> dict[int, list[Voter]]:
    """server id → its top 10 voters this month, for every server with an active board (or the given ones)."""
    records = await db.fetch(_TOP10_ALL, now, list(server_ids) if server_ids is not None else None)
    boards: dict[int, list[Voter]] = {}
    for record in records:
        voters = boards.setdefault(record["server_id"], [])
        if record["votes"] is not None:
            voters.append(Voter(record["member_id"], record["name"], record["votes"]))
    return boards


def top_voter_winners(voters: Sequence[Voter], ties: str = "all") -> list[int]:
    """Members who get the monthly role: the best linked voter(s); ``ties='all'`` shares it, ``'first'`` doesn't
    (the first to reach the top count wins, as the ranking orders by last vote time)."""
    linked = [v for v in voters if v.member_id is not None]
    if not linked:
        return []
    best = linked[0].votes
    winners = [v.member_id for v in linked if v.votes == best and v.member_id is not None]
    return winners[:1] if ties == "first" else winners
