"""/setup (link game servers, their secrets), /feature (switches) and the owner's ``!sync``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.extensions import features
from bot.core.autocomplete import SERVER_HELP, server_option
from bot.core.features import MASTER_SWITCH
from bot.core.guild_checks import NOT_IN_GUILD_CODES, invite_url, needed_permissions, usable_channel, usable_role
from bot.core.i18n import LANGUAGES, _
from bot.core.interactions import NO_MENTIONS, admin_only, guild_id_of, guild_of, member_of, safe_reply
from bot.core.servers import options_summary
from bot.core.text import escape
from bot.core.validation import AUTO_LANGUAGE
from bot.db.records import Server
from bot.votes.credentials import (
    CREDENTIAL_KINDS,
    SETTING_KEYS,
    check_generate,
    generated_secret_text,
    new_secret,
    provider_name,
    setting_label,
)
from cogs.setup.service import (
    REMOVAL_CANCELLED,
    REMOVAL_NOT_YOURS,
    REMOVAL_TIMED_OUT,
    SetupService,
    confirm_removal_text,
)
from cogs.setup.views import (
    CONFIRM_SECONDS,
    MISSING_SETTING_TIPS,
    SETTING_INPUTS,
    ConfirmRemoval,
    SecretModal,
    features_embed,
    secret_saved_lines,
    servers_embed,
)

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

FEATURE_CHOICES = [app_commands.Choice(name="All features (the master switch)", value=MASTER_SWITCH)] + [
    app_commands.Choice(name=spec.label[:100], value=spec.name) for spec in features()
]
LANGUAGE_CHOICES = [app_commands.Choice(name=language.name, value=language.code) for language in LANGUAGES] + [
    app_commands.Choice(name="Follow the Discord server's language", value=AUTO_LANGUAGE)
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(
    commands.GroupCog, name="Setup", group_name="setup", group_description="Link game servers to this Discord server"
):
    def __init__(self, bot: VoteBot, service: SetupService) -> None:
        self.bot = bot
        self.service = service
        self.confirm_seconds: float = CONFIRM_SECONDS  # how long /setup remove's Remove button stays pressable
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
        created = await self.service.link(
            guild_id_of(interaction), name=name, vote_url=vote_url, game=game, address=address, default=default
        )
        await safe_reply(
            interaction,
            _(
                "Linked **{server}** (id `{id}`).\n"
                "API key for game-server plugins (shown once, keep it secret): `{api_key}`\n"
                "Switch features on with /feature enable; members can now use /vote.",
                server=escape(created.server.name),
                id=str(created.server.id),
                api_key=created.api_key,
            ),
        )

    @app_commands.command(
        name="options", description="Change a server's time zone, category, cooldown, links, language"
    )
    @app_commands.describe(
        timezone="IANA time zone for daily/monthly features, e.g. Europe/Berlin",
        category="Category for rankings among servers of the same kind",
        vote_cooldown_hours="Hours between two votes on your listing site, 1 to 168 (used when it does not say)",
        vote_url="New vote page (http:// or https://)",
        address="Game server address as host or host:port",
        game="Game, e.g. minecraft, rust, csgo",
        language="Language of what the bot posts for this server: boards, alerts, announcements, DMs",
    )
    @app_commands.choices(language=LANGUAGE_CHOICES)
    @server_option
    @admin_only
    async def options(
        self,
        interaction: discord.Interaction,
        server: str | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        category: app_commands.Range[str, 1, 64] | None = None,
        vote_cooldown_hours: app_commands.Range[float, 1.0, 168.0] | None = None,
        vote_url: app_commands.Range[str, 1, 512] | None = None,
        address: app_commands.Range[str, 1, 261] | None = None,
        game: app_commands.Range[str, 1, 64] | None = None,
        language: str | None = None,
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
            language=language,
        )
        await safe_reply(interaction, options_summary(updated, self.bot.servers.language(updated)))

    @app_commands.command(
        name="provider", description="Set or rotate a listing site's secret (typed in a private form)"
    )
    @app_commands.describe(
        provider="Listing site (events = the signed event API)",
        generate="Generate a strong secret and show it once (votifier and events only: the others come from the site)",
    )
    @app_commands.choices(
        provider=[app_commands.Choice(name=provider_name(kind), value=kind) for kind in CREDENTIAL_KINDS]
    )
    @server_option
    @admin_only
    async def provider(
        self, interaction: discord.Interaction, provider: str, server: str | None = None, generate: bool = False
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if generate:
            check_generate(provider)  # only secrets the bot may choose; the others come from the listing site
            await self._store(interaction, found, provider, new_secret(), generated=True)
            return
        fields = [key for key in SETTING_KEYS[provider] if key in SETTING_INPUTS]
        current = await self.service.provider_settings(found, provider) if fields else {}

        async def on_secret(submitted: discord.Interaction, value: str, settings: dict[str, str]) -> None:
            await self._store(submitted, found, provider, value.strip(), generated=False, settings=settings)

        # Translators: the title of the form in which an admin types a listing site's secret (at most 45 characters).
        title = _("{provider} secret for {server}", provider=provider_name(provider), server=found.name)
        modal = SecretModal(title, on_secret, provider=provider, settings=fields, current=current)
        await interaction.response.send_modal(modal)

    async def _store(
        self,
        interaction: discord.Interaction,
        server: Server,
        provider: str,
        value: str,
        *,
        generated: bool,
        settings: dict[str, str] | None = None,
    ) -> None:
        stored = await self.service.store_secret(server, provider, value, settings)
        lines = secret_saved_lines(server, provider, stored.info)
        if generated:
            lines.insert(1, generated_secret_text(provider, value))
        saved = stored.settings
        for key in SETTING_KEYS[provider]:
            if key in saved:
                shown = str(saved[key]).replace("`", "'")  # in a code span: shown as typed, never formatted
                # Translators: a provider setting and its stored value, e.g. "GAMEMONITORING server id: `123`".
                lines.append(_("{setting}: `{value}`", setting=setting_label(key), value=shown))
            elif key in MISSING_SETTING_TIPS:
                lines.append(_(MISSING_SETTING_TIPS[key]))
        await safe_reply(interaction, "\n".join(lines))

    @app_commands.command(name="list", description="Show the linked game servers")
    @admin_only
    async def list_servers(self, interaction: discord.Interaction) -> None:
        servers = await self.bot.servers.list_for_guild(guild_id_of(interaction))
        await safe_reply(interaction, embed=servers_embed(servers))

    @app_commands.command(name="default", description="Choose the server /vote uses by default")
    @app_commands.describe(server="The game server to make the default (its name or id)")
    @server_option
    @admin_only
    async def default(self, interaction: discord.Interaction, server: str) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        if found.is_default:
            await safe_reply(interaction, _("**{server}** is already the default server.", server=escape(found.name)))
            return
        await self.bot.servers.make_default(found)
        await safe_reply(
            interaction,
            _("**{server}** is now the default server: /vote shows it first.", server=escape(found.name)),
        )

    @app_commands.command(name="remove", description="Unlink a game server and delete its data (asks first)")
    @app_commands.describe(server="Game server to remove (its id or exact name)")
    @server_option
    @admin_only
    async def remove(self, interaction: discord.Interaction, server: str) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        summary = await self.service.preview_removal(found)

        async def on_confirm(_pressed: discord.Interaction) -> str:
            return await self.service.remove(found)

        texts = {"cancelled": REMOVAL_CANCELLED, "timed_out": REMOVAL_TIMED_OUT, "not_yours": REMOVAL_NOT_YOURS}
        view = ConfirmRemoval(interaction.user.id, on_confirm, texts, timeout=self.confirm_seconds)
        view.origin = interaction
        await safe_reply(interaction, confirm_removal_text(summary, round(self.confirm_seconds)), view=view)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeaturesCog(
    commands.GroupCog, name="Features", group_name="feature", group_description="Switch features on or off"
):
    def __init__(self, bot: VoteBot, service: SetupService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="enable", description="Switch a feature on, with its channel and role")
    @app_commands.describe(
        feature="The feature, or 'all' for the master switch",
        channel="Channel the feature posts in",
        role="Role the feature pings or hands out",
    )
    @app_commands.choices(feature=FEATURE_CHOICES)
    @server_option
    @admin_only
    async def enable(
        self,
        interaction: discord.Interaction,
        feature: str,
        server: str | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # posting the notice may be rate limited
        found = await self.bot.servers.resolve(guild.id, server)
        target = None
        if feature != MASTER_SWITCH:
            spec = self.bot.servers.spec(feature)
            target = usable_channel(guild, channel.id) if channel is not None else None
            if role is not None:
                usable_role(guild, role.id, spec, member_of(interaction))
        message = await self.service.enable(
            found,
            feature,
            channel_id=channel.id if channel else None,
            role_id=role.id if role else None,
            confirm_in=target.id if target is not None else None,
        )
        await safe_reply(interaction, message)

    @app_commands.command(name="disable", description="Switch a feature off (its channel and role are kept)")
    @app_commands.describe(feature="The feature, or 'all' for the master switch", server=SERVER_HELP)
    @app_commands.choices(feature=FEATURE_CHOICES)
    @server_option
    @admin_only
    async def disable(self, interaction: discord.Interaction, feature: str, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await safe_reply(interaction, await self.service.disable(found, feature))

    @app_commands.command(name="list", description="Show which features are on")
    @server_option
    @admin_only
    async def list_features(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        settings = await self.bot.servers.settings_of(found.id)
        await safe_reply(interaction, embed=features_embed(found, settings, self.bot.servers.registry))


NOT_IN_GUILD = "I am not in guild {guild_id}. Invite me first with <{url}>, then send `!sync {guild_id}` again."


class OwnerCog(commands.Cog, name="Owner"):
    """Owner-only maintenance, sent as a message (``!sync`` in a DM to the bot)."""

    def __init__(self, bot: VoteBot) -> None:
        self.bot = bot

    @commands.command(name="sync")
    @commands.is_owner()
    async def sync(self, ctx: commands.Context[VoteBot], guild_id: int | None = None) -> None:
        """Publish slash commands: globally, or to one guild at once (``!sync <guild id>``)."""
        if guild_id is None:
            synced = await self.bot.tree.sync()
            where = "globally (Discord may take a few minutes to show them)"
        else:
            guild = discord.Object(id=guild_id)
            self.bot.tree.copy_global_to(guild=guild)
            synced = await self.bot.tree.sync(guild=guild)
            where = f"to guild {guild_id}"
        log.info("synced %d commands %s on request of %s", len(synced), where, ctx.author.id)
        await ctx.send(f"Synced {len(synced)} commands {where}.", allowed_mentions=NO_MENTIONS)

    @sync.error
    async def sync_error(self, ctx: commands.Context[VoteBot], error: commands.CommandError) -> None:
        if isinstance(error, commands.NotOwner):
            return  # stay silent to strangers
        if isinstance(error, commands.BadArgument):
            await ctx.send("Usage: `!sync` or `!sync <guild id>`.", allowed_mentions=NO_MENTIONS)
            return
        cause = getattr(error, "original", None)
        if isinstance(cause, discord.HTTPException) and cause.code in NOT_IN_GUILD_CODES and ctx.args[2:]:
            guild_id = ctx.args[2]  # (cog, ctx, guild_id): the bot is not in that guild
            url = invite_url(self.bot.application_id or 0, needed_permissions(self.bot.features))
            await ctx.send(NOT_IN_GUILD.format(guild_id=guild_id, url=url), allowed_mentions=NO_MENTIONS)
            return
        log.error("sync failed", exc_info=error)
        await ctx.send("Sync failed; see the bot's log.", allowed_mentions=NO_MENTIONS)
