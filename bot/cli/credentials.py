"""``votebot server secret`` and ``votebot server show``: provider credentials from the command line.

Secrets are printed only when the bot generated them (once), otherwise only as a fingerprint.
"""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg

from bot.app.config import Config
from bot.app.extensions import features
from bot.cli.args import server_id as server_id_arg
from bot.core.audit import record_change
from bot.core.errors import UserError
from bot.core.servers import ServerService
from bot.db.credentials import CredentialRepository, fingerprint
from bot.votes.credentials import (
    CREDENTIAL_KINDS,
    PLACEHOLDER,
    SETTING_KEYS,
    Endpoints,
    check_generate,
    check_secret,
    check_setting,
    describe,
    generated_secret_text,
    new_secret,
    provider_name,
    secret_change,
    settings_text,
    store_secret,
)


def add_arguments(server_cmds: Any, common: argparse.ArgumentParser) -> None:
    secret = server_cmds.add_parser("secret", parents=[common], help="set or rotate a provider secret of a server")
    secret.add_argument("server_id", type=server_id_arg, metavar="SERVER_ID")
    secret.add_argument("--provider", required=True, choices=CREDENTIAL_KINDS)
    source = secret.add_mutually_exclusive_group(required=True)
    source.add_argument("--secret", help="the secret the listing site shows (votifier: the v2 token)")
    source.add_argument(
        "--generate",
        action="store_true",
        help="generate a random secret and print it once (votifier, events: the secrets the bot may choose)",
    )
    secret.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="provider setting, e.g. gm_server_id=123"
    )
    secret.add_argument("--service", metavar="NAME", help="votifier: token only for this list's service name")
    show = server_cmds.add_parser("show", parents=[common], help="show a server's webhook URLs and credentials")
    show.add_argument("server_id", type=server_id_arg, metavar="SERVER_ID")
    show.add_argument("--json", action="store_true")


def _settings(provider: str, pairs: list[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in SETTING_KEYS[provider]:
            allowed = SETTING_KEYS[provider]
            usage = (
                f" (use --set {allowed[0]}=VALUE)" if len(allowed) == 1 else " (use --set KEY=VALUE)" if allowed else ""
            )
            raise UserError(f"--set {pair}: {settings_text(provider).removesuffix('.')}{usage}.")
        try:
            settings[key] = check_setting(provider, key, value)
        except UserError as exc:
            raise UserError(f"--set {key}: {exc}") from None
    return settings


async def set_secret(pool: asyncpg.Pool, args: argparse.Namespace) -> str:
    server = await ServerService(pool, features()).get(args.server_id)
    repo = CredentialRepository(pool)
    provider: str = args.provider
    settings = _settings(provider, args.set)
    if args.generate:
        try:
            check_generate(provider)
        except UserError as exc:
            raise UserError(f"--generate: {exc}") from None
    value: str = new_secret() if args.generate else args.secret
    try:
        check_secret(value or "", provider)
    except UserError as exc:
        raise UserError(f"--secret: {exc}") from None
    lines: list[str] = []
    if provider == "votifier" and args.service:
        current = await repo.get(server.id, provider)
        if current is None:
            raise UserError("set the default Votifier token first (without --service)")
        tokens = dict(current.settings.get("service_tokens") or {})
        tokens[args.service] = value
        await repo.update_settings(server.id, provider, {"service_tokens": tokens})
        lines.append(
            f"Votifier token for the service “{args.service}” of server {server.id} ({server.name}) set, "
            f"fingerprint {fingerprint(value)}."
        )
    elif provider == "votifier":
        await store_secret(repo, server.id, provider, value)
        lines.append(
            f"Votifier token of server {server.id} ({server.name}) set, fingerprint {fingerprint(value)}; "
            "the v1 key pair is ready."
        )
    else:
        await store_secret(repo, server.id, provider, value, settings)
        kind = ""
        if provider == "topgg":
            kind = "a v1 webhook secret, " if value.startswith("whs_") else "a legacy v0 Authorization value, "
        lines.append(
            f"{provider_name(provider)} secret of server {server.id} ({server.name}) set: "
            f"{kind}fingerprint {fingerprint(value)}."
        )
    service = args.service if provider == "votifier" else None
    await record_change(pool, server, "provider.secret", secret_change(provider, value, service))
    if args.generate:
        lines.append(generated_secret_text(provider, value).replace("`", ""))
    lines.append(f"`votebot server show {server.id}` prints the URLs to paste.")
    return "\n".join(lines)


async def show(pool: asyncpg.Pool, config: Config, server_id: int) -> dict[str, Any]:
    server = await ServerService(pool, features()).get(server_id)
    repo = CredentialRepository(pool)
    credentials = {c.provider: c for c in await repo.list_for_server(server.id)}
    connections = await repo.topgg_connections(server.id)
    providers = {p: describe(endpoints(config), server.id, credentials.get(p), p) for p in CREDENTIAL_KINDS}
    providers["topgg"]["integrations"] = [
        {"connection_id": c.connection_id, "secret": fingerprint(c.webhook_secret)} for c in connections
    ]
    return {
        "id": server.id,
        "guild_id": server.guild_id,
        "name": server.name,
        "public_url": config.webhooks.public_url or None,
        "providers": providers,
    }


def render(data: dict[str, Any]) -> str:
    lines = [f"server {data['id']}: {data['name']} (guild {data['guild_id']})"]
    if not data["public_url"]:
        lines.append(f"note: webhooks.public_url is not set; replace {PLACEHOLDER} with the address sites reach")
    for provider, info in data["providers"].items():
        state = f"secret {info['secret']}" if info["configured"] else "not configured"
        lines.append(f"{provider}: {state}")
        for key in ("version", "webhook_url", "integration_url", "host", "port", "public_key"):
            if info.get(key) is not None:
                lines.append(f"  {key.replace('_', ' ')}: {info[key]}")
        for key, value in (info.get("settings") or {}).items():
            lines.append(f"  {key}: {value}")
        for name, tag in (info.get("service_tokens") or {}).items():
            lines.append(f"  token for service {name}: {tag}")
        for connection in info.get("integrations") or []:
            lines.append(f"  integration {connection['connection_id']}: secret {connection['secret']}")
    return "\n".join(lines)


def endpoints(config: Config) -> Endpoints:
    """Where listing sites reach this bot, from the configuration."""
    return Endpoints(config.webhooks.public_url, config.votifier.port, config.votifier.enabled)
