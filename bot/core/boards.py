"""Self-updating board messages (status board, top-10 voters board, …).

One message per (server, feature), stored as the feature's ``message_id``. A refresh edits it only when
the rendered content changed (or when the last edit is older than ``refresh_floor``, so "last updated"
never goes stale for long); a deleted message is posted again; a lost permission keeps the
configuration, tells the guild owner once, and is retried with back-off (:data:`BACKOFF_FIRST` doubling up to
:data:`BACKOFF_MAX`), so a channel that keeps refusing costs a few invalid requests an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import discord

from bot.core.admin_notice import AdminNotices
from bot.core.i18n import _
from bot.core.messaging import Messenger, Picture, Unreachable
from bot.core.request_budget import Priority, prioritized
from bot.core.servers import ServerService
from bot.core.time import Clock, utcnow
from bot.db.records import FeatureSetting, Server

log = logging.getLogger(__name__)

REFRESH_FLOOR = dt.timedelta(minutes=15)
# A board whose channel refuses the bot (403, gone) is retried after 1, 2, 4 … minutes, then hourly: about 7 tries
# in its first hour and one an hour after, far below Discord's ban for invalid requests (10,000 in 10 minutes).
BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)


@dataclass(frozen=True)
class BoardContent:
    """What a board shows. Set ``embed.timestamp`` to "now" freely: it is left out of the change check."""

    embeds: Sequence[discord.Embed]
    view: discord.ui.View | None = None
    pictures: Sequence[Picture] = ()  # files an embed shows (``set_image(url=picture.url)``); uploaded only on change

    @property
    def pictures_digest(self) -> str:
        return hashlib.sha256("".join(p.filename + p.digest for p in self.pictures).encode()).hexdigest()

    def digest(self) -> str:
        embeds = []
        for embed in self.embeds:
            data = embed.to_dict()
            data.pop("timestamp", None)
            embeds.append(data)
        components = self.view.to_components() if self.view is not None else []
        payload = json.dumps(
            {"embeds": embeds, "components": components, "pictures": self.pictures_digest}, sort_keys=True, default=str
        )
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
        servers: ServerService,
        messenger: Messenger,
        notices: AdminNotices,
        *,
        refresh_floor: dt.timedelta = REFRESH_FLOOR,
        clock: Clock = utcnow,
    ) -> None:
        self._servers = servers
        self._messenger = messenger
        self._notices = notices
        self._refresh_floor = refresh_floor
        self._clock = clock

    async def refresh(self, server: Server, feature: str, content: BoardContent) -> BoardOutcome:
        with prioritized(Priority.BOARD):  # board edits wait behind everything else (the next refresh catches up)
            return await self._refresh(server, feature, content)

    async def _refresh(self, server: Server, feature: str, content: BoardContent) -> BoardOutcome:
        setting = await self._servers.setting(server.id, feature)
        if setting is None or not (server.enabled and setting.enabled) or setting.channel_id is None:
            return BoardOutcome.INACTIVE
        state: dict[str, Any] = dict(setting.settings.get("board") or {})
        digest, now = content.digest(), self._clock()
        if self._backing_off(state, setting.channel_id, now):
            return BoardOutcome.FAILING  # a channel that refuses the bot is asked less and less often
        if setting.message_id is not None and state.get("digest") == digest and not state.get("failing_since"):
            edited_at = state.get("edited_at")
            if edited_at and now - dt.datetime.fromisoformat(edited_at) < self._refresh_floor:
                return BoardOutcome.UNCHANGED
        same_pictures = state.get("pictures") == content.pictures_digest
        try:
            outcome = await self._write(server, setting, setting.channel_id, content, same_pictures=same_pictures)
        except Unreachable as exc:
            return await self._failing(server, setting, state, now, exc)
        except discord.HTTPException as exc:  # 5xx, rate limits exhausted: try again next cycle, no alarm
            log.warning("board %s/%s: Discord error %s; retrying next cycle", server.id, feature, exc.status)
            return BoardOutcome.FAILING
        if state.get("failing_since"):
            log.info("board %s/%s: working again", server.id, feature)
        await self._servers.set_state(
            server.id,
            feature,
            "board",
            {"digest": digest, "edited_at": now.isoformat(), "pictures": content.pictures_digest},
        )
        return outcome

    async def _write(
        self, server: Server, setting: FeatureSetting, channel_id: int, content: BoardContent, *, same_pictures: bool
    ) -> BoardOutcome:
        embeds, view, pictures = list(content.embeds), content.view, list(content.pictures)
        if setting.message_id is not None:
            edited = await self._messenger.edit(
                channel_id, setting.message_id, embeds=embeds, view=view, remove_view=view is None,
                guild_id=server.guild_id, pictures=None if same_pictures else pictures,
            )  # fmt: skip  # the same pictures: the message keeps its files, nothing is uploaded again
            if edited:
                return BoardOutcome.EDITED
            log.info("board %s/%s: message was deleted; posting it again", setting.server_id, setting.feature)
        message_id = await self._messenger.post(
            channel_id, embeds=embeds, view=view, guild_id=server.guild_id, pictures=pictures
        )
        await self._servers.set_message_id(setting.server_id, setting.feature, message_id)
        return BoardOutcome.POSTED

    async def _failing(
        self, server: Server, setting: FeatureSetting, state: dict[str, Any], now: dt.datetime, error: Unreachable
    ) -> BoardOutcome:
        log.warning("board %s/%s in channel %s: %s", server.id, setting.feature, setting.channel_id, error.reason)
        if not state.get("notified"):
            with self._servers.speaking_for(server):  # the owner notice, in the server's language
                # Translators: {board} is a feature's name ("status board"), {server} the game server's name,
                # {reason} why Discord refused ("the channel no longer exists").
                text = _(
                    "I can't update the {board} of {server} in {channel}: {reason}. Its settings are kept "
                    "and I will keep retrying; fix the channel's permissions for my role, or pick another channel "
                    "with /feature enable.",
                    board=_(self._servers.registry.label(setting.feature)),
                    server=discord.utils.escape_markdown(server.name),
                    channel=f"<#{setting.channel_id}>",
                    reason=error.shown,
                )
                await self._notices.tell(server.guild_id, text)
        failing_since = state.get("failing_since") or now.isoformat()
        same_channel = state.get("failing_channel") == setting.channel_id
        failures = int(state.get("failures") or 0) + 1 if same_channel else 1
        retry_at = now + min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
        await self._servers.set_state(
            server.id,
            setting.feature,
            "board",
            {
                **state,
                "failing_since": failing_since,
                "notified": True,
                "failures": failures,
                "failing_channel": setting.channel_id,
                "retry_at": retry_at.isoformat(),
            },
        )
        return BoardOutcome.FAILING

    @staticmethod
    def _backing_off(state: dict[str, Any], channel_id: int, now: dt.datetime) -> bool:
        """True while a board whose channel refused the bot waits for its next try (a board moved to another
        channel tries at once)."""
        retry_at = state.get("retry_at")
        if not state.get("failing_since") or not retry_at or state.get("failing_channel") != channel_id:
            return False
        return now < dt.datetime.fromisoformat(retry_at)
