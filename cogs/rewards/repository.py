"""SQL of the rewards: which effects of each vote are done (``vote_rewards``) and temporary voter roles
(``role_grants``, taken back when they expire)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.db.executor import Executor


@dataclass(frozen=True, slots=True)
class RoleGrant:
    server_id: int
    guild_id: int
    discord_user_id: int
    role_id: int
    expires_at: dt.datetime  # the lease this claim holds
    attempts: int


class RewardRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def start(self, server_id: int, vote_id: int, user_id: int | None) -> bool:
        """The vote's reward record (created on the first attempt); True when its thank-you is still to do."""
        thanked = await self._db.fetchval(
            """
            WITH new AS (
                INSERT INTO vote_rewards (vote_id, server_id, discord_user_id) VALUES ($1, $2, $3)
                ON CONFLICT DO NOTHING RETURNING thanked_at
            )
            SELECT thanked_at IS NOT NULL FROM new
            UNION ALL
            SELECT thanked_at IS NOT NULL FROM vote_rewards WHERE vote_id = $1
            LIMIT 1
            """,
            vote_id,
            server_id,
            user_id,
        )
        return not thanked

    async def thanked(self, vote_id: int, message_id: int | None, now: dt.datetime) -> None:
        """The thank-you is done (``message_id`` None: it was skipped, e.g. the channel refused it)."""
        await self._db.execute(
            "UPDATE vote_rewards SET thanked_at = $3, thanked_message_id = $2 WHERE vote_id = $1",
            vote_id,
            message_id,
            now,
        )

    # ------------------------------------------------------------------ voter roles
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
