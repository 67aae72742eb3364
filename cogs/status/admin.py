"""/status-admin: per-server query settings (protocol, query port, intervals, alert threshold, Connect link)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.autocomplete import server_names
from bot.core.errors import UserError
from bot.core.interactions import guild_id_of, safe_reply
from bot.core.validation import clean_vote_url
from cogs.setup.views import escape
from cogs.status.targets import build_target, protocol_for, protocol_names, resolve

if TYPE_CHECKING:
    from bot.app.client import VoteBot
    from cogs.status.cog import StatusCog

admin_only = app_commands.checks.has_permissions(manage_guild=True)


async def protocol_choices(_interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    text = current.strip().lower()
    return [app_commands.Choice(name=n, value=n) for n in protocol_names() if text in n][:25]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class StatusAdminCog(commands.GroupCog, group_name="status-admin", group_description="Live status settings"):
    def __init__(self, bot: VoteBot, status: StatusCog) -> None:
        self.bot = bot
        self.status = status
        super().__init__()

    @app_commands.command(name="configure", description="How to query the game server and when to alert")
    @app_commands.describe(
        server="Game server (default: this Discord server's default one)",
        protocol="Query protocol (default: from the game: minecraft, bedrock, source, fivem, samp …)",
        query_port="Query port when it differs from the game port (e.g. Rust, ARK)",
        interval="Seconds between checks (30–3600, default 60)",
        failures="Failed checks in a row before an offline alert (1–20, default 3)",
        confirm_interval="Seconds between confirmation checks once a check failed (5–600, default 15)",
        connect_url="https:// link for a Connect button on the board",
    )
    @app_commands.autocomplete(server=server_names, protocol=protocol_choices)
    @admin_only
    async def configure(
        self,
        interaction: discord.Interaction,
        server: str | None = None,
        protocol: str | None = None,
        query_port: app_commands.Range[int, 1, 65535] | None = None,
        interval: app_commands.Range[int, 30, 3600] | None = None,
        failures: app_commands.Range[int, 1, 20] | None = None,
        confirm_interval: app_commands.Range[int, 5, 600] | None = None,
        connect_url: str | None = None,
    ) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)  # resolving and the test check take time
        repo = self.status.monitor.repository
        current = await repo.settings(found.id)
        changes: dict[str, object] = {}
        if protocol is not None:
            changes["protocol"] = protocol_for(found.game, protocol)
        for key, value in (("query_port", query_port), ("interval_s", interval), ("failures_to_down", failures),
                           ("confirm_interval_s", confirm_interval)):  # fmt: skip
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise UserError(f"{key} must be a whole number.")
                changes[key] = value
        if connect_url is not None:
            try:
                changes["connect_url"] = clean_vote_url(connect_url)
            except UserError as exc:  # Discord link buttons take http(s) links only (no steam:// or fivem://)
                raise UserError(str(exc).replace("vote URL", "Connect link")) from None
        settings = replace(current, **changes)  # type: ignore[arg-type]
        if settings.confirm_interval_s > settings.interval_s:
            raise UserError("The confirmation interval must not be longer than the check interval.")
        target = build_target(
            found.id, found.address, found.game, protocol=settings.protocol, query_port=settings.query_port
        )
        await resolve(target.host, allow_private=self.status.monitor.allow_private)  # clear error, nothing saved
        await repo.save_settings(settings)
        self.status.monitor.invalidate()
        result = await self.status.monitor.query(target)
        state = (
            f"answers ({result.players}/{result.max_players} players)"
            if result.online
            else (f"does not answer right now: {escape(result.error or 'no answer')}")
        )
        await safe_reply(
            interaction,
            f"Status settings of **{escape(found.name)}** saved: `{target.protocol}` on {target.host}:"
            f"{target.query_port}, every {settings.interval_s} s, alert after {settings.failures_to_down} failed "
            f"checks ({settings.confirm_interval_s} s apart). Test check: {state}.",
        )

    @app_commands.command(name="check", description="Query the game server now and show the raw outcome")
    @app_commands.autocomplete(server=server_names)
    @admin_only
    async def check(self, interaction: discord.Interaction, server: str | None = None) -> None:
        found = await self.bot.servers.resolve(guild_id_of(interaction), server)
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await self.status.monitor.repository.settings(found.id)
        target = build_target(
            found.id, found.address, found.game, protocol=settings.protocol, query_port=settings.query_port
        )
        result = await self.status.monitor.query(target)
        if result.online:
            text = (
                f"**{escape(found.name)}** answers over `{target.protocol}` in {result.latency_ms:.0f} ms: "
                f"{escape(result.name or '?')} · {result.players}/{result.max_players} players"
            )
        else:
            text = f"**{escape(found.name)}** does not answer over `{target.protocol}`: {escape(result.error or '?')}"
        await safe_reply(interaction, text)
