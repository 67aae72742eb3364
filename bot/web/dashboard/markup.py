"""The bot's answers, written for Discord (``**bold**``, ``<#channel>``, ``<@&role>``, escaped markdown), as HTML."""

from __future__ import annotations

import html
import re

import discord
from markupsafe import Markup

_ESCAPED = re.compile(r"\\([*_~`|>\\])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_CHANNEL = re.compile(r"&lt;#(\d{1,20})&gt;")
_ROLE = re.compile(r"&lt;@&amp;(\d{1,20})&gt;")
_LINK = re.compile(r"&lt;(https?://[^\s&]+)&gt;")


def discord_markup(text: str, guild: discord.Guild | None = None) -> Markup:
    """Safe HTML of ``text``: escaped first, then bold, code, channel and role mentions by name."""
    shown = html.escape(text, quote=True)

    def channel(match: re.Match[str]) -> str:
        found = guild.get_channel(int(match.group(1))) if guild is not None else None
        return "#" + html.escape(found.name) if found is not None else "#" + match.group(1)

    def role(match: re.Match[str]) -> str:
        found = guild.get_role(int(match.group(1))) if guild is not None else None
        return "@" + html.escape(found.name) if found is not None else "@" + match.group(1)

    shown = _CHANNEL.sub(channel, shown)
    shown = _ROLE.sub(role, shown)
    shown = _LINK.sub(r"\1", shown)
    shown = _CODE.sub(r"<code>\1</code>", shown)
    shown = _BOLD.sub(r"<strong>\1</strong>", shown)
    shown = _ESCAPED.sub(r"\1", shown)
    return Markup(shown.replace("\n", "<br>"))  # noqa: S704 - every part was escaped above
