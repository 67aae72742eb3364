"""Periodic jobs on the bot's APScheduler (coalesced, one instance at a time — see VoteBot)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler


def every(scheduler: AsyncIOScheduler, job_id: str, func: Callable[[], Awaitable[Any]], seconds: float) -> None:
    """Run ``func`` every ``seconds``; nothing happens when the scheduler is off (``votebot sync``)."""
    if scheduler.running:
        scheduler.add_job(func, "interval", seconds=seconds, id=job_id, replace_existing=True)


def cancel(scheduler: AsyncIOScheduler, *job_ids: str) -> None:
    if scheduler.running:
        for job_id in job_ids:
            with contextlib.suppress(JobLookupError):
                scheduler.remove_job(job_id)
