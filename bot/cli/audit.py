"""``votebot audit --server N [--limit 50] [--before ID]``: a server's audit log, newest first, in English."""

from __future__ import annotations

import argparse
import datetime as dt

import asyncpg

from bot.app.extensions import features
from bot.cli.args import positive, record_id
from bot.cli.args import server_id as server_id_arg
from bot.core.audit_texts import describe, who
from bot.db.audit import AuditEntry, AuditRepository


def add_arguments(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    audit = commands.add_parser("audit", parents=[common], help="who changed what and when for a server (newest first)")
    audit.add_argument(
        "--server",
        dest="server_id",
        type=server_id_arg,
        required=True,
        metavar="ID",
        help="the server id (`votebot server list` shows them); a removed server's log stays",
    )
    audit.add_argument("--limit", type=positive, default=50, metavar="N", help="at most N entries (default 50)")
    audit.add_argument("--before", type=record_id, metavar="ENTRY", help="only entries older than this entry id")


def entry_line(entry: AuditEntry) -> str:
    """``#12  2026-12-01 20:07 UTC · alice (Discord) · Turned on Reminders in channel 777``."""
    when = entry.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"#{entry.id}  {when} · {who(entry)} · {describe(entry, features())}"


async def audit_command(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    entries = await AuditRepository(pool).list_for_server(args.server_id, limit=args.limit, before_id=args.before)
    if not entries:
        print(f"server {args.server_id} has no audit log entries" + (f" before #{args.before}" if args.before else ""))
        return
    print("\n".join(entry_line(entry) for entry in entries))
