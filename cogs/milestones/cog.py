"""Milestones (monthly thresholds, once each per month in the server's zone; optional every-N total) and rank-ups.

Announced in the ``milestones`` feature's channel. Claims are keyed rows (``engagement_runs``), so duplicate
vote deliveries and restarts never announce twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.core.scheduling import cancel, every
from bot.core.time import month_of, zone
from bot.db.engagement import EngagementRepository
from bot.db.records import Server
from bot.votes.events import VoteEvent
from cogs.events.service import mark_rank_announced, pending_rank_updates, servers_with_pending_ranks
from cogs.milestones.service import every_from, every_mark, parse_thresholds, reached, thresholds_from
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

PUSHED_RANK_SWEEP = 60.0  # seconds; ranks pushed through a separate `votebot webhooks` process


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class MilestonesCog(commands.GroupCog, name="Milestones", group_name="milestones", group_description="Milestones"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.repo = EngagementRepository(bot.pool)
        self.clock: Callable[[], dt.datetime] = discord.utils.utcnow
        super().__init__()

    async def cog_load(self) -> None:
        every(self.bot.scheduler, "milestones:ranks", self.sweep_pushed_ranks, PUSHED_RANK_SWEEP)

    async def cog_unload(self) -> None:
        cancel(self.bot.scheduler, "milestones:ranks")

    @commands.Cog.listener()
    async def on_rank_pushed(self, server_id: int) -> None:
        await self.announce_pushed_ranks(server_id)

    async def sweep_pushed_ranks(self) -> None:
        await self.bot.wait_until_ready()
        for server_id in await servers_with_pending_ranks(self.bot.pool):
            await self.announce_pushed_ranks(server_id)

    async def announce_pushed_ranks(self, server_id: int) -> None:
        """Announce ranks a listing site pushed (``rank.update``) like computed ones: only new bests per month."""
        try:
            server = await self.bot.servers.servers.get(server_id)
            for update in await pending_rank_updates(self.bot.pool, server_id):
                if server is not None:
                    if update.previous_rank is not None:  # the site says where it came from: a silent baseline
                        period = month_of(update.received_at, zone(server.timezone)).key
                        await self.repo.improve_best(server.id, "best_rank", period, update.previous_rank)
                    await self.push_rank(server, update.rank, update.received_at)
                await mark_rank_announced(self.bot.pool, update.id)
        except Exception:
            log.exception("pushed ranks of server %s could not be announced", server_id)

    @app_commands.command(name="settings", description="Monthly thresholds and an optional every-N-votes total")
    @app_commands.describe(
        thresholds="Monthly vote counts, e.g. 50, 100, 250, 500, 1000 (each announced once per month)",
        every="Also announce every N votes in total (0 turns it off)",
    )
    @app_commands.autocomplete(server=server_names)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(
        self,
        interaction: discord.Interaction,
        thresholds: str | None = None,
        every: app_commands.Range[int, 0, 1_000_000] | None = None,
        server: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        current = await self.bot.servers.features.get(found.id, "milestones")
        settings = dict(current.settings) if current else {}
        if thresholds is not None:
            try:
                settings["thresholds"] = parse_thresholds(thresholds)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        if every is not None:
            settings["every"] = every or None
        await self.bot.servers.features.set(
            found.id, "milestones", enabled=current.enabled if current else False, settings=settings
        )
        listed = ", ".join(str(t) for t in thresholds_from(settings))
        extra = f"; every {settings['every']} votes in total" if settings.get("every") else ""
        await safe_reply(interaction, f"Milestones: once per month at {listed} votes{extra}.")

    @commands.Cog.listener()
    async def on_vote(self, event: VoteEvent) -> None:
        try:
            await self.check(event.server, event.voted_at)
        except Exception:
            log.exception("milestones for vote %s (server %s) failed", event.ledger_id, event.server.id)

    async def check(self, server: Server, voted_at: dt.datetime) -> list[str]:
        """Announce newly reached milestones and a better category rank; returns the texts announced."""
        setting = await self.bot.servers.features.get(server.id, "milestones")
        if not server.enabled or setting is None or not setting.enabled or setting.channel_id is None:
            return []
        month = month_of(voted_at, zone(server.timezone))
        count = await self.repo.vote_count(server.id, month.start, month.end)
        announced: list[tuple[str, str, str]] = []  # (kind, period, text); a failed post releases its claim
        new = [
            t
            for t in reached(count, thresholds_from(setting.settings))
            if await self.repo.claim_run(server.id, "milestone", f"{month.key}:{t}")
        ]
        if new:  # enabled mid-month past several thresholds: say the highest only
            text = f"🏆 **{escape(server.name)}** reached **{new[-1]}** votes this month ({month.key})!"
            announced.append(("milestone", f"{month.key}:{new[-1]}", text))
        mark = every_mark(await self.repo.total_votes(server.id), every_from(setting.settings))
        if mark is not None and await self.repo.claim_run(server.id, "every", str(mark)):
            announced.append(("every", str(mark), f"🎉 **{escape(server.name)}** passed **{mark}** votes in total!"))
        if server.category:
            rank = await self.repo.category_rank(server.id, server.category, month.start, month.end)
            rank_text = await self.rank_update(server, rank, month.key)
            if rank_text:
                announced.append(("", "", rank_text))
        posted = []
        for kind, period, text in announced:
            if await self._post(server, setting.channel_id, text):
                posted.append(text)
            elif kind:  # retried with the next vote
                await self.repo.release_run(server.id, kind, period)
        return posted

    async def rank_update(self, server: Server, rank: int, period: str) -> str | None:
        """A rank (computed here or pushed by a list's ``rank.update``): the text to announce when it is a new best
        for the period, else None. The first rank of a period is the baseline."""
        _, improved = await self.repo.improve_best(server.id, "best_rank", period, rank)
        if not improved:
            return None
        category = escape(server.category or "its category")
        return f"📈 **{escape(server.name)}** climbed to **#{rank}** in {category} this month!"

    async def push_rank(self, server: Server, rank: int, at: dt.datetime) -> bool:
        """A rank pushed by a listing site (``rank.update``): announced like a computed one; True if posted."""
        setting = await self.bot.servers.features.get(server.id, "milestones")
        if not server.enabled or setting is None or not setting.enabled or setting.channel_id is None:
            return False
        text = await self.rank_update(server, rank, month_of(at, zone(server.timezone)).key)
        return text is not None and await self._post(server, setting.channel_id, text)

    async def _post(self, server: Server, channel_id: int, text: str) -> bool:
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                raise UserError("not a text channel")
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, UserError) as exc:
            log.warning("milestone of server %s in channel %s not posted: %s (%s)", server.id, channel_id, exc, text)
            return False
        return True


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(MilestonesCog(bot))
