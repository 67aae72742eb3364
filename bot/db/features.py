"""SQL for per-server feature settings."""

from __future__ import annotations

import json
from typing import Any

from bot.db.executor import Executor
from bot.db.records import FeatureSetting

_COLUMNS = "server_id, feature, enabled, channel_id, role_id, message_id, settings"


class FeatureRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def get(self, server_id: int, feature: str) -> FeatureSetting | None:
        record = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM server_features WHERE server_id = $1 AND feature = $2", server_id, feature
        )
        return FeatureSetting.from_record(record) if record else None

    async def list_for_server(self, server_id: int) -> list[FeatureSetting]:
        records = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM server_features WHERE server_id = $1 ORDER BY feature", server_id
        )
        return [FeatureSetting.from_record(r) for r in records]

    async def set(
        self,
        server_id: int,
        feature: str,
        *,
        enabled: bool,
        channel_id: int | None = None,
        role_id: int | None = None,
        settings: dict[str, Any] | None = None,
    ) -> FeatureSetting:
        """Switch a feature; a channel, role or settings given replace the stored ones, None keeps them."""
        record = await self._db.fetchrow(
            f"""
            INSERT INTO server_features (server_id, feature, enabled, channel_id, role_id, settings)
            VALUES ($1, $2, $3, $4, $5, COALESCE($6::jsonb, '{{}}'::jsonb))
            ON CONFLICT (server_id, feature) DO UPDATE SET
                enabled = EXCLUDED.enabled,
                channel_id = COALESCE($4, server_features.channel_id),
                role_id = COALESCE($5, server_features.role_id),
                settings = COALESCE($6::jsonb, server_features.settings),
                updated_at = now()
            RETURNING {_COLUMNS}
            """,
            server_id,
            feature,
            enabled,
            channel_id,
            role_id,
            json.dumps(settings) if settings is not None else None,
        )
        if record is None:  # pragma: no cover - RETURNING always yields a row
            raise RuntimeError("insert returned no row")
        return FeatureSetting.from_record(record)

    async def set_message_id(self, server_id: int, feature: str, message_id: int | None) -> None:
        await self._db.execute(
            "UPDATE server_features SET message_id = $3, updated_at = now() WHERE server_id = $1 AND feature = $2",
            server_id,
            feature,
            message_id,
        )

    async def set_board_state(self, server_id: int, feature: str, state: dict[str, Any]) -> None:
        """Replace only the ``board`` key of the settings (digest, last edit, failure notice)."""
        await self.set_settings_key(server_id, feature, "board", state)

    async def set_settings_key(self, server_id: int, feature: str, key: str, value: Any) -> None:
        """Replace one top-level key of a feature's settings, leaving the others (admins' choices) alone."""
        await self._db.execute(
            """
            UPDATE server_features SET settings = jsonb_set(settings, ARRAY[$3::text], $4::jsonb)
            WHERE server_id = $1 AND feature = $2
            """,
            server_id,
            feature,
            key,
            json.dumps(value),
        )
