"""SQL of the rewards: which effects of each vote are done (``vote_rewards``) and temporary voter roles
(``role_grants``, taken back when they expire)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.db.executor import Executor
from bot.db.shards import shard_filter


@dataclass(frozen=True, slots=True)
class RoleGrant:
    server_id: int
    guild_id: int
    discord_user_id: int
    role_id: int
    expires_at: dt.datetime  # the lease this claim holds
    attempts: int


@dataclass(frozen=True, slots=True)
class ThankYou:
    vote_id: int
    batch: int
    server_id: int
    member_id: int | None  # the member the vote is attributed to (Top.gg's id, or the linked player name's)
    player_name: str | None
    ping: bool  # the member opted in to be pinged by thank-you posts


@dataclass(frozen=True, slots=True)
class RoleToGive:
    guild_id: int
    server_id: int
    discord_user_id: int
    role_id: int
    provider: str | None  # the listing site of the vote that asked for it (the audit log's reason)


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

    # ------------------------------------------------------------------ the thank-you outbox
    async def queue_thanks(self, vote_id: int, channel_id: int) -> None:
        """The vote waits to be thanked in ``channel_id`` (alone, or with the others waiting there)."""
        await self._db.execute(
            "UPDATE vote_rewards SET thank_channel_id = $2 WHERE vote_id = $1 AND thanked_at IS NULL",
            vote_id,
            channel_id,
        )

    async def form_batch(self, channel_id: int, limit: int) -> None:
        """Gather the channel's waiting votes (the oldest ``limit`` of one game server) into a batch, unless one is
        still open."""
        await self._db.execute(
            """
            WITH open AS (
                SELECT 1 FROM vote_rewards
                WHERE thank_channel_id = $1 AND thanked_at IS NULL AND thank_batch IS NOT NULL LIMIT 1
            ), first AS (  -- one game server per post: the one whose vote waits longest
                SELECT server_id FROM vote_rewards
                WHERE thank_channel_id = $1 AND thanked_at IS NULL AND thank_batch IS NULL
                ORDER BY vote_id LIMIT 1
            ), waiting AS (
                SELECT vote_id FROM vote_rewards
                WHERE thank_channel_id = $1 AND thanked_at IS NULL AND thank_batch IS NULL
                  AND server_id = (SELECT server_id FROM first) AND NOT EXISTS (SELECT 1 FROM open)
                ORDER BY vote_id LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            UPDATE vote_rewards r SET thank_batch = (SELECT min(vote_id) FROM waiting)
            FROM waiting WHERE r.vote_id = waiting.vote_id
            """,
            channel_id,
            limit,
        )

    async def open_batch(self, channel_id: int) -> list[ThankYou]:
        """The channel's oldest batch not posted yet, vote by vote (empty: nothing to post)."""
        records = await self._db.fetch(
            """
            SELECT r.vote_id, r.thank_batch AS batch, r.server_id, r.discord_user_id AS member_id, v.player_name,
                   COALESCE(l.ping_opt_in, false) AS ping
            FROM vote_rewards r
            JOIN votes v ON v.id = r.vote_id
            LEFT JOIN player_links l ON l.server_id = r.server_id AND l.discord_user_id = r.discord_user_id
            WHERE r.thank_channel_id = $1 AND r.thanked_at IS NULL
              AND r.thank_batch = (SELECT min(thank_batch) FROM vote_rewards
                                   WHERE thank_channel_id = $1 AND thanked_at IS NULL)
            ORDER BY r.vote_id
            """,
            channel_id,
        )
        return [ThankYou(**dict(r)) for r in records]

    async def batch_thanked(self, batch: int, message_id: int | None, now: dt.datetime) -> None:
        """Every vote of the batch is thanked (``message_id`` None: skipped, the channel refused it)."""
        await self._db.execute(
            "UPDATE vote_rewards SET thanked_at = $3, thanked_message_id = $2 WHERE thank_batch = $1 "
            "AND thanked_at IS NULL",
            batch,
            message_id,
            now,
        )

    async def channels_waiting(
        self, shard_count: int | None = None, shard_ids: list[int] | None = None
    ) -> list[tuple[int, int]]:
        """``(server id, channel id)`` of our guilds' channels with a vote waiting to be thanked (what a restart or
        a failed post left)."""
        records = await self._db.fetch(
            f"""
            SELECT DISTINCT ON (r.thank_channel_id) r.server_id, r.thank_channel_id
            FROM vote_rewards r JOIN servers s ON s.id = r.server_id
            WHERE r.thanked_at IS NULL AND r.thank_channel_id IS NOT NULL
              AND {shard_filter("s.guild_id", "$1", "$2")}
            ORDER BY r.thank_channel_id, r.vote_id
            """,
            shard_count,
            shard_ids,
        )
        return [(r["server_id"], r["thank_channel_id"]) for r in records]

    # ------------------------------------------------------------------ voter roles
    async def grant_role(
        self, server_id: int, guild_id: int, user_id: int, role_id: int, expires_at: dt.datetime, provider: str
    ) -> None:
        """The member is to have the role until ``expires_at`` (given by the guild's next role turn; a vote while
        the role is held gives it again, in case someone took it away)."""
        await self._db.execute(
            """
            INSERT INTO role_grants (server_id, guild_id, discord_user_id, role_id, expires_at, provider)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (server_id, discord_user_id, role_id) DO UPDATE
                SET expires_at = GREATEST(role_grants.expires_at, EXCLUDED.expires_at), attempts = 0, last_error = NULL,
                    given_at = NULL, provider = EXCLUDED.provider
            """,
            server_id,
            guild_id,
            user_id,
            role_id,
            expires_at,
            provider,
        )

    async def roles_to_give(self, guild_id: int, now: dt.datetime, limit: int) -> list[RoleToGive]:
        """The guild's grants not given yet (oldest vote first), left out those whose time is already over."""
        records = await self._db.fetch(
            """
            SELECT server_id, discord_user_id, role_id, provider FROM role_grants
            WHERE guild_id = $1 AND given_at IS NULL AND expires_at > $2 AND attempts = 0
            ORDER BY expires_at, discord_user_id LIMIT $3
            """,
            guild_id,
            now,
            limit,
        )
        return [RoleToGive(guild_id=guild_id, **dict(r)) for r in records]

    async def role_given(self, grant: RoleToGive, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE role_grants SET given_at = $4 WHERE server_id = $1 AND discord_user_id = $2 AND role_id = $3",
            grant.server_id,
            grant.discord_user_id,
            grant.role_id,
            now,
        )

    async def guilds_with_roles_to_give(
        self, now: dt.datetime, shard_count: int | None = None, shard_ids: list[int] | None = None
    ) -> list[int]:
        records = await self._db.fetch(
            f"""
            SELECT DISTINCT guild_id FROM role_grants
            WHERE given_at IS NULL AND expires_at > $1 AND attempts = 0 AND {shard_filter("guild_id", "$2", "$3")}
            """,
            now,
            shard_count,
            shard_ids,
        )
        return [r["guild_id"] for r in records]

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
