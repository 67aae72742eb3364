"""SQL for giveaways, their entries and their stored draws."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor

_COLUMNS = (
    "id, server_id, guild_id, channel_id, message_id, host_id, prize, winner_count, required_role_id, "
    "require_vote, voter_bonus, starts_at, ends_at, status, finished_at"
)


@dataclass(frozen=True, slots=True)
class Giveaway:
    id: int
    server_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    host_id: int
    prize: str
    winner_count: int
    required_role_id: int | None
    require_vote: bool
    voter_bonus: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    finished_at: dt.datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Giveaway:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Draw:
    giveaway_id: int
    draw_no: int
    snapshot: tuple[tuple[int, int], ...]  # (member id, tickets)
    winners: tuple[int, ...]
    requested: int
    announced_at: dt.datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Draw:
        snapshot = record["snapshot"]
        return cls(
            giveaway_id=record["giveaway_id"],
            draw_no=record["draw_no"],
            snapshot=tuple((int(u), int(t)) for u, t in snapshot),
            winners=tuple(record["winners"]),
            requested=record["requested"],
            announced_at=record["announced_at"],
        )


class GiveawayRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        *,
        server_id: int,
        guild_id: int,
        channel_id: int,
        host_id: int,
        prize: str,
        winner_count: int,
        required_role_id: int | None,
        require_vote: bool,
        voter_bonus: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
    ) -> Giveaway:
        record = await self._db.fetchrow(
            f"""
            INSERT INTO giveaways (server_id, guild_id, channel_id, host_id, prize, winner_count, required_role_id,
                                   require_vote, voter_bonus, starts_at, ends_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {_COLUMNS}
            """,
            server_id,
            guild_id,
            channel_id,
            host_id,
            prize,
            winner_count,
            required_role_id,
            require_vote,
            voter_bonus,
            starts_at,
            ends_at,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("insert returned no row")
        return Giveaway.from_record(record)

    async def delete(self, giveaway_id: int) -> None:
        await self._db.execute("DELETE FROM giveaways WHERE id = $1", giveaway_id)

    async def get(self, giveaway_id: int) -> Giveaway | None:
        record = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM giveaways WHERE id = $1", giveaway_id)
        return Giveaway.from_record(record) if record else None

    async def list_for_guild(self, guild_id: int, limit: int = 15) -> list[Giveaway]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM giveaways WHERE guild_id = $1 ORDER BY status = 'running' DESC, id DESC LIMIT $2",
            guild_id,
            limit,
        )
        return [Giveaway.from_record(r) for r in records]

    async def list_for_server(self, server_id: int, limit: int = 25) -> list[Giveaway]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM giveaways WHERE server_id = $1 ORDER BY status = 'running' DESC, id DESC LIMIT $2",
            server_id,
            limit,
        )
        return [Giveaway.from_record(r) for r in records]

    async def due(self, now: dt.datetime) -> list[Giveaway]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM giveaways WHERE status = 'running' AND ends_at <= $1 ORDER BY ends_at", now
        )
        return [Giveaway.from_record(r) for r in records]

    async def next_end(self, after: dt.datetime) -> dt.datetime | None:
        """When the next running giveaway ends after ``after`` (overdue ones are the tick's business)."""
        value: dt.datetime | None = await self._db.fetchval(
            "SELECT min(ends_at) FROM giveaways WHERE status = 'running' AND ends_at > $1", after
        )
        return value

    async def set_message(self, giveaway_id: int, message_id: int) -> None:
        await self._db.execute("UPDATE giveaways SET message_id = $2 WHERE id = $1", giveaway_id, message_id)

    async def set_ends_at(self, giveaway_id: int, ends_at: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE giveaways SET ends_at = GREATEST($2, starts_at + interval '1 second') "
            "WHERE id = $1 AND status = 'running'",
            giveaway_id,
            ends_at,
        )

    async def finish(self, giveaway_id: int, status: str, now: dt.datetime) -> bool:
        result = await self._db.execute(
            "UPDATE giveaways SET status = $2, finished_at = $3 WHERE id = $1 AND status = 'running'",
            giveaway_id,
            status,
            now,
        )
        return result.endswith(" 1")

    async def enter(self, giveaway_id: int, user_id: int) -> bool:
        """Add the member; False when already entered."""
        result = await self._db.execute(
            "INSERT INTO giveaway_entries (giveaway_id, discord_user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            giveaway_id,
            user_id,
        )
        return result.endswith(" 1")

    async def leave(self, giveaway_id: int, user_id: int) -> bool:
        result = await self._db.execute(
            "DELETE FROM giveaway_entries WHERE giveaway_id = $1 AND discord_user_id = $2", giveaway_id, user_id
        )
        return result.endswith(" 1")

    async def entry_count(self, giveaway_id: int) -> int:
        count: int = await self._db.fetchval(
            "SELECT count(*) FROM giveaway_entries WHERE giveaway_id = $1", giveaway_id
        )
        return count

    async def entrants(self, giveaway_id: int) -> list[int]:
        """Every entrant, oldest entry first."""
        records = await self._db.fetch(
            "SELECT discord_user_id FROM giveaway_entries WHERE giveaway_id = $1 ORDER BY entered_at, discord_user_id",
            giveaway_id,
        )
        return [r["discord_user_id"] for r in records]

    async def draws(self, giveaway_id: int) -> list[Draw]:
        records = await self._db.fetch(
            "SELECT giveaway_id, draw_no, snapshot, winners, requested, announced_at FROM giveaway_draws "
            "WHERE giveaway_id = $1 ORDER BY draw_no",
            giveaway_id,
        )
        return [Draw.from_record(r) for r in records]

    async def add_draw(
        self, giveaway_id: int, draw_no: int, snapshot: list[tuple[int, int]], winners: list[int], requested: int
    ) -> Draw | None:
        """Store a draw; None when that draw number exists already (someone else drew first)."""
        record = await self._db.fetchrow(
            """
            INSERT INTO giveaway_draws (giveaway_id, draw_no, snapshot, winners, requested)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            RETURNING giveaway_id, draw_no, snapshot, winners, requested, announced_at
            """,
            giveaway_id,
            draw_no,
            [list(pair) for pair in snapshot],
            winners,
            requested,
        )
        return Draw.from_record(record) if record else None

    async def mark_announced(self, giveaway_id: int, draw_no: int, message_id: int, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE giveaway_draws SET announced_at = $3, message_id = $4 WHERE giveaway_id = $1 AND draw_no = $2",
            giveaway_id,
            draw_no,
            now,
            message_id,
        )

    async def delete_draw(self, giveaway_id: int, draw_no: int) -> None:
        """Forget a reroll that could not be announced (nobody saw it), so it can be tried again."""
        await self._db.execute(
            "DELETE FROM giveaway_draws WHERE giveaway_id = $1 AND draw_no = $2 AND announced_at IS NULL",
            giveaway_id,
            draw_no,
        )
