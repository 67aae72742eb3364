"""Votes out: every vote forwarded to the game server's destinations — Votifier v2/v1, signed webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

INTERVAL = 10.0  # seconds between sweeps of due deliveries (a queued vote wakes the work at once)


async def setup(bot: VoteBot) -> None:
    from bot.core.scheduling import DueWork
    from cogs.forwarding.cog import ForwardingCog
    from cogs.forwarding.dashboard import add_section
    from cogs.forwarding.senders import real_senders
    from cogs.forwarding.service import ForwardingService

    allow_private = bot.config.status.allow_private_addresses
    senders = real_senders(allow_private)
    service = ForwardingService(
        bot.pool, bot.servers, bot.notices, senders, clock=bot.clock, ownership=bot.ownership,
        allow_private=allow_private,
    )  # fmt: skip
    await bot.add_cog(ForwardingCog(bot, service))
    bot.add_vote_consumer(service)
    add_section(bot, service)
    if bot.runs_services:
        service.work = DueWork(bot.scheduler, "forwarding", service.deliver_due, ready=bot.is_ready, interval=INTERVAL)
        service.work.start()


async def teardown(bot: VoteBot) -> None:
    from cogs.forwarding.dashboard import remove_section
    from cogs.forwarding.service import ForwardingService

    remove_section(bot)
    bot.remove_vote_consumer(ForwardingService.name)  # the cog stops the due work in cog_unload
