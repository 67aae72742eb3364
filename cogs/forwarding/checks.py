"""What owners type for a destination, checked before anything is stored (names, addresses, URLs, keys)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.core.addresses import resolve
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.validation import clean_address
from bot.votes.credentials import provider_name
from bot.votes.model import PROVIDERS
from bot.votes.votifier.protocol import load_public_key

MAX_NAME = 40
MAX_URL = 512
MAX_TOKEN = 1024
DEFAULT_VOTIFIER_PORT = 8192
_NAME = re.compile(r"[\w][\w .-]*")


def clean_destination_name(value: str) -> str:
    text = " ".join(value.split())
    if not text or len(text) > MAX_NAME or not _NAME.fullmatch(text):
        raise UserError(
            _(
                "A destination name is 1 to {limit} letters, digits, spaces, dots, - or _, e.g. “survival”.",
                limit=str(MAX_NAME),
            )
        )
    return text


def clean_providers(value: str | None) -> tuple[str, ...]:
    """``topgg, topserver`` → the listing sites whose votes go to the destination; empty or ``all``: every one."""
    if value is None or value.strip().lower() in ("", "all"):
        return ()
    chosen = [part.strip().lower() for part in re.split(r"[,\s]+", value) if part.strip()]
    unknown = [part for part in chosen if part not in PROVIDERS]
    if unknown:
        raise UserError(
            _(
                "I don't know the listing site {site}. Choose from: {sites} (or all).",
                site=repr(unknown[0][:20]),
                sites=", ".join(PROVIDERS),
            )
        )
    return tuple(dict.fromkeys(chosen))


def providers_text(providers: tuple[str, ...]) -> str:
    return ", ".join(provider_name(p) for p in providers) if providers else _("every listing site")


async def clean_votifier_address(value: str, *, allow_private: bool) -> tuple[str, int]:
    """``host`` or ``host:port`` (NuVotifier's port is 8192 unless its config says otherwise), public unless the
    operator allows private addresses."""
    address = clean_address(value)
    if address is None:
        raise UserError(_("Give the game server's Votifier address as host or host:port, e.g. play.example.com:8192."))
    if address.startswith("["):  # [2001:db8::1]:8192
        host, _bracket, rest = address[1:].partition("]")
        port_text = rest[1:]
    else:
        host, _colon, port_text = address.partition(":")
    port = int(port_text) if port_text else DEFAULT_VOTIFIER_PORT
    await resolve(host, allow_private=allow_private)
    return host, port


async def clean_webhook_url(value: str, *, allow_private: bool) -> str:
    text = value.strip()
    parts = urlsplit(text)
    secure = parts.scheme == "https" or (allow_private and parts.scheme == "http")
    if len(text) > MAX_URL or not secure or not parts.hostname or parts.username or parts.password:
        raise UserError(
            _(
                "The webhook URL must be an https:// address of at most {limit} characters, without a user name "
                "or password in it.",
                limit=str(MAX_URL),
            )
        )
    await resolve(parts.hostname, allow_private=allow_private)
    return text


def clean_token(value: str) -> str:
    text = value.strip()
    if not 8 <= len(text) <= MAX_TOKEN or any(ch.isspace() for ch in text):
        raise UserError(
            _(
                "Paste the NuVotifier token of the game server: the line after `tokens:` in "
                "plugins/Votifier/config.yml (8 to {limit} characters, no spaces).",
                limit=str(MAX_TOKEN),
            )
        )
    return text


def clean_public_key(value: str) -> str:
    text = "".join(value.split())
    try:
        load_public_key(text)
    except (ValueError, TypeError):
        raise UserError(
            _(
                "That is not a Votifier public key. Paste the contents of plugins/Votifier/rsa/public.key (base64, "
                "one line) from the game server."
            )
        ) from None
    return text
