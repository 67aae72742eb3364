"""Run the fake standalone: ``python -m tests.fakediscord --host 127.0.0.1 --port 8900 --token TOKEN``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from pathlib import Path

from .server import FakeDiscord


async def _run(args: argparse.Namespace) -> None:
    fake = FakeDiscord(
        token=args.token,
        host=args.host,
        port=args.port,
        shard_count=args.shards,
        heartbeat_interval_ms=args.heartbeat_interval,
        rate_limits=args.rate_limits,
    )
    await fake.start()
    for path in args.guild or []:
        fake.add_guild(json.loads(Path(path).read_text()))
    if args.bulk_guilds:
        fake.add_guilds_bulk({"count": args.bulk_guilds})
    print(fake.api_base_url, flush=True)
    print(f"# control API: {fake.base_url}/_fake/  bot user id: {fake.bot_user_id}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakediscord", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--shards", type=int, default=1, help="shard count announced by GET /gateway/bot")
    parser.add_argument(
        "--heartbeat-interval", type=int, default=41250, metavar="MS", help="gateway heartbeat interval (Discord's)"
    )
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Discord's rate limits (see the README's table)"
    )
    parser.add_argument(
        "--bulk-guilds", type=int, default=0, metavar="N", help="create N small guilds (POST /_fake/guilds/bulk)"
    )
    parser.add_argument("--guild", action="append", help="JSON file with a guild (same shape as POST /_fake/guilds)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
