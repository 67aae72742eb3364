"""Votes out: every vote forwarded to the game server's destinations — Votifier v2/v1, signed webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import VoteBot

INTERVAL = 10.0  # seconds between sweeps of due deliveries (a queued vote wakes the work at once)


async def setup(bot: VoteBot) -> None:
    from bot.core.scheduling import DueWork
    from cogs.forwarding.cog import ForwardingCog
    from cogs.forwarding.model import Kind
    from cogs.forwarding.service import ForwardingService
    from cogs.forwarding.votifier import VotifierV1Sender, VotifierV2Sender
    from cogs.forwarding.webhook import WebhookSender

    allow_private = bot.config.status.allow_private_addresses
    senders = {
        Kind.VOTIFIER_V2: VotifierV2Sender(allow_private),
        Kind.VOTIFIER_V1: VotifierV1Sender(allow_private),
        Kind.WEBHOOK: WebhookSender(allow_private),
    }
    service = ForwardingService(
        bot.pool, bot.servers, bot.notices, senders, clock=bot.clock, ownership=bot.ownership,
        allow_private=allow_private,
    )  # fmt: skip
    await bot.add_cog(ForwardingCog(bot, service))
    bot.add_vote_consumer(service)
    if bot.runs_services:
        service.work = DueWork(bot.scheduler, "forwarding", service.deliver_due, ready=bot.is_ready, interval=INTERVAL)
        service.work.start()


async def teardown(bot: VoteBot) -> None:
    from cogs.forwarding.service import ForwardingService

    bot.remove_vote_consumer(ForwardingService.name)  # the cog stops the due work in cog_unload
