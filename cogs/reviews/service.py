"""Reviews without Discord: validating ratings and texts, and trimming them for alerts.

Members write one review per server with ``/review`` (editing replaces it); listing sites push theirs as
``review.create`` events (see :mod:`bot.community.events`). Both feed the same alert in the reviews channel.
"""

from __future__ import annotations

import asyncpg

from bot.core.errors import UserError
from cogs.reviews.repository import Review, ReviewRepository

MAX_AUTHOR = 100
MAX_BODY = 4000  # stored; alerts show less
ALERT_BODY = 1000


def parse_rating(value: object) -> int:
    """1..5 from a modal's text or a pushed JSON number; a clear error for anything else."""
    if isinstance(value, bool):
        raise UserError("The rating must be a whole number from 1 to 5.")
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise UserError("The rating must be a whole number from 1 to 5.")
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise UserError("The rating must be a whole number from 1 to 5.")
    return value


def clean_body(text: str | None) -> str:
    body = (text or "").strip()
    if len(body) > MAX_BODY:
        raise UserError(f"The review text can be at most {MAX_BODY} characters.")
    return body


def clean_author(name: str) -> str:
    author = " ".join(name.split())[:MAX_AUTHOR]
    if not author:
        raise UserError("The review's author can't be empty.")
    return author


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def trim(text: str, limit: int = ALERT_BODY) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ReviewService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.repo = ReviewRepository(pool)

    async def submit(self, server_id: int, user_id: int, author: str, rating: object, text: str | None) -> Review:
        """Validate everything first; store only a valid review."""
        value = parse_rating(rating)
        body = clean_body(text)
        return await self.repo.save_member(server_id, user_id, clean_author(author), value, body)
