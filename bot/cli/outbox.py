"""``votebot outbox`` (delivery backlog and dead letters) and ``votebot outbox replay`` (deliver them again)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import asyncpg

from bot.cli.args import record_id
from bot.core.text import plural
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
            print("No dead letters matched, so there is nothing to replay.")
            return
        for vote_id, consumer in replayed:
            print(f"vote {vote_id}: {consumer} queued again")
        them = "it" if len(replayed) == 1 else "them"
        print(f"{plural(len(replayed), 'dead letter')} queued again; a running bot delivers {them} at once.")
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
    print(summary(stats.backlog, stats.retrying, stats.lag_seconds, stats.dead_letters))
    for d in letters:
        print(
            f"  vote {d.vote_id} (server {d.server_id}, {d.provider}, {d.voted_at:%Y-%m-%d %H:%M} UTC): "
            f"{d.consumer} gave up after {d.attempts} attempts at {d.dead_at:%Y-%m-%d %H:%M} UTC: {d.last_error}"
        )
    if letters:
        print("replay them with: votebot outbox replay [--vote VOTE_ID] [--consumer NAME]")


def summary(backlog: int, retrying: int, lag_seconds: float, dead: int) -> str:
    """``No votes waiting, no dead letters.``, or e.g.
    ``3 votes waiting for delivery (1 retrying), oldest 42 s; 1 dead letter.``"""
    if not backlog and not dead:
        return "No votes waiting, no dead letters."
    if backlog:
        retry = f" ({retrying} retrying)" if retrying else ""
        waiting = f"{plural(backlog, 'vote')} waiting for delivery{retry}, oldest {lag_seconds:.0f} s"
    else:
        waiting = "No votes waiting for delivery"
    letters = plural(dead, "dead letter") if dead else "no dead letters"
    return f"{waiting}; {letters}."
