"""Validation of what owners type: names, vote URLs, games, addresses."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import ipaddress
import math
import re
import unicodedata
import zoneinfo
from urllib.parse import urlsplit

from bot.core import i18n
from bot.core.errors import UserError
from bot.core.i18n import N_, _

MAX_NAME = 100
MAX_URL = 512
MAX_GAME = 64
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$", re.I)


def is_ascii_digits(text: str) -> bool:
    """``"25565"`` yes; ``"²"``, ``"٣"`` or ``"-1"`` no (``str.isdigit`` says yes to the first two)."""
    return text.isascii() and text.isdigit()


_MARKDOWN = re.compile(r"([\\*_`~|>])")  # discord.utils.escape_markdown, without importing discord in the core


def quoted(value: object, limit: int = 40) -> str:
    """Outside input quoted in a reply: “Europe/Berlin”, cut to ``limit`` characters (a 300-character typo is not
    echoed back whole), markdown escaped."""
    shown = " ".join(str(value).split())
    shown = shown if len(shown) <= limit else shown[: limit - 1] + "…"
    escaped = _MARKDOWN.sub(r"\\\1", shown)
    return f"“{escaped}”"


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in text)


# What clean_name says about each kind of name (``what``): whole sentences, so each language words them its way.
_NAME_TEXTS: dict[str, tuple[str, str, str]] = {
    "name": (
        N_("The name must not be empty."),
        N_("The name is {length} characters long; the limit is {limit}."),
        N_("The name contains invisible or control characters."),
    ),
    "category": (
        N_("The category must not be empty."),
        N_("The category is {length} characters long; the limit is {limit}."),
        N_("The category contains invisible or control characters."),
    ),
}


def clean_name(value: str, *, what: str = "name", limit: int = MAX_NAME) -> str:
    """``what`` is ``name`` or ``category`` (a key of :data:`_NAME_TEXTS`)."""
    empty, too_long, invisible = _NAME_TEXTS[what]
    text = " ".join(value.split())
    if not text:
        raise UserError(_(empty))
    if len(text) > limit:
        raise UserError(_(too_long, length=str(len(text)), limit=str(limit)))
    if _has_control_chars(text):
        raise UserError(_(invisible))
    return text


def clean_vote_url(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_URL:
        raise UserError(
            _(
                "The vote URL is {length} characters long; the limit is {limit}.",
                length=str(len(text)),
                limit=str(MAX_URL),
            )
        )
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"}:
        raise UserError(_("The vote URL must start with http:// or https://."))
    if not parts.hostname or any(ch.isspace() for ch in text) or _has_control_chars(text):
        raise UserError(_("The vote URL is not a valid web address."))
    if parts.username or parts.password:
        raise UserError(_("The vote URL must not contain a user name or password."))
    return text


def clean_game(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if len(text) > MAX_GAME or not re.fullmatch(r"[a-z0-9][a-z0-9 _.:-]*", text):
        raise UserError(_("The game must be a short name such as 'minecraft', 'rust' or 'csgo'."))
    return text


AUTO_LANGUAGE = "auto"
"""What ``/setup options language`` and ``--language`` take to follow the guild's preferred locale again."""


def clean_language(value: str) -> str | None:
    """A language code of :data:`bot.core.i18n.LANGUAGES` (``fr``, ``pt-BR``; any case), or None for ``auto``."""
    text = value.strip()
    if text.lower() == AUTO_LANGUAGE:
        return None
    found = next((lang for lang in i18n.LANGUAGES if lang.code.lower() == text.lower()), None)
    if found is None:
        raise UserError(
            _(
                "I don't speak {language}. Choose one of: {languages}, or {auto} to follow the Discord server's "
                "language.",
                language=repr(text[:20]),
                languages=", ".join(lang.code for lang in i18n.LANGUAGES),
                auto=AUTO_LANGUAGE,
            )
        )
    return found.code


def clean_address(value: str | None) -> str | None:
    """``host`` or ``host:port`` (IPv6 as ``[addr]:port``); returns the normalised form."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    host, port = text, None
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            raise UserError(_("The address has an unclosed '[' (IPv6 addresses look like [2001:db8::1]:25565)."))
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise UserError(_("The address must look like host:port."))
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    if port is not None and (not is_ascii_digits(port) or not 1 <= int(port) <= 65535):
        raise UserError(_("The port must be a number between 1 and 65535."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            raise UserError(_("{host} is not a valid host name or IP address.", host=quoted(host))) from None
    shown_host = f"[{host}]" if ":" in host else host.lower()
    return f"{shown_host}:{int(port)}" if port is not None else shown_host


# The listing sites' cooldowns run from 1 h (a few Minecraft lists) to 24 h; anything shorter is a typo, and
# the reminders feature would ping its channel every time it ran out.
MIN_COOLDOWN = dt.timedelta(hours=1)
MAX_COOLDOWN = dt.timedelta(days=7)


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name by its lower-case form (``europe/berlin`` → ``Europe/Berlin``)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def clean_timezone(value: str) -> str:
    """An IANA time zone name such as ``Europe/Berlin``, typed in any case (``europe/berlin``, ``utc``); stored as
    the zone database spells it. An unknown name is refused with the closest zone when there is one."""
    text = "_".join(value.split())  # "America/New York" → America/New_York
    known = _zone_names()
    name = known.get(text.lower())
    if name is None:
        try:
            zoneinfo.ZoneInfo(text)  # a zone the system has but does not list
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(text.lower(), known, n=1, cutoff=0.8)
            if close:
                problem = _(
                    "{value} is not a time zone. Did you mean {zone}?", value=quoted(value), zone=known[close[0]]
                )
            else:
                problem = _(
                    "{value} is not a time zone. Use a name like Europe/Berlin, America/New_York or UTC.",
                    value=quoted(value),
                )
            raise UserError(problem) from None
        name = text
    return name


def clean_cooldown(hours: float) -> dt.timedelta:
    """The server's vote cooldown in hours (when members may vote again on the listing site), 1 h to 7 days."""
    if not math.isfinite(hours) or not MIN_COOLDOWN <= dt.timedelta(hours=hours) <= MAX_COOLDOWN:
        if not math.isfinite(hours):
            raise UserError(
                _(
                    "The vote cooldown must be 1 to 168 hours (one week), not that. Use the same cooldown as your "
                    "listing site."
                )
            )
        raise UserError(
            _(
                "The vote cooldown must be 1 to 168 hours (one week), not {hours}. Use the same cooldown as your "
                "listing site.",
                hours=i18n.number(hours, digits=3),
            )
        )
    return dt.timedelta(seconds=round(hours * 3600))
