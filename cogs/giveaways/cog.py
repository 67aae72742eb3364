"""/giveaway: start, end, reroll, cancel, list — and ending giveaways at their time, from the database."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.admin_notice import notify_guild_owner
from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import NO_MENTIONS, guild_id_of, guild_of, safe_reply
from bot.core.jobs import DueJob, owns_guild, postable_channel
from cogs.giveaways.repository import Giveaway, GiveawayRepository
from cogs.giveaways.service import DrawResult, GiveawayService
from cogs.giveaways.views import (
    GiveawayEnterButton,
    giveaway_embed,
    giveaway_list_embed,
    giveaway_view,
    winner_mentions,
    winners_text,
)
from cogs.setup.views import escape

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

admin_only = app_commands.checks.has_permissions(manage_guild=True)


async def giveaway_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    bot: VoteBot = interaction.client  # type: ignore[assignment]
    needle = current.casefold().lstrip("#")
    return [
        app_commands.Choice(name=f"#{g.id} {g.prize} ({g.status})"[:100], value=g.id)
        for g in await GiveawayRepository(bot.pool).list_for_guild(interaction.guild_id, limit=25)
        if needle in str(g.id) or needle in g.prize.casefold()
    ]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class GiveawayCog(commands.GroupCog, group_name="giveaway", group_description="Run giveaways"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        self.service = GiveawayService(bot.pool)
        self.job = DueJob(bot, "giveaways", self.end_due)
        self._reported: set[int] = set()  # giveaways whose failing announcement the owner was told about
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(GiveawayEnterButton)
        self.job.start()

    async def cog_unload(self) -> None:
        self.job.stop()
        self.bot.remove_dynamic_items(GiveawayEnterButton)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.job.wake_at(None)  # overdue giveaways end right after a restart

    # ------------------------------------------------------------------ due work
    async def end_due(self, now: dt.datetime) -> dt.datetime | None:
        """End every overdue giveaway of our guilds; returns when the next one ends."""
        for giveaway in await self.service.repo.due(now):
            if owns_guild(self.bot, giveaway.guild_id):
                await self.finish(giveaway, now)
        return await self.service.repo.next_end(now)

    async def finish(self, giveaway: Giveaway, now: dt.datetime) -> DrawResult | None:
        """Draw (or reuse the stored draw), announce, and only then mark the giveaway ended."""
        result = await self.service.end_draw(giveaway, now)
        message_id = await self._announce(giveaway, result, reroll=False)
        if message_id is None:
            return None  # still running: retried on the next tick with the same winners
        await self.service.repo.mark_announced(giveaway.id, 1, message_id, now)
        await self.service.repo.finish(giveaway.id, "ended", now)
        ended = await self.service.repo.get(giveaway.id)
        if ended is not None:
            await self._edit_post(
                ended, giveaway_embed(ended, result.entrants, result.draw.winners, short=result.short)
            )
        log.info(
            "giveaway %s ended: %d winner(s) of %d entrants", giveaway.id, len(result.draw.winners), result.entrants
        )
        return result

    async def _announce(self, giveaway: Giveaway, result: DrawResult, *, reroll: bool) -> int | None:
        channel = self.bot.get_partial_messageable(giveaway.channel_id, guild_id=giveaway.guild_id)
        reference = (
            discord.MessageReference(
                message_id=giveaway.message_id, channel_id=giveaway.channel_id, fail_if_not_exists=False
            )
            if giveaway.message_id
            else None
        )
        text = winners_text(giveaway, result.draw.winners, short=result.short, reroll=reroll)
        try:
            if reference is not None:
                message = await channel.send(
                    text, allowed_mentions=winner_mentions(result.draw.winners), reference=reference
                )
            else:
                message = await channel.send(text, allowed_mentions=winner_mentions(result.draw.winners))
        except discord.HTTPException as exc:
            log.warning("giveaway %s: winner announcement failed (%s %s)", giveaway.id, exc.status, exc.text)
            if not reroll and giveaway.id not in self._reported:
                self._reported.add(giveaway.id)
                await notify_guild_owner(
                    self.bot,
                    giveaway.guild_id,
                    f"I could not announce the winners of giveaway #{giveaway.id} in <#{giveaway.channel_id}> "
                    f"({exc.text or exc.status}). It stays open and I keep retrying; check my permissions there.",
                )
            return None
        return message.id

    async def _edit_post(self, giveaway: Giveaway, embed: discord.Embed) -> None:
        if giveaway.message_id is None:
            return
        channel = self.bot.get_partial_messageable(giveaway.channel_id, guild_id=giveaway.guild_id)
        try:
            await channel.get_partial_message(giveaway.message_id).edit(embed=embed, view=None)
        except discord.HTTPException as exc:
            log.info("giveaway %s: could not edit its message (%s)", giveaway.id, exc.status)

    # ------------------------------------------------------------------ commands
    @app_commands.command(name="start", description="Start a giveaway with an Enter button")
    @app_commands.describe(
        prize="What the winners get",
        duration="How long it runs, e.g. 30m, 1h30m, 2d (at most 8 weeks)",
        winners="How many winners (1-20)",
        channel="Where to post it (default: the giveaways channel)",
        required_role="Only members with this role may enter",
        voted_this_month="Only members who voted for the server this month may enter",
        voter_bonus="Extra entries for members who voted this month (0-10)",
        server="Game server (default: this Discord server's default one)",
    )
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def start(
        self,
        interaction: discord.Interaction,
        prize: str,
        duration: str,
        winners: int = 1,
        channel: discord.TextChannel | None = None,
        required_role: discord.Role | None = None,
        voted_this_month: bool = False,
        voter_bonus: int = 0,
        server: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.servers.resolve(guild.id, server)
        if not await self.bot.servers.is_active(found, "giveaways"):
            raise UserError(f"Giveaways are off for **{escape(found.name)}**. Switch them on with /feature enable.")
        setting = await self.bot.servers.features.get(found.id, "giveaways")
        target = postable_channel(
            guild, channel.id if channel else (setting.channel_id if setting else None), "Giveaways"
        )
        if required_role is not None and required_role.is_default():
            raise UserError("Everyone has @everyone: leave the role out instead.")
        now = discord.utils.utcnow()
        giveaway = await self.service.start(
            found,
            channel_id=target.id,
            host_id=interaction.user.id,
            prize=prize,
            duration=duration,
            winners=winners,
            required_role_id=required_role.id if required_role else None,
            require_vote=voted_this_month,
            voter_bonus=voter_bonus,
            now=now,
        )
        try:
            message = await target.send(
                embed=giveaway_embed(giveaway, 0), view=giveaway_view(giveaway.id, 0), allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            await self.service.repo.delete(giveaway.id)
            raise UserError(
                f"Discord refused the giveaway post in {target.mention} ({exc.text}); nothing was started."
            ) from None
        await self.service.repo.set_message(giveaway.id, message.id)
        self.job.wake_at(giveaway.ends_at)
        await safe_reply(
            interaction,
            f"Giveaway `#{giveaway.id}` for **{escape(giveaway.prize)}** started in {target.mention}; "
            f"it ends {discord.utils.format_dt(giveaway.ends_at, 'R')}.",
        )

    @app_commands.command(name="end", description="End a running giveaway now and draw its winners")
    @app_commands.describe(giveaway="The giveaway number (see /giveaway list)")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def end(self, interaction: discord.Interaction, giveaway: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.service.get_in_guild(guild_id_of(interaction), giveaway)
        if found.status != "running":
            raise UserError(f"Giveaway #{found.id} is already {found.status}.")
        async with self.job.lock:  # never together with the due job: one draw, one announcement
            now = discord.utils.utcnow()
            await self.service.repo.set_ends_at(found.id, now)
            current = await self.service.repo.get(found.id)
            if current is None or current.status != "running":
                raise UserError(f"Giveaway #{found.id} has just ended.")
            result = await self.finish(current, now)
        if result is None:
            raise UserError("I could not post the winners (check my permissions there); I'll keep retrying.")
        await safe_reply(interaction, f"Giveaway #{found.id} ended with {len(result.draw.winners)} winner(s).")

    @app_commands.command(name="reroll", description="Draw new winners, excluding everyone who already won")
    @app_commands.describe(giveaway="The giveaway number", winners="How many new winners (default 1)")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def reroll(self, interaction: discord.Interaction, giveaway: int, winners: int = 1) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.service.get_in_guild(guild_id_of(interaction), giveaway)
        result = await self.service.reroll(found, winners)
        message_id = await self._announce(found, result, reroll=True)
        if message_id is None:
            await self.service.repo.delete_draw(found.id, result.draw.draw_no)
            raise UserError("I could not post the new winners (check my permissions there); nothing was rerolled.")
        await self.service.repo.mark_announced(found.id, result.draw.draw_no, message_id, discord.utils.utcnow())
        everyone = [w for draw in await self.service.repo.draws(found.id) for w in draw.winners]
        await self._edit_post(found, giveaway_embed(found, result.entrants, everyone))
        await safe_reply(interaction, f"Rerolled giveaway #{found.id}: {len(result.draw.winners)} new winner(s).")

    @app_commands.command(name="cancel", description="Cancel a running giveaway without winners")
    @app_commands.describe(giveaway="The giveaway number")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def cancel(self, interaction: discord.Interaction, giveaway: int) -> None:
        found = await self.service.get_in_guild(guild_id_of(interaction), giveaway)
        if not await self.service.repo.finish(found.id, "cancelled", discord.utils.utcnow()):
            raise UserError(f"Giveaway #{found.id} is already {found.status}.")
        cancelled = await self.service.repo.get(found.id)
        if cancelled is not None:
            await self._edit_post(cancelled, giveaway_embed(cancelled, await self.service.repo.entry_count(found.id)))
        await safe_reply(interaction, f"Giveaway #{found.id} was cancelled.")

    @app_commands.command(name="list", description="Show running and recent giveaways")
    @admin_only
    async def list_giveaways(self, interaction: discord.Interaction) -> None:
        giveaways = await self.service.repo.list_for_guild(guild_id_of(interaction))
        await safe_reply(interaction, embed=giveaway_list_embed(giveaways))


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(GiveawayCog(bot))
