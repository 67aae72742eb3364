"""``votebot outbox`` (delivery backlog and dead letters) and ``votebot outbox replay`` (deliver them again)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import asyncpg

from bot.cli.args import record_id
from bot.votes.repository import dead_letters, outbox_stats, replay_dead_letters


def add_arguments(commands: Any, common: argparse.ArgumentParser) -> None:
    outbox = commands.add_parser(
        "outbox", parents=[common], help="show votes waiting for delivery and dead letters; replay them"
    )
    outbox.add_argument("--json", action="store_true")
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    replay = actions.add_parser("replay", parents=[common], help="deliver dead letters again (all by default)")
    replay.add_argument("--vote", type=record_id, metavar="VOTE_ID", help="only this vote's dead letters")
    replay.add_argument("--consumer", metavar="NAME", help="only this consumer's dead letters (e.g. rewards)")


async def outbox_command(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    if getattr(args, "outbox_command", None) == "replay":
        replayed = await replay_dead_letters(pool, vote_id=args.vote, consumer=args.consumer)
        if not replayed:
            print("no dead letters matched; nothing to replay")
            return
        for vote_id, consumer in replayed:
            print(f"vote {vote_id}: {consumer} queued again")
        print(f"{len(replayed)} dead letter(s) queued; a running bot delivers them at once")
        return
    stats = await outbox_stats(pool)
    letters = await dead_letters(pool)
    if args.json:
        data = {
            "backlog": stats.backlog,
            "retrying": stats.retrying,
            "dead_letters": stats.dead_letters,
            "lag_seconds": round(stats.lag_seconds, 3),
            "dead": [
                {
                    "vote_id": d.vote_id,
                    "consumer": d.consumer,
                    "attempts": d.attempts,
                    "error": d.last_error,
                    "dead_at": d.dead_at.isoformat(),
                    "server_id": d.server_id,
                    "provider": d.provider,
                    "voted_at": d.voted_at.isoformat(),
                }
                for d in letters
            ],
        }
        print(json.dumps(data, indent=2))
        return
    print(
        f"{stats.backlog} vote(s) waiting for delivery ({stats.retrying} retrying), oldest {stats.lag_seconds:.0f} s; "
        f"{stats.dead_letters} dead letter(s)"
    )
    for d in letters:
        print(
            f"  vote {d.vote_id} (server {d.server_id}, {d.provider}, {d.voted_at:%Y-%m-%d %H:%M} UTC): "
            f"{d.consumer} gave up after {d.attempts} attempts at {d.dead_at:%Y-%m-%d %H:%M} UTC: {d.last_error}"
        )
    if letters:
        print("replay them with: votebot outbox replay [--vote VOTE_ID] [--consumer NAME]")
