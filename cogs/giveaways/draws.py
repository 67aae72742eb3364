"""The giveaway rules without a database or Discord: limits, prizes and the fair weighted draw."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from random import Random

from bot.core.errors import UserError
from bot.core.i18n import _, n_
from cogs.giveaways.repository import Draw

MAX_WINNERS = 20
MAX_BONUS = 10
MAX_PRIZE = 200
MAX_DURATION = dt.timedelta(weeks=8)


@dataclass(frozen=True, slots=True)
class EntryResult:
    entered: bool  # True: now in; False: left
    count: int  # members entered (the button's number)
    tickets: int = 0  # the member's tickets now (0 when they left)
    voter_bonus: int = 0  # the giveaway's extra tickets for voting this month

    @property
    def bonus(self) -> int:
        """The member's tickets beyond the one for entering."""
        return max(self.tickets - 1, 0)


def ticket_count(voter_bonus: int, voted: bool) -> int:
    """A member's tickets: one for entering, plus the voter bonus when they voted this month."""
    return 1 + (voter_bonus if voted else 0)


@dataclass(frozen=True, slots=True)
class DrawResult:
    draw: Draw
    entrants: int  # distinct members in the snapshot
    short: bool  # fewer winners than requested (not enough eligible entrants)

    @classmethod
    def of(cls, draw: Draw, requested: int) -> DrawResult:
        return cls(draw, len(draw.snapshot), len(draw.winners) < requested)


def clean_prize(prize: str) -> str:
    cleaned = " ".join(prize.split())
    if not cleaned:
        raise UserError(_("The prize can't be empty."))
    if len(cleaned) > MAX_PRIZE:
        raise UserError(
            n_("The prize can be at most {count} character.", "The prize can be at most {count} characters.", MAX_PRIZE)
        )
    return cleaned


def check_counts(winners: int, voter_bonus: int) -> None:
    if not 1 <= winners <= MAX_WINNERS:
        raise UserError(
            n_("A giveaway can have 1 to {count} winner.", "A giveaway can have 1 to {count} winners.", MAX_WINNERS)
        )
    if not 0 <= voter_bonus <= MAX_BONUS:
        raise UserError(
            n_(
                "The voter bonus can be 0 to {count} extra ticket.",
                "The voter bonus can be 0 to {count} extra tickets.",
                MAX_BONUS,
            )
        )


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
