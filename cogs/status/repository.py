"""SQL for live status: query settings, samples and hourly rollups, alert state and the alert outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.db.executor import Executor
from bot.db.shards import shard_filter
from bot.db.transaction import transaction
from cogs.status.alerts import Alert, MonitorState, State
from cogs.status.query import QueryResult

MONITORED_FEATURES = ("status_board", "offline_alerts")
HOURLY_RETENTION = dt.timedelta(days=35)
# A sample stands for the time until the next one, capped at two of the server's intervals.
_CAP = "make_interval(secs => 2 * COALESCE(st.interval_s, 60))"


@dataclass(frozen=True, slots=True)
class StatusSettings:
    server_id: int
    protocol: str | None = None
    query_port: int | None = None
    interval_s: int = 60
    confirm_interval_s: int = 15
    failures_to_down: int = 3
    connect_url: str | None = None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> StatusSettings:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class StoredState:
    monitor: MonitorState
    last_result: QueryResult | None
    last_online: QueryResult | None
    tracking_since: dt.datetime


@dataclass(frozen=True, slots=True)
class PendingAlert:
    id: int
    server_id: int
    kind: str
    created_at: dt.datetime
    down_since: dt.datetime | None
    detail: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class Uptime:
    up_s: float
    down_s: float
    window_s: float  # the part of the window since monitoring started
    since: dt.datetime | None = None  # where that part starts: the window's start, or when monitoring started
    whole_window: bool = False  # monitoring started before the window: the figure covers all of it

    @property
    def known_s(self) -> float:
        return self.up_s + self.down_s

    @property
    def percent(self) -> float | None:
        return 100.0 * self.up_s / self.known_s if self.known_s > 0 else None

    @property
    def unknown_share(self) -> float:
        return max(0.0, 1.0 - self.known_s / self.window_s) if self.window_s > 0 else 1.0


@dataclass(frozen=True, slots=True)
class HourStats:
    """One UTC hour of a server's history: seconds known up and down (each sample stands for the time until the
    next one, capped at two intervals; the rest of the hour is unknown), samples taken and the most players seen."""

    hour: dt.datetime  # its start, UTC
    up_s: float = 0.0
    down_s: float = 0.0
    samples: int = 0
    peak_players: int | None = None

    @property
    def known_s(self) -> float:
        return self.up_s + self.down_s


class StatusRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- settings ---------------------------------------------------------------------------------------
    async def settings(self, server_id: int) -> StatusSettings:
        record = await self._db.fetchrow(
            f"SELECT {', '.join(StatusSettings.__dataclass_fields__)} FROM status_settings WHERE server_id = $1",
            server_id,
        )
        return StatusSettings.from_record(record) if record else StatusSettings(server_id)

    async def save_settings(self, settings: StatusSettings) -> None:
        await self._db.execute(
            """
            INSERT INTO status_settings
                (server_id, protocol, query_port, interval_s, confirm_interval_s, failures_to_down, connect_url)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (server_id) DO UPDATE SET
                protocol = EXCLUDED.protocol, query_port = EXCLUDED.query_port, interval_s = EXCLUDED.interval_s,
                confirm_interval_s = EXCLUDED.confirm_interval_s, failures_to_down = EXCLUDED.failures_to_down,
                connect_url = EXCLUDED.connect_url, updated_at = now()
            """,
            settings.server_id,
            settings.protocol,
            settings.query_port,
            settings.interval_s,
            settings.confirm_interval_s,
            settings.failures_to_down,
            settings.connect_url,
        )

    async def monitored(self) -> list[tuple[int, int, str | None, str | None, StatusSettings]]:
        """(server id, guild id, address, game, settings) of every server with a status feature switched on."""
        records = await self._db.fetch(
            """
            SELECT s.id, s.guild_id, s.address, s.game, st.protocol, st.query_port,
                   COALESCE(st.interval_s, 60) AS interval_s, COALESCE(st.confirm_interval_s, 15) AS confirm_interval_s,
                   COALESCE(st.failures_to_down, 3) AS failures_to_down, st.connect_url
            FROM servers s LEFT JOIN status_settings st ON st.server_id = s.id
            WHERE s.enabled AND s.address IS NOT NULL AND EXISTS (
                SELECT 1 FROM server_features f WHERE f.server_id = s.id AND f.enabled AND f.feature = ANY($1::text[]))
            ORDER BY s.id
            """,
            list(MONITORED_FEATURES),
        )
        return [
            (
                r["id"],
                r["guild_id"],
                r["address"],
                r["game"],
                StatusSettings(
                    r["id"],
                    r["protocol"],
                    r["query_port"],
                    r["interval_s"],
                    r["confirm_interval_s"],
                    r["failures_to_down"],
                    r["connect_url"],
                ),
            )
            for r in records
        ]

    # -- state and samples ------------------------------------------------------------------------------
    async def state(self, server_id: int) -> StoredState | None:
        r = await self._db.fetchrow("SELECT * FROM status_state WHERE server_id = $1", server_id)
        if r is None:
            return None
        monitor = MonitorState(
            State(r["state"]),
            since=r["since"],
            failures=r["failures"],
            alerted=r["alerted"],
            alert_times=tuple(r["alert_times"]),
            flapping_until=r["flapping_until"],
            last_probe_at=r["last_probe_at"],
        )
        last, online = r["last_result"], r["last_online"]
        return StoredState(
            monitor,
            QueryResult.from_json(last) if last else None,
            QueryResult.from_json(online) if online else None,
            r["tracking_since"],
        )

    async def record_probe(
        self, connection: asyncpg.Connection, server_id: int, now: dt.datetime, result: QueryResult,
        monitor: MonitorState, alert: Alert | None,
    ) -> None:  # fmt: skip
        """Sample, new state and (optional) alert in the caller's transaction: a restart neither repeats nor loses."""
        await connection.execute(
            """
            INSERT INTO status_samples (server_id, probed_at, online, players, max_players, latency_ms, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """,
            server_id,
            now,
            result.online,
            result.players,
            result.max_players,
            result.latency_ms,
            result.error,
        )
        await connection.execute(
            """
            INSERT INTO status_state (server_id, state, since, failures, alerted, alert_times, flapping_until,
                                      last_probe_at, last_result, last_online, tracking_since)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $8)
            ON CONFLICT (server_id) DO UPDATE SET
                state = EXCLUDED.state, since = EXCLUDED.since, failures = EXCLUDED.failures,
                alerted = EXCLUDED.alerted, alert_times = EXCLUDED.alert_times,
                flapping_until = EXCLUDED.flapping_until, last_probe_at = EXCLUDED.last_probe_at,
                last_result = EXCLUDED.last_result,
                last_online = COALESCE(EXCLUDED.last_online, status_state.last_online)
            """,
            server_id,
            monitor.state.value,
            monitor.since,
            monitor.failures,
            monitor.alerted,
            list(monitor.alert_times),
            monitor.flapping_until,
            now,
            result.to_json(),
            result.to_json() if result.online else None,
        )
        if alert is not None:
            await connection.execute(
                """
                INSERT INTO status_alerts (server_id, kind, created_at, down_since, detail)
                VALUES ($1, $2, $3, $4, $5)
                """,
                server_id,
                alert.kind,
                now,
                alert.down_since,
                (alert.detail or "")[:200] or None,
            )

    async def uptime(self, server_id: int, now: dt.datetime, window: dt.timedelta) -> Uptime:
        """Up and down seconds over the window (hourly rollups + raw samples); unknown is the rest."""
        start = now - window
        record = await self._db.fetchrow(
            f"""
            WITH spans AS (
                SELECT s.online, extract(epoch FROM LEAST(
                           COALESCE(LEAD(s.probed_at) OVER (ORDER BY s.probed_at), $2), s.probed_at + {_CAP}, $2
                       ) - s.probed_at) AS span
                FROM status_samples s LEFT JOIN status_settings st ON st.server_id = s.server_id
                WHERE s.server_id = $1 AND s.probed_at >= $3 AND s.probed_at <= $2
            ), hourly AS (
                SELECT COALESCE(sum(up_s), 0) AS up_s, COALESCE(sum(down_s), 0) AS down_s
                FROM status_hourly WHERE server_id = $1 AND hour >= $3
            )
            SELECT hourly.up_s + COALESCE((SELECT sum(span) FROM spans WHERE online), 0) AS up_s,
                   hourly.down_s + COALESCE((SELECT sum(span) FROM spans WHERE NOT online), 0) AS down_s,
                   (SELECT tracking_since FROM status_state WHERE server_id = $1) AS tracking_since
            FROM hourly
            """,
            server_id,
            now,
            start,
        )
        assert record is not None  # noqa: S101 - an aggregate always yields a row
        since = max(start, record["tracking_since"] or now)
        return Uptime(
            float(record["up_s"]),
            float(record["down_s"]),
            max(0.0, (now - since).total_seconds()),
            since=since,
            whole_window=record["tracking_since"] is not None and record["tracking_since"] <= start,
        )

    async def hours(self, server_id: int, start: dt.datetime, end: dt.datetime) -> list[HourStats]:
        """The server's whole UTC hours from ``start`` to ``end`` (exclusive; both on the hour) that have samples,
        oldest first: the hourly rollups and, for the hours not folded yet, the raw samples summed the way
        :meth:`compact` sums them. Only samples before ``end`` count and no span runs past it, so the figures of
        hours that are over do not change while the current hour goes on."""
        records = await self._db.fetch(
            f"""
            WITH spans AS (
                SELECT s.probed_at, s.online, s.players, extract(epoch FROM LEAST(
                           COALESCE(LEAD(s.probed_at) OVER (ORDER BY s.probed_at), $3), s.probed_at + {_CAP}, $3
                       ) - s.probed_at) AS span
                FROM status_samples s LEFT JOIN status_settings st ON st.server_id = s.server_id
                WHERE s.server_id = $1 AND s.probed_at >= $2 AND s.probed_at < $3
            ), raw AS (
                SELECT date_bin('1 hour', probed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
                       COALESCE(sum(span) FILTER (WHERE online), 0) AS up_s,
                       COALESCE(sum(span) FILTER (WHERE NOT online), 0) AS down_s,
                       count(*) AS samples, max(players) AS peak_players
                FROM spans GROUP BY 1
            ), rolled AS (
                SELECT hour, up_s, down_s, samples, peak_players FROM status_hourly
                WHERE server_id = $1 AND hour >= $2 AND hour < $3
            )
            SELECT hour, sum(up_s) AS up_s, sum(down_s) AS down_s, sum(samples) AS samples,
                   max(peak_players) AS peak_players
            FROM (SELECT * FROM raw UNION ALL SELECT * FROM rolled) AS both_kinds
            GROUP BY hour ORDER BY hour
            """,
            server_id,
            start,
            end,
        )
        return [
            HourStats(r["hour"], float(r["up_s"]), float(r["down_s"]), int(r["samples"]), r["peak_players"])
            for r in records
        ]

    async def add_hour(self, server_id: int, stats: HourStats) -> None:
        """Store an hour of history as :meth:`compact` would have (imports, tests); adds to an hour already there."""
        await self._db.execute(
            """
            INSERT INTO status_hourly (server_id, hour, up_s, down_s, samples, peak_players)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (server_id, hour) DO UPDATE SET
                up_s = status_hourly.up_s + EXCLUDED.up_s, down_s = status_hourly.down_s + EXCLUDED.down_s,
                samples = status_hourly.samples + EXCLUDED.samples,
                peak_players = GREATEST(status_hourly.peak_players, EXCLUDED.peak_players)
            """,
            server_id,
            stats.hour,
            stats.up_s,
            stats.down_s,
            stats.samples,
            stats.peak_players,
        )

    async def compact(self, now: dt.datetime, keep_raw: dt.timedelta = dt.timedelta(hours=2)) -> int:
        """Fold raw samples older than ``keep_raw`` (whole hours) into hourly rows; returns samples folded.

        Uses a transaction-level advisory lock so two processes never fold the same samples twice.
        """
        cutoff = (now - keep_raw).replace(minute=0, second=0, microsecond=0)
        async with transaction(self._db) as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock(7665746537)"):
                return 0
            folded = await connection.fetchval(
                f"""
                WITH spans AS (
                    SELECT s.server_id, s.probed_at, s.online, s.players, extract(epoch FROM LEAST(
                               COALESCE(LEAD(s.probed_at) OVER (PARTITION BY s.server_id ORDER BY s.probed_at), $2),
                               s.probed_at + {_CAP}, $2) - s.probed_at) AS span
                    FROM status_samples s LEFT JOIN status_settings st ON st.server_id = s.server_id
                    WHERE s.probed_at < $1::timestamptz + interval '2 hours'
                ), gone AS (
                    DELETE FROM status_samples WHERE probed_at < $1 RETURNING 1
                ), rolled AS (
                    INSERT INTO status_hourly (server_id, hour, up_s, down_s, samples, peak_players)
                    SELECT server_id, date_bin('1 hour', probed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
                           COALESCE(sum(span) FILTER (WHERE online), 0),
                           COALESCE(sum(span) FILTER (WHERE NOT online), 0),
                           count(*), max(players)
                    FROM spans WHERE probed_at < $1 GROUP BY 1, 2
                    ON CONFLICT (server_id, hour) DO UPDATE SET
                        up_s = status_hourly.up_s + EXCLUDED.up_s, down_s = status_hourly.down_s + EXCLUDED.down_s,
                        samples = status_hourly.samples + EXCLUDED.samples,
                        peak_players = GREATEST(status_hourly.peak_players, EXCLUDED.peak_players)
                    RETURNING 1
                )
                SELECT count(*) FROM gone
                """,
                cutoff,
                now,
            )
            await connection.execute("DELETE FROM status_hourly WHERE hour < $1", now - HOURLY_RETENTION)
            await connection.execute(
                "DELETE FROM status_alerts WHERE sent_at IS NOT NULL AND sent_at < $1", now - HOURLY_RETENTION
            )
        return int(folded or 0)

    # -- alert outbox -----------------------------------------------------------------------------------
    async def unsent_alerts(
        self, shard_count: int | None = None, shard_ids: list[int] | None = None
    ) -> list[PendingAlert]:
        """Alerts not sent yet, of our guilds' servers, oldest first."""
        records = await self._db.fetch(
            f"""
            SELECT a.id, a.server_id, a.kind, a.created_at, a.down_since, a.detail, a.attempts
            FROM status_alerts a JOIN servers s ON s.id = a.server_id
            WHERE a.sent_at IS NULL AND {shard_filter("s.guild_id", "$1", "$2")} ORDER BY a.id
            """,
            shard_count,
            shard_ids,
        )
        return [PendingAlert(**dict(r)) for r in records]

    async def mark_alert(self, alert_id: int, *, sent: bool, message_id: int | None = None) -> None:
        """``sent``: delivered (or given up); otherwise one more failed attempt."""
        if sent:
            await self._db.execute(
                "UPDATE status_alerts SET sent_at = now(), message_id = $2, attempts = attempts + 1 WHERE id = $1",
                alert_id,
                message_id,
            )
        else:
            await self._db.execute("UPDATE status_alerts SET attempts = attempts + 1 WHERE id = $1", alert_id)
