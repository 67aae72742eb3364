"""Shared plumbing of the community cogs: a DB-driven due-work job on the bot's scheduler, and channel checks."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bot.core.errors import UserError
from bot.core.guild_checks import usable_channel

if TYPE_CHECKING:
    from bot.app.client import VoteBot

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DueJob:
    """Runs ``work(now)`` on the bot's scheduler: every ``interval``, once when the bot is ready, and at the
    exact next due time that ``work`` returns. The database stays the source of truth; jobs are only wake-ups.
    """

    def __init__(
        self,
        bot: VoteBot,
        name: str,
        work: Callable[[dt.datetime], Awaitable[dt.datetime | None]],
        *,
        interval: float = 30.0,
        clock: Clock = utcnow,
    ) -> None:
        self.bot = bot
        self.name = name
        self._work = work
        self._interval = interval
        self.clock = clock
        self.lock = asyncio.Lock()  # the tick, wake-ups and admin commands never run the work at the same time

    def start(self) -> None:
        self.bot.scheduler.add_job(
            self.run, "interval", seconds=self._interval, id=f"{self.name}:tick", replace_existing=True
        )

    def stop(self) -> None:
        for job_id in (f"{self.name}:tick", f"{self.name}:next"):
            job = self.bot.scheduler.get_job(job_id)
            if job is not None:
                job.remove()

    def wake_at(self, when: dt.datetime | None) -> None:
        """Run once at ``when`` (now when None or past); an earlier pending wake-up is kept."""
        run_date = max(when or self.clock(), self.clock())
        pending = self.bot.scheduler.get_job(f"{self.name}:next")
        if pending is not None and (getattr(pending, "next_run_time", None) or run_date) < run_date:
            return
        self.bot.scheduler.add_job(self.run, "date", run_date=run_date, id=f"{self.name}:next", replace_existing=True)

    async def run(self) -> None:
        if not self.bot.is_ready():
            return  # on_ready wakes us
        async with self.lock:
            now = self.clock()
            try:
                next_due = await self._work(now)
            except Exception:
                log.exception("%s: due work failed; retried on the next tick", self.name)
                return
        if next_due is not None and next_due > now:  # overdue leftovers (failed posts) wait for the tick
            self.wake_at(next_due)


def owns_guild(bot: VoteBot, guild_id: int) -> bool:
    """This process (shard set) handles the guild."""
    return bot.get_guild(guild_id) is not None


def postable_channel(guild: discord.Guild, channel_id: int | None, what: str) -> discord.TextChannel:
    if channel_id is None:
        raise UserError(f"{what} has no channel: pass one, or set it with /feature enable.")
    return usable_channel(guild, channel_id)
