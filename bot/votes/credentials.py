"""A server's provider secrets: setting and rotating them, and what an owner pastes into each listing site.

Shared by ``/setup provider``, the dashboard's listing sites page and ``votebot server secret`` / ``votebot server
show``: :func:`save_secret` stores a secret and records it in the audit log, the one way owners set secrets.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.core.audit import record_change
from bot.core.errors import UserError
from bot.core.i18n import N_, _, n_
from bot.db.credentials import CredentialRepository, ProviderCredential, fingerprint
from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.transaction import transaction
from bot.votes.model import PROVIDERS
from bot.votes.votifier.keys import set_votifier_token

CREDENTIAL_KINDS: tuple[str, ...] = (*PROVIDERS, "events")  # "events": the signed event API
MAX_SECRET = 4096
MIN_SECRET = 16  # a listing site's generated secrets are longer; a short one could be guessed
SETTING_KEYS: dict[str, tuple[str, ...]] = {
    "topserver": ("topserver_id",),
    "topgg": ("project_id",),
    "gamemonitoring": ("gm_server_id",),
    "votifier": (),
    "events": (),
}
PLACEHOLDER = "<set webhooks.public_url>"
# How each provider is named to people (owners, operators), spelled as the site spells itself (PROTOCOLS.md).
# The sites' names are brand names (not translated); the bot's own event API is named in words.
PROVIDER_NAMES: dict[str, str] = {
    "topserver": "Top-Server",
    "topgg": "Top.gg",
    "gamemonitoring": "GAMEMONITORING",
    "votifier": "Votifier",
    "events": N_("Event API"),
}
# Why a secret the site makes can't be generated, naming what the site calls it ("Top-Server makes its push
# secret itself").
OWN_SECRET_REFUSALS: dict[str, str] = {
    "topserver": N_(
        "{site} makes its push secret itself, so a secret I generated would never match. Copy it from {site} "
        "instead. I can generate only the Votifier token and the event API secret."
    ),
    "topgg": N_(
        "{site} makes its webhook secret itself, so a secret I generated would never match. Copy it from {site} "
        "instead. I can generate only the Votifier token and the event API secret."
    ),
    "gamemonitoring": N_(
        "{site} makes its token itself, so a secret I generated would never match. Copy it from {site} instead. "
        "I can generate only the Votifier token and the event API secret."
    ),
}
OWN_SECRET_REFUSAL = N_(
    "{site} makes its secret itself, so a secret I generated would never match. Copy it from {site} instead. I "
    "can generate only the Votifier token and the event API secret."
)
# The line that shows a generated secret, with where the owner pastes it.
GENERATED_TEXTS: dict[str, str] = {
    "votifier": N_(
        "Generated secret, shown only once. Paste it into your server list's Votifier settings now: `{secret}`"
    ),
    "events": N_(
        "Generated secret, shown only once. Paste it into the program that sends events to the bot now: `{secret}`"
    ),
}
GENERATED_TEXT = N_("Generated secret, shown only once. Paste it into {site} now: `{secret}`")
# Secrets the bot may choose, because the owner pastes them into the other side: the Votifier token (the bot is
# the Votifier server) and the event API secret (the bot's own API). Top-Server's push secret, Top.gg's webhook
# secret and GAMEMONITORING's token are made by the site, so a generated one would never match.
GENERATED_KINDS: tuple[str, ...] = ("votifier", "events")
MAX_SETTING = 200
MAX_GM_SERVER_ID = 20
# How a provider setting is named to people (the key itself for one without a label).
SETTING_LABELS = {"gm_server_id": N_("GAMEMONITORING server id")}
# The secret field of each provider's form: its label, and a hint where to find the value (at most 100 characters).
# Labels hold at most 45 characters (a Discord form's), placeholders 100.
SECRET_INPUTS: dict[str, tuple[str, str]] = {
    "topserver": (N_("Push secret (from Top-Server)"), N_("Shown in your server's settings on Top-Server")),
    "topgg": (N_("Webhook secret (from Top.gg)"), N_("Starts with whs_ (or your legacy Authorization value)")),
    "gamemonitoring": (N_("API token (from GAMEMONITORING)"), N_("Your token from your GAMEMONITORING account")),
    "votifier": (N_("Votifier token"), N_("The v2 token you give your server list, 16+ characters")),
    "events": (N_("Event API secret"), N_("The secret your site signs events with, 16+ characters")),
}
# Translators: the secret field of the form in which an admin types a listing site's secret (at most 45 characters).
DEFAULT_SECRET_INPUT = (N_("Secret"), N_("At least 16 characters"))
# What :func:`describe` tells an owner to paste, with its label, in the order shown.
INFO_LABELS: tuple[tuple[str, str], ...] = (
    ("webhook_url", N_("Webhook URL to paste into the site")),
    ("integration_url", N_("Top.gg integration URL")),
    ("host", N_("Votifier host")),
    ("port", N_("Votifier port")),
    ("public_key", N_("Votifier public key")),
)


@dataclass(frozen=True, slots=True)
class Paste:
    """One thing an owner pastes into a listing site: its label (translated), and the value, or only the path
    after the bot's public address when nobody configured that address (``value`` is then empty)."""

    label: str
    value: str
    path_after_public_address: str = ""


def pastes(info: Mapping[str, object]) -> tuple[list[Paste], bool]:
    """What :func:`describe` tells to paste, in order, and whether the public address was missing for some."""
    found: list[Paste] = []
    missing = False
    for key, label in INFO_LABELS:
        value = info.get(key)
        if value is None:
            continue
        text = str(value)
        if text.startswith("<"):  # a placeholder for the public address nobody configured
            missing = True
            path = text.partition(">")[2]
            if path:
                found.append(Paste(_(label), "", path))
            continue
        found.append(Paste(_(label), text))
    return found, missing


NO_PUBLIC_ADDRESS = N_(
    "The bot's public address is not configured yet, so I can't show the full address to paste. Ask whoever runs "
    "the bot for it (they set `webhooks.public_url` in its configuration)."
)


def setting_label(key: str) -> str:
    """A provider setting's name in the language in force (``GAMEMONITORING server id``)."""
    return _(SETTING_LABELS[key]) if key in SETTING_LABELS else key


def provider_name(kind: str) -> str:
    """``Top-Server``, ``Top.gg``, ``Event API`` for a provider key (the key itself for one this table does not know).
    Also meant for the /setup provider choices and form titles. In the language in force (English at import, as a
    choice's name: the command translator translates those)."""
    return _(PROVIDER_NAMES[kind]) if kind in PROVIDER_NAMES else kind


def secret_change(kind: str, value: str, service: str | None = None) -> dict[str, str]:
    """The audit log's details of a stored secret: the provider (and its name as declared, translated where it is
    shown) and the secret's fingerprint, never the secret."""
    details = {"provider": kind, "label": PROVIDER_NAMES.get(kind, kind), "fingerprint": fingerprint(value)}
    if service:
        details["service"] = service
    return details


def generated_secret_text(kind: str, value: str) -> str:
    """The one line that shows a generated secret, with where to paste it (Discord and the CLI alike)."""
    if kind in GENERATED_TEXTS:
        return _(GENERATED_TEXTS[kind], secret=value)
    return _(GENERATED_TEXT, site=provider_name(kind), secret=value)


def check_generate(kind: str) -> None:
    """Refuse to generate a secret the listing site makes."""
    if kind not in GENERATED_KINDS:
        raise UserError(_(OWN_SECRET_REFUSALS.get(kind, OWN_SECRET_REFUSAL), site=provider_name(kind)))


def check_setting(kind: str, key: str, value: str) -> str:
    """A provider setting (``gm_server_id=123``) cleaned, or :class:`UserError` naming what is wrong."""
    if key not in SETTING_KEYS.get(kind, ()):
        raise UserError(
            _("{provider} has no setting “{key}”.", provider=provider_name(kind), key=key) + " " + settings_text(kind)
        )
    value = value.strip()
    if not value or len(value) > MAX_SETTING:
        raise UserError(_("The {key} must be 1 to {limit} characters.", key=key, limit=str(MAX_SETTING)))
    if key == "gm_server_id" and not (len(value) <= MAX_GM_SERVER_ID and value.isascii() and value.isdigit()):
        raise UserError(
            _(
                "The GAMEMONITORING server id is the number in the address of your server's page on GAMEMONITORING "
                "(digits only, at most {limit}).",
                limit=str(MAX_GM_SERVER_ID),
            )
        )
    return value


def settings_text(kind: str) -> str:
    """``Top-Server has one setting: topserver_id.`` — the provider settings an owner may give."""
    allowed = SETTING_KEYS.get(kind, ())
    name = provider_name(kind)
    if not allowed:
        return _("{provider} has no settings.", provider=name)
    if len(allowed) == 1:
        return _("{provider} has one setting: {setting}.", provider=name, setting=allowed[0])
    return _("{provider} has these settings: {settings}.", provider=name, settings=", ".join(allowed))


def check_secret(value: str, kind: str | None = None) -> str:
    """The secret, or :class:`UserError` saying what is wrong; ``kind`` words the advice for that provider."""
    if not value:
        raise UserError(_("The secret is empty."))
    if value != value.strip() or len(value) > MAX_SECRET or any(ord(ch) < 32 for ch in value):
        raise UserError(
            _(
                "The secret must be {low} to {high} visible characters, no surrounding spaces.",
                low=str(MIN_SECRET),
                high=str(MAX_SECRET),
            )
        )
    if len(value) < MIN_SECRET:
        problem = n_(
            "That secret is only {count} character long, and a guessable secret lets anyone forge votes.",
            "That secret is only {count} characters long, and a guessable secret lets anyone forge votes.",
            len(value),
        )
        if kind in GENERATED_KINDS:
            advice = _("Use at least {count} characters, or let me generate one.", count=str(MIN_SECRET))
        elif kind is not None:
            advice = _(
                "Copy the whole secret {provider} shows: it has at least {count} characters.",
                provider=provider_name(kind),
                count=str(MIN_SECRET),
            )
        else:
            advice = _(
                "Use at least {count} characters: copy the whole secret the listing site shows.", count=str(MIN_SECRET)
            )
        raise UserError(f"{problem} {advice}")
    return value


def new_secret() -> str:
    """A strong secret that never starts with "-" (a command line would read it as an option)."""
    while (value := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return value


async def store_secret(
    repo: CredentialRepository, server_id: int, kind: str, value: str, settings: dict[str, Any] | None = None
) -> str:
    """Store (or rotate) a secret and return its fingerprint; a Votifier v1 key pair / Top.gg integration
    token is created the first time."""
    if kind not in CREDENTIAL_KINDS:
        known = ", ".join(provider_name(k) for k in CREDENTIAL_KINDS)
        raise UserError(
            _("I don't know the provider “{provider}”. Choose one of: {known}.", provider=kind, known=known)
        )
    check_secret(value, kind)
    if kind == "votifier":
        await set_votifier_token(repo, server_id, value)
        return fingerprint(value)
    extra = dict(settings or {})
    if kind == "topgg":
        current = await repo.get(server_id, kind)
        if not (current and current.settings.get("integration_token")):
            extra["integration_token"] = secrets.token_urlsafe(24)
    await repo.set_secret(server_id, kind, value, extra or None)
    return fingerprint(value)


async def save_secret(
    db: Executor, server: Server, kind: str, value: str, settings: Mapping[str, str] | None = None
) -> str:
    """Store (or rotate) ``server``'s secret for ``kind`` with the provider settings typed beside it (an empty one
    keeps what is stored) and record it in the audit log as the actor in force, in one transaction; returns the
    fingerprint. A bad setting or secret changes nothing. What ``/setup provider`` and the dashboard both call."""
    cleaned = {key: check_setting(kind, key, text) for key, text in (settings or {}).items() if text.strip()}
    async with transaction(db) as connection:
        shown = await store_secret(CredentialRepository(connection), server.id, kind, value, cleaned)
        await record_change(connection, server, "provider.secret", secret_change(kind, value))
    return shown


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where listing sites reach this bot (from ``webhooks.public_url`` and the Votifier settings)."""

    public_url: str
    votifier_port: int
    votifier_enabled: bool


def integration_url(public_url: str, server_id: int, token: str) -> str:
    """The Top.gg integration configuration URL of a server (its token is a credential setting)."""
    return f"{public_url.rstrip('/')}/integrations/topgg?server={server_id}&token={token}"


def webhook_url(public_url: str, provider: str, server_id: int) -> str:
    path = f"/events/{server_id}" if provider == "events" else f"/webhooks/{provider}/{server_id}"
    return f"{public_url.rstrip('/')}{path}"


def describe(
    endpoints: Endpoints, server_id: int, credential: ProviderCredential | None, provider: str
) -> dict[str, Any]:
    """What an owner needs to configure ``provider`` for this server: URLs, the Votifier key, fingerprints."""
    base = endpoints.public_url or PLACEHOLDER
    info: dict[str, Any] = {"configured": credential is not None}
    if credential is not None:
        info["secret"] = fingerprint(credential.secret)
        info["settings"] = {k: v for k, v in credential.settings.items() if k in SETTING_KEYS[provider]}
    if provider == "votifier":
        host = urlsplit(endpoints.public_url).hostname if endpoints.public_url else None
        info["host"] = host or "<this machine's public address>"
        info["port"] = endpoints.votifier_port
        info["enabled"] = endpoints.votifier_enabled
        if credential is not None:
            info["public_key"] = credential.settings.get("public_key")
            info["service_tokens"] = {
                name: fingerprint(token) for name, token in (credential.settings.get("service_tokens") or {}).items()
            }
        return info
    info["webhook_url"] = webhook_url(base, provider, server_id)
    if provider == "topgg" and credential is not None:
        info["version"] = "v1" if credential.secret.startswith("whs_") else "v0"
        token = credential.settings.get("integration_token")
        if token:
            info["integration_url"] = integration_url(base, server_id, str(token))
    return info
