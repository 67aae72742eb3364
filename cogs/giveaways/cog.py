"""/giveaway: start, end, reroll, cancel, list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.errors import UserError
from bot.core.guild_checks import postable_channel
from bot.core.i18n import _
from bot.core.interactions import admin_only, guild_id_of, guild_of, safe_reply
from bot.core.text import escape
from cogs.giveaways.service import GiveawayService
from cogs.giveaways.spec import GIVEAWAYS
from cogs.giveaways.views import choice_name, ended_text, giveaway_list_embed, rerolled_text

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def giveaway_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    cog = interaction.client.get_cog("Giveaways")  # type: ignore[attr-defined]
    if interaction.guild_id is None or not isinstance(cog, GiveawaysCog):
        return []
    needle = current.casefold().lstrip("#")
    return [
        app_commands.Choice(name=choice_name(g), value=g.id)
        for g in await cog.service.list_for_guild(interaction.guild_id, limit=25)
        if needle in str(g.id) or needle in g.prize.casefold()
    ]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class GiveawaysCog(commands.GroupCog, name="Giveaways", group_name="giveaway", group_description="Run giveaways"):
    def __init__(self, bot: VoteBot, service: GiveawayService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_unload(self) -> None:
        self.service.job.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.service.job.wake()  # overdue giveaways end right after a restart

    @app_commands.command(name="start", description="Start a giveaway with an Enter button")
    @app_commands.describe(
        prize="What the winners get",
        duration="How long it runs, e.g. 30m, 1h30m, 2d (at most 8 weeks)",
        winners="How many winners (1-20)",
        channel="Where to post it (default: the giveaways channel)",
        required_role="Only members with this role may enter",
        voted_this_month="Only members who voted for the server this month may enter",
        voter_bonus="Extra entries for members who voted this month (0-10)",
    )
    @server_option
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
        channel_id = channel.id if channel else await self.service.channel_of(found)
        target = postable_channel(guild, channel_id, _(GIVEAWAYS.label))
        if required_role is not None and required_role.is_default():
            raise UserError(_("Everyone has @everyone: leave the role out instead."))
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
        )
        await safe_reply(  # the admin's own answer, in their language (the post is in the server's)
            interaction,
            _(
                "Giveaway `#{id}` for **{prize}** started in {channel}; it ends {relative}.",
                id=giveaway.id,
                prize=escape(giveaway.prize),
                channel=target.mention,
                relative=discord.utils.format_dt(giveaway.ends_at, "R"),
            ),
        )

    @app_commands.command(name="end", description="End a running giveaway now and draw its winners")
    @app_commands.describe(giveaway="The giveaway number (see /giveaway list)")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def end(self, interaction: discord.Interaction, giveaway: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.end_now(guild_id_of(interaction), giveaway)
        await safe_reply(interaction, ended_text(giveaway, len(result.draw.winners)))

    @app_commands.command(name="reroll", description="Draw new winners, excluding everyone who already won")
    @app_commands.describe(giveaway="The giveaway number", winners="How many new winners (default 1)")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def reroll(self, interaction: discord.Interaction, giveaway: int, winners: int = 1) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.reroll(guild_id_of(interaction), giveaway, winners)
        await safe_reply(interaction, rerolled_text(giveaway, len(result.draw.winners)))

    @app_commands.command(name="cancel", description="Cancel a running giveaway without winners")
    @app_commands.describe(giveaway="The giveaway number")
    @app_commands.autocomplete(giveaway=giveaway_choices)
    @admin_only
    async def cancel(self, interaction: discord.Interaction, giveaway: int) -> None:
        cancelled = await self.service.cancel(guild_id_of(interaction), giveaway)
        await safe_reply(interaction, _("Giveaway #{id} was cancelled.", id=cancelled.id))

    @app_commands.command(name="list", description="Show running and recent giveaways")
    @admin_only
    async def list_giveaways(self, interaction: discord.Interaction) -> None:
        giveaways = await self.service.list_for_guild(guild_id_of(interaction))
        await safe_reply(interaction, embed=giveaway_list_embed(giveaways))
