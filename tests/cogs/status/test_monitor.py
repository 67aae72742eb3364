"""The monitor against loopback responders, with an injected clock: no real waiting."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.app.extensions import features
from bot.core.servers import ServerService
from cogs.status.alerts import State
from cogs.status.monitor import ProbeOutcome, StatusMonitor
from cogs.status.query import Prober
from cogs.status.repository import StatusSettings
from tests.cogs.status.responders import A2SResponder, MinecraftResponder

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


async def add_server(pool: asyncpg.Pool, name: str, address: str, game: str, feature: str = "offline_alerts") -> int:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=7, name=name, vote_url="https://e.com", game=game, address=address)).server
    await service.switch_feature(server, feature, enabled=True, channel_id=99)
    return server.id


async def test_silent_server_pending_down_once_then_recovery(pool: asyncpg.Pool) -> None:
    mc = await MinecraftResponder().start()
    server_id = await add_server(pool, "Mine", f"127.0.0.1:{mc.port}", "minecraft")
    clock, outcomes = Clock(), []

    async def collect(outcome: ProbeOutcome) -> None:
        outcomes.append(outcome)

    monitor = StatusMonitor(pool, prober=Prober(timeout=0.2), clock=clock, allow_private=True, on_result=collect)
    await monitor.repository.save_settings(StatusSettings(server_id, failures_to_down=3, confirm_interval_s=10))
    try:
        states = []

        async def step(seconds: int) -> None:
            out = await monitor.probe_server(server_id)
            assert out is not None
            states.append(out.state.state)
            clock.now += dt.timedelta(seconds=seconds)

        await step(60)
        mc.mode = "silent"
        went_silent = clock.now
        for _ in range(6):
            await step(10)
        mc.mode = "ok"
        await step(60)
    finally:
        await mc.stop()
    assert states == [State.UP, State.PENDING, State.PENDING, State.DOWN, State.DOWN, State.DOWN, State.DOWN, State.UP]
    alerts = [o.alert for o in outcomes if o.alert is not None]
    assert [a.kind for a in alerts] == ["down", "up"]
    assert alerts[0].down_since == went_silent and alerts[1].down_since == went_silent
    rows = await pool.fetch("SELECT kind, down_since FROM status_alerts ORDER BY id")
    assert [r["kind"] for r in rows] == ["down", "up"]
    samples = await pool.fetch("SELECT online, error FROM status_samples WHERE server_id = $1", server_id)
    assert len(samples) == 8 and sum(not s["online"] for s in samples) == 6
    assert all(s["error"] for s in samples if not s["online"])


async def test_state_survives_a_restart_without_repeating_the_alert(pool: asyncpg.Pool) -> None:
    a2s = await A2SResponder(mode="silent").start()
    server_id = await add_server(pool, "Src", f"127.0.0.1:{a2s.port}", "csgo")
    clock = Clock()
    try:
        first = StatusMonitor(pool, prober=Prober(timeout=0.2), clock=clock, allow_private=True)
        await first.repository.save_settings(StatusSettings(server_id, failures_to_down=2))
        for _ in range(3):
            await first.probe_server(server_id)
            clock.now += dt.timedelta(seconds=15)
        second = StatusMonitor(pool, prober=Prober(timeout=0.2), clock=clock, allow_private=True)  # "restarted" bot
        out = await second.probe_server(server_id)
        assert out is not None and out.state.state is State.DOWN and out.alert is None
    finally:
        await a2s.stop()
    assert await pool.fetchval("SELECT count(*) FROM status_alerts WHERE kind = 'down'") == 1


async def test_ticks_spread_probes_and_record_bad_addresses(pool: asyncpg.Pool) -> None:
    a2s = await A2SResponder().start()
    ids = [await add_server(pool, f"S{i}", f"127.0.0.1:{a2s.port}", "csgo", "status_board") for i in range(5)]
    bad = await add_server(pool, "Bad", "no-such-host.invalid:27015", "csgo", "status_board")
    clock = Clock()
    monitor = StatusMonitor(pool, prober=Prober(timeout=0.5), clock=clock, concurrency=2, allow_private=True)
    started = []
    try:
        for _ in range(60):  # one simulated minute in 1 s ticks
            started.append(await monitor.tick())
            await monitor.drain()
            clock.now += dt.timedelta(seconds=1)
    finally:
        await a2s.stop()
    # everyone once, spread over the minute; the failing one is re-probed at the confirmation interval
    assert max(started) <= 2
    counts = dict(await pool.fetch("SELECT server_id, count(*) FROM status_samples GROUP BY 1"))
    assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1) and counts[bad] >= 2
    rows = {r["server_id"]: r for r in await pool.fetch("SELECT server_id, online, error FROM status_samples")}
    assert all(rows[i]["online"] for i in ids)
    assert not rows[bad]["online"] and "does not resolve" in rows[bad]["error"]
    assert monitor.stats.missed == 0


async def test_private_addresses_refused_by_default(pool: asyncpg.Pool) -> None:
    a2s = await A2SResponder().start()
    server_id = await add_server(pool, "Local", f"127.0.0.1:{a2s.port}", "csgo")
    try:
        monitor = StatusMonitor(pool, prober=Prober(timeout=0.5), clock=Clock())
        out = await monitor.probe_server(server_id)
    finally:
        await a2s.stop()
    assert out is not None and not out.result.online
    assert out.result.error and "private or local" in out.result.error
    assert a2s.challenged == 0  # never contacted
