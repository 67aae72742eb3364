"""Rewards per vote: thank-you message, temporary voter role (removed when the vote expires), points.

Configured on the ``vote`` feature: its channel is the thank-you channel, its role the voter role; settings
``thank_you`` (default on) and ``role_hours`` (default: until the member may vote again).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.admin_notice import notify_guild_owner
from bot.core.autocomplete import server_names
from bot.core.features import FeatureSpec
from bot.core.guild_checks import usable_channel, usable_role
from bot.core.interactions import guild_of, safe_reply
from bot.core.scheduling import cancel, every
from bot.db.engagement import EngagementRepository, RoleGrant
from bot.votes.events import VoteEvent
from cogs.leaderboards.views import remind_view, thank_you_text
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

ROLE_SPEC = FeatureSpec("vote", "Voter role", needs_role=True)  # the bot hands this role out: check its position
EXPIRY_INTERVAL = 30.0  # seconds between sweeps of expired voter roles
CATCH_UP_WINDOW = dt.timedelta(minutes=15)  # votes this recent whose rewards never ran get them late
CATCH_UP_DELAY = dt.timedelta(seconds=30)  # leave fresh votes to their normal delivery
RETRY_LEASE = dt.timedelta(minutes=1)  # first retry of a failed removal; doubles up to ~1 h
UNKNOWN_MEMBER, UNKNOWN_ROLE = 10007, 10011


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class RewardsCog(commands.GroupCog, name="Rewards", group_name="rewards", group_description="Rewards for each vote"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.repo = EngagementRepository(bot.pool)
        self.clock: Callable[[], dt.datetime] = discord.utils.utcnow
        self._catch_up_after = 0  # votes up to this id are older than the catch-up window
        super().__init__()

    async def cog_load(self) -> None:
        every(self.bot.scheduler, "rewards:expire", self.sweep, EXPIRY_INTERVAL)

    async def sweep(self) -> None:
        await self.catch_up()
        await self.expire_roles()

    async def catch_up(self) -> int:
        """Reward recent votes whose ``vote`` listener never ran (bot stopped between delivery and listener).
        Keyed by vote id like every reward, so a vote is never rewarded twice. Never raises."""
        done = 0
        try:
            events = await self.repo.unrewarded_votes(CATCH_UP_WINDOW, CATCH_UP_DELAY, after_id=self._catch_up_after)
            self._catch_up_after = await self.repo.last_vote_id_before(CATCH_UP_WINDOW, after_id=self._catch_up_after)
        except Exception:
            log.exception("rewards catch-up: could not read recent votes; retrying next sweep")
            return 0
        for event in events:
            try:
                done += await self.reward(event)
            except Exception:
                log.exception("rewards catch-up for vote %s (server %s) failed", event.ledger_id, event.server.id)
        return done

    async def cog_unload(self) -> None:
        cancel(self.bot.scheduler, "rewards:expire")

    # ------------------------------------------------------------------ admin
    @app_commands.command(name="setup", description="Thank-you channel, temporary voter role and options")
    @app_commands.describe(
        channel="Where to thank voters",
        role="Role given to voters until they may vote again",
        thank_you="Post thank-you messages (default on)",
        role_hours="Keep the role this many hours instead of until the next vote is possible",
        server="Game server (default: this Discord server's default one)",
    )
    @app_commands.autocomplete(server=server_names)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup_rewards(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        thank_you: bool | None = None,
        role_hours: app_commands.Range[int, 1, 720] | None = None,
        server: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        found = await self.bot.servers.resolve(guild.id, server)
        if channel is not None:
            usable_channel(guild, channel.id)
        if role is not None:
            usable_role(guild, role.id, ROLE_SPEC)
        current = await self.bot.servers.features.get(found.id, "vote")
        settings = dict(current.settings) if current else {}
        if thank_you is not None:
            settings["thank_you"] = thank_you
        if role_hours is not None:
            settings["role_hours"] = role_hours
        setting = await self.bot.servers.features.set(
            found.id,
            "vote",
            enabled=current.enabled if current else True,
            channel_id=channel.id if channel else None,
            role_id=role.id if role else None,
            settings=settings,
        )
        parts = [f"Rewards for **{escape(found.name)}**:"]
        parts.append(
            f"thank-you in <#{setting.channel_id}>"
            if setting.channel_id and settings.get("thank_you", True)
            else "no thank-you message"
        )
        if setting.role_id:
            hours = settings.get("role_hours")
            parts.append(f"<@&{setting.role_id}> for {f'{hours} h' if hours else 'the vote cooldown'}")
        await safe_reply(interaction, " · ".join(parts))

    # --------------------------------------------------------------- per vote
    @commands.Cog.listener()
    async def on_vote(self, event: VoteEvent) -> None:
        try:
            await self.reward(event)
        except Exception:
            log.exception("rewards for vote %s (server %s) failed", event.ledger_id, event.server.id)

    async def reward(self, event: VoteEvent) -> bool:
        """Run the vote's rewards once; False when they already ran or rewards are off."""
        server = event.server
        setting = await self.bot.servers.features.get(server.id, "vote")
        if not server.enabled or (setting is not None and not setting.enabled):
            return False
        if not await self.repo.claim_reward(server.id, event.ledger_id, event.discord_user_id):
            log.debug("vote %s: rewards already given", event.ledger_id)
            return False
        if setting is None:
            return True  # points only: they are counted from the votes themselves
        member_id, now = event.discord_user_id, self.clock()
        if setting.role_id and member_id is not None:
            hours = setting.settings.get("role_hours")
            expires = event.voted_at + dt.timedelta(hours=hours) if hours else event.next_vote_at
            if expires is not None and expires > now:
                await self.repo.grant_role(server.id, server.guild_id, member_id, setting.role_id, expires)
                await self._add_role(server.guild_id, member_id, setting.role_id, event)
        if setting.channel_id and setting.settings.get("thank_you", True):
            await self._thank(event, setting.channel_id)
        return True

    async def _add_role(self, guild_id: int, member_id: int, role_id: int, event: VoteEvent) -> None:
        try:
            await self.bot.http.add_role(guild_id, member_id, role_id, reason=f"voted ({event.provider})")
        except discord.NotFound as exc:
            log.info("vote %s: member %s or role %s is gone (%s)", event.ledger_id, member_id, role_id, exc.text)
        except discord.Forbidden:
            log.warning("vote %s: not allowed to give role %s in guild %s", event.ledger_id, role_id, guild_id)
            await self._tell_owner_once(
                event.server.id,
                guild_id,
                f"role:{role_id}",
                f"I can't give the voter role <@&{role_id}>: it is above my highest role or I lack Manage Roles. "
                "Drag my role above it in Server Settings → Roles.",
            )
        except discord.HTTPException as exc:
            log.warning("vote %s: giving role %s failed (%s)", event.ledger_id, role_id, exc.status)

    async def _thank(self, event: VoteEvent, channel_id: int) -> None:
        server, member_id = event.server, event.discord_user_id
        link = await self.repo.get_link(server.id, member_id) if member_id is not None else None
        ping = bool(link and link.ping_opt_in)
        points = await self.repo.points(server.id, member_id) if member_id is not None else 0
        text = thank_you_text(server, event.player_name, member_id, ping, points)
        mentions = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(member_id)] if ping and member_id else False
        )
        reminders_on = await self.bot.servers.is_active(server, "reminders")
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                raise _NotTextChannel
            if reminders_on:
                await channel.send(text, allowed_mentions=mentions, view=remind_view(server.id))
            else:
                await channel.send(text, allowed_mentions=mentions)
        except (discord.NotFound, discord.Forbidden, _NotTextChannel) as exc:
            log.warning("vote %s: cannot thank in channel %s: %s", event.ledger_id, channel_id, exc)
            await self._tell_owner_once(
                server.id,
                server.guild_id,
                f"thanks:{channel_id}",
                f"I can't post thank-you messages for **{escape(server.name)}** in <#{channel_id}> (the channel is "
                "gone or I lost access). Pick another one with /rewards setup.",
            )
        except discord.HTTPException as exc:
            log.warning("vote %s: thank-you failed (%s)", event.ledger_id, exc.status)

    async def _tell_owner_once(self, server_id: int, guild_id: int, key: str, text: str) -> None:
        if await self.repo.claim_run(server_id, "notice", key[:64]):
            await notify_guild_owner(self.bot, guild_id, text)

    # ---------------------------------------------------------- role expiry
    async def expire_roles(self) -> int:
        """Take back expired voter roles; returns how many were handled. Never raises."""
        handled = 0
        try:
            grants = await self.repo.claim_expired_roles(self.clock(), RETRY_LEASE)
        except Exception:
            log.exception("voter role expiry: could not read due roles; retrying next sweep")
            return 0
        for grant in grants:
            try:
                await self._remove(grant)
                await self.repo.finish_role(grant)
                handled += 1
            except discord.HTTPException as exc:
                log.warning(
                    "voter role %s of member %s in guild %s: removal failed (%s); retrying after %s",
                    grant.role_id,
                    grant.discord_user_id,
                    grant.guild_id,
                    exc.status,
                    grant.expires_at,
                )
                await self.repo.role_failed(grant, f"{exc.status} {exc.text}")
            except Exception:
                log.exception("voter role %s of member %s: removal failed", grant.role_id, grant.discord_user_id)
        return handled

    async def _remove(self, grant: RoleGrant) -> None:
        try:
            await self.bot.http.remove_role(grant.guild_id, grant.discord_user_id, grant.role_id, reason="vote expired")
        except discord.NotFound as exc:  # member left or role deleted: nothing to take back
            if exc.code not in (UNKNOWN_MEMBER, UNKNOWN_ROLE):
                raise
            log.info("voter role %s of member %s: %s; dropping", grant.role_id, grant.discord_user_id, exc.text)


class _NotTextChannel(Exception):
    """The configured channel is not one messages can be posted in."""


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(RewardsCog(bot))
