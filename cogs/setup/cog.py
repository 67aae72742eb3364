"""/setup: link game servers to this Discord server (Manage Server only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cli.credentials import describe
from bot.core.autocomplete import server_names
from bot.core.credentials import CREDENTIAL_KINDS, new_secret, store_secret
from bot.core.interactions import guild_id_of, safe_reply
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from cogs.setup.secret_modal import SecretModal
from cogs.setup.views import escape, servers_embed

if TYPE_CHECKING:
    from bot.app.client import VoteBot

admin_only = app_commands.checks.has_permissions(manage_guild=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(commands.GroupCog, group_name="setup", group_description="Link game servers to this Discord server"):
    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="server", description="Link a game server: its name, vote page and address")
    @app_commands.describe(
        name="Name shown to members",
        vote_url="The page where members vote (http:// or https://)",
        game="Game, e.g. minecraft, rust, csgo",
        address="Game server address as host or host:port",
        default="Make it the server /vote uses when none is chosen",
    )
    @admin_only
    async def server(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        vote_url: app_commands.Range[str, 1, 512],
        game: app_commands.Range[str, 1, 64] | None = None,
        address: app_commands.Range[str, 1, 261] | None = None,
        default: bool = False,
    ) -> None:
        created = await self.bot.servers.add(
            guild_id=guild_id_of(interaction), name=name, vote_url=vote_url, game=game, address=address
        )
        server = created.server
        if default and not server.is_default:
            await self.bot.servers.make_default(server)
        await safe_reply(
            interaction,
            f"Linked **{escape(server.name)}** (id `{server.id}`).\n"
            f"API key for game-server plugins (shown once, keep it secret): `{created.api_key}`\n"
            "Switch features on with /feature enable; members can now use /vote.",
        )

    @app_commands.command(name="options", description="Change a server's time zone, category, cooldown, links")
    @app_commands.describe(
        server="Game server (default: this Discord server's default one)",
        timezone="IANA time zone for daily/monthly features, e.g. Europe/Berlin",
        category="Category for rankings among servers of the same kind",
        vote_cooldown_hours="Hours between two votes on your listing site (used when it does not say)",
        vote_url="New vote page (http:// or https://)",
        address="Game server address as host or host:port",
        game="Game, e.g. minecraft, rust, csgo",
    )
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def options(
        self,
        interaction: discord.Interaction,
        server: str | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        category: app_commands.Range[str, 1, 64] | None = None,
        vote_cooldown_hours: app_commands.Range[float, 0.02, 168.0] | None = None,
        vote_url: app_commands.Range[str, 1, 512] | None = None,
        address: app_commands.Range[str, 1, 261] | None = None,
        game: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        updated = await self.bot.servers.update_options(
            found,
            timezone=timezone,
            category=category,
            cooldown_hours=vote_cooldown_hours,
            vote_url=vote_url,
            address=address,
            game=game,
        )
        hours = updated.vote_cooldown.total_seconds() / 3600
        await safe_reply(
            interaction,
            f"**{escape(updated.name)}**: time zone {updated.timezone}, category {escape(updated.category or 'none')}, "
            f"vote cooldown {hours:g} h, game {escape(updated.game or 'not set')}, "
            f"address {escape(updated.address or 'not set')}.",
        )

    @app_commands.command(
        name="provider", description="Set or rotate a listing site's secret (typed in a private form)"
    )
    @app_commands.describe(
        provider="Listing site (events = the signed event API)",
        server="Game server (default: this Discord server's default one)",
        generate="Let the bot generate a strong secret and show it to you once",
    )
    @app_commands.choices(provider=[app_commands.Choice(name=kind, value=kind) for kind in CREDENTIAL_KINDS])
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def provider(
        self, interaction: discord.Interaction, provider: str, server: str | None = None, generate: bool = False
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if generate:
            await self._store(interaction, found, provider, new_secret(), generated=True)
            return

        async def on_secret(submitted: discord.Interaction, value: str) -> None:
            await self._store(submitted, found, provider, value.strip(), generated=False)

        await interaction.response.send_modal(SecretModal(f"{provider} secret for {found.name}", on_secret))

    async def _store(
        self, interaction: discord.Interaction, server: Server, provider: str, value: str, *, generated: bool
    ) -> None:
        repo = CredentialRepository(self.bot.pool)
        shown = await store_secret(repo, server.id, provider, value)
        info = describe(self.bot.config, server.id, await repo.get(server.id, provider), provider)
        lines = [f"**{provider}** secret of **{escape(server.name)}** saved (`{shown}`)."]
        if generated:
            lines.append(f"Generated secret — shown once, paste it into the listing site now: `{value}`")
        for key in ("webhook_url", "integration_url", "host", "port", "public_key"):
            if info.get(key) is not None:
                lines.append(f"{key.replace('_', ' ').capitalize()}: `{info[key]}`")
        await safe_reply(interaction, "\n".join(lines))

    @app_commands.command(name="list", description="Show the linked game servers")
    @admin_only
    async def list_servers(self, interaction: discord.Interaction) -> None:
        servers = await self.bot.servers.servers.list_for_guild(guild_id_of(interaction))
        await safe_reply(interaction, embed=servers_embed(servers))

    @app_commands.command(name="default", description="Choose the server /vote uses by default")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def default(self, interaction: discord.Interaction, server: str) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await self.bot.servers.make_default(found)
        await safe_reply(interaction, f"**{escape(found.name)}** is now the default server.")

    @app_commands.command(name="remove", description="Unlink a game server and delete its settings")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def remove(self, interaction: discord.Interaction, server: str) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await self.bot.servers.remove(found)
        await safe_reply(interaction, f"Unlinked **{escape(found.name)}** and deleted its settings.")


async def setup(bot: VoteBot) -> None:
    await bot.add_cog(SetupCog(bot))
