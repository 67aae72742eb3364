"""Read side of recorded votes (the write side is the VoteLedger)."""

from __future__ import annotations

from bot.db.executor import Executor
from bot.db.records import VoteRecord

_COLUMNS = "id, server_id, provider, external_id, player_name, discord_user_id, weight, voted_at, expires_at"


class VoteRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def last_for_member(self, server_id: int, discord_user_id: int) -> VoteRecord | None:
        """The member's latest vote: by Discord id (Top.gg) or through their linked in-game name."""
        record = await self._db.fetchrow(
            f"""
            SELECT * FROM (
                (SELECT {_COLUMNS} FROM votes
                 WHERE server_id = $1 AND discord_user_id = $2
                 ORDER BY voted_at DESC LIMIT 1)
                UNION ALL
                (SELECT {", ".join("v." + c.strip() for c in _COLUMNS.split(","))}
                 FROM player_links l
                 JOIN votes v ON v.server_id = l.server_id AND lower(v.player_name) = lower(l.player_name)
                 WHERE l.server_id = $1 AND l.discord_user_id = $2
                 ORDER BY v.voted_at DESC LIMIT 1)
            ) latest
            ORDER BY voted_at DESC LIMIT 1
            """,
            server_id,
            discord_user_id,
        )
        return VoteRecord.from_record(record) if record else None
