"""``votebot server add | list | remove`` and ``votebot feature set``: linking game servers and switching features."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from bot.app.config import Config
from bot.app.extensions import features
from bot.cli import discord_check
from bot.cli.args import server_id, setting_pairs, snowflake
from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH, FeatureRegistry, SettingSpec
from bot.core.messaging import Messenger
from bot.core.server_removal import RemovalOutcome, ServerRemoval, describe_removal
from bot.core.servers import MissingTarget, ServerService

# A feature switched on without what it needs, worded with this CLI's flags (the service names slash options).
MISSING_TARGET_TEXTS = {
    "channel": "{label} needs a channel: pass --channel ID. {channel_use}",
    "role": "{label} needs a role: pass --role ID.",
}


def add_arguments(server_cmds: Any, feature_cmds: Any, common: argparse.ArgumentParser) -> None:
    add = server_cmds.add_parser("add", parents=[common], help="link a game server to a guild")
    add.add_argument("--guild", type=snowflake, required=True, metavar="ID")
    add.add_argument("--name", required=True)
    add.add_argument("--vote-url", required=True, metavar="URL")
    add.add_argument("--game")
    add.add_argument("--address", metavar="HOST:PORT")
    add.add_argument("--json", action="store_true", help="machine-readable output")
    listing = server_cmds.add_parser("list", parents=[common], help="list linked game servers")
    listing.add_argument("--json", action="store_true")
    remove = server_cmds.add_parser(
        "remove", parents=[common], help="unlink a game server and delete its votes, secrets and boards (asks first)"
    )
    remove.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    remove.add_argument("--yes", action="store_true", help="remove without asking (needed when not on a terminal)")

    registry = features()
    fset = feature_cmds.add_parser(
        "set",
        parents=[common],
        help="switch one feature of a server on or off",
        epilog=settings_epilog(registry),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fset.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    fset.add_argument("feature", choices=[*registry.names, MASTER_SWITCH], metavar="FEATURE")
    state = fset.add_mutually_exclusive_group(required=True)
    state.add_argument("--on", dest="enabled", action="store_true")
    state.add_argument("--off", dest="enabled", action="store_false")
    fset.add_argument("--channel", type=snowflake, metavar="ID")
    fset.add_argument("--role", type=snowflake, metavar="ID")
    fset.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a feature setting (listed below)"
    )


def _value_hint(setting: SettingSpec) -> str:
    """What a setting's value looks like, short enough for a help column (``1-60``, ``true|false``, ``HH:MM``)."""
    if setting.kind == "int":
        return f"{0 if setting.zero_means_off else setting.minimum}-{setting.maximum}"
    if setting.kind == "int_list":
        return "N,N,N"
    if setting.kind == "choice":
        return "|".join(setting.choices)
    if setting.kind == "time":
        return "HH:MM"
    if setting.kind == "url":
        return "URL"
    return "true|false"


def settings_epilog(registry: FeatureRegistry) -> str:
    """One line per feature setting: the feature, ``KEY=VALUE`` and the setting's description (which has the unit)."""
    rows = [
        (spec.name, f"{setting.option_name}={_value_hint(setting)}", setting.description)
        for spec in registry
        for setting in spec.settings
    ]
    feature_width = max(len(row[0]) for row in rows)
    key_width = max(len(row[1]) for row in rows)
    lines = [f"  {name.ljust(feature_width)}  {key.ljust(key_width)}  {text}" for name, key, text in rows]
    return "feature settings (--set KEY=VALUE):\n" + "\n".join(lines)


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text)


async def server_command(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    service = ServerService(pool, features())
    if args.server_command == "add":
        created = await service.add(
            guild_id=args.guild, name=args.name, vote_url=args.vote_url, game=args.game, address=args.address
        )
        s = created.server
        data = {"id": s.id, "guild_id": s.guild_id, "name": s.name, "vote_url": s.vote_url, "api_key": created.api_key}
        _print(
            data,
            args.json,
            f"server {s.id} added to guild {s.guild_id}: {s.name}\n"
            f"API key (shown once, store it now): {created.api_key}",
        )
    elif args.server_command == "list":
        rows = [
            {
                "id": s.id,
                "guild_id": s.guild_id,
                "name": s.name,
                "vote_url": s.vote_url,
                "game": s.game,
                "address": s.address,
                "default": s.is_default,
                "enabled": s.enabled,
            }
            for s in await service.list_all()
        ]
        table = [
            [
                str(r["id"]),
                str(r["guild_id"]),
                "yes" if r["default"] else "",
                "on" if r["enabled"] else "off",
                str(r["name"]),
                str(r["vote_url"]),
            ]
            for r in rows
        ]
        _print(rows, args.json, _table(SERVER_COLUMNS, table) if rows else "no servers linked yet")


SERVER_COLUMNS = ("ID", "GUILD", "DEFAULT", "FEATURES", "NAME", "VOTE URL")  # FEATURES: the master switch


def _table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    """A header line and aligned columns (two spaces apart; the id column right-aligned)."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in [list(headers), *rows]:
        cells = [row[0].rjust(widths[0]), *(cell.ljust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


async def feature_command(pool: asyncpg.Pool, config: Config, args: argparse.Namespace) -> None:
    registry = features()
    service = ServerService(pool, registry)
    server = await service.get(args.server_id)
    try:
        settings = setting_pairs(args.set)
    except argparse.ArgumentTypeError as exc:
        raise UserError(str(exc)) from None
    spec = registry.get(args.feature) if args.feature != MASTER_SWITCH else None
    if spec is not None:
        spec.parse_settings(settings)  # bad settings are refused before Discord is asked anything
    # The operator who runs the CLI is trusted (they run the bot): no member's rights are checked here, unlike
    # the slash commands (bot/core/guild_checks.py). The bot's own are, over Discord's REST API with the bot
    # token (bot/cli/discord_check.py); when Discord can't be asked the change is made with a warning. A role
    # carrying a dangerous permission is still never handed out: every grant refuses it (Messenger.add_role).
    target = discord_check.Target(server.guild_id, args.channel, args.role)
    warning = await discord_check.check(config, spec, target)
    try:
        stored = await service.switch_feature(
            server, args.feature, enabled=args.enabled, channel_id=args.channel, role_id=args.role, settings=settings
        )
    except MissingTarget as exc:
        raise UserError(MissingTarget.worded(MISSING_TARGET_TEXTS, exc.spec, exc.what)) from None
    if warning is not None:
        print(f"votebot: {warning}", file=sys.stderr)
    details = [f"{k}={v}" for k, v in settings.items()]
    if stored is not None and stored.channel_id is not None:
        details.insert(0, f"channel {stored.channel_id}")
    if stored is not None and stored.role_id is not None:
        details.insert(1 if stored.channel_id is not None else 0, f"role {stored.role_id}")
    print(feature_set_text(args.feature, args.enabled, f"server {server.id} ({server.name})", details))


def feature_set_text(feature: str, enabled: bool, server: str, details: list[str]) -> str:
    """``Turned on reminders for server 1 (Survival): channel 777.``; the master switch in its own words."""
    if feature == MASTER_SWITCH:
        if enabled:
            return f"The master switch of {server} is on: the features that are switched on run again."
        return f"The master switch of {server} is off: every feature is paused."
    extra = f": {', '.join(details)}" if details else ""
    return f"Turned {'on' if enabled else 'off'} {feature} for {server}{extra}."


@contextlib.asynccontextmanager
async def _discord_rest(config: Config) -> AsyncIterator[Messenger | None]:
    """A REST-only Discord session (no gateway) to delete board messages; None without a configured token."""
    if not config.discord.token:
        yield None
        return
    import discord

    from bot.app.client import point_at_api

    point_at_api(config.discord.api_base_url)
    discord_check.quiet_discord_logs()
    client = discord.Client(intents=discord.Intents.none())
    async with client:
        await client.login(config.discord.token)
        yield Messenger(client)


def removed_lines(outcome: RemovalOutcome) -> list[str]:
    server = outcome.summary.server
    lines = [f"removed server {server.id} ({server.name}) of guild {server.guild_id}"]
    if outcome.boards_deleted:
        lines.append(f"board messages deleted: {outcome.boards_deleted}")
    lines.extend(
        f"board message left ({left.reason}); delete it by hand: "
        f"https://discord.com/channels/{server.guild_id}/{left.board.channel_id}/{left.board.message_id}"
        for left in outcome.boards_left
    )
    return lines


async def remove_command(pool: asyncpg.Pool, config: Config, args: argparse.Namespace) -> None:
    """``votebot server remove ID``: print what goes, ask on a terminal (or take --yes), then remove."""
    server = await ServerService(pool, features()).get(args.server_id)
    summary = await ServerRemoval(pool, None).preview(server)
    print(describe_removal(summary))
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("nothing was removed: pass --yes to confirm (there is no terminal to ask on)")
        question = f"Type the server id ({server.id}) to remove it, anything else keeps it: "
        answer = await asyncio.to_thread(input, question)
        if answer.strip() != str(server.id):
            raise UserError("nothing was removed")
    async with _discord_rest(config) as messenger:
        outcome = await ServerRemoval(pool, messenger).remove(server)
    print("\n".join(removed_lines(outcome)))
