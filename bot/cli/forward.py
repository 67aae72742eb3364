"""``votebot forward …``: a game server's vote destinations (Votifier, signed webhooks) for operators.

``add-votifier``, ``add-webhook`` (prints the new signing secret once), ``list``, ``test``, ``pause``, ``resume``,
``remove`` and ``replay`` (dead letters queued again). The forwarding feature's service does the work, with the
bot's own address policy; it is reached through the feature's name in :data:`bot.app.extensions.EXTENSIONS` (the
core never imports a feature package), so its objects are duck-typed here. The texts stay English (operators).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
from types import ModuleType
from typing import Any

import asyncpg

from bot.app.config import Config
from bot.app.extensions import EXTENSIONS, features
from bot.cli.args import server_id
from bot.core.errors import UserError
from bot.core.servers import ServerService
from bot.core.text import plural

FEATURE = "forwarding"  # the extension's last name part
KIND_NAMES = {"votifier_v2": "Votifier v2", "votifier_v1": "Votifier v1", "webhook": "webhook"}
STDIN = "-"


def add_arguments(commands: Any, common: argparse.ArgumentParser) -> None:
    forward = commands.add_parser(
        "forward", parents=[common], help="hand a server's votes on to its game server (Votifier, signed webhooks)"
    )
    actions = forward.add_subparsers(dest="forward_command", required=True, metavar="ACTION")

    votifier = actions.add_parser("add-votifier", parents=[common], help="add a Votifier v2 or v1 destination")
    votifier.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    votifier.add_argument("--name", required=True, help="the destination's name, e.g. survival")
    votifier.add_argument("--address", required=True, metavar="HOST[:PORT]", help="the Votifier port (default 8192)")
    votifier.add_argument(
        "--version", type=int, choices=(2, 1), help="2: NuVotifier token, 1: public key (default: from the secret)"
    )
    secret = votifier.add_mutually_exclusive_group(required=True)
    secret.add_argument("--token", help="v2: the token of plugins/Votifier/config.yml (- reads it from stdin)")
    secret.add_argument(
        "--public-key", metavar="KEY", help="v1: plugins/Votifier/rsa/public.key, base64 (- reads it from stdin)"
    )
    votifier.add_argument("--service-name", default="votebot", help="the vote's service name (default votebot)")
    votifier.add_argument("--providers", metavar="SITES", help="e.g. topgg,topserver (default: every listing site)")

    webhook = actions.add_parser("add-webhook", parents=[common], help="add a signed-webhook destination")
    webhook.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    webhook.add_argument("--name", required=True, help="the destination's name, e.g. website")
    webhook.add_argument("--url", required=True, help="the https:// address receiving the votes")
    webhook.add_argument("--providers", metavar="SITES", help="e.g. topgg,topserver (default: every listing site)")

    listing = actions.add_parser("list", parents=[common], help="a server's destinations and their health")
    listing.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    test = actions.add_parser("test", parents=[common], help="send a real test vote now and print the answer")
    test.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    test.add_argument("name", metavar="NAME")
    test.add_argument("--player", help="the test vote's player name (default votebot_test)")

    for action, text in (
        ("pause", "stop sending to a destination (votes stay queued)"),
        ("resume", "send to a paused destination again, queued votes first"),
        ("remove", "remove a destination and the votes waiting for it"),
    ):
        parser = actions.add_parser(action, parents=[common], help=text)
        parser.add_argument("server_id", type=server_id, metavar="SERVER_ID")
        parser.add_argument("name", metavar="NAME")

    replay = actions.add_parser(
        "replay", parents=[common], help="queue dead letters again (all destinations by default)"
    )
    replay.add_argument("server_id", type=server_id, metavar="SERVER_ID")
    replay.add_argument("name", metavar="NAME", nargs="?", help="only this destination's dead letters")


def feature_module(part: str) -> ModuleType:
    """``cogs.forwarding.<part>``, by the name the bot loads the feature under."""
    extension = next(name for name in EXTENSIONS if name.rpartition(".")[2] == FEATURE)
    return importlib.import_module(f"{extension}.{part}")


def _secret(value: str) -> str:
    return sys.stdin.read().strip() if value == STDIN else value


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else "never"


def _state(destination: Any) -> str:
    if destination.paused == "owner":
        return "paused"
    if destination.paused == "failing":
        return f"paused: failing since {_when(destination.failing_since)}"
    if destination.failing_since is not None:
        return f"retrying: failing since {_when(destination.failing_since)}"
    return "delivering"


def _sites(destination: Any) -> str:
    return ",".join(destination.providers) or "all"


def destination_row(destination: Any, health: Any) -> dict[str, Any]:
    """What ``forward list --json`` prints of one destination (never its secret)."""
    return {
        "id": destination.id,
        "name": destination.name,
        "kind": str(destination.kind),
        "where": destination.shown,
        "service_name": destination.service_name if destination.url is None else None,
        "providers": list(destination.providers),
        "state": "paused" if destination.paused == "owner" else destination.paused or "delivering",
        "failing_since": destination.failing_since,
        "last_success_at": destination.last_success_at,
        "last_error": destination.last_error,
        "last_error_at": destination.last_error_at,
        "backlog": health.backlog,
        "delivered": health.delivered,
        "skipped": health.skipped,
        "dead_letters": health.dead,
    }


def destination_lines(destination: Any, health: Any) -> list[str]:
    lines = [
        f"{destination.name}  {KIND_NAMES.get(str(destination.kind), str(destination.kind))}  {destination.shown}"
        f"  sites: {_sites(destination)}  {_state(destination)}",
        f"  last success: {_when(destination.last_success_at)}",
    ]
    if destination.last_error:
        lines.append(f"  last error ({_when(destination.last_error_at)}): {destination.last_error}")
    lines.append(
        f"  backlog {health.backlog} · delivered {health.delivered} · skipped {health.skipped} (unlinked Top.gg voters)"
        f" · dead letters {health.dead}"
    )
    return lines


def _added(server: Any, destination: Any) -> str:
    kind = KIND_NAMES.get(str(destination.kind), str(destination.kind))
    return (
        f"destination {destination.name} added to server {server.id} ({server.name}): {kind} to {destination.shown}, "
        f"votes from {_sites(destination)}"
    )


async def forward_command(pool: asyncpg.Pool, config: Config, args: argparse.Namespace) -> int:
    server = await ServerService(pool, features()).get(args.server_id)
    operator = feature_module("operator")
    async with operator.operator_service(pool, config) as service:
        action = args.forward_command
        if action == "add-votifier":
            version = args.version or (1 if args.public_key is not None else 2)
            if (version == 2) != (args.token is not None):
                raise UserError("Votifier v2 takes --token (the NuVotifier token), v1 takes --public-key")
            added = await service.add_votifier(
                server, name=args.name, address=args.address, secret=_secret(args.token or args.public_key),
                version=version, service_name=args.service_name, providers=args.providers,
            )  # fmt: skip
            print(_added(server, added))
        elif action == "add-webhook":
            added, secret = await service.add_webhook(server, name=args.name, url=args.url, providers=args.providers)
            print(_added(server, added))
            print(f"signing secret (shown once, give it to the receiver now): {secret}")
        elif action == "list":
            overview = await service.overview(server)
            if args.json:
                rows = [destination_row(item.destination, item.health) for item in overview]
                print(json.dumps(rows, indent=2, default=str))
            elif not overview:
                print(f"server {server.id} ({server.name}) has no vote destinations")
            else:
                print("\n".join(line for item in overview for line in destination_lines(item.destination, item.health)))
        elif action == "test":
            return await _test(service, operator, server, args)
        elif action == "replay":
            chosen = (
                [await service.destination(server, args.name)]
                if args.name
                else await service.repository.of_server(server.id)
            )
            replayed = await service.replay(chosen)
            where = ", ".join(d.name for d in chosen) or "no destination"
            if not replayed:
                print(f"No dead letters for {where}, so there is nothing to replay.")
            else:
                them = "it" if replayed == 1 else "them"
                print(f"{plural(replayed, 'dead letter')} of {where} queued again; a running bot delivers {them} now.")
        else:
            destination = await service.destination(server, args.name)
            if action == "pause":
                await service.pause(destination)
                print(f"paused {destination.name}: its votes stay queued until `votebot forward resume`")
            elif action == "resume":
                backlog = await service.resume(destination)
                print(f"resumed {destination.name}: {plural(backlog, 'queued vote')} to send")
            elif action == "remove":
                health = await service.remove(destination)
                print(
                    f"removed {destination.name} of server {server.id}; deleted with it: "
                    f"{plural(health.backlog, 'queued vote')}, {plural(health.dead, 'dead letter')}"
                )
    return 0


async def _test(service: Any, operator: ModuleType, server: Any, args: argparse.Namespace) -> int:
    destination = await service.destination(server, args.name)
    try:
        answer = await service.test(server, destination, args.player)
    except operator.DeliveryFailed as failure:
        print(f"votebot: the test vote did not reach {destination.name} ({destination.shown}): {failure.english}",
              file=sys.stderr)  # fmt: skip
        return 1
    if answer:
        print(f"test vote delivered to {destination.name} ({destination.shown}); it answered: {answer}")
    elif str(destination.kind) == "votifier_v1":
        print(f"test vote written to {destination.name} ({destination.shown}); Votifier v1 does not confirm votes")
    else:
        print(f"test vote delivered to {destination.name} ({destination.shown})")
    return 0
