"""The status monitor: decides which servers are due, probes them with a concurrency bound, records each
result with its state change and alert in one transaction, and tells the caller (the cog) what happened.

Probes are spread over the interval (each server has a fixed offset), so 2,000 servers at 60 s are ~33
probes a second rather than 2,000 at once. No Discord here: the cog passes ``on_result``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from bot.core.addresses import PrivateAddress, resolve
from bot.core.errors import UserError
from bot.core.scheduling import spread_offset
from bot.core.time import utcnow
from bot.db.transaction import transaction
from cogs.status.alerts import Alert, AlertPolicy, MonitorState, advance
from cogs.status.query import Prober, QueryResult
from cogs.status.repository import StatusRepository, StatusSettings
from cogs.status.targets import Target, build_target

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 64
RELOAD_EVERY = dt.timedelta(seconds=30)


async def no_maintenance(server_id: int, now: dt.datetime) -> bool:
    """No maintenance window is ever under way (the default when no calendar is given)."""
    del server_id, now
    return False


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    server_id: int
    guild_id: int
    result: QueryResult
    state: MonitorState
    alert: Alert | None
    probed_at: dt.datetime


@dataclass
class Entry:
    server_id: int
    guild_id: int
    address: str | None
    game: str | None
    settings: StatusSettings
    due: dt.datetime


@dataclass
class MonitorStats:
    probes: int = 0
    failures: int = 0
    missed: int = 0  # a probe started more than one interval after it was due
    latencies_ms: list[float] = field(default_factory=list)
    keep_latencies: bool = False


class StatusMonitor:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        prober: Prober | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        allow_private: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        maintenance: Callable[[int, dt.datetime], Awaitable[bool]] = no_maintenance,
        on_result: Callable[[ProbeOutcome], Awaitable[None]] | None = None,
        guild_filter: Callable[[int], bool] = lambda _guild_id: True,
    ) -> None:
        self._pool = pool
        self.repository = StatusRepository(pool)
        self.prober = prober or Prober(connect_by_name=allow_private, allow_private=allow_private)
        self._clock = clock
        self.allow_private = allow_private
        self._semaphore = asyncio.Semaphore(concurrency)
        self._maintenance = maintenance
        self.on_result = on_result
        self._guild_filter = guild_filter
        self._entries: dict[int, Entry] = {}
        self._loaded_at: dt.datetime | None = None
        self._inflight: dict[int, asyncio.Task[ProbeOutcome | None]] = {}
        self.stats = MonitorStats()

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    def invalidate(self) -> None:
        """Reload the monitored servers on the next tick (settings or features changed)."""
        self._loaded_at = None

    async def _reload(self, now: dt.datetime) -> None:
        rows = await self.repository.monitored()
        fresh: dict[int, Entry] = {}
        for server_id, guild_id, address, game, settings in rows:
            if not self._guild_filter(guild_id):
                continue
            old = self._entries.get(server_id)
            due = old.due if old is not None else now + spread_offset(server_id, settings.interval_s)
            fresh[server_id] = Entry(server_id, guild_id, address, game, settings, due)
        self._entries, self._loaded_at = fresh, now

    async def tick(self) -> int:
        """Start the probes that are due; returns how many started. Never raises for one server's trouble."""
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= RELOAD_EVERY:
            await self._reload(now)
        started = 0
        for entry in self._entries.values():
            if entry.due > now or entry.server_id in self._inflight:
                continue
            task = asyncio.create_task(self._guarded(entry, entry.due), name=f"status-probe-{entry.server_id}")
            self._inflight[entry.server_id] = task
            task.add_done_callback(functools.partial(self._forget, entry.server_id))
            started += 1
        return started

    def _forget(self, server_id: int, _task: asyncio.Task[ProbeOutcome | None]) -> None:
        self._inflight.pop(server_id, None)

    async def drain(self) -> None:
        """Wait for the probes in flight (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)

    async def _guarded(self, entry: Entry, due: dt.datetime | None = None) -> ProbeOutcome | None:
        try:
            async with self._semaphore:
                if due is not None and self._clock() - due > dt.timedelta(seconds=entry.settings.interval_s):
                    self.stats.missed += 1
                outcome = await self.probe_and_record(entry, due)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("status probe of server %s could not be recorded: %s", entry.server_id, exc)
            entry.due = self._clock() + dt.timedelta(seconds=entry.settings.confirm_interval_s)
            return None
        except Exception:
            log.exception("status probe of server %s failed unexpectedly", entry.server_id)
            entry.due = self._clock() + dt.timedelta(seconds=entry.settings.interval_s)
            return None
        if self.on_result is not None:
            try:
                await self.on_result(outcome)
            except Exception:
                log.exception("status result handler failed for server %s", entry.server_id)
        return outcome

    async def query(self, target: Target) -> QueryResult:
        """Resolve (with the private-address policy) and probe; bad addresses become failed results."""
        try:
            ip = await resolve(target.host, allow_private=self.allow_private)
        except PrivateAddress as exc:  # the board says what; /status-admin check says how to allow it
            return QueryResult(online=False, error=exc.summary[:200])
        except UserError as exc:
            return QueryResult(online=False, error=str(exc)[:200])
        return await self.prober.probe(target, ip)

    async def probe_and_record(self, entry: Entry, due: dt.datetime | None = None) -> ProbeOutcome:
        """Probe, record, and schedule the next probe from the slot it was due in (no drift by latency)."""
        settings = entry.settings
        try:
            target = build_target(
                entry.server_id, entry.address, entry.game, protocol=settings.protocol, query_port=settings.query_port
            )
        except UserError as exc:
            result = QueryResult(online=False, error=str(exc)[:200])
        else:
            result = await self.query(target)
        now = self._clock()
        self.stats.probes += 1
        if not result.online:
            self.stats.failures += 1
        elif self.stats.keep_latencies and result.latency_ms is not None:
            self.stats.latencies_ms.append(result.latency_ms)
        policy = AlertPolicy(
            failures_to_down=settings.failures_to_down,
            interval=dt.timedelta(seconds=settings.interval_s),
            confirm_interval=dt.timedelta(seconds=settings.confirm_interval_s),
        )
        maintenance = await self._maintenance(entry.server_id, now)
        async with transaction(self._pool) as connection:
            stored = await StatusRepository(connection).state(entry.server_id)
            current = stored.monitor if stored is not None else MonitorState.initial(now)
            state, alert = advance(current, result.online, now, policy, maintenance=maintenance, error=result.error)
            await self.repository.record_probe(connection, entry.server_id, now, result, state, alert)
        if alert is not None:
            log.info("server %s is %s (%s)", entry.server_id, alert.kind, result.error or "answering")
        step = policy.next_probe_after(state.state)
        following = (due + step) if due is not None else now + step
        entry.due = following if following > now else now  # behind schedule: next tick, never a burst
        return ProbeOutcome(entry.server_id, entry.guild_id, result, state, alert, now)

    async def probe_server(self, server_id: int) -> ProbeOutcome | None:
        """Probe one monitored server now (tests, /status-admin check), outside the schedule."""
        if self._loaded_at is None or server_id not in self._entries:
            await self._reload(self._clock())
        entry = self._entries.get(server_id)
        return None if entry is None else await self._guarded(entry)
