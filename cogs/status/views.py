"""Status board embeds, /status answers and alert texts. Every outside string is escaped."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import discord

from bot.core import i18n
from bot.core.i18n import N_, _, n_, names, number, percent
from bot.core.text import escape
from bot.core.time import format_duration
from bot.db.records import Server
from cogs.status.alerts import State
from cogs.status.repository import PendingAlert, StatusSettings, StoredState, Uptime

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


def uptime_percent(share: float) -> str:
    """``99.0%``: always one decimal (``100.0%``, ``0.0%``), in the language's percent pattern (``99,0 %``)."""
    return i18n.percent(share, fixed=True)


def uptime_text(uptime: Uptime | None) -> str:
    """The uptime and what it covers: the whole window, or the time since monitoring started (a Discord
    timestamp: every client shows "40 minutes ago" itself, so the board is not edited as the time passes)."""
    if uptime is None or uptime.percent is None:
        # Translators: the uptime field of a status board before any check was counted.
        return _("Not measured yet")
    shown = uptime_percent(uptime.percent / 100)
    if uptime.whole_window or uptime.since is None:
        # Translators: the uptime field of a status board; {percent} is e.g. "99.5%".
        text = n_("{percent} over the last {count} day", "{percent} over the last {count} days", UPTIME_DAYS,
                  percent=shown)  # fmt: skip
    else:
        # Translators: {since} is a Discord timestamp every reader sees as e.g. "40 minutes ago".
        text = _("{percent} since monitoring started {since}", percent=shown,
                 since=discord.utils.format_dt(uptime.since, "R"))  # fmt: skip
    if uptime.unknown_share >= 0.005:
        # Translators: appended to the uptime; {percent} of the time the bot itself was not running.
        unknown = _("{percent} unknown (the bot was not checking)", percent=percent(uptime.unknown_share, digits=0))
        text = f"{text} · {unknown}"
    return text


NO_ADDRESS = N_("⚪ No address set yet, so nobody checks this server. An admin can add one with /setup options.")


def no_address_text(server: Server) -> str:
    """The refusal of a check (or test) of a server without an address, naming it and the command that fixes it."""
    name = escape(server.name)
    return _(
        "**{server}** has no address yet. Set one with /setup options server:{server} address:host:port.", server=name
    )


def _reason_pattern(message: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", message)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


# Why a check failed, as the probe stored it (in English, when no language is known): the same texts as in
# cogs.status.query, cogs.status.targets and the fallback below, translated when they are shown.
_REASONS = tuple(
    (_reason_pattern(message), message)
    for message in (
        # Translators: why a status check failed; {seconds} is the probe's time limit.
        N_("no answer within {seconds} s"),
        # Translators: why a status check failed.
        N_("connection refused"),
        # Translators: why a status check failed; {detail} is the operating system's (English) error.
        N_("network error: {detail}"),
        # Translators: why a status check failed; {detail} is a technical (English) description.
        N_("bad answer: {detail}"),
        # Translators: why a status check failed: the game server did not answer at all.
        N_("nothing came back"),
        N_("{host} is a private or local address ({ip}); this bot only queries public servers."),
        N_("The host name {host} does not resolve."),
        N_("The server has no address. Set one with /setup options address:host:port."),
    )
)


def reason_text(error: str | None) -> str:
    """A stored failure reason (``connection refused``) in the language in force; an unknown one as it is."""
    if not error:
        return _("nothing came back")
    for pattern, message in _REASONS:
        found = pattern.fullmatch(error)
        if found is not None:
            params = found.groupdict()
            if "seconds" in params:  # stored as English writes it ("0.2"): shown as the language writes it
                params["seconds"] = _seconds(params["seconds"])
            return _(message, **params)
    return error


def _seconds(stored: str) -> str:
    try:
        return number(float(stored), digits=3)
    except ValueError:
        return stored


def _state_line(stored: StoredState | None, server: Server) -> tuple[str, discord.Colour]:
    if not server.address:
        return _(NO_ADDRESS), UNKNOWN
    # Translators: the state line of a status board before the server was ever checked.
    waiting = _("⚪ Waiting for the first check")
    if stored is None:
        return waiting, UNKNOWN
    monitor = stored.monitor
    since = discord.utils.format_dt(monitor.since, "R")
    if monitor.state is State.UP:
        # Translators: the state line of a status board: the game server answers.
        return _("🟢 **Online**"), ONLINE
    if monitor.state is State.DOWN:
        # Translators: {since} is a Discord timestamp every reader sees as e.g. "5 minutes ago".
        return _("🔴 **Offline** since {since}", since=since), OFFLINE
    if monitor.state is State.PENDING:
        # Translators: {since} is a Discord timestamp every reader sees as e.g. "5 minutes ago".
        return _("🟠 **Not answering** since {since} — checking again", since=since), CHECKING
    if stored.last_result is not None and not stored.last_result.online:  # one failed check: not confirmed yet
        return _("🟠 **The last check failed**"), CHECKING
    return waiting, UNKNOWN


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
        players = number(result.players)
        if result.max_players is not None:
            players = f"{players}/{number(result.max_players)}"
        # Translators: field name on a status board: how many players are on the game server.
        embed.add_field(name=_("Players"), value=players, inline=True)
    if server.address:
        # Translators: field name on a status board: the game server's host:port.
        embed.add_field(name=_("Address"), value=f"`{server.address}`", inline=True)
    if shown is not None and shown.map:
        # Translators: field name on a status board: the game map being played.
        embed.add_field(name=_("Map"), value=escape(shown.map), inline=True)
    if shown is not None and shown.version:
        # Translators: field name on a status board: the game server's version.
        embed.add_field(name=_("Version"), value=escape(shown.version), inline=True)
    # Translators: field name on a status board: the share of time the server answered.
    embed.add_field(name=_("Uptime"), value=uptime_text(snapshot.uptime), inline=False)
    if snapshot.next_wipe is not None:
        when = snapshot.next_wipe
        value = f"{discord.utils.format_dt(when, 'F')} ({discord.utils.format_dt(when, 'R')})"
        # Translators: field name on a status board: when the next planned wipe (server reset) starts.
        embed.add_field(name=_("Next wipe"), value=value, inline=False)
    if result is not None and result.online and result.player_names:
        shown_names = [escape(n) for n in result.player_names[:MAX_NAMES_SHOWN]]
        more = len(result.player_names) - len(shown_names)
        if more > 0:
            # Translators: the last item of the list of players online: "Alice, Bob and 5 more".
            shown_names.append(n_("{count} more", "{count} more", more))
        # Translators: field name on a status board: the players on the game server right now.
        embed.add_field(name=_("Online now"), value=names(shown_names)[:1024], inline=False)
    if detailed and result is not None:
        if result.online and result.latency_ms is not None:
            # Translators: how long the game server took to answer, in milliseconds.
            latency = _("{ms} ms", ms=number(round(result.latency_ms)))
            # Translators: field name in /status: how long the game server took to answer.
            embed.add_field(name=_("Response time"), value=latency, inline=True)
        if not result.online and result.error:
            # Translators: field name in /status: why the last check of the game server failed.
            embed.add_field(name=_("Last check"), value=escape(reason_text(result.error)), inline=False)
    if stored is not None and stored.monitor.last_probe_at is not None:
        embed.timestamp = stored.monitor.last_probe_at
        # Translators: footer of a status board, followed by the time of the last check (Discord shows it).
        embed.set_footer(text=_("Last updated"))
    elif server.address:
        # Translators: footer of a status board whose server was never checked.
        embed.set_footer(text=_("Not checked yet"))
    return embed


def status_view(server: Server, settings: StatusSettings) -> discord.ui.View | None:
    """Link buttons only (no custom_id, nothing to re-register after a restart)."""
    view = discord.ui.View(timeout=None)
    if settings.connect_url:
        # Translators: link button under a status board: joins the game server.
        label = _("Connect")
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=settings.connect_url))
    if server.vote_url:
        # Translators: link button under a status board: opens the server's voting page.
        label = _("Vote")
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=server.vote_url, emoji="🗳️"))
    return view if view.children else None


def alert_text(server: Server, alert: PendingAlert, role_id: int | None) -> str:
    name = escape(server.name)
    ping = f"<@&{role_id}> " if role_id else ""
    if alert.kind == "down":
        since = discord.utils.format_dt(alert.down_since or alert.created_at, "R")
        if alert.detail:
            # Translators: an offline alert; {since} shows as e.g. "5 minutes ago", {reason} why the check failed.
            text = _("🔴 **{server}** is offline: no answer since {since} ({reason}).", server=name, since=since,
                     reason=escape(reason_text(alert.detail)))  # fmt: skip
        else:
            # Translators: an offline alert; {since} shows as e.g. "5 minutes ago".
            text = _("🔴 **{server}** is offline: no answer since {since}.", server=name, since=since)
        return ping + text
    if alert.kind == "up":
        down_for = format_duration((alert.created_at - (alert.down_since or alert.created_at)).total_seconds())
        # Translators: a recovery alert; {duration} is e.g. "42 min".
        return ping + _("🟢 **{server}** is back online after {duration} offline.", server=name, duration=down_for)
    return _(
        "⚠️ **{server}** keeps going up and down. Offline alerts are paused until it has been stable for an hour; "
        "the status board stays live.",
        server=name,
    )


def _every_seconds(seconds: int) -> str:
    # Translators: how often a status check runs, inserted into a longer sentence ("checked … every 60 seconds").
    return n_("every {count} second", "every {count} seconds", seconds)


def configured_text(server: Server, settings: StatusSettings, protocol: str, where: str, result_text: str) -> str:
    # Translators: {interval} and {recheck} are e.g. "every 60 seconds"; {result} is the test check's outcome
    # ("answers (2/100 players)"); {protocol} and {where} (host:port) are technical and stay as they are.
    return n_(
        "Saved the status settings for **{server}**: checked over `{protocol}` at {where} {interval}, with an offline "
        "alert after {count} failed check in a row (once a check fails, it is rechecked {recheck}). "
        "Test check: {result}.",
        "Saved the status settings for **{server}**: checked over `{protocol}` at {where} {interval}, with an offline "
        "alert after {count} failed checks in a row (once a check fails, it is rechecked {recheck}). "
        "Test check: {result}.",
        settings.failures_to_down,
        server=escape(server.name),
        protocol=protocol,
        where=where,
        interval=_every_seconds(settings.interval_s),
        recheck=_every_seconds(settings.confirm_interval_s),
        result=result_text,
    )


def board_options_text(server: Server, picture: bool, *, changed: bool, active: bool = True) -> str:
    """The answer of /status-admin board (and, when the board is off, how to switch it on)."""
    text = _board_options(escape(server.name), picture, changed=changed)
    if active:
        return text
    # Translators: after the answer of /status-admin board when the status board feature is off.
    return text + " " + _("The board itself is off: switch it on with /feature enable status_board.")


def _board_options(name: str, picture: bool, *, changed: bool) -> str:
    if changed and picture:
        # Translators: /status-admin board picture:True.
        return _(
            "The status board of **{server}** now shows a picture of its players over the last 24 hours and its "
            "uptime over the last 7 days, redrawn at most once an hour.",
            server=name,
        )
    if changed:
        # Translators: /status-admin board picture:False.
        return _("The status board of **{server}** no longer shows a picture.", server=name)
    if picture:
        # Translators: /status-admin board without options.
        return _("The status board of **{server}** shows the picture of players and uptime.", server=name)
    # Translators: /status-admin board without options.
    return _("The status board of **{server}** shows no picture. Add one with picture:True.", server=name)


def unaddressed_text(servers: list[Server]) -> str:
    """The note above /status's embeds for the servers it leaves out: ``Skyblock has no address set, so it is not
    checked.``"""
    # Translators: {servers} is one server name or a list ("Alpha, Beta and Gamma"); {count} how many there are.
    return n_(
        "{servers} has no address set, so it is not checked.",
        "{servers} have no address set, so they are not checked.",
        len(servers),
        servers=names([escape(s.name) for s in servers]),
    )


def _players(players: int | None, max_players: int | None) -> tuple[str, int]:
    """``2/100`` and the number the word "players" after it agrees with."""
    shown = (
        f"{number(players) if players is not None else '?'}/{number(max_players) if max_players is not None else '?'}"
    )
    return shown, max_players if max_players is not None else (players or 0)


def test_result_text(players: int | None, max_players: int | None, online: bool, error: str | None) -> str:
    if online:
        shown, count = _players(players, max_players)
        # Translators: the outcome of a test check; {players} is e.g. "2/100" ({count} is the second number).
        return n_("answers ({players} player)", "answers ({players} players)", count, players=shown)
    # Translators: the outcome of a test check; {reason} says why it failed.
    return _("no answer ({reason})", reason=escape(reason_text(error)))


def check_text(server: Server, protocol: str, online: bool, latency_ms: float | None, name: str | None,
               players: int | None, max_players: int | None, error: str | None) -> str:  # fmt: skip
    if online:
        shown, count = _players(players, max_players)
        # Translators: /status-admin check; {name} is the game server's own name, {players} e.g. "2/100"
        # ({count} is the second number), {ms} the answer time in milliseconds.
        return n_(
            "**{server}** answers over `{protocol}` in {ms} ms: {name} · {players} player",
            "**{server}** answers over `{protocol}` in {ms} ms: {name} · {players} players",
            count,
            server=escape(server.name),
            protocol=protocol,
            ms=number(round(latency_ms or 0)),
            name=escape(name or "?"),
            players=shown,
        )
    # Translators: /status-admin check; {reason} says why the game server did not answer.
    return _(
        "**{server}** is not reachable over `{protocol}`: {reason}.",
        server=escape(server.name),
        protocol=protocol,
        reason=escape(reason_text(error)),
    )
