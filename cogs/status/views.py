"""Status board embeds, /status answers and alert texts. Every outside string is escaped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import discord

from bot.core.text import escape
from bot.core.time import format_duration
from bot.db.records import Server
from cogs.status.alerts import State
from cogs.status.repository import PendingAlert, StatusSettings, StoredState, Uptime
from cogs.status.spec import CONFIRM_INTERVAL, FAILURES, INTERVAL

ONLINE = discord.Colour.from_rgb(67, 181, 129)
OFFLINE = discord.Colour.from_rgb(240, 71, 71)
CHECKING = discord.Colour.from_rgb(250, 166, 26)
UNKNOWN = discord.Colour.light_grey()
MAX_NAMES_SHOWN = 20
UPTIME_DAYS = 7  # the uptime window (cogs.status.service.UPTIME_WINDOW)


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    server: Server
    settings: StatusSettings
    stored: StoredState | None
    uptime: Uptime | None
    next_wipe: dt.datetime | None = None


def uptime_text(uptime: Uptime | None) -> str:
    """The uptime and what it covers: the whole window, or the time since monitoring started (a Discord
    timestamp: every client shows "40 minutes ago" itself, so the board is not edited as the time passes)."""
    if uptime is None or uptime.percent is None:
        return "Not measured yet"
    if uptime.whole_window or uptime.since is None:
        text = f"{uptime.percent:.1f}% over the last {UPTIME_DAYS} days"
    else:
        text = f"{uptime.percent:.1f}% since monitoring started {discord.utils.format_dt(uptime.since, 'R')}"
    if uptime.unknown_share >= 0.005:
        text += f" · {uptime.unknown_share:.0%} unknown (the bot was not checking)"
    return text


NO_ADDRESS = "⚪ No address set yet, so nobody checks this server. An admin can add one with /setup options."


def no_address_text(server: Server) -> str:
    """The refusal of a check (or test) of a server without an address, naming it and the command that fixes it."""
    name = escape(server.name)
    return f"**{name}** has no address yet. Set one with /setup options server:{name} address:host:port."


def _state_line(stored: StoredState | None, server: Server) -> tuple[str, discord.Colour]:
    if not server.address:
        return NO_ADDRESS, UNKNOWN
    if stored is None:
        return "⚪ Waiting for the first check", UNKNOWN
    monitor = stored.monitor
    since = discord.utils.format_dt(monitor.since, "R")
    if monitor.state is State.UP:
        return "🟢 **Online**", ONLINE
    if monitor.state is State.DOWN:
        return f"🔴 **Offline** since {since}", OFFLINE
    if monitor.state is State.PENDING:
        return f"🟠 **Not answering** since {since} — checking again", CHECKING
    if stored.last_result is not None and not stored.last_result.online:  # one failed check: not confirmed yet
        return "🟠 **The last check failed**", CHECKING
    return "⚪ Waiting for the first check", UNKNOWN


def status_embed(snapshot: StatusSnapshot, *, detailed: bool = False) -> discord.Embed:
    """The board embed (``detailed``: the /status variant with latency and the last error)."""
    stored, server = snapshot.stored, snapshot.server
    line, colour = _state_line(stored, server)
    result = stored.last_result if stored else None
    shown = result if result is not None and result.online else (stored.last_online if stored else None)
    embed = discord.Embed(title=escape(server.name), colour=colour)
    lines = [line]
    if shown is not None and shown.name:
        lines.append(escape(shown.name))
    embed.description = "\n".join(lines)
    if result is not None and result.online and result.players is not None:
        players = f"{result.players}/{result.max_players}" if result.max_players is not None else str(result.players)
        embed.add_field(name="Players", value=players, inline=True)
    if server.address:
        embed.add_field(name="Address", value=f"`{server.address}`", inline=True)
    if shown is not None and shown.map:
        embed.add_field(name="Map", value=escape(shown.map), inline=True)
    if shown is not None and shown.version:
        embed.add_field(name="Version", value=escape(shown.version), inline=True)
    embed.add_field(name="Uptime", value=uptime_text(snapshot.uptime), inline=False)
    if snapshot.next_wipe is not None:
        when = snapshot.next_wipe
        value = f"{discord.utils.format_dt(when, 'F')} ({discord.utils.format_dt(when, 'R')})"
        embed.add_field(name="Next wipe", value=value, inline=False)
    if result is not None and result.online and result.player_names:
        names = [escape(n) for n in result.player_names[:MAX_NAMES_SHOWN]]
        more = len(result.player_names) - len(names)
        text = ", ".join(names) + (f" and {more} more" if more > 0 else "")
        embed.add_field(name="Online now", value=text[:1024], inline=False)
    if detailed and result is not None:
        if result.online and result.latency_ms is not None:
            embed.add_field(name="Response time", value=f"{result.latency_ms:.0f} ms", inline=True)
        if not result.online and result.error:
            embed.add_field(name="Last check", value=escape(result.error), inline=False)
    if stored is not None and stored.monitor.last_probe_at is not None:
        embed.timestamp = stored.monitor.last_probe_at
        embed.set_footer(text="Last updated")
    elif server.address:
        embed.set_footer(text="Not checked yet")
    return embed


def status_view(server: Server, settings: StatusSettings) -> discord.ui.View | None:
    """Link buttons only (no custom_id, nothing to re-register after a restart)."""
    view = discord.ui.View(timeout=None)
    if settings.connect_url:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label="Connect", url=settings.connect_url))
    if server.vote_url:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label="Vote", url=server.vote_url, emoji="🗳️"))
    return view if view.children else None


def alert_text(server: Server, alert: PendingAlert, role_id: int | None) -> str:
    name = escape(server.name)
    ping = f"<@&{role_id}> " if role_id else ""
    if alert.kind == "down":
        since = alert.down_since or alert.created_at
        detail = f" ({escape(alert.detail)})" if alert.detail else ""
        return f"{ping}🔴 **{name}** is offline: no answer since {discord.utils.format_dt(since, 'R')}{detail}."
    if alert.kind == "up":
        down_for = format_duration((alert.created_at - (alert.down_since or alert.created_at)).total_seconds())
        return f"{ping}🟢 **{name}** is back online after {down_for} offline."
    return (
        f"⚠️ **{name}** keeps going up and down. Offline alerts are paused until it has been stable for an hour; "
        "the status board stays live."
    )


def configured_text(server: Server, settings: StatusSettings, protocol: str, where: str, result_text: str) -> str:
    return (
        f"Saved the status settings for **{escape(server.name)}**: checked over `{protocol}` at {where} "
        f"{INTERVAL.shown(settings.interval_s)}, with an offline alert after "
        f"{FAILURES.amount(settings.failures_to_down)} in a row (once a check fails, it is rechecked "
        f"{CONFIRM_INTERVAL.shown(settings.confirm_interval_s)}). Test check: {result_text}."
    )


def unaddressed_text(servers: list[Server]) -> str:
    """The note above /status's embeds for the servers it leaves out: ``Skyblock has no address set, so it is not
    checked.``"""
    names = [escape(s.name) for s in servers]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "has" if len(names) == 1 else "have"
    it = "it is" if len(names) == 1 else "they are"
    return f"{shown} {verb} no address set, so {it} not checked."


def test_result_text(players: int | None, max_players: int | None, online: bool, error: str | None) -> str:
    if online:
        return f"answers ({players}/{max_players} players)"
    return f"no answer ({escape(error or 'nothing came back')})"


def check_text(server: Server, protocol: str, online: bool, latency_ms: float | None, name: str | None,
               players: int | None, max_players: int | None, error: str | None) -> str:  # fmt: skip
    if online:
        return (
            f"**{escape(server.name)}** answers over `{protocol}` in {latency_ms or 0:.0f} ms: "
            f"{escape(name or '?')} · {players}/{max_players} players"
        )
    return f"**{escape(server.name)}** is not reachable over `{protocol}`: {escape(error or 'nothing came back')}."
