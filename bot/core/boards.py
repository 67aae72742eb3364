"""Self-updating board messages (status board, top-10 voters board, …).

One message per (server, feature), stored as the feature's ``message_id``. A refresh edits it only when
the rendered content changed (or when the last edit is older than ``refresh_floor``, so "last updated"
never goes stale for long); a deleted message is posted again; a lost permission keeps the
configuration, tells the guild owner once, and is retried on every later refresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import discord

from bot.core.admin_notice import notify_guild_owner
from bot.core.features import FEATURES
from bot.db.records import FeatureSetting, Server

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

REFRESH_FLOOR = dt.timedelta(minutes=15)
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True)
class BoardContent:
    """What a board shows. Set ``embed.timestamp`` to "now" freely: it is left out of the change check."""

    embeds: Sequence[discord.Embed]
    view: discord.ui.View | None = None

    def digest(self) -> str:
        embeds = []
        for embed in self.embeds:
            data = embed.to_dict()
            data.pop("timestamp", None)
            embeds.append(data)
        components = self.view.to_components() if self.view is not None else []
        payload = json.dumps({"embeds": embeds, "components": components}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


class BoardOutcome(StrEnum):
    POSTED = "posted"
    EDITED = "edited"
    UNCHANGED = "unchanged"
    INACTIVE = "inactive"  # feature or master switch off, or no channel configured
    FAILING = "failing"  # channel gone or permission lost; configuration kept, retried next time


class BoardKeeper:
    def __init__(
        self,
        bot: VoteBot,
        *,
        refresh_floor: dt.timedelta = REFRESH_FLOOR,
        clock: Callable[[], dt.datetime] = discord.utils.utcnow,
    ) -> None:
        self._bot = bot
        self._features = bot.servers.features
        self._refresh_floor = refresh_floor
        self._clock = clock

    async def refresh(self, server: Server, feature: str, content: BoardContent) -> BoardOutcome:
        setting = await self._features.get(server.id, feature)
        if setting is None or not (server.enabled and setting.enabled) or setting.channel_id is None:
            return BoardOutcome.INACTIVE
        state: dict[str, Any] = dict(setting.settings.get("board") or {})
        digest, now = content.digest(), self._clock()
        if setting.message_id is not None and state.get("digest") == digest and not state.get("failing_since"):
            edited_at = state.get("edited_at")
            if edited_at and now - dt.datetime.fromisoformat(edited_at) < self._refresh_floor:
                return BoardOutcome.UNCHANGED
        try:
            outcome = await self._write(setting, setting.channel_id, content)
        except discord.Forbidden as exc:
            return await self._failing(
                server, setting, state, now, f"Discord refused access ({exc.text or exc.status})"
            )
        except (discord.NotFound, _NotATextChannel):
            return await self._failing(server, setting, state, now, "the channel no longer exists")
        except discord.HTTPException as exc:  # 5xx, rate limits exhausted: try again next cycle, no alarm
            log.warning("board %s/%s: Discord error %s; retrying next cycle", server.id, feature, exc.status)
            return BoardOutcome.FAILING
        if state.get("failing_since"):
            log.info("board %s/%s: working again", server.id, feature)
        await self._features.set_board_state(server.id, feature, {"digest": digest, "edited_at": now.isoformat()})
        return outcome

    async def _write(self, setting: FeatureSetting, channel_id: int, content: BoardContent) -> BoardOutcome:
        channel = self._bot.get_channel(channel_id) or await self._bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise _NotATextChannel
        kwargs: dict[str, Any] = {"embeds": list(content.embeds), "allowed_mentions": NO_MENTIONS}
        if content.view is not None:
            kwargs["view"] = content.view
        if setting.message_id is not None:
            try:
                await channel.get_partial_message(setting.message_id).edit(**kwargs)
                return BoardOutcome.EDITED
            except discord.NotFound:
                log.info("board %s/%s: message was deleted; posting it again", setting.server_id, setting.feature)
        message = await channel.send(**kwargs)
        await self._features.set_message_id(setting.server_id, setting.feature, message.id)
        return BoardOutcome.POSTED

    async def _failing(
        self, server: Server, setting: FeatureSetting, state: dict[str, Any], now: dt.datetime, reason: str
    ) -> BoardOutcome:
        log.warning("board %s/%s in channel %s: %s", server.id, setting.feature, setting.channel_id, reason)
        if not state.get("notified"):
            label, name = FEATURES[setting.feature].label, discord.utils.escape_markdown(server.name)
            await notify_guild_owner(
                self._bot,
                server.guild_id,
                f"I can't update the {label} of {name} in <#{setting.channel_id}>: {reason}. Its settings are kept "
                "and I will keep retrying; fix the channel's permissions for my role, or pick another channel "
                "with /feature enable.",
            )
        failing_since = state.get("failing_since") or now.isoformat()
        await self._features.set_board_state(
            server.id, setting.feature, {**state, "failing_since": failing_since, "notified": True}
        )
        return BoardOutcome.FAILING


class _NotATextChannel(Exception):
    """The configured channel exists but is not one a board can live in."""
