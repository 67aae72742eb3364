"""SQL for per-server feature settings (``server_features``) and boards waiting for a refresh."""

from __future__ import annotations

from typing import Any

from bot.db.executor import Executor
from bot.db.records import FeatureSetting, Server
from bot.db.servers import server_columns
from bot.db.shards import shard_filter

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

    async def enabled_by_server(self) -> dict[int, list[str]]:
        """Every server's features that are switched on (the owners' instance page), by server id."""
        records = await self._db.fetch(
            "SELECT server_id, feature FROM server_features WHERE enabled ORDER BY server_id, feature"
        )
        found: dict[int, list[str]] = {}
        for record in records:
            found.setdefault(record["server_id"], []).append(record["feature"])
        return found

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
            settings,
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
            value,
        )

    async def active(self, feature: str) -> list[tuple[Server, FeatureSetting]]:
        """Every server whose ``feature`` and master switch are on, with the feature's setting."""
        records = await self._db.fetch(
            f"""
            SELECT {server_columns("s", prefix="s_")}, f.server_id, f.feature, f.enabled, f.channel_id, f.role_id,
                   f.message_id, f.settings
            FROM servers s JOIN server_features f ON f.server_id = s.id
            WHERE f.feature = $1 AND f.enabled AND s.enabled
            ORDER BY s.id
            """,
            feature,
        )
        return [(Server.from_record(r, prefix="s_"), FeatureSetting.from_record(r)) for r in records]

    async def mark_board_stale(self, server_id: int, feature: str) -> None:
        """Ask for a refresh of the server's board; marking it again before the refresh costs nothing."""
        await self._db.execute(
            "INSERT INTO stale_boards (server_id, feature) VALUES ($1, $2) ON CONFLICT DO NOTHING", server_id, feature
        )

    async def take_stale_boards(
        self, feature: str, shard_count: int | None = None, shard_ids: list[int] | None = None
    ) -> frozenset[int]:
        """Servers whose board was marked stale, unmarking them (of our shards only). A vote arriving while
        the board renders marks it again; a refresh that fails marks it again itself."""
        records = await self._db.fetch(
            f"""
            DELETE FROM stale_boards b USING servers s
            WHERE b.feature = $1 AND s.id = b.server_id AND {shard_filter("s.guild_id", "$2", "$3")}
            RETURNING b.server_id
            """,
            feature,
            shard_count,
            shard_ids,
        )
        return frozenset(r["server_id"] for r in records)
