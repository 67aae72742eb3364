"""Removing a linked game server: what goes with it (shown before anything is deleted), then the deletion.

One service for ``/setup remove`` and ``votebot server remove``. Everything the server owns cascades from its
row in one transaction; afterwards its board messages (status board, top-10 board …) are deleted from Discord,
so no frozen "🟢 Online" board with a dead Vote button stays behind and re-adding the server leaves one board.
A board that cannot be deleted (permission lost, no connection to Discord) is reported, never retried blindly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord

from bot.core import i18n
from bot.core.audit import record_change
from bot.core.errors import UserError
from bot.core.i18n import _, n_, names
from bot.core.messaging import Messenger, Unreachable
from bot.core.text import escape
from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.servers import BoardMessage, RemovalCounts, ServerRepository
from bot.db.transaction import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemovalSummary:
    server: Server
    counts: RemovalCounts
    boards: tuple[BoardMessage, ...]


@dataclass(frozen=True, slots=True)
class LeftBoard:
    board: BoardMessage
    reason: str


@dataclass(frozen=True, slots=True)
class RemovalOutcome:
    summary: RemovalSummary
    boards_deleted: int
    boards_left: tuple[LeftBoard, ...]


def describe_removal(summary: RemovalSummary) -> str:
    """One sentence naming everything the removal deletes (only what there is), in the language in force."""
    counts = summary.counts
    items = [_("its settings")]
    if counts.votes:
        items.append(n_("{count} recorded vote", "{count} recorded votes", counts.votes))
    if counts.providers:
        items.append(
            n_(
                "{count} provider secret ({providers})",
                "{count} provider secrets ({providers})",
                len(counts.providers),
                providers=", ".join(counts.providers),
            )
        )
    if counts.wipes:
        items.append(n_("{count} wipe schedule", "{count} wipe schedules", counts.wipes))
    if counts.giveaways:
        items.append(n_("{count} giveaway", "{count} giveaways", counts.giveaways))
    if summary.boards:
        items.append(n_("{count} board message", "{count} board messages", len(summary.boards)))
    return _(
        "Removing {server} (id {id}) deletes {what}. This cannot be undone.",
        server=summary.server.name,
        id=str(summary.server.id),
        what=names(items),
    )


class ServerRemoval:
    def __init__(self, db: Executor, messenger: Messenger | None) -> None:
        self._pool = db
        self._messenger = messenger  # None: no connection to Discord (the CLI without a token)

    async def preview(self, server: Server) -> RemovalSummary:
        repo = ServerRepository(self._pool)
        counts = await repo.removal_counts(server.id)
        return RemovalSummary(server, counts, tuple(await repo.board_messages(server.id)))

    async def remove(self, server: Server) -> RemovalOutcome:
        async with transaction(self._pool) as connection:
            repo = ServerRepository(connection)
            current = await repo.get(server.id)
            if current is None or current.guild_id != server.guild_id:
                raise UserError(
                    _(
                        "{server} (id {id}) was already removed; nothing was changed.",
                        server=server.name,
                        id=str(server.id),
                    )
                )
            summary = RemovalSummary(
                current, await repo.removal_counts(current.id), tuple(await repo.board_messages(current.id))
            )
            await repo.delete(current)
            await record_change(connection, current, "server.remove", {"name": current.name})
        deleted, left = 0, []
        for board in summary.boards:
            reason = await self._delete_board(current, board)
            if reason is None:
                deleted += 1
            else:
                log.warning("removed server %s: its %s board stays: %s", current.id, board.feature, reason)
                left.append(LeftBoard(board, reason))
        log.info("server %s (%s) of guild %s removed", current.id, current.name, current.guild_id)
        return RemovalOutcome(summary, deleted, tuple(left))

    async def _delete_board(self, server: Server, board: BoardMessage) -> str | None:
        """None when the board message is gone, else why it is still there."""
        if self._messenger is None:
            return _("there is no connection to Discord")
        try:
            await self._messenger.delete(board.channel_id, board.message_id, guild_id=server.guild_id)
        except Unreachable as exc:
            return exc.shown
        except discord.HTTPException as exc:
            return _("Discord answered {status}", status=str(exc.status))
        return None


def removed_text(outcome: RemovalOutcome) -> str:
    """What the admin is told after the removal (Discord and the dashboard alike), in the language in force."""
    server = outcome.summary.server
    lines = [
        _(
            "Removed **{server}** (id `{id}`) and everything listed above.",
            server=escape(server.name),
            id=str(server.id),
        )
    ]
    if outcome.boards_deleted:
        lines.append(_("Board messages deleted: {count}.", count=i18n.number(outcome.boards_deleted)))
    for left in outcome.boards_left:
        link = f"https://discord.com/channels/{server.guild_id}/{left.board.channel_id}/{left.board.message_id}"
        lines.append(
            _(
                "I could not delete its board message {link} ({reason}); please delete it by hand.",
                link=link,
                reason=left.reason,
            )
        )
    return "\n".join(lines)
