"""/status for members; /status-admin configure · check for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from bot.core.messaging import files_of
from cogs.status.service import StatusService
from cogs.status.spec import CONFIRM_INTERVAL, CONNECT_URL, FAILURES, INTERVAL, PICTURE, QUERY_PORT
from cogs.status.targets import protocol_names
from cogs.status.views import (
    board_options_text,
    check_text,
    configured_text,
    status_view,
    test_result_text,
    unaddressed_text,
)

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def protocol_choices(_interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    text = current.strip().lower()
    return [app_commands.Choice(name=n, value=n) for n in protocol_names() if text in n][:25]


class StatusCog(commands.Cog, name="Status"):
    def __init__(self, bot: VoteBot, service: StatusService) -> None:
        self.bot = bot
        self.service = service

    async def cog_unload(self) -> None:  # probes in flight must not outlive the pool
        await self.service.monitor.close()

    @app_commands.command(name="status", description="Live status of our game servers")
    @app_commands.describe(server="Which game server (default: all of them)")
    @server_option
    @app_commands.guild_only()
    @app_commands.checks.cooldown(2, 10.0, key=lambda i: (i.guild_id, i.user.id))
    async def status(self, interaction: discord.Interaction, server: str | None = None) -> None:
        servers, settings, unaddressed = await self.service.status_of(guild_id_of(interaction), server)
        # a live check may take a few seconds, and so may drawing the pictures the first time
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = [await self.service.detailed_embed(found) for found in servers]
        embeds = [embed for embed, _picture in shown]
        files = files_of([picture for _embed, picture in shown if picture is not None])  # one per server, ≤ 10
        view = status_view(servers[0], settings) if settings is not None else None
        mentions = discord.AllowedMentions.none()
        note = unaddressed_text(unaddressed)[:2000] if unaddressed else discord.utils.MISSING
        if view is not None:
            await interaction.followup.send(
                note, embeds=embeds, files=files, view=view, ephemeral=True, allowed_mentions=mentions
            )
        else:
            await interaction.followup.send(note, embeds=embeds, files=files, ephemeral=True, allowed_mentions=mentions)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class StatusAdminCog(
    commands.GroupCog, name="StatusAdmin", group_name="status-admin", group_description="Live status settings"
):
    def __init__(self, bot: VoteBot, service: StatusService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="configure", description="How to query the game server and when to alert")
    @app_commands.describe(
        protocol="How to query the server (usually picked from the game)",
        query_port=QUERY_PORT.description,
        interval=f"{INTERVAL.description} ({INTERVAL.minimum}–{INTERVAL.maximum}, default {INTERVAL.default})",
        failures=f"{FAILURES.description} ({FAILURES.minimum}–{FAILURES.maximum}, default {FAILURES.default})",
        confirm_interval=f"{CONFIRM_INTERVAL.description} ({CONFIRM_INTERVAL.minimum}–{CONFIRM_INTERVAL.maximum}, "
        f"default {CONFIRM_INTERVAL.default})",
        connect_url=CONNECT_URL.description,
    )
    @app_commands.autocomplete(protocol=protocol_choices)
    @server_option
    @admin_only
    async def configure(
        self,
        interaction: discord.Interaction,
        server: str | None = None,
        protocol: str | None = None,
        query_port: app_commands.Range[int, QUERY_PORT.minimum, QUERY_PORT.maximum] | None = None,
        interval: app_commands.Range[int, INTERVAL.minimum, INTERVAL.maximum] | None = None,
        failures: app_commands.Range[int, FAILURES.minimum, FAILURES.maximum] | None = None,
        confirm_interval: app_commands.Range[int, CONFIRM_INTERVAL.minimum, CONFIRM_INTERVAL.maximum] | None = None,
        connect_url: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)  # resolving and the test check take time
        values = {
            "query_port": query_port,
            "interval": interval,
            "failures": failures,
            "confirm_interval": confirm_interval,
            "connect_url": connect_url,
        }
        settings, target, result = await self.service.configure(
            found, protocol=protocol, values=values, requested_by=interaction.user.id
        )
        tested = test_result_text(result.players, result.max_players, result.online, result.error)
        where = f"{target.host}:{target.query_port}"
        await safe_reply(interaction, configured_text(found, settings, target.protocol, where, tested))

    @app_commands.command(name="check", description="Query the game server now and show the raw outcome")
    @server_option
    @admin_only
    async def check(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target, r = await self.service.check(found, requested_by=interaction.user.id)
        text = check_text(found, target.protocol, r.online, r.latency_ms, r.name, r.players, r.max_players, r.error)
        await safe_reply(interaction, text)

    @app_commands.command(name="board", description="Status board options")
    @app_commands.describe(picture=PICTURE.description)
    @server_option
    @admin_only
    async def board(
        self, interaction: discord.Interaction, server: str | None = None, picture: bool | None = None
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)  # redrawing the board draws the picture
        shown, active = await self.service.board_options(found, picture=picture)
        await safe_reply(interaction, board_options_text(found, shown, changed=picture is not None, active=active))
