"""Live top-10 voters board, the daily leaderboard post and the monthly top-voter role.

Every timed output is keyed by its period in ``engagement_runs`` (claimed inside the transaction that
covers the Discord calls), so a restart neither skips nor repeats it; jobs only look at the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.admin_notice import notify_guild_owner
from bot.core.autocomplete import server_names
from bot.core.boards import BoardContent, BoardKeeper
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.core.scheduling import cancel, every
from bot.core.time import day_of, local_at, month_of, parse_hhmm, previous_month, zone
from bot.db.engagement import EngagementRepository
from bot.db.records import FeatureSetting, Server
from bot.votes.events import VoteEvent
from cogs.leaderboards.repository import top10_for_boards, top_voter_winners
from cogs.leaderboards.views import daily_embed, top10_embed
from cogs.reminders.repository import active_features
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

BOARD_INTERVAL = 15.0  # seconds: flush boards changed by votes, refresh the ones due
TICK_INTERVAL = 60.0  # seconds: daily posts and month rollovers
DEFAULT_REFRESH_MINUTES = 10
DEFAULT_POST_TIME = "09:00"
CATCH_UP = dt.timedelta(hours=6)  # a daily post later than this (bot was down) is skipped
UNKNOWN_MEMBER = 10007


class RetryLater(Exception):
    """A known, reported failure (channel gone, role above the bot): the period stays unclaimed and is retried."""


class RoleSyncError(RetryLater):
    """The top-voter role could not be synced; the month stays unclaimed and is retried."""


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class LeaderboardsCog(
    commands.GroupCog, name="Leaderboards", group_name="leaderboards", group_description="Leaderboard settings"
):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.repo = EngagementRepository(bot.pool)
        self.clock: Callable[[], dt.datetime] = discord.utils.utcnow
        self.keeper = BoardKeeper(bot, clock=lambda: self.clock())
        self.dirty: set[int] = set()  # servers whose board a vote changed
        self._refreshed: dict[int, dt.datetime] = {}
        super().__init__()

    async def cog_load(self) -> None:
        every(self.bot.scheduler, "leaderboards:board_tick", self.board_tick, BOARD_INTERVAL)
        every(self.bot.scheduler, "leaderboards:tick", self.tick, TICK_INTERVAL)

    async def cog_unload(self) -> None:
        cancel(self.bot.scheduler, "leaderboards:board_tick", "leaderboards:tick")

    @app_commands.command(name="settings", description="Board refresh, daily post time, top-voter ties")
    @app_commands.describe(
        board_refresh="Minutes between top-10 board refreshes (votes also update it)",
        post_time="Local time of the daily leaderboard post, e.g. 09:00 (server time zone)",
        ties="Top-voter role on a tie: everyone tied, or only the first to reach the count",
    )
    @app_commands.autocomplete(server=server_names)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(
        self,
        interaction: discord.Interaction,
        board_refresh: app_commands.Range[int, 1, 60] | None = None,
        post_time: str | None = None,
        ties: Literal["all", "first"] | None = None,
        server: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if post_time is not None:
            try:
                parse_hhmm(post_time)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        changes = {"top10_board": ("refresh_minutes", board_refresh), "daily_leaderboard": ("post_time", post_time)}
        changes["top_voter_role"] = ("ties", ties)
        for feature, (key, value) in changes.items():
            if value is None:
                continue
            current = await self.bot.servers.features.get(found.id, feature)
            settings = {**(current.settings if current else {}), key: value}
            enabled = current.enabled if current else False
            await self.bot.servers.features.set(found.id, feature, enabled=enabled, settings=settings)
        await safe_reply(interaction, f"Leaderboard settings of **{escape(found.name)}** saved.")

    # ------------------------------------------------------------ top-10 board
    @commands.Cog.listener()
    async def on_vote(self, event: VoteEvent) -> None:
        self.dirty.add(event.server.id)

    async def board_tick(self) -> None:
        """Refresh boards changed by votes, and every board whose refresh interval passed. Never raises."""
        now = self.clock()
        try:
            boards = await active_features(self.bot.pool, "top10_board")
            due = [
                (server, setting)
                for server, setting in boards
                if server.id in self.dirty or self._refresh_due(server.id, setting, now)
            ]
            if not due:
                return
            self.dirty.difference_update(server.id for server, _ in due)
            rankings = await top10_for_boards(self.bot.pool, now, [server.id for server, _ in due])
        except Exception:
            log.exception("top-10 boards: could not load rankings; retrying next tick")
            return
        for server, _ in due:
            try:
                month = month_of(now, zone(server.timezone))
                embed = top10_embed(server, month.key, rankings.get(server.id, []), now)
                await self.keeper.refresh(server, "top10_board", BoardContent([embed]))
                self._refreshed[server.id] = now
            except Exception:
                log.exception("top-10 board of server %s failed; retrying next tick", server.id)
                self.dirty.add(server.id)

    def _refresh_due(self, server_id: int, setting: FeatureSetting, now: dt.datetime) -> bool:
        minutes = setting.settings.get("refresh_minutes", DEFAULT_REFRESH_MINUTES)
        last = self._refreshed.get(server_id)
        return last is None or now - last >= dt.timedelta(minutes=minutes if isinstance(minutes, int) else 10)

    # --------------------------------------------------- daily post, rollover
    async def tick(self) -> None:
        """Daily posts and month rollovers that are due (catching up after downtime). Never raises."""
        for feature, run in (("daily_leaderboard", self.daily_post), ("top_voter_role", self.rollover)):
            try:
                targets = await active_features(self.bot.pool, feature)
            except Exception:
                log.exception("%s: could not list servers; retrying next tick", feature)
                continue
            for server, setting in targets:
                try:
                    await run(server, setting)
                except RetryLater as exc:
                    log.warning("%s of server %s: %s; retrying next tick", feature, server.id, exc)
                except Exception:
                    log.exception("%s of server %s failed; retrying next tick", feature, server.id)

    async def daily_post(self, server: Server, setting: FeatureSetting) -> bool:
        """Post day D's leaderboard (D-1's and the month's top voters) at the local post time; True if posted."""
        if setting.channel_id is None:
            return False
        now, tz = self.clock(), zone(server.timezone)
        try:
            at = parse_hhmm(str(setting.settings.get("post_time", DEFAULT_POST_TIME)))
        except ValueError:
            at = parse_hhmm(DEFAULT_POST_TIME)
        today = now.astimezone(tz).date()
        for day in (today - dt.timedelta(days=1), today):  # yesterday's post may still be due (late < 6 h)
            target = local_at(day, at, tz)
            if not target <= now < target + CATCH_UP:
                continue
            async with self.bot.pool.acquire() as connection, connection.transaction():
                if not await EngagementRepository(connection).claim_run(server.id, "daily", day.isoformat()):
                    continue
                previous = day_of(day - dt.timedelta(days=1), tz)
                month = month_of(previous.start, tz)
                yesterday = await self.repo.top_voters(server.id, previous.start, previous.end, 10)
                monthly = await self.repo.top_voters(server.id, month.start, min(month.end, now), 10)
                embed = daily_embed(server, previous.key, yesterday, month.key, monthly)
                try:
                    channel = self.bot.get_channel(setting.channel_id) or await self.bot.fetch_channel(
                        setting.channel_id
                    )
                    if not isinstance(channel, discord.TextChannel | discord.Thread):
                        raise UserError("it is not a text channel")
                    await channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
                except (discord.NotFound, discord.Forbidden, UserError) as exc:
                    reason = "the channel is gone" if isinstance(exc, discord.NotFound) else f"{exc}"
                    await self._tell_owner_once(
                        server,
                        f"daily:{setting.channel_id}",
                        f"I can't post the daily leaderboard of **{escape(server.name)}** in <#{setting.channel_id}> "
                        f"({reason}). I keep retrying for a few hours; fix my permissions there or pick another "
                        "channel with /feature enable.",
                    )
                    raise RetryLater(f"daily post in channel {setting.channel_id}: {reason}") from exc
                return True  # commit: a failure above rolls the claim back and the next tick retries
        return False

    async def rollover(self, server: Server, setting: FeatureSetting) -> bool:
        """At the local month change, give last month's top voter(s) the role and take it from the previous
        holders; once per month (claimed with the Discord calls), caught up on start. True if it ran now."""
        if setting.role_id is None:
            return False
        tz = zone(server.timezone)
        last = previous_month(self.clock(), tz)
        async with self.bot.pool.acquire() as connection, connection.transaction():
            repo = EngagementRepository(connection)
            if not await repo.claim_run(server.id, "top_voter_role", last.key):
                return False
            voters = await repo.top_voters(server.id, last.start, last.end, 25, linked_only=True)
            winners = top_voter_winners(voters, str(setting.settings.get("ties", "all")))
            holders = await repo.role_holders(server.id)
            for member, role in holders:
                if member not in winners or role != setting.role_id:
                    await self._role(server, "remove", member, role)
            for member in winners:
                await self._role(server, "add", member, setting.role_id)
            await repo.set_role_holders(server.id, setting.role_id, last.key, winners)
        log.info("server %s: top-voter role for %s → %s", server.id, last.key, winners or "nobody")
        return True

    async def _role(self, server: Server, action: str, member: int, role: int) -> None:
        call = self.bot.http.add_role if action == "add" else self.bot.http.remove_role
        try:
            await call(server.guild_id, member, role, reason="monthly top voter")
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MEMBER:  # left the guild: nothing to give or take
                log.info("server %s: top-voter role: member %s is gone", server.id, member)
                return
            await self._tell_owner_once(
                server, f"top_voter_role:{role}", _role_text(server, role, "it no longer exists")
            )
            raise RoleSyncError(f"role {role} is gone") from exc
        except discord.Forbidden as exc:
            reason = "it is above my highest role or I lack Manage Roles"
            await self._tell_owner_once(server, f"top_voter_role:{role}", _role_text(server, role, reason))
            raise RoleSyncError(f"not allowed to manage role {role}") from exc

    async def _tell_owner_once(self, server: Server, key: str, text: str) -> None:
        if await self.repo.claim_run(server.id, "notice", key[:64]):
            await notify_guild_owner(self.bot, server.guild_id, text)


def _role_text(server: Server, role: int, reason: str) -> str:
    return (
        f"I can't hand out the top-voter role <@&{role}> of **{escape(server.name)}**: {reason}. "
        "I keep retrying; fix it in Server Settings → Roles or pick another role with /feature enable."
    )


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(LeaderboardsCog(bot))
