"""Samples, honest uptime (gaps are unknown, not down), compaction to hourly rows, the alert outbox."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.servers import ServerService
from cogs.status.alerts import Alert, MonitorState, State
from cogs.status.query import QueryResult
from cogs.status.repository import StatusRepository, StatusSettings

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
UP = QueryResult(online=True, players=3, max_players=10, name="A")
DOWN = QueryResult(online=False, error="no answer (timed out)")


async def new_server(pool: asyncpg.Pool) -> int:
    created = await ServerService(pool, features()).add(
        guild_id=1, name="Alpha", vote_url="https://e.com", address="127.0.0.1"
    )
    return created.server.id


async def record(pool: asyncpg.Pool, repo: StatusRepository, server_id: int, at: dt.datetime, result: QueryResult,
                 alert: Alert | None = None) -> None:  # fmt: skip
    state = MonitorState(State.UP if result.online else State.DOWN, since=at, last_probe_at=at)
    async with pool.acquire() as connection, connection.transaction():
        await repo.record_probe(connection, server_id, at, result, state, alert)


async def test_gap_while_the_bot_was_stopped_is_unknown(pool: asyncpg.Pool) -> None:
    repo, server_id = StatusRepository(pool), await new_server(pool)
    minute = dt.timedelta(minutes=1)
    for i in range(60):  # one hour up
        await record(pool, repo, server_id, T0 + i * minute, UP)
    # bot stopped for two hours, then the server is found down for 30 minutes
    for i in range(30):
        await record(pool, repo, server_id, T0 + dt.timedelta(hours=3) + i * minute, DOWN)
    now = T0 + dt.timedelta(hours=3, minutes=30)
    uptime = await repo.uptime(server_id, now, dt.timedelta(days=7))
    assert uptime.up_s == pytest.approx(3600 + 60)  # the last up sample counts until its cap (2 intervals)
    assert uptime.down_s == pytest.approx(1800)
    assert uptime.window_s == pytest.approx(3.5 * 3600)
    assert uptime.percent == pytest.approx(100 * 3660 / 5460)
    assert uptime.unknown_share == pytest.approx(1 - 5460 / 12600)


async def test_compaction_keeps_the_totals(pool: asyncpg.Pool) -> None:
    repo, server_id = StatusRepository(pool), await new_server(pool)
    await repo.save_settings(StatusSettings(server_id, interval_s=60))
    minute = dt.timedelta(minutes=1)
    for i in range(6 * 60):
        await record(pool, repo, server_id, T0 + i * minute, DOWN if 100 <= i < 130 else UP)
    now = T0 + dt.timedelta(hours=6)
    before = await repo.uptime(server_id, now, dt.timedelta(days=7))
    folded = await repo.compact(now)
    assert folded == 4 * 60  # hours older than two whole hours
    after = await repo.uptime(server_id, now, dt.timedelta(days=7))
    assert (after.up_s, after.down_s) == pytest.approx((before.up_s, before.down_s))
    assert after.down_s == pytest.approx(30 * 60)
    assert await pool.fetchval("SELECT count(*) FROM status_hourly WHERE server_id = $1", server_id) == 4
    assert await pool.fetchval("SELECT count(*) FROM status_samples WHERE server_id = $1", server_id) == 120
    assert await repo.compact(now) == 0  # nothing folded twice


async def test_state_and_alert_outbox(pool: asyncpg.Pool) -> None:
    repo, server_id = StatusRepository(pool), await new_server(pool)
    await record(pool, repo, server_id, T0, UP)
    await record(pool, repo, server_id, T0 + dt.timedelta(minutes=3), DOWN, Alert("down", down_since=T0, detail="x"))
    stored = await repo.state(server_id)
    assert stored is not None and stored.monitor.state is State.DOWN
    assert stored.last_result == DOWN and stored.last_online == UP  # name/map survive an outage
    assert stored.tracking_since == T0
    [alert] = await repo.unsent_alerts()
    assert (alert.kind, alert.down_since) == ("down", T0)
    await repo.mark_alert(alert.id, sent=True, message_id=5)
    assert await repo.unsent_alerts() == []
