"""``votebot send-test-vote``: sign a vote exactly as the provider would and send it to a running bot.

The secret comes from the database, so a 2xx proves the whole chain: URL, credential, verification,
parsing and the ledger. GAMEMONITORING is sent as an ``is_test`` delivery (a real one would make the
bot fetch the vote from GAMEMONITORING's API); expect 204. Votifier uses v2 with the stored token, or
v1 with the public key (``--v1``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from bot.app.config import Config
from bot.app.extensions import features
from bot.cli.args import server_id, snowflake
from bot.core.errors import UserError
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository
from bot.votes.model import PROVIDERS
from bot.votes.votifier.protocol import send_test_vote as send_votifier_vote
from bot.web.providers import sign_gamemonitoring, sign_topgg_v1, sign_topserver

DEFAULT_PLAYER = "VotebotTest"
DEFAULT_USER = 100000000000000001


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    text: str


def add_arguments(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("send-test-vote", parents=[common], help="send a signed test vote to a running bot")
    parser.add_argument("--server", type=server_id, required=True, metavar="ID")
    parser.add_argument("--provider", required=True, choices=PROVIDERS)
    parser.add_argument("--player", default=DEFAULT_PLAYER, help="player name (Top-Server, Votifier)")
    parser.add_argument("--user", type=snowflake, default=DEFAULT_USER, metavar="DISCORD_ID", help="voter (Top.gg)")
    parser.add_argument("--url", help="bot address (default http://127.0.0.1:<webhooks.port>, votifier host:port)")
    parser.add_argument("--v1", action="store_true", help="votifier: send a v1 (RSA) vote instead of v2")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", **headers},
                timeout=aiohttp.ClientTimeout(total=15),
            ) as response,
        ):
            text = await response.text()
            return Outcome(200 <= response.status < 300, f"POST {url}\nHTTP {response.status}\n{text}".rstrip())
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UserError(f"could not reach {url}: {exc or type(exc).__name__}") from None


async def send(pool: asyncpg.Pool, config: Config, args: argparse.Namespace) -> Outcome:
    server = await ServerService(pool, features()).get(args.server)
    repo = CredentialRepository(pool)
    credential = await repo.get(server.id, args.provider)
    now = dt.datetime.now(dt.UTC)
    if args.provider == "votifier":
        if credential is None:
            raise UserError(f"server {server.id} has no votifier token; set one with `votebot server secret`")
        target = urlsplit(args.url if args.url and "//" in args.url else f"tcp://{args.url or ''}")
        host = target.hostname or "127.0.0.1"
        port = target.port or config.votifier.port
        public_key = credential.settings.get("public_key") if args.v1 else None
        if args.v1 and not public_key:
            raise UserError(f"server {server.id} has no Votifier v1 key pair")
        try:
            reply = await send_votifier_vote(
                host,
                port,
                username=args.player,
                token=None if args.v1 else credential.secret,
                public_key=public_key,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserError(f"Votifier at {host}:{port}: {exc or type(exc).__name__}") from None
        if reply is None:
            return Outcome(True, f"Votifier v1 vote sent to {host}:{port} (v1 has no reply; check the bot's log)")
        return Outcome(reply.get("status") == "ok", f"Votifier v2 {host}:{port}\n{json.dumps(reply)}")

    base = (args.url or f"http://127.0.0.1:{config.webhooks.port}").rstrip("/")
    url = f"{base}/webhooks/{args.provider}/{server.id}"
    secret = credential.secret if credential is not None else None
    if args.provider == "topgg" and secret is None:
        connections = await repo.topgg_connections(server.id)
        secret = connections[0].webhook_secret if connections else None
    if secret is None:
        raise UserError(f"server {server.id} has no {args.provider} secret; set one with `votebot server secret`")
    if args.provider == "topserver":
        topserver_id = str((credential.settings if credential else {}).get("topserver_id") or "votebot-test")
        body = json.dumps(
            {
                "event": "vote",
                "serverId": topserver_id,
                "voteId": f"test-{secrets.token_hex(8)}",
                "player": args.player,
                "votedAt": _iso(now),
            },
            separators=(",", ":"),
        ).encode()
        return await _post(
            url, body, {"x-topserver-event": "vote", "x-topserver-signature": sign_topserver(secret, body)}
        )
    if args.provider == "topgg":
        if not secret.startswith("whs_"):
            body = json.dumps({"bot": "1", "user": str(args.user), "type": "upvote", "isWeekend": False}).encode()
            return await _post(url, body, {"Authorization": secret})
        project = str((credential.settings if credential else {}).get("project_id") or "1")
        body = json.dumps(
            {
                "type": "vote.create",
                "data": {
                    "id": str(secrets.randbelow(10**17) + 10**17),
                    "weight": 1,
                    "created_at": now.isoformat(),
                    "expires_at": (now + dt.timedelta(hours=12)).isoformat(),
                    "project": {"id": project, "type": "bot", "platform": "discord", "platform_id": project},
                    "user": {"id": str(args.user), "platform_id": str(args.user), "name": args.player},
                },
            },
            separators=(",", ":"),
        ).encode()
        return await _post(url, body, {"x-topgg-signature": sign_topgg_v1(secret, body, int(time.time()))})
    payload = {"event_type": "server.vote", "event_id": f"test-{secrets.token_hex(8)}", "is_test": True}
    return await _post(url, json.dumps(sign_gamemonitoring(secret, payload)).encode(), {})
