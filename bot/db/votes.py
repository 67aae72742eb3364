"""Read side of recorded votes (the write side is the VoteLedger)."""

from __future__ import annotations

from bot.db.executor import Executor
from bot.db.records import VoteRecord

_COLUMNS = "id, server_id, provider, external_id, player_name, discord_user_id, weight, voted_at, expires_at"


class VoteRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def last_for_member(self, server_id: int, discord_user_id: int) -> VoteRecord | None:
        record = await self._db.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM votes
            WHERE server_id = $1 AND discord_user_id = $2
            ORDER BY voted_at DESC LIMIT 1
            """,
            server_id,
            discord_user_id,
        )
        return VoteRecord.from_record(record) if record else None
