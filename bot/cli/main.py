"""Command line: ``votebot run | webhooks | migrate | check-config | sync | server … | feature … | forward … |
audit | catalogs …``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import asyncpg
import discord

from bot.app.config import Config, ConfigError, configure_logging, load_config
from bot.cli import audit as audit_cli
from bot.cli import catalogs as catalogs_cli
from bot.cli import credentials as credentials_cli
from bot.cli import forward as forward_cli
from bot.cli import outbox as outbox_cli
from bot.cli import servers as servers_cli
from bot.cli import test_vote as send_test_vote
from bot.cli.args import positive, shard_list, snowflake
from bot.core.audit import acting_as, cli_actor
from bot.core.errors import UserError
from bot.db.migrations import MigrationError

log = logging.getLogger("votebot")


BOT_PROCESSES = frozenset({"run", "webhooks"})


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file (default ./bot.toml)")
    parser = argparse.ArgumentParser(prog="votebot", description="Vote, status and community bot.", parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", parents=[common], help="run the bot (applies pending migrations first)")
    run.add_argument("--shards", type=shard_list, metavar="IDS", help="shard ids this process runs, e.g. 0,1")
    run.add_argument("--shard-count", type=positive, metavar="N", help="total number of shards")
    commands.add_parser("webhooks", parents=[common], help="run only the webhook server (scale-out ingest)")
    commands.add_parser("migrate", parents=[common], help="apply pending database migrations")
    commands.add_parser("check-config", parents=[common], help="validate and print the effective config")
    sync = commands.add_parser("sync", parents=[common], help="publish slash commands to Discord")
    sync.add_argument("--guild", type=snowflake, metavar="ID", help="sync to one guild instantly instead of globally")

    server = commands.add_parser("server", parents=[common], help="manage linked game servers")
    server_cmds = server.add_subparsers(dest="server_command", required=True, metavar="ACTION")
    feature = commands.add_parser("feature", parents=[common], help="switch features")
    feature_cmds = feature.add_subparsers(dest="feature_command", required=True, metavar="ACTION")
    servers_cli.add_arguments(server_cmds, feature_cmds, common)
    credentials_cli.add_arguments(server_cmds, common)
    send_test_vote.add_arguments(commands, common)
    outbox_cli.add_arguments(commands, common)
    forward_cli.add_arguments(commands, common)
    audit_cli.add_arguments(commands, common)
    catalogs_cli.add_arguments(commands, common)
    return parser


async def _with_database(config: Config, work: Callable[[asyncpg.Pool], Awaitable[object]]) -> None:
    from bot.app.runtime import open_database

    async with open_database(config) as pool:
        await work(pool)


async def _server_command(config: Config, args: argparse.Namespace) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        if args.server_command in ("add", "list"):
            await servers_cli.server_command(pool, args)
        elif args.server_command == "remove":
            await servers_cli.remove_command(pool, config, args)
        elif args.server_command == "secret":
            print(await credentials_cli.set_secret(pool, args))
        elif args.server_command == "show":
            data = await credentials_cli.show(pool, config, args.server_id)
            print(json.dumps(data, indent=2, default=str) if args.json else credentials_cli.render(data))

    await _with_database(config, work)


async def _send_test_vote(config: Config, args: argparse.Namespace) -> int:
    from bot.app.runtime import open_database

    async with open_database(config) as pool:
        outcome = await send_test_vote.send(pool, config, args)
    print(outcome.text)
    return 0 if outcome.ok else 1


async def _forward_command(config: Config, args: argparse.Namespace) -> int:
    from bot.app.runtime import open_database

    async with open_database(config) as pool:
        return await forward_cli.forward_command(pool, config, args)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "catalogs":  # a developers' tool: no config, no database
        return catalogs_cli.run(args)
    config = load_config(getattr(args, "config", None))
    long_running = args.command in {"run", "webhooks"}
    configure_logging(config.log_level if long_running or config.log_level == "DEBUG" else "WARNING")
    if args.command == "check-config":
        where = str(config.source) if config.source else "defaults and environment (no bot.toml found)"
        print(f"# effective configuration from {where}")
        for key, value in config.effective().items():
            print(f"{key} = {json.dumps(value if not isinstance(value, tuple) else list(value))}")
        if not config.discord.token:
            print("# warning: discord.token is not set; `votebot run` will refuse to start", file=sys.stderr)
        return 0
    if args.command == "run":
        if args.shards and args.shard_count is None:
            raise UserError("--shards needs --shard-count (the total number of shards)")
        if args.shards and args.shard_count is not None and args.shards[-1] >= args.shard_count:
            raise UserError(f"--shards: shard ids must be below --shard-count ({args.shard_count})")
        from bot.app.runtime import run_bot

        asyncio.run(run_bot(config, shard_ids=args.shards, shard_count=args.shard_count))
    elif args.command == "webhooks":
        from bot.app.runtime import run_webhooks_only

        asyncio.run(run_webhooks_only(config))
    elif args.command == "migrate":
        from bot.app.runtime import open_database
        from bot.db.migrations import migrate_pool

        async def migrate() -> None:
            async with open_database(config, migrate=False) as pool:
                applied = await migrate_pool(pool)
                print(f"applied {len(applied)} migration(s)" if applied else "database is up to date")

        asyncio.run(migrate())
    elif args.command == "sync":
        from bot.app.runtime import sync_commands

        count = asyncio.run(sync_commands(config, args.guild))
        print(f"synced {count} commands" + (f" to guild {args.guild}" if args.guild else " globally"))
    elif args.command == "server":
        asyncio.run(_server_command(config, args))
    elif args.command == "feature":
        asyncio.run(_with_database(config, lambda pool: servers_cli.feature_command(pool, config, args)))
    elif args.command == "outbox":
        asyncio.run(_with_database(config, lambda pool: outbox_cli.outbox_command(pool, args)))
    elif args.command == "forward":
        return asyncio.run(_forward_command(config, args))
    elif args.command == "send-test-vote":
        return asyncio.run(_send_test_vote(config, args))
    elif args.command == "audit":
        asyncio.run(_with_database(config, lambda pool: audit_cli.audit_command(pool, args)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The operator's changes go to the audit log as theirs; the bot's own processes act as no one.
    acting = contextlib.nullcontext() if args.command in BOT_PROCESSES else acting_as(cli_actor())
    try:
        with acting:
            return dispatch(args)
    except ConfigError as exc:
        print(f"votebot: config error: {exc}", file=sys.stderr)
        return 2
    except (UserError, MigrationError) as exc:
        print(f"votebot: error: {exc}", file=sys.stderr)
        return 1
    except discord.LoginFailure:
        print(
            "votebot: config error: Discord rejected the token (key 'discord.token'). Copy a fresh one from "
            "https://discord.com/developers/applications → your app → Bot → Reset Token.",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired as exc:  # pragma: no cover - the bot asks for none
        print(f"votebot: error: {exc}", file=sys.stderr)
        return 1
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        print(
            f"votebot: error: cannot reach Discord ({type(exc).__name__}: {exc}). Check the network, or "
            "'discord.api_base_url' if you use a proxy.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
