"""VoteEvent: what the cogs receive through ``bot.dispatch("vote", event)``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.records import Server


@dataclass(frozen=True, slots=True)
class VoteEvent:
    ledger_id: int  # votes.id — the key for idempotent effects
    server: Server
    provider: str
    vote_id: str  # the provider's vote id (or derived key)
    player_name: str | None
    discord_user_id: int | None  # from the provider (Top.gg), else the member who linked the player name
    weight: int
    voted_at: dt.datetime
    next_vote_at: dt.datetime | None  # when the voter may vote again, when known

    @classmethod
    def from_record(cls, record: asyncpg.Record, server: Server) -> VoteEvent:
        expires_at = record["expires_at"]
        return cls(
            ledger_id=record["id"],
            server=server,
            provider=record["provider"],
            vote_id=record["external_id"],
            player_name=record["player_name"],
            discord_user_id=record["discord_user_id"],
            weight=record["weight"],
            voted_at=record["voted_at"],
            next_vote_at=expires_at or record["voted_at"] + server.vote_cooldown,
        )
