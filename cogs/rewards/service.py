"""Rewards of each vote: a thank-you message, a temporary voter role (taken back when it expires), points.

Configured on the ``vote`` feature: its channel is the thank-you channel, its role the voter role; its
settings ``thank_you`` and ``role_hours`` (see ``spec.py``). Points are not stored: they are the member's
votes (:meth:`bot.db.votes.VoteRepository.points`).

Each effect of a vote happens once. The dispatcher hands a vote over until :meth:`RewardsService.handle`
returns. The thank-you goes through the channel's outbox (:mod:`cogs.rewards.thanks`: at once, or coalesced
with a burst's others) and is recorded in ``vote_rewards`` once posted (with a nonce, so a retry after a crash
between the two does not post twice); the role is recorded in ``role_grants`` and given within the guild's role
limit (:mod:`cogs.rewards.roles`), idempotent in Discord. A channel or role the bot may not use is reported to
the guild owner once and skipped; a Discord outage raises, and the vote is retried later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

import discord

from bot.core.admin_notice import AdminNotices
from bot.core.i18n import _
from bot.core.messaging import Gone, Messenger, Unreachable
from bot.core.people import People
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.time import Clock
from bot.db.executor import Executor
from bot.db.records import FeatureSetting, Server
from bot.db.votes import VoteRepository
from bot.votes.events import VoteEvent
from cogs.rewards.repository import RewardRepository, RoleGrant
from cogs.rewards.roles import RoleGiver
from cogs.rewards.spec import ROLE_HOURS, THANK_YOU
from cogs.rewards.thanks import ThankYouPoster
from cogs.rewards.views import setup_summary

log = logging.getLogger(__name__)

FEATURE = "vote"
RETRY_LEASE = dt.timedelta(minutes=1)  # first retry of a failed role removal; doubles up to ~1 h


class RewardsService:
    name = "rewards"  # the vote consumer's name

    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        messenger: Messenger,
        notices: AdminNotices,
        clock: Clock,
        people: People,
        shards: ShardOwnership,
    ) -> None:
        self._servers = servers
        self._people = people
        self._messenger = messenger
        self._notices = notices
        self._clock = clock
        self._rewards = RewardRepository(db)
        self.thanks = ThankYouPoster(
            self._rewards, VoteRepository(db), servers, messenger, notices, people, clock, shards
        )
        self.roles = RoleGiver(self._rewards, servers, messenger, notices, clock, shards)

    # ------------------------------------------------------------------ admin
    async def configure(
        self,
        server: Server,
        *,
        channel_id: int | None,
        role_id: int | None,
        thank_you: bool | None,
        role_hours: int | None,
    ) -> str:
        changes = {
            key: value for key, value in (("thank_you", thank_you), ("role_hours", role_hours)) if value is not None
        }
        setting = await self._servers.configure(
            server, FEATURE, channel_id=channel_id, role_id=role_id, settings=changes
        )
        return setup_summary(server, setting, self._servers.current_settings(setting, FEATURE))

    # ------------------------------------------------------------------ per vote
    async def handle(self, event: VoteEvent) -> None:
        """The vote consumer: run the vote's rewards; what was done before is not done again."""
        server = event.server
        setting = await self._servers.active_setting(server, FEATURE)
        if setting is None:
            return  # rewards off: nothing to give (points still count: they are the votes themselves)
        to_thank = await self._rewards.start(server.id, event.ledger_id, event.discord_user_id)
        if to_thank:  # first: a thank-you never waits for the guild's role limit
            if setting.channel_id and THANK_YOU.current(setting.settings):  # alone now, or with a burst's others
                await self._rewards.queue_thanks(event.ledger_id, setting.channel_id)
                await self.thanks.thank(server, setting.channel_id)
            else:
                await self._rewards.thanked(event.ledger_id, None, self._clock())
        member_id = event.discord_user_id
        if setting.role_id and member_id is not None:
            await self._grant_role(event, setting, member_id, setting.role_id)

    async def _grant_role(self, event: VoteEvent, setting: FeatureSetting, member_id: int, role_id: int) -> None:
        hours = ROLE_HOURS.current(setting.settings)
        expires = event.voted_at + dt.timedelta(hours=hours) if hours else event.next_vote_at
        if expires is None or expires <= self._clock():
            return  # the vote is older than its role would last (a late delivery)
        server = event.server
        await self._rewards.grant_role(server.id, server.guild_id, member_id, role_id, expires, event.provider)
        await self.roles.give(server.guild_id)  # now while the guild has room, else in its next turn

    # ------------------------------------------------------------------ role expiry
    async def expire_roles(self) -> int:
        """Take back expired voter roles; returns how many were handled. Never raises."""
        handled = 0
        try:
            grants = await self._rewards.claim_expired_roles(self._clock(), RETRY_LEASE)
        except Exception:
            log.exception("voter role expiry: could not read due roles; retrying next sweep")
            return 0
        for grant in grants:
            try:
                await self._take_back(grant)
                await self._rewards.finish_role(grant)
                handled += 1
            except (Unreachable, discord.HTTPException) as exc:  # not allowed now, or Discord is down: later
                reason = exc.reason if isinstance(exc, Unreachable) else f"{exc.status} {exc.text}"
                log.warning(
                    "voter role %s of member %s in guild %s: removal failed (%s); retrying after %s",
                    grant.role_id,
                    grant.discord_user_id,
                    grant.guild_id,
                    reason,
                    grant.expires_at,
                )
                await self._rewards.role_failed(grant, reason)
            except Exception:
                log.exception("voter role %s of member %s: removal failed", grant.role_id, grant.discord_user_id)
        return handled

    async def _take_back(self, grant: RoleGrant) -> None:
        server = await self._servers.find(grant.server_id)
        with self._servers.speaking_for(server) if server is not None else contextlib.nullcontext():
            # Translators: the reason shown in the Discord audit log when the bot takes the voter role back.
            reason = _("vote expired")
        try:
            await self._messenger.remove_role(grant.guild_id, grant.discord_user_id, grant.role_id, reason=reason)
        except Gone as exc:  # the role was deleted: nothing left to take back
            log.info("voter role %s of member %s: %s; dropping", grant.role_id, grant.discord_user_id, exc.reason)
