"""SQL for personal reminders: subscriptions with quiet hours, and one pending reminder per member and server
(claimed with SKIP LOCKED under a lease, so a crash mid-send retries later and two processes never send it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.servers import server_columns
from bot.db.shards import shard_filter


@dataclass(frozen=True, slots=True)
class DueReminder:
    server: Server
    discord_user_id: int
    due_at: dt.datetime  # the lease this claim holds
    channel_id: int | None
    quiet_start: int | None
    quiet_end: int | None
    attempts: int


class ReminderStore:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def subscribe(self, server_id: int, user_id: int, channel_id: int | None) -> None:
        await self._db.execute(
            """
            INSERT INTO reminder_subscriptions (server_id, discord_user_id, channel_id) VALUES ($1, $2, $3)
            ON CONFLICT (server_id, discord_user_id) DO UPDATE
                SET channel_id = COALESCE(EXCLUDED.channel_id, reminder_subscriptions.channel_id)
            """,
            server_id,
            user_id,
            channel_id,
        )

    async def unsubscribe(self, server_id: int, user_id: int) -> bool:
        status = await self._db.execute(
            "DELETE FROM reminder_subscriptions WHERE server_id = $1 AND discord_user_id = $2", server_id, user_id
        )
        return status.endswith(" 1")

    async def set_quiet(self, server_id: int, user_id: int, start: int | None, end: int | None) -> bool:
        status = await self._db.execute(
            "UPDATE reminder_subscriptions SET quiet_start = $3, quiet_end = $4 "
            "WHERE server_id = $1 AND discord_user_id = $2",
            server_id,
            user_id,
            start,
            end,
        )
        return status.endswith(" 1")

    async def schedule(self, server_id: int, user_id: int, due_at: dt.datetime) -> bool:
        """Set the member's reminder (one per server) if they subscribed; returns whether one was set. Never moves
        a reminder earlier: a vote delivered late (a retry, a replayed dead letter) cannot shorten a newer cooldown."""
        status = await self._db.execute(
            """
            INSERT INTO reminders (server_id, discord_user_id, due_at)
            SELECT server_id, discord_user_id, $3 FROM reminder_subscriptions
            WHERE server_id = $1 AND discord_user_id = $2
            ON CONFLICT (server_id, discord_user_id) DO UPDATE
                SET due_at = EXCLUDED.due_at, attempts = 0, leased_until = NULL
                WHERE reminders.due_at < EXCLUDED.due_at
            """,
            server_id,
            user_id,
            due_at,
        )
        return status.endswith(" 1")

    async def claim_due(
        self,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int = 200,
        *,
        shard_count: int | None = None,
        shard_ids: list[int] | None = None,
    ) -> list[DueReminder]:
        """Due reminders of our guilds, leased to this caller: a crash mid-send retries after the lease, with the
        same ``due_at`` (the time it was scheduled for, which the message nonce is made from)."""
        records = await self._db.fetch(
            f"""
            WITH due AS (
                SELECT r.server_id, r.discord_user_id FROM reminders r JOIN servers ds ON ds.id = r.server_id
                WHERE r.due_at <= $1 AND (r.leased_until IS NULL OR r.leased_until <= $1)
                  AND {shard_filter("ds.guild_id", "$4", "$5")}
                ORDER BY r.due_at LIMIT $3 FOR UPDATE OF r SKIP LOCKED
            ), leased AS (
                UPDATE reminders r SET leased_until = $1 + $2::interval, attempts = r.attempts + 1
                FROM due WHERE (r.server_id, r.discord_user_id) = (due.server_id, due.discord_user_id)
                RETURNING r.server_id, r.discord_user_id, r.due_at, r.attempts
            )
            SELECT {server_columns("s", prefix="s_")}, l.discord_user_id, l.due_at, l.attempts,
                   sub.channel_id, sub.quiet_start, sub.quiet_end
            FROM leased l
            JOIN servers s ON s.id = l.server_id
            JOIN reminder_subscriptions sub ON (sub.server_id, sub.discord_user_id) = (l.server_id, l.discord_user_id)
            """,
            now,
            lease,
            limit,
            shard_count,
            shard_ids,
        )
        return [
            DueReminder(
                Server.from_record(r, prefix="s_"),
                r["discord_user_id"],
                r["due_at"],
                r["channel_id"],
                r["quiet_start"],
                r["quiet_end"],
                r["attempts"],
            )
            for r in records
        ]

    async def finish(self, reminder: DueReminder) -> None:
        """Delete the delivered reminder unless a newer vote rescheduled it meanwhile."""
        await self._db.execute(
            "DELETE FROM reminders WHERE server_id = $1 AND discord_user_id = $2 AND due_at = $3",
            reminder.server.id,
            reminder.discord_user_id,
            reminder.due_at,
        )

    async def postpone(self, reminder: DueReminder, due_at: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE reminders SET due_at = $4, attempts = 0, leased_until = NULL "
            "WHERE server_id = $1 AND discord_user_id = $2 AND due_at = $3",
            reminder.server.id,
            reminder.discord_user_id,
            reminder.due_at,
            due_at,
        )

    async def pending(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM reminders"))
