"""Voter roles, given one by one within Discord's role limit, without holding up the votes' other effects.

Discord lets a bot change about 10 roles per 10 s in one guild. A vote records its grant (``role_grants``, to
give) and the guild's roles are given at once while the guild had fewer than :data:`ROLES_PER_WINDOW` role
changes in the last :data:`WINDOW`; beyond, by the guild's turns, at the pace Discord's role bucket sets. A
burst of 1,000 votes thus takes its quarter of an hour to hand out roles, each once, while its thank-you posts
and announcements go out meanwhile. A role the bot may not hand out (gone, above the bot, or with a dangerous
permission) is skipped and the owner told once; a Discord outage retries the guild with back-off.
:meth:`RoleGiver.sweep` restarts what a restart left waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.core.admin_notice import AdminNotices
from bot.core.i18n import _
from bot.core.messaging import DangerousRole, Messenger, Unreachable
from bot.core.request_budget import Priority, prioritized
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock
from bot.core.turns import PacedTurns
from bot.db.records import Server
from bot.votes.credentials import provider_name
from cogs.rewards.repository import RewardRepository, RoleToGive
from cogs.rewards.views import role_refused_text

log = logging.getLogger(__name__)

WINDOW = 10.0  # seconds: Discord's window of 10 role changes per guild
ROLES_PER_WINDOW = 8  # roles the vote consumer gives itself per guild and window (room left for expiry removals)
TURN_ROLES = 50  # roles one turn gives, one by one at the pace of Discord's role bucket


class RoleGiver:
    def __init__(
        self,
        repository: RewardRepository,
        servers: ServerService,
        messenger: Messenger,
        notices: AdminNotices,
        clock: Clock,
        shards: ShardOwnership,
        *,
        window: float = WINDOW,
        per_window: int = ROLES_PER_WINDOW,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repo = repository
        self._servers = servers
        self._messenger = messenger
        self._notices = notices
        self._clock = clock
        self._shards = shards
        # The vote consumer gives a role itself only while the guild is under the role limit; beyond, a turn
        # gives every waiting role at the pace Discord's headers set (discord.py waits on them, the votes don't).
        self._turns: PacedTurns[None] = PacedTurns(
            "voter roles in guild", self._give, window=window, per_window=per_window, turn_room=TURN_ROLES,
            monotonic=monotonic,
        )  # fmt: skip

    async def give(self, guild_id: int) -> None:
        """A grant of ``guild_id`` was recorded: give the guild's waiting roles now when it has room (errors raise,
        so the consumer is retried), else in its next turn."""
        await self._turns.now_or_later(guild_id, None)

    async def sweep(self) -> None:
        """Guilds with roles still to give and no turn coming (a restart, a failed turn). Never raises."""
        try:
            guilds = await self._repo.guilds_with_roles_to_give(self._clock(), *self._shards.sql_args())
        except Exception:
            log.exception("voter roles sweep: could not list guilds; retrying next sweep")
            return
        for guild_id in guilds:
            if not self._turns.busy(guild_id):
                self._turns.later(guild_id, None)

    async def close(self) -> None:
        await self._turns.close()

    async def _give(self, guild_id: int, _context: None, room: int) -> int:
        grants = await self._repo.roles_to_give(guild_id, self._clock(), room)
        servers: dict[int, Server | None] = {}
        for grant in grants:
            if grant.server_id not in servers:
                servers[grant.server_id] = await self._servers.find(grant.server_id)
            server = servers[grant.server_id]
            if server is not None:
                with prioritized(Priority.VOTE_EFFECT):
                    await self._add(server, grant)
            await self._repo.role_given(grant, self._clock())
        return len(grants)

    async def _add(self, server: Server, grant: RoleToGive) -> None:
        with self._servers.speaking_for(server):
            # Translators: the reason shown in the Discord audit log when the bot gives the voter role; {provider} is
            # the listing site's name, e.g. "voted (Top-Server)".
            reason = _("voted ({provider})", provider=provider_name(grant.provider or ""))
        try:
            await self._messenger.add_role(grant.guild_id, grant.discord_user_id, grant.role_id, reason=reason)
        except Unreachable as exc:  # skipped (a role that gained a dangerous permission too), the owner told once
            log.warning("cannot give role %s in guild %s: %s", grant.role_id, grant.guild_id, exc)
            dangerous = isinstance(exc, DangerousRole)
            key = f"role:{grant.role_id}:dangerous" if dangerous else f"role:{grant.role_id}"  # not hidden by another
            with self._servers.speaking_for(server):  # the owner notice, in the server's language
                text = role_refused_text(grant.role_id, exc.shown, dangerous=dangerous)
                await self._notices.once(server, key, text)
