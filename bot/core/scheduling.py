"""The one scheduler for timed work.

The database is the source of truth for every timed thing (a reminder, a giveaway's end, a wipe
announcement, a daily post, a month rollover); jobs here are only wake-ups that read what is due.
Two kinds:

* :meth:`Scheduler.every` — a periodic sweep (``reminders:sweep`` every 20 s);
* :class:`DueWork` — work that knows when it is next due: it runs on a slow tick, once when the bot
  is ready, and at the exact time its last run returned.

APScheduler 3 (in memory, ``coalesce=True``, ``max_instances=1``, a generous misfire grace) does the
waiting. Times come from the injected :data:`~bot.core.time.Clock`: a wake-up "at 18:00" is scheduled
as "in (18:00 − clock now)", so a test clock pinned to any instant works as the real one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.audit import as_the_bot
from bot.core.time import Clock, utcnow

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


def spread_offset(key: int, interval_s: float) -> dt.timedelta:
    """A stable offset of ``key`` (a server id) inside ``interval_s``: things done for many servers every interval
    (probes, board refreshes) are spread over it instead of all falling in the same second."""
    return dt.timedelta(milliseconds=(key * 2_654_435_761) % max(1, int(interval_s * 1000)))


def turn_of(key: int, interval_s: float, now: dt.datetime) -> int:
    """Which of ``key``'s turns ``now`` is in: turns last ``interval_s`` and start at ``key``'s offset, so a thing
    due once per turn is due when this number changes (each key at its own moment of the interval)."""
    start = now.timestamp() - spread_offset(key, interval_s).total_seconds()
    return int(start // interval_s)


class Scheduler:
    def __init__(self, clock: Clock = utcnow, *, misfire_grace_time: int = 3600) -> None:
        self.clock = clock
        self._apscheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_time},
        )

    @property
    def running(self) -> bool:
        return bool(self._apscheduler.running)

    def start(self) -> None:
        if not self.running:
            self._apscheduler.start()

    def shutdown(self) -> None:
        if self.running:
            self._apscheduler.shutdown(wait=False)

    def every(self, job_id: str, seconds: float, func: Job) -> None:
        """Run ``func`` every ``seconds`` (the first run after one interval). Replaces a job of the same id."""
        self._apscheduler.add_job(
            _quiet_on_shutdown(func), "interval", seconds=seconds, id=job_id, name=job_id, replace_existing=True
        )  # named by its id: "job rewards:thanks skipped: maximum number of running instances reached"

    def at(self, job_id: str, when: dt.datetime, func: Job, *, keep_earlier: bool = True) -> None:
        """Run ``func`` once at clock time ``when`` (at once when it is past). With ``keep_earlier``, an
        earlier pending run of the same id wins."""
        delay = max(dt.timedelta(0), when - self.clock())
        run_date = dt.datetime.now(dt.UTC) + delay
        pending = self._apscheduler.get_job(job_id)
        if keep_earlier and pending is not None:
            next_run = getattr(pending, "next_run_time", None)
            if next_run is not None and next_run <= run_date:
                return
        self._apscheduler.add_job(
            _quiet_on_shutdown(func), "date", run_date=run_date, id=job_id, name=job_id, replace_existing=True
        )

    def cancel(self, *job_ids: str) -> None:
        for job_id in job_ids:
            with contextlib.suppress(JobLookupError):
                self._apscheduler.remove_job(job_id)

    def job_ids(self) -> list[str]:
        return [job.id for job in self._apscheduler.get_jobs()]


def _quiet_on_shutdown(func: Job) -> Job:
    """A job cancelled by the scheduler's shutdown ends quietly (it resumes from the database next start). It is
    the bot's own work, even when an admin's command woke the scheduler (its callbacks copy that context)."""

    async def job() -> Any:
        try:
            with as_the_bot():
                return await func()
        except asyncio.CancelledError:
            log.debug("job %s cancelled by shutdown", getattr(func, "__qualname__", func))
            return None

    return job


DueFunc = Callable[[dt.datetime], Awaitable[dt.datetime | None]]


class DueWork:
    """``work(now)`` does whatever is due at ``now`` and returns when it is next due (or None).

    It runs every ``interval`` (catching up anything a failed run left), once when :meth:`wake` is called
    (the bot became ready, an admin added something), and at the returned time. Runs never overlap:
    :attr:`lock` is also held by admin commands that must not race the work (``/giveaway end``).
    Nothing runs until ``ready()`` is true; call :meth:`wake` once it is.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        name: str,
        work: DueFunc,
        *,
        ready: Callable[[], bool] = lambda: True,
        interval: float = 30.0,
    ) -> None:
        self._scheduler = scheduler
        self.name = name
        self._work = work
        self._ready = ready
        self._interval = interval
        self.lock = asyncio.Lock()

    def start(self) -> None:
        self._scheduler.every(f"{self.name}:tick", self._interval, self.run)

    def stop(self) -> None:
        self._scheduler.cancel(f"{self.name}:tick", f"{self.name}:next")

    def wake(self, when: dt.datetime | None = None) -> None:
        """Run at ``when`` (at once when None or past); an earlier pending wake-up is kept."""
        self._scheduler.at(f"{self.name}:next", when or self._scheduler.clock(), self.run)

    async def run(self) -> None:
        if not self._ready():
            return  # the owner calls wake() once the bot is ready
        async with self.lock:
            now = self._scheduler.clock()
            try:
                next_due = await self._work(now)
            except Exception:
                log.exception("%s: due work failed; retried on the next tick", self.name)
                return
        if next_due is not None and next_due > now:  # overdue leftovers (failed posts) wait for the tick
            self.wake(next_due)
