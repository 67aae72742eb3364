"""The management API without a running bot (an ingest-only process answers 503), and its choice of language."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from bot.core import i18n
from tests.web.conftest import add_server


async def test_a_process_without_a_bot_answers_503_in_json(http: aiohttp.ClientSession, pool: asyncpg.Pool) -> None:
    server_id = await add_server(pool)
    async with http.get(f"/api/v1/servers/{server_id}", headers={"Authorization": "Bearer vb_x"}) as response:
        assert response.status == 503
        assert (await response.json())["ok"] is False


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("", "en"),
        ("fr", "fr"),
        ("fr-CH, en;q=0.5", "fr"),
        ("en-US,de;q=0.9", "en"),
        ("nl, de;q=0.8", "de"),  # the first language the bot speaks
        ("de;q=0.2, ru;q=0.9", "ru"),  # by preference, not by order
        ("es", "es-ES"),
        ("es-419", "es-ES"),  # Discord's Latin American Spanish: the same catalog
        ("pt", "pt-BR"),
        ("pt-br", "pt-BR"),
        ("ja, fr;q=0", "en"),  # q=0: not wanted
        ("*", "en"),
        ("garbage;q=x, ;;,", "en"),
    ],
)
def test_accept_language_picks_one_of_the_bots_languages(header: str, code: str) -> None:
    assert i18n.for_accept_language(header) == i18n.language(code)
