"""SQL for the web dashboard's sign-outs (``dashboard_sign_outs``): sessions made before one are refused."""

from __future__ import annotations

import datetime as dt

from bot.db.executor import Executor


class SignOutRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def sign_out(self, user_id: int, at: dt.datetime) -> None:
        await self._db.execute(
            """
            INSERT INTO dashboard_sign_outs (user_id, at) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET at = GREATEST(dashboard_sign_outs.at, EXCLUDED.at)
            """,
            user_id,
            at,
        )

    async def signed_out_at(self, user_id: int) -> dt.datetime | None:
        """When the person last logged out (None: never)."""
        value = await self._db.fetchval("SELECT at FROM dashboard_sign_outs WHERE user_id = $1", user_id)
        return value if isinstance(value, dt.datetime) else None
