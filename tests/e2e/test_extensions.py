"""Feature packages load and unload cleanly: after unloading, nothing of theirs runs any more."""

from __future__ import annotations

from bot.app.extensions import EXTENSIONS
from tests.e2e.harness import BotRunner


async def test_unloading_every_feature_stops_its_timed_work_probes_and_listeners(runner: BotRunner) -> None:
    bot = runner.running
    assert bot.scheduler.job_ids()  # the features scheduled their work
    assert bot.webhooks is not None and bot.webhooks._stored_events.listeners
    monitor = bot.get_cog("Status").service.monitor  # type: ignore[union-attr]
    for extension in reversed(EXTENSIONS):
        await bot.unload_extension(extension)
    assert bot.scheduler.job_ids() == []
    assert bot.webhooks._stored_events.listeners == []
    assert monitor._inflight == {}
    assert bot.cogs == {}
