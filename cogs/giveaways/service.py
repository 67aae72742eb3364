"""Giveaways without Discord: validation, entering with requirements, and fair, stored, auditable draws.

Eligibility is checked when a member enters (required role from the interaction, "voted this month" from the
``votes`` table). "Voted this month" means a vote for the giveaway's server since the start of the calendar
month (server time zone) in which the giveaway started — so a giveaway that crosses a month boundary does not
drop members who qualified when they entered. Voters get ``voter_bonus`` extra tickets, computed at the draw.

A draw stores its snapshot (entrants and tickets) and winners before anything is announced; a retry after a
failed announcement or a crash announces the same winners. Rerolls draw from the first snapshot and exclude
every previous winner.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from random import Random

import asyncpg

from bot.core.durations import month_start, parse_duration
from bot.core.errors import UserError
from bot.db.records import Server
from bot.db.servers import ServerRepository
from cogs.giveaways.repository import Draw, Giveaway, GiveawayRepository

MAX_WINNERS = 20
MAX_BONUS = 10
MAX_PRIZE = 200
MAX_DURATION = dt.timedelta(weeks=8)


@dataclass(frozen=True, slots=True)
class EntryResult:
    entered: bool  # True: now in; False: left
    count: int


@dataclass(frozen=True, slots=True)
class DrawResult:
    draw: Draw
    entrants: int  # distinct members in the snapshot
    short: bool  # fewer winners than requested (not enough eligible entrants)


def clean_prize(prize: str) -> str:
    cleaned = " ".join(prize.split())
    if not cleaned:
        raise UserError("The prize can't be empty.")
    if len(cleaned) > MAX_PRIZE:
        raise UserError(f"The prize can be at most {MAX_PRIZE} characters.")
    return cleaned


def pick_winners(snapshot: list[tuple[int, int]], count: int, exclude: set[int], rng: Random) -> list[int]:
    """Weighted draw without replacement: each member's chance is proportional to their tickets."""
    pool = [(member, tickets) for member, tickets in snapshot if member not in exclude and tickets > 0]
    winners: list[int] = []
    while pool and len(winners) < count:
        total = sum(tickets for _, tickets in pool)
        ticket = rng.randrange(total)
        for index, (member, tickets) in enumerate(pool):
            if ticket < tickets:
                winners.append(member)
                del pool[index]
                break
            ticket -= tickets
    return winners


class GiveawayService:
    def __init__(self, pool: asyncpg.Pool, rng: Random | None = None) -> None:
        self.repo = GiveawayRepository(pool)
        self._servers = ServerRepository(pool)
        self._rng = rng or secrets.SystemRandom()

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
        now: dt.datetime,
    ) -> Giveaway:
        prize = clean_prize(prize)
        length = parse_duration(duration, maximum=MAX_DURATION)
        if not 1 <= winners <= MAX_WINNERS:
            raise UserError(f"A giveaway has between 1 and {MAX_WINNERS} winners.")
        if not 0 <= voter_bonus <= MAX_BONUS:
            raise UserError(f"Bonus entries for voters go from 0 to {MAX_BONUS}.")
        return await self.repo.create(
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

    async def get_in_guild(self, guild_id: int, giveaway_id: int) -> Giveaway:
        giveaway = await self.repo.get(giveaway_id)
        if giveaway is None or giveaway.guild_id != guild_id:
            raise UserError(f"There is no giveaway #{giveaway_id} here. /giveaway list shows them.")
        return giveaway

    async def vote_window(self, giveaway: Giveaway) -> dt.datetime:
        server = await self._servers.get(giveaway.server_id)
        return month_start(giveaway.starts_at, server.timezone if server else "UTC")

    async def toggle_entry(self, giveaway: Giveaway, user_id: int, role_ids: set[int], now: dt.datetime) -> EntryResult:
        """Enter (checking the requirements) or, when already in, leave."""
        if giveaway.status != "running" or now >= giveaway.ends_at:
            raise UserError("This giveaway has ended.")
        if await self.repo.leave(giveaway.id, user_id):
            return EntryResult(False, await self.repo.entry_count(giveaway.id))
        if giveaway.required_role_id is not None and giveaway.required_role_id not in role_ids:
            raise UserError(f"This giveaway is only for members with the <@&{giveaway.required_role_id}> role.")
        if giveaway.require_vote and not await self.repo.has_voted(
            giveaway.server_id, user_id, await self.vote_window(giveaway), now
        ):
            raise UserError("This giveaway is only for members who voted this month. Use /vote, then try again.")
        await self.repo.enter(giveaway.id, user_id)
        return EntryResult(True, await self.repo.entry_count(giveaway.id))

    async def snapshot(self, giveaway: Giveaway, now: dt.datetime) -> list[tuple[int, int]]:
        since = await self.vote_window(giveaway)
        rows = await self.repo.entrants_with_vote_flag(giveaway, since, now)
        snapshot = []
        for member, voted in rows:
            if giveaway.require_vote and not voted:
                continue  # defensive: entering already checks this
            snapshot.append((member, 1 + (giveaway.voter_bonus if voted else 0)))
        return snapshot

    async def end_draw(self, giveaway: Giveaway, now: dt.datetime) -> DrawResult:
        """The first draw: the stored one when it exists (a retried announcement), else a new one."""
        existing = await self.repo.draws(giveaway.id)
        if existing:
            return self._result(existing[0], giveaway.winner_count)
        snapshot = await self.snapshot(giveaway, now)
        winners = pick_winners(snapshot, giveaway.winner_count, set(), self._rng)
        draw = await self.repo.add_draw(giveaway.id, 1, snapshot, winners, giveaway.winner_count)
        if draw is None:  # drawn concurrently: use that one
            draw = (await self.repo.draws(giveaway.id))[0]
        return self._result(draw, giveaway.winner_count)

    async def reroll(self, giveaway: Giveaway, count: int) -> DrawResult:
        if giveaway.status != "ended":
            raise UserError("Only an ended giveaway can be rerolled.")
        if not 1 <= count <= MAX_WINNERS:
            raise UserError(f"Reroll between 1 and {MAX_WINNERS} winners.")
        draws = await self.repo.draws(giveaway.id)
        if not draws:
            raise UserError("This giveaway has no draw to reroll.")
        previous = {member for draw in draws for member in draw.winners}
        snapshot = list(draws[0].snapshot)
        winners = pick_winners(snapshot, count, previous, self._rng)
        if not winners:
            raise UserError("Every eligible entrant has already won: there is nobody left to draw.")
        draw = await self.repo.add_draw(giveaway.id, draws[-1].draw_no + 1, snapshot, winners, count)
        if draw is None:
            raise UserError("Someone else rerolled at the same moment; try again.")
        return self._result(draw, count)

    @staticmethod
    def _result(draw: Draw, requested: int) -> DrawResult:
        return DrawResult(draw, len(draw.snapshot), len(draw.winners) < requested)
