"""/forward: where a server's votes are handed on (Votifier, signed webhooks), and each destination's health.

``/forward add votifier`` and ``/forward add webhook`` (a nested group: it reads as the issue words it), ``list``,
``test``, ``pause``, ``resume``, ``remove``. Commands only parse, call the service and reply; the texts are in
views.py, the logic in service.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_option
from bot.core.errors import UserError
from bot.core.interactions import admin_only, guild_id_of, safe_reply
from bot.db.records import Server
from cogs.forwarding.checks import clean_providers
from cogs.forwarding.model import DeliveryFailed, Destination
from cogs.forwarding.senders import close_senders
from cogs.forwarding.service import TEST_PLAYER, ForwardingService, test_player
from cogs.forwarding.views import (
    VotifierSecretModal,
    destination_choice_name,
    overview_embed,
    paused_text,
    removed_text,
    resumed_text,
    test_failed_text,
    tested_text,
    votifier_added_text,
    webhook_added_text,
)

if TYPE_CHECKING:
    from bot.app.client import VoteBot


async def destination_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The destinations of the server chosen in the ``server`` option (or the default one), for admins only."""
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        return []
    bot: Any = interaction.client  # the VoteBot
    cog = bot.get_cog(ForwardingCog.__cog_name__)
    if cog is None:
        return []
    try:
        server = await bot.servers.resolve(interaction.guild_id, getattr(interaction.namespace, "server", None))
    except UserError:
        return []
    found: list[Destination] = await cog.service.names(server, current)
    return [app_commands.Choice(name=destination_choice_name(d), value=d.name) for d in found][:25]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ForwardingCog(
    commands.GroupCog,
    name="Forwarding",
    group_name="forward",
    group_description="Hand every vote on to the game server (Votifier, signed webhooks)",
):
    add = app_commands.Group(name="add", description="Add a place this server's votes are handed on to")

    def __init__(self, bot: VoteBot, service: ForwardingService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_unload(self) -> None:
        if self.service.work is not None:
            self.service.work.stop()
        await close_senders(self.service.senders)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self.service.work is not None:
            self.service.work.wake()  # deliveries queued while the bot was away

    async def _destination(self, interaction: discord.Interaction, server: str | None, name: str) -> Destination:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        return await self.service.destination(found, name)

    @add.command(name="votifier", description="Send votes to the game server's NuVotifier (asks for the token)")
    @app_commands.describe(
        name="A short name for this destination, e.g. survival",
        address="The game server's Votifier address as host or host:port (port 8192 if left out)",
        version="v2 with the NuVotifier token (recommended), or v1 with the server's public key",
        service_name="The service name sent with each vote (NuVotifier v2 picks the token by it; default: votebot)",
        providers="Listing sites whose votes go there, e.g. topgg, topserver (default: all of them)",
    )
    @app_commands.choices(
        version=[
            app_commands.Choice(name="v2 (NuVotifier token)", value=2),
            app_commands.Choice(name="v1 (public key)", value=1),
        ]
    )
    @server_option
    @admin_only
    async def add_votifier(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 40],
        address: app_commands.Range[str, 1, 261],
        server: str | None = None,
        version: int = 2,
        service_name: app_commands.Range[str, 1, 64] | None = None,
        providers: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await self.service.check_new(found, name)  # a bad, taken or one-too-many name: refused before the token
        clean_providers(providers)

        async def on_secret(submitted: discord.Interaction, secret: str) -> None:
            await submitted.response.defer(ephemeral=True, thinking=True)  # the address is resolved (DNS)
            added = await self.service.add_votifier(
                found, name=name, address=address, secret=secret, version=version,
                service_name=service_name or "votebot", providers=providers,
            )  # fmt: skip
            await safe_reply(submitted, votifier_added_text(found, added))

        await interaction.response.send_modal(VotifierSecretModal(version, name, on_secret))

    @add.command(name="webhook", description="Send votes as signed HTTP requests (Standard Webhooks) to a URL")
    @app_commands.describe(
        name="A short name for this destination, e.g. website",
        url="The https:// address that receives the votes",
        providers="Listing sites whose votes go there, e.g. topgg, topserver (default: all of them)",
    )
    @server_option
    @admin_only
    async def add_webhook(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 40],
        url: app_commands.Range[str, 1, 512],
        server: str | None = None,
        providers: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the address is resolved (DNS)
        added, secret = await self.service.add_webhook(found, name=name, url=url, providers=providers)
        await safe_reply(interaction, webhook_added_text(found, added, secret))

    @app_commands.command(name="list", description="Where this server's votes go, and how each destination is doing")
    @server_option
    @admin_only
    async def list_destinations(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found: Server = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await safe_reply(interaction, embed=overview_embed(found, await self.service.overview(found)))

    @app_commands.command(name="test", description="Send a real test vote now and show the game server's answer")
    @app_commands.describe(
        name="The destination's name, as /forward list shows it",
        player=f"The player name the test vote is for (default: {TEST_PLAYER})",
    )
    @app_commands.autocomplete(name=destination_names)
    @server_option
    @admin_only
    async def test(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 40],
        server: str | None = None,
        player: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        destination = await self.service.destination(found, name)
        await interaction.response.defer(ephemeral=True, thinking=True)  # up to the sender's time limit
        shown_player = test_player(player)
        try:
            answer = await self.service.test(found, destination, shown_player)
        except DeliveryFailed as failure:
            await safe_reply(interaction, test_failed_text(destination, failure))
            return
        await safe_reply(interaction, tested_text(destination, shown_player, answer))

    @app_commands.command(name="pause", description="Stop sending votes to a destination (they are kept)")
    @app_commands.describe(name="The destination's name, as /forward list shows it")
    @app_commands.autocomplete(name=destination_names)
    @server_option
    @admin_only
    async def pause(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 40], server: str | None = None
    ) -> None:
        destination = await self._destination(interaction, server, name)
        await self.service.pause(destination)
        await safe_reply(interaction, paused_text(destination))

    @app_commands.command(name="resume", description="Send votes to a paused destination again, queued ones first")
    @app_commands.describe(name="The destination's name, as /forward list shows it")
    @app_commands.autocomplete(name=destination_names)
    @server_option
    @admin_only
    async def resume(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 40], server: str | None = None
    ) -> None:
        destination = await self._destination(interaction, server, name)
        backlog = await self.service.resume(destination)
        await safe_reply(interaction, resumed_text(destination, backlog))

    @app_commands.command(name="remove", description="Remove a destination and the votes waiting for it")
    @app_commands.describe(name="The destination's name, as /forward list shows it")
    @app_commands.autocomplete(name=destination_names)
    @server_option
    @admin_only
    async def remove(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 40], server: str | None = None
    ) -> None:
        destination = await self._destination(interaction, server, name)
        health = await self.service.remove(destination)
        await safe_reply(interaction, removed_text(destination, health))
