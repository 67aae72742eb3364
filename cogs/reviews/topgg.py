"""Top.gg review counts: with ``topgg.api_token`` set, ``GET /projects/@me`` gives ``review_count`` and
``review_score``; a growing count is announced in the reviews channel. The first poll is the baseline."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import babel.numbers

from bot.core import i18n
from bot.core.i18n import n_, number
from bot.votes.topgg_backfill import project_server

log = logging.getLogger(__name__)

STATE_KEY = "topgg_stats"


@dataclass(frozen=True, slots=True)
class ReviewStats:
    count: int
    score: float | None

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "score": self.score}

    @classmethod
    def from_json(cls, data: Any) -> ReviewStats | None:
        if not isinstance(data, dict) or not isinstance(data.get("count"), int):
            return None
        score = data.get("score")
        return cls(data["count"], float(score) if isinstance(score, int | float) else None)


def parse_stats(project: Any) -> ReviewStats | None:
    """``review_count`` (a whole number ≥ 0) and ``review_score`` (0–5 or 0–100, optional) from the project."""
    if not isinstance(project, dict):
        return None
    count, score = project.get("review_count"), project.get("review_score")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score) or score < 0:
        score = None
    return ReviewStats(count, float(score) if score is not None else None)


def change_text(server_name: str, old: ReviewStats | None, new: ReviewStats) -> str | None:
    if old is None or new.count <= old.count:
        return None
    added = new.count - old.count
    values = {"server": server_name, "total": number(new.count)}
    if new.score is None:
        return n_(
            "⭐ {count} new review of **{server}** on Top.gg — {total} in total.",
            "⭐ {count} new reviews of **{server}** on Top.gg — {total} in total.",
            added,
            **values,
        )
    return n_(
        "⭐ {count} new review of **{server}** on Top.gg — {total} in total, average **{score}/{out_of}**.",
        "⭐ {count} new reviews of **{server}** on Top.gg — {total} in total, average **{score}/{out_of}**.",
        added,
        score=one_decimal(new.score),
        out_of=5 if new.score <= 5 else 100,
        **values,
    )


def one_decimal(value: float) -> str:
    """``4.6``, ``87.0`` (``4,6`` in French): exactly one decimal, in the language in force."""
    return babel.numbers.format_decimal(value, format="#,##0.0", locale=i18n.current().locale)


class TopggReviewPoller:
    def __init__(self, pool: asyncpg.Pool, api_token: str, api_base_url: str, *, timeout: float = 15.0) -> None:
        self._pool = pool
        self._headers = {"Authorization": f"Bearer {api_token}", "User-Agent": "votebot"}
        self._url = api_base_url.rstrip("/") + "/projects/@me"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def poll(self) -> tuple[int, ReviewStats] | None:
        """(server id, stats) for the token's project, or None (logged) when Top.gg can't tell us."""
        try:
            async with (
                aiohttp.ClientSession(headers=self._headers, timeout=self._timeout) as session,
                session.get(self._url, allow_redirects=False) as response,
            ):
                if response.status != 200:
                    log.warning("Top.gg review poll: HTTP %s", response.status)
                    return None
                project = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("Top.gg review poll failed: %s", type(exc).__name__)
            return None
        stats = parse_stats(project)
        if stats is None:
            log.warning("Top.gg review poll: the project has no usable review_count")
            return None
        server_id = await project_server(self._pool, project)
        return None if server_id is None else (server_id, stats)
