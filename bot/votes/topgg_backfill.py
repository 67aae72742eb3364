"""Top.gg backfill: on start, fetch the votes missed while the bot was down and record them once.

``GET {api_base_url}/projects/@me/votes?startDate=<ISO>`` then ``?cursor=<c>`` until ``data`` is empty,
with ``Authorization: Bearer <topgg.api_token>``. ``startDate`` is the server's last recorded Top.gg
vote (or now − 12 h), never older than one year. Each listed vote gets the same ledger key as its
v1 webhook copy (:func:`~bot.votes.model.topgg_vote_key`), so whichever arrives second is a
duplicate. A listed vote is also skipped when the voter already has a Top.gg vote recorded in the
same 12-hour cooldown (a legacy v0 webhook copy, keyed differently). A 429 stops the backfill (Top.gg
blocks a token for an hour after a 429); it runs again on the next start.

The token belongs to one Top.gg project: its votes go to the server whose ``project_id`` setting
matches ``GET /projects/@me``, or to the only server with a Top.gg credential.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from bot.core.time import Clock, utcnow
from bot.db.credentials import CredentialRepository
from bot.db.votes import VoteRepository
from bot.votes.ledger import VoteLedger
from bot.votes.model import Vote, topgg_vote_key
from bot.votes.parsing import parse_iso8601, parse_snowflake

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK = dt.timedelta(hours=12)
MAX_LOOKBACK = dt.timedelta(days=364)
COOLDOWN = dt.timedelta(hours=12)
MAX_PAGES = 1000


class RateLimited(Exception):
    pass


class ApiError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class BackfillResult:
    server_id: int | None
    listed: int = 0
    recorded: int = 0
    skipped: int = 0
    stopped: str | None = None  # why it stopped early, if it did


class TopggBackfill:
    def __init__(
        self,
        pool: asyncpg.Pool,
        api_token: str,
        api_base_url: str = "https://top.gg/api/v1",
        *,
        timeout: float = 15.0,
        clock: Clock = utcnow,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._token = api_token
        self._base = api_base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ledger = VoteLedger(pool)
        self._votes = VoteRepository(pool)

    async def run(self) -> BackfillResult:
        headers = {"Authorization": f"Bearer {self._token}", "User-Agent": "votebot"}
        async with aiohttp.ClientSession(headers=headers, timeout=self._timeout) as session:
            try:
                server_id = await self._target_server(session)
                if server_id is None:
                    return BackfillResult(None, stopped="no server to attribute the token's votes to")
                return await self._backfill(session, server_id)
            except RateLimited:
                log.warning("Top.gg backfill stopped: rate limited (429); it will run again on the next start")
                return BackfillResult(None, stopped="rate limited")
            except (ApiError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("Top.gg backfill stopped: %s", exc or type(exc).__name__)
                return BackfillResult(None, stopped=str(exc) or type(exc).__name__)

    async def _get(self, session: aiohttp.ClientSession, path: str, params: dict[str, str] | None = None) -> Any:
        async with session.get(f"{self._base}{path}", params=params, allow_redirects=False) as response:
            if response.status == 429:
                raise RateLimited
            if response.status != 200:
                raise ApiError(f"Top.gg API answered HTTP {response.status} for {path}")
            try:
                return await response.json(content_type=None)
            except ValueError:
                raise ApiError(f"Top.gg API answered non-JSON for {path}") from None

    async def _target_server(self, session: aiohttp.ClientSession) -> int | None:
        try:
            project = await self._get(session, "/projects/@me")
        except ApiError:
            project = {}
        return await project_server(self._pool, project if isinstance(project, dict) else {})

    async def _backfill(self, session: aiohttp.ClientSession, server_id: int) -> BackfillResult:
        now = self._clock()
        last = await self._votes.last_at(server_id, "topgg")
        start = max(last or now - DEFAULT_LOOKBACK, now - MAX_LOOKBACK)
        params = {"startDate": start.isoformat().replace("+00:00", "Z")}
        listed = recorded = skipped = 0
        seen_cursors: set[str] = set()
        stopped: str | None = None
        for _ in range(MAX_PAGES):
            try:
                page = await self._get(session, "/projects/@me/votes", params)
            except RateLimited:
                log.warning(
                    "Top.gg backfill for server %s stopped: rate limited (429) after %d votes", server_id, listed
                )
                stopped = "rate limited"
                break
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list) or not data:
                break
            votes = [vote for item in data if (vote := self._vote(server_id, item)) is not None]
            listed += len(data)
            copied = await self._cooldown_copies(server_id, votes)
            fresh = [v for v in votes if v.discord_user_id not in copied]
            skipped += len(data) - len(fresh)
            if fresh:
                results = await self._ledger.record_many(fresh)
                recorded += sum(not r.duplicate for r in results)
                skipped += sum(r.duplicate for r in results)
            cursor = page.get("cursor")
            if not isinstance(cursor, str) or not cursor or cursor in seen_cursors:
                break
            seen_cursors.add(cursor)
            params = {"cursor": cursor}
        log.info(
            "Top.gg backfill for server %s since %s: %d listed, %d recorded, %d already known",
            server_id,
            start.isoformat(),
            listed,
            recorded,
            skipped,
        )
        return BackfillResult(server_id, listed, recorded, skipped, stopped)

    def _vote(self, server_id: int, item: object) -> Vote | None:
        if not isinstance(item, dict):
            return None
        try:
            user = parse_snowflake(item.get("platform_id"), "platform_id")
            created = parse_iso8601(item.get("created_at"), "created_at")
            expires = item.get("expires_at")
            weight = item.get("weight", 1)
            return Vote(
                server_id=server_id,
                provider="topgg",
                external_id=topgg_vote_key(server_id, user, created),
                voted_at=created,
                discord_user_id=user,
                weight=weight if isinstance(weight, int) and not isinstance(weight, bool) and 1 <= weight <= 100 else 1,
                expires_at=parse_iso8601(expires, "expires_at") if expires is not None else None,
                raw={"source": "backfill", "topgg_user_id": str(item.get("user_id"))},
            )
        except ValueError as exc:
            log.warning("Top.gg backfill: listed vote ignored: %s", exc)
            return None

    async def _cooldown_copies(self, server_id: int, votes: list[Vote]) -> set[int]:
        """Voters of these listed votes whose v0 webhook copy (keyed by its 12-hour bucket) is already in the
        ledger, for the whole page in one query."""
        windows = [
            (v.discord_user_id, v.voted_at - dt.timedelta(minutes=2), v.voted_at + COOLDOWN - dt.timedelta(minutes=2))
            for v in votes
            if v.discord_user_id is not None
        ]
        return await self._votes.with_vote_between(server_id, "topgg", windows) if windows else set()


async def project_server(pool: asyncpg.Pool, project: dict[str, Any]) -> int | None:
    """The server a Top.gg token's project belongs to: ``project_id`` setting match, else the only Top.gg server."""
    credentials = await CredentialRepository(pool).list_for_provider("topgg")
    if not credentials:
        log.info("Top.gg API: no server has a Top.gg credential")
        return None
    ids = {str(project.get(k)) for k in ("id", "platform_id") if project.get(k)}
    matching = [c.server_id for c in credentials if str(c.settings.get("project_id", "")) in ids]
    if len(matching) == 1:
        return matching[0]
    if len(credentials) == 1:
        return credentials[0].server_id
    log.warning(
        "Top.gg API token skipped: %d servers use Top.gg and none has project_id set to this token's project "
        "(votebot server secret ID --provider topgg --secret ... --set project_id=<id>)",
        len(credentials),
    )
    return None
