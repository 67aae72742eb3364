"""Live server status: the probe loop, status boards, offline/recovery alerts, /status and /status-admin."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

TICK_EVERY_S = 1.0
FLUSH_EVERY_S = 30
COMPACT_EVERY_MIN = 10


async def setup(bot: VoteBot) -> None:
    from bot.core.i18n import N_
    from bot.web.dashboard.sections import Section
    from cogs.status.cog import StatusAdminCog, StatusCog
    from cogs.status.dashboard import StatusSection
    from cogs.status.monitor import StatusMonitor
    from cogs.status.query import Prober
    from cogs.status.service import StatusService

    settings = bot.config.status

    async def in_maintenance(server_id: int, now: dt.datetime) -> bool:
        return await bot.calendar.in_window(server_id, now)

    async def next_wipe(server_id: int, now: dt.datetime) -> dt.datetime | None:
        return await bot.calendar.next_start(server_id, now)

    monitor = StatusMonitor(
        bot.pool,
        prober=Prober(
            timeout=settings.probe_timeout,
            connect_by_name=settings.allow_private_addresses,
            allow_private=settings.allow_private_addresses,
        ),
        clock=bot.clock,
        allow_private=settings.allow_private_addresses,
        concurrency=settings.concurrency,
        guild_filter=bot.ownership.owns,
        maintenance=in_maintenance,
    )
    service = StatusService(
        monitor,
        bot.servers,
        bot.messenger,
        bot.notices,
        bot.boards,
        bot.clock,
        bot.ownership,
        next_wipe=next_wipe,
        ready=bot.is_ready,
        charts=bot.charts,
    )
    monitor.on_result = service.on_result
    await bot.add_cog(StatusCog(bot, service))
    await bot.add_cog(StatusAdminCog(bot, service))
    bot.summaries.provide("status", service.summary)  # GET /api/v1/servers/{id}/status
    bot.dashboard.add(
        Section(
            name="status",
            label=N_("Game server status"),
            handler=StatusSection(service),
            package="cogs.status",
            feature="status_board",
        )
    )
    if bot.runs_services:
        bot.scheduler.every("status:tick", TICK_EVERY_S, service.tick)
        bot.scheduler.every("status:alerts", FLUSH_EVERY_S, service.flush_alerts)
        bot.scheduler.every("status:compact", COMPACT_EVERY_MIN * 60, service.compact)


async def teardown(bot: VoteBot) -> None:  # StatusCog.cog_unload has closed the monitor
    bot.scheduler.cancel("status:tick", "status:alerts", "status:compact")
    bot.summaries.withdraw("status")
    bot.dashboard.remove("status")
