"""Outside text (player names, server names) made safe for Discord messages."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit, urlunsplit

import discord

from bot.core.i18n import _

MAX_NAME = 200
# zero-width, bidi controls and other invisible characters used to dodge filters or fake names
_INVISIBLE = re.compile("[\u0000-\u001f\u007f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def clean_player_name(name: str) -> str:
    """Invisible characters removed, whitespace collapsed, at most 200 characters."""
    return " ".join(_INVISIBLE.sub("", name).split())[:MAX_NAME]


def safe_name(name: str | None, fallback: str | None = None) -> str:
    """A player name ready to show: cleaned, markdown and mentions escaped (``@everyone`` pings no one); with no
    name, ``fallback`` (already translated), else "Someone" in the language in force."""
    cleaned = clean_player_name(name or "")
    if not cleaned:
        # Translators: stands for a voter whose name is unknown ("Someone voted").
        return fallback if fallback is not None else _("Someone")
    return discord.utils.escape_mentions(discord.utils.escape_markdown(cleaned))


def escape(text: str) -> str:
    """Outside text (server names, prizes, titles) shown in a message: markdown and mentions escaped."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 vote``, ``2 votes`` — English only (the CLI); texts people read in Discord use ``n_()``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


_SECRET_PARAMETERS = frozenset({"password", "sslpassword", "pass", "passwd", "sslkey", "token", "secret"})


def mask(secret: str) -> str:
    """Show that a secret is set without revealing it (a URL keeps all but its passwords, in userinfo or query)."""
    if "://" in secret:
        try:
            parts = urlsplit(secret)
            password = parts.password
        except ValueError:  # unparsable: show nothing of it
            return "****"
        netloc = parts.netloc
        if password:
            user_info, _, host = netloc.rpartition("@")
            netloc = f"{user_info.partition(':')[0]}:****@{host}"
        query = "&".join(
            f"{name}=****" if name.lower() in _SECRET_PARAMETERS else f"{name}={value}" if sep else name
            for name, sep, value in (part.partition("=") for part in parts.query.split("&") if part)
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return f"****{secret[-4:]}" if len(secret) >= 16 else "****"


def user_mention(user_id: int) -> str:
    return f"<@{user_id}>"


def role_mention(role_id: int) -> str:
    return f"<@&{role_id}>"


def channel_mention(channel_id: int) -> str:
    return f"<#{channel_id}>"


def relative_time(when: dt.datetime) -> str:
    """A Discord timestamp every client shows in its own language and zone ("in 10 minutes")."""
    return f"<t:{int(when.timestamp())}:R>"
