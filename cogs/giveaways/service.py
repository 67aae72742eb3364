"""Giveaways: starting them, entering with requirements, fair stored draws, and the announcements.

Eligibility is checked when a member enters (required role from the interaction, "voted this month" by
the attribution rule of :mod:`bot.db.votes`: a vote with the member's Discord id or under their linked
player name). "This month" is the calendar month (server time zone) in which the giveaway started, so a
giveaway that crosses a month boundary does not drop members who qualified when they entered. Every recorded
vote from then on counts, with no upper bound: a vote is recorded, so it was cast, even when the listing site
stamped it a little ahead of our clock (Top-Server's ``votedAt``, a Votifier list's timestamp) — ``/points``
counts it, so the giveaway must too. Voters get ``voter_bonus`` extra tickets, computed at the draw.

A draw stores its snapshot (entrants and tickets) and winners before anything is announced; a retry after a
failed announcement or a crash announces the same winners (with the same message nonce). Rerolls draw from
the first snapshot and exclude every previous winner. Ending at the due time is a :class:`DueWork`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from random import Random

import discord

from bot.core.admin_notice import AdminNotices
from bot.core.audit import record_change, record_on
from bot.core.errors import UserError
from bot.core.i18n import Language, _, n_
from bot.core.messaging import Messenger, Unreachable, effect_nonce, only_users
from bot.core.pushed_events import PushedEvent
from bot.core.scheduling import DueWork, Scheduler
from bot.core.servers import ServerService
from bot.core.shards import ShardOwnership
from bot.core.text import escape
from bot.core.time import Clock, month_of, parse_duration, zone
from bot.db.executor import Executor
from bot.db.records import Server
from bot.db.votes import VoteRepository
from cogs.giveaways.draws import (
    MAX_DURATION,
    MAX_WINNERS,
    DrawResult,
    EntryResult,
    check_counts,
    clean_prize,
    pick_winners,
    ticket_count,
)
from cogs.giveaways.repository import Giveaway, GiveawayRepository
from cogs.giveaways.views import (
    already_over_text,
    giveaway_embed,
    giveaway_view,
    not_rerollable_text,
    pushed_winners_text,
    winners_text,
)

log = logging.getLogger(__name__)

FEATURE = "giveaways"


class GiveawayService:
    def __init__(
        self,
        db: Executor,
        servers: ServerService,
        votes: VoteRepository,
        messenger: Messenger,
        notices: AdminNotices,
        scheduler: Scheduler,
        clock: Clock,
        shards: ShardOwnership,
        *,
        ready: Callable[[], bool] = lambda: True,
        rng: Random | None = None,
    ) -> None:
        self._db = db
        self._repo = GiveawayRepository(db)
        self._servers = servers
        self._votes = votes
        self._messenger = messenger
        self._notices = notices
        self._clock = clock
        self._shards = shards
        self._rng = rng or secrets.SystemRandom()
        self.job = DueWork(scheduler, "giveaways", self.end_due, ready=ready)

    # ------------------------------------------------------------------ admin commands
    async def start(
        self,
        server: Server,
        *,
        channel_id: int,
        host_id: int,
        prize: str,
        duration: str,
        winners: int,
        required_role_id: int | None,
        require_vote: bool,
        voter_bonus: int,
    ) -> Giveaway:
        """Create the giveaway and post it with its Enter button; nothing is kept when the post is refused."""
        if not await self._servers.is_active(server, FEATURE):
            raise UserError(
                _(
                    "Giveaways are off for **{server}**. Switch them on with /feature enable.",
                    server=escape(server.name),
                )
            )
        prize = clean_prize(prize)
        length = parse_duration(duration, maximum=MAX_DURATION)
        check_counts(winners, voter_bonus)
        now = self._clock()
        giveaway = await self._repo.create(
            server_id=server.id,
            guild_id=server.guild_id,
            channel_id=channel_id,
            host_id=host_id,
            prize=prize,
            winner_count=winners,
            required_role_id=required_role_id,
            require_vote=require_vote,
            voter_bonus=voter_bonus,
            starts_at=now,
            ends_at=now + length,
        )
        with self._servers.speaking_for(server):  # the post is the channel's, even when an admin starts it
            embed, view = giveaway_embed(giveaway, 0, server.name), giveaway_view(giveaway.id, 0)
        try:
            message_id = await self._messenger.post(channel_id, embeds=[embed], view=view)
        except (Unreachable, discord.HTTPException) as exc:
            await self._repo.delete(giveaway.id)
            reason = exc.shown if isinstance(exc, Unreachable) else exc.text
            raise UserError(
                _(
                    "Discord refused the giveaway post in <#{channel}> ({reason}); nothing was started.",
                    channel=channel_id,
                    reason=reason,
                )
            ) from None
        await self._repo.set_message(giveaway.id, message_id)
        await record_change(
            self._db,
            server,
            "giveaway.create",
            {
                "giveaway_id": giveaway.id,
                "prize": giveaway.prize,
                "channel_id": channel_id,
                "winners": winners,
                "ends_at": giveaway.ends_at.isoformat(),
            },
        )
        self.job.wake(giveaway.ends_at)
        return giveaway

    def _speaking(self, server: Server | None) -> AbstractContextManager[Language | None]:
        """The server's language for what the bot posts for it (English when the server is gone)."""
        return self._servers.speaking_for(server) if server is not None else nullcontext()

    def _embed(
        self, server: Server | None, giveaway: Giveaway, entries: int, winners: Sequence[int] = (), *, short: bool
    ) -> discord.Embed:
        with self._speaking(server):
            # Translators: stands for the game server's name in "Voted for **the server** this month" (server gone).
            name = server.name if server is not None else _("the server")
            return giveaway_embed(giveaway, entries, name, winners, short=short)

    async def post_embed(
        self, giveaway: Giveaway, entries: int, winners: Sequence[int] = (), *, short: bool = False
    ) -> discord.Embed:
        """The giveaway post's embed, in its server's language (whoever caused the edit)."""
        return self._embed(await self._servers.find(giveaway.server_id), giveaway, entries, winners, short=short)

    async def post_content(self, giveaway: Giveaway, entries: int) -> tuple[discord.Embed, discord.ui.View]:
        """The running giveaway's post and its Enter button, in its server's language (a member's entry edits it)."""
        server = await self._servers.find(giveaway.server_id)
        with self._speaking(server):
            return self._embed(server, giveaway, entries, short=False), giveaway_view(giveaway.id, entries)

    async def channel_of(self, server: Server) -> int | None:
        setting = await self._servers.setting(server.id, FEATURE)
        return setting.channel_id if setting else None

    async def get_in_guild(self, guild_id: int, giveaway_id: int) -> Giveaway:
        giveaway = await self._repo.get(giveaway_id)
        if giveaway is None or giveaway.guild_id != guild_id:
            raise UserError(_("There is no giveaway #{id} here. /giveaway list shows them.", id=giveaway_id))
        return giveaway

    async def list_for_guild(self, guild_id: int, limit: int = 15) -> list[Giveaway]:
        return await self._repo.list_for_guild(guild_id, limit)

    async def list_for_server(self, server: Server, limit: int = 25) -> list[tuple[Giveaway, int]]:
        """The server's running and recent giveaways with how many entered each (the dashboard's list)."""
        return [(g, await self._repo.entry_count(g.id)) for g in await self._repo.list_for_server(server.id, limit)]

    async def end_now(self, guild_id: int, giveaway_id: int) -> DrawResult:
        found = await self.get_in_guild(guild_id, giveaway_id)
        if found.status != "running":
            raise UserError(already_over_text(found.id, found.status))
        async with self.job.lock:  # never together with the due job: one draw, one announcement
            now = self._clock()
            await self._repo.set_ends_at(found.id, now)
            current = await self._repo.get(found.id)
            if current is None or current.status != "running":
                raise UserError(_("Giveaway #{id} has just ended.", id=found.id))
            result = await self.finish(current, now)
        await self._record(found, "giveaway.end", winners=list(result.draw.winners) if result else [])
        if result is None:
            raise UserError(_("I could not post the winners (check my permissions there); I'll keep retrying."))
        return result

    async def _record(self, giveaway: Giveaway, action: str, **details: object) -> None:
        await record_on(
            self._db,
            giveaway.server_id,
            giveaway.guild_id,
            action,
            {"giveaway_id": giveaway.id, "prize": giveaway.prize, **details},
        )

    async def reroll(self, guild_id: int, giveaway_id: int, count: int) -> DrawResult:
        giveaway = await self.get_in_guild(guild_id, giveaway_id)
        if giveaway.status != "ended":
            raise UserError(not_rerollable_text(giveaway.id, giveaway.status))
        if not 1 <= count <= MAX_WINNERS:
            raise UserError(
                n_(
                    "A reroll can draw 1 to {count} new winner.",
                    "A reroll can draw 1 to {count} new winners.",
                    MAX_WINNERS,
                )
            )
        draws = await self._repo.draws(giveaway.id)
        if not draws:
            raise UserError(_("This giveaway has no draw to reroll."))
        previous = {member for draw in draws for member in draw.winners}
        snapshot = list(draws[0].snapshot)
        if not snapshot:
            raise UserError(_("Nobody was eligible in giveaway #{id}, so there is nobody to draw.", id=giveaway.id))
        winners = pick_winners(snapshot, count, previous, self._rng)
        if not winners:
            raise UserError(_("Every eligible entrant has already won: there is nobody left to draw."))
        draw = await self._repo.add_draw(giveaway.id, draws[-1].draw_no + 1, snapshot, winners, count)
        if draw is None:
            raise UserError(_("Someone else rerolled at the same moment; try again."))
        result = DrawResult.of(draw, count)
        message_id = await self._announce(giveaway, result, reroll=True)
        if message_id is None:
            await self._repo.delete_draw(giveaway.id, draw.draw_no)
            raise UserError(_("I could not post the new winners (check my permissions there); nothing was rerolled."))
        await self._repo.mark_announced(giveaway.id, draw.draw_no, message_id, self._clock())
        await self._record(giveaway, "giveaway.reroll", winners=list(winners))
        everyone = [w for d in await self._repo.draws(giveaway.id) for w in d.winners]
        await self._edit_post(giveaway, await self.post_embed(giveaway, result.entrants, everyone))
        return result

    async def cancel(self, guild_id: int, giveaway_id: int) -> Giveaway:
        found = await self.get_in_guild(guild_id, giveaway_id)
        async with self.job.lock:  # not while the due job draws and announces it
            if not await self._repo.finish(found.id, "cancelled", self._clock()):
                current = await self._repo.get(found.id) or found
                raise UserError(already_over_text(found.id, current.status))
        cancelled = await self._repo.get(found.id) or found
        await self._record(found, "giveaway.cancel")
        await self._edit_post(cancelled, await self.post_embed(cancelled, await self._repo.entry_count(found.id)))
        return cancelled

    # ------------------------------------------------------------------ members
    async def toggle_entry(
        self, giveaway_id: int, guild_id: int | None, user_id: int, role_ids: set[int]
    ) -> tuple[Giveaway, EntryResult]:
        """Enter (checking the requirements) or, when already in, leave."""
        giveaway = await self._repo.get(giveaway_id)
        if giveaway is None or giveaway.guild_id != guild_id:
            raise UserError(_("This giveaway no longer exists."))
        now = self._clock()
        if giveaway.status != "running" or now >= giveaway.ends_at:
            raise UserError(_("This giveaway has ended."))
        if await self._repo.leave(giveaway.id, user_id):
            return giveaway, EntryResult(False, await self._repo.entry_count(giveaway.id))
        if giveaway.required_role_id is not None and giveaway.required_role_id not in role_ids:
            raise UserError(
                _(
                    "This giveaway is only for members with the <@&{role}> role.",
                    role=giveaway.required_role_id,
                )
            )
        voted = bool(await self._voted(giveaway, [user_id])) if giveaway.require_vote or giveaway.voter_bonus else False
        if giveaway.require_vote and not voted:
            raise UserError(_("This giveaway is only for members who voted this month. Use /vote, then try again."))
        await self._repo.enter(giveaway.id, user_id)
        count = await self._repo.entry_count(giveaway.id)
        return giveaway, EntryResult(True, count, ticket_count(giveaway.voter_bonus, voted), giveaway.voter_bonus)

    async def _voted(self, giveaway: Giveaway, members: list[int]) -> set[int]:
        """Which of ``members`` voted for the giveaway's server this month (see the module docstring)."""
        server = await self._servers.find(giveaway.server_id)
        since = month_of(giveaway.starts_at, zone(server.timezone if server else "UTC")).start
        return await self._votes.members_who_voted(giveaway.server_id, members, since)

    # ------------------------------------------------------------------ the end
    async def end_due(self, now: dt.datetime) -> dt.datetime | None:
        """End every overdue giveaway of our guilds; returns when the next one ends."""
        for giveaway in await self._repo.due(now):
            if self._shards.owns(giveaway.guild_id):
                await self.finish(giveaway, now)
        return await self._repo.next_end(now)

    async def finish(self, giveaway: Giveaway, now: dt.datetime) -> DrawResult | None:
        """Draw (or reuse the stored draw), announce, and only then mark the giveaway ended."""
        result = await self.first_draw(giveaway, now)
        if result.draw.announced_at is None:  # announced before a crash or a failed update: not twice
            message_id = await self._announce(giveaway, result, reroll=False)
            if message_id is None:
                return None  # still running: retried on the next tick with the same winners
            await self._repo.mark_announced(giveaway.id, 1, message_id, now)
        await self._repo.finish(giveaway.id, "ended", now)
        ended = await self._repo.get(giveaway.id)
        if ended is not None:
            await self._edit_post(
                ended, await self.post_embed(ended, result.entrants, result.draw.winners, short=result.short)
            )
        log.info(
            "giveaway %s ended: %d winner(s) of %d entrants", giveaway.id, len(result.draw.winners), result.entrants
        )
        return result

    async def first_draw(self, giveaway: Giveaway, now: dt.datetime) -> DrawResult:
        """The first draw: the stored one when it exists (a retried announcement), else a new one."""
        existing = await self._repo.draws(giveaway.id)
        if existing:
            return DrawResult.of(existing[0], giveaway.winner_count)
        entrants = await self._repo.entrants(giveaway.id)
        voted = await self._voted(giveaway, entrants) if entrants else set()
        snapshot = [
            (member, ticket_count(giveaway.voter_bonus, member in voted))
            for member in entrants
            if member in voted or not giveaway.require_vote  # defensive: entering already checks this
        ]
        winners = pick_winners(snapshot, giveaway.winner_count, set(), self._rng)
        draw = await self._repo.add_draw(giveaway.id, 1, snapshot, winners, giveaway.winner_count)
        if draw is None:  # drawn concurrently: use that one
            draw = (await self._repo.draws(giveaway.id))[0]
        return DrawResult.of(draw, giveaway.winner_count)

    async def _announce(self, giveaway: Giveaway, result: DrawResult, *, reroll: bool) -> int | None:
        server = await self._servers.find(giveaway.server_id)
        with self._speaking(server):  # the channel's language, also when an admin ends or rerolls it
            text = winners_text(giveaway, result.draw.winners, reroll=reroll)
        try:
            return await self._messenger.post(
                giveaway.channel_id,
                text,
                mentions=only_users(*result.draw.winners),
                nonce=effect_nonce("giveaway", giveaway.id, result.draw.draw_no),
                reply_to=giveaway.message_id,
                guild_id=giveaway.guild_id,
            )
        except (Unreachable, discord.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, Unreachable) else exc.text or exc.status
            log.warning("giveaway %s: winner announcement failed (%s)", giveaway.id, reason)
            if not reroll and server is not None:
                with self._servers.speaking_for(server):
                    notice = _(
                        "I could not announce the winners of giveaway #{id} in <#{channel}> ({reason}). "
                        "It stays open and I keep retrying; check my permissions there.",
                        id=giveaway.id,
                        channel=giveaway.channel_id,
                        reason=exc.shown if isinstance(exc, Unreachable) else reason,
                    )
                await self._notices.once(server, f"giveaway:{giveaway.id}", notice)
            return None

    async def _edit_post(self, giveaway: Giveaway, embed: discord.Embed) -> None:
        if giveaway.message_id is None:
            return
        try:
            await self._messenger.edit(
                giveaway.channel_id, giveaway.message_id, embeds=[embed], remove_view=True, guild_id=giveaway.guild_id
            )
        except (Unreachable, discord.HTTPException) as exc:
            log.info("giveaway %s: could not edit its message (%s)", giveaway.id, exc)

    # ------------------------------------------------------------------ pushed winners
    async def announce_pushed(self, server: Server, event: PushedEvent) -> None:
        """The ``giveaway.winner`` handler: a listing site's giveaway winners, pinging only the listed ids."""
        setting = await self._servers.active_setting(server, FEATURE)
        if setting is None or setting.channel_id is None:
            log.info("server %s: pushed giveaway winners not announced (giveaways off)", server.id)
            return
        with self._servers.speaking_for(server):
            text, ids = pushed_winners_text(event.data)
        try:
            await self._messenger.post(
                setting.channel_id,
                text,
                mentions=only_users(*ids),
                nonce=effect_nonce("pushed", server.id, event.event_id),
                guild_id=server.guild_id,
            )
        except Unreachable as exc:
            log.warning("server %s: pushed winners announcement refused: %s", server.id, exc.reason)
