"""What /vote shows a member: the server, their last vote and when they may vote again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.servers import ServerService
from bot.core.text import escape
from bot.core.time import Clock
from bot.db.records import Server, VoteRecord
from bot.db.votes import VoteRepository
from bot.votes.model import next_vote_at


@dataclass(frozen=True, slots=True)
class VoteCard:
    server: Server
    last_vote: VoteRecord | None
    next_vote_at: dt.datetime | None
    now: dt.datetime
    remind: bool  # offer the "Remind me" button


class VoteService:
    def __init__(self, servers: ServerService, votes: VoteRepository, clock: Clock) -> None:
        self._servers = servers
        self._votes = votes
        self._clock = clock

    async def card(self, guild_id: int, member_id: int, server_name: str | None) -> VoteCard:
        server = await self._servers.resolve(guild_id, server_name)
        if not await self._servers.is_active(server, "vote"):
            raise UserError(_("Voting for **{server}** is switched off here.", server=escape(server.name)))
        last = await self._votes.last_for_member(server.id, member_id)
        next_at = next_vote_at(last.voted_at, last.expires_at, server.vote_cooldown) if last else None
        remind = await self._servers.is_active(server, "reminders")
        return VoteCard(server, last, next_at, self._clock(), remind)
