"""/leaderboards settings: the top-10 board's refresh, the daily post's time and monthly recap, ties for the
top-voter role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from cogs.leaderboards.service import LeaderboardService
from cogs.leaderboards.spec import MONTHLY_RECAP, POST_TIME, REFRESH_MINUTES, TIES

if TYPE_CHECKING:
    from bot.app.client import VoteBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class LeaderboardsCog(
    commands.GroupCog, name="Leaderboards", group_name="leaderboards", group_description="Leaderboard settings"
):
    def __init__(self, bot: VoteBot, service: LeaderboardService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="settings", description="Board refresh, daily post time, monthly recap, top-voter ties")
    @app_commands.describe(
        board_refresh=REFRESH_MINUTES.description,
        post_time=POST_TIME.description,
        monthly_recap=MONTHLY_RECAP.description,
        ties=TIES.description,
    )
    @server_option
    @admin_only
    async def settings(
        self,
        interaction: discord.Interaction,
        board_refresh: app_commands.Range[int, REFRESH_MINUTES.minimum, REFRESH_MINUTES.maximum] | None = None,
        post_time: str | None = None,
        ties: Literal["all", "first"] | None = None,
        monthly_recap: bool | None = None,
        server: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        text = await self.service.configure(
            found, board_refresh=board_refresh, post_time=post_time, ties=ties, monthly_recap=monthly_recap
        )
        await safe_reply(interaction, text)
