"""Keyed runs (``engagement_runs``): each periodic output or one-time notice happens once per key.

``(server, kind, period)`` is the primary key: a daily post (``daily``, ``2026-11-23``), a month rollover
(``top_voter_role``, ``2026-11``), a channel-reminder slot, a milestone (``milestone``, ``2026-11:100``),
the best rank of a month (``best_rank`` computed, ``site_rank`` pushed by a listing site, with the rank as
``value``) or a notice to the guild owner (``notice``, ``thanks:<channel>``).

Two ways to use a key. :meth:`claim` is "first caller only" (a notice; a daily post claimed inside the
transaction that covers its Discord call). :meth:`start` / :meth:`finish` bracket an output whose effect
must not be lost: a key that was started but never finished (a crash, an outage) is still to do, so the
next attempt posts it (with the same message nonce, so Discord never shows it twice).
"""

from __future__ import annotations

from bot.db.executor import Executor


class RunRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def claim(self, server_id: int, kind: str, period: str, value: int | None = None) -> bool:
        """Insert the key (finished); True only for the first caller ever."""
        claimed = await self._db.fetchval(
            "INSERT INTO engagement_runs (server_id, kind, period, value, finished) VALUES ($1, $2, $3, $4, true) "
            "ON CONFLICT DO NOTHING RETURNING true",
            server_id,
            kind,
            period[:64],
            value,
        )
        return bool(claimed)

    async def start(self, server_id: int, kind: str, period: str) -> bool:
        """Claim the key for an output; True while that output is still to do (new, or started and unfinished)."""
        return bool(await self.start_many(server_id, kind, [period]))

    async def start_many(self, server_id: int, kind: str, periods: list[str]) -> list[str]:
        """:meth:`start` for several keys in one statement; returns those still to do."""
        # DO UPDATE (of nothing) rather than DO NOTHING + SELECT: it reads the latest committed row, so a
        # key another caller finished a moment ago is not reported as still to do
        records = await self._db.fetch(
            """
            INSERT INTO engagement_runs (server_id, kind, period)
            SELECT $1, $2, p FROM unnest($3::text[]) AS p
            ON CONFLICT (server_id, kind, period) DO UPDATE SET finished = false WHERE NOT engagement_runs.finished
            RETURNING period
            """,
            server_id,
            kind,
            list(dict.fromkeys(period[:64] for period in periods)),
        )
        return [r["period"] for r in records]

    async def finished_among(self, kind: str, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these ``(server id, period)`` keys of ``kind`` are done, in one query (a sweep over servers)."""
        records = await self._db.fetch(
            """
            SELECT r.server_id, r.period FROM unnest($2::bigint[], $3::text[]) AS k(server_id, period)
            JOIN engagement_runs r ON (r.server_id, r.kind, r.period) = (k.server_id, $1, k.period)
            WHERE r.finished
            """,
            kind,
            [key[0] for key in keys],
            [key[1][:64] for key in keys],
        )
        return {(r["server_id"], r["period"]) for r in records}

    async def finish(self, server_id: int, kind: str, *periods: str) -> None:
        """The outputs of these keys are done (posted, or skipped for good)."""
        await self._db.execute(
            "UPDATE engagement_runs SET finished = true, done_at = now() "
            "WHERE server_id = $1 AND kind = $2 AND period = ANY($3::text[])",
            server_id,
            kind,
            [period[:64] for period in periods],
        )

    async def unfinished(self, server_id: int, kind: str) -> list[str]:
        """Periods of ``kind`` that were started but never finished, oldest first."""
        records = await self._db.fetch(
            "SELECT period FROM engagement_runs WHERE server_id = $1 AND kind = $2 AND NOT finished ORDER BY done_at",
            server_id,
            kind,
        )
        return [r["period"] for r in records]

    async def release(self, server_id: int, kind: str, period: str) -> None:
        """Forget a claimed run whose output failed, so the next attempt tries again."""
        await self._db.execute(
            "DELETE FROM engagement_runs WHERE server_id = $1 AND kind = $2 AND period = $3",
            server_id,
            kind,
            period[:64],
        )

    async def improve_best(self, server_id: int, kind: str, period: str, rank: int) -> tuple[bool, bool]:
        """Record a (lower is better) rank; returns (first of the period, improved on the stored best)."""
        record = await self._db.fetchrow(
            """
            INSERT INTO engagement_runs (server_id, kind, period, value, finished) VALUES ($1, $2, $3, $4, true)
            ON CONFLICT (server_id, kind, period) DO UPDATE SET value = EXCLUDED.value, done_at = now()
                WHERE engagement_runs.value > EXCLUDED.value
            RETURNING (xmax = 0) AS inserted
            """,
            server_id,
            kind,
            period[:64],
            rank,
        )
        if record is None:
            return False, False
        return bool(record["inserted"]), not record["inserted"]
