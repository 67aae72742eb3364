"""Every dashboard page in each of the bot's languages: no text of the templates is left in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.cli.catalogs import KEYWORDS
from bot.core import i18n
from tests.e2e.dashboard.client import DashboardClient, crawl
from tests.e2e.harness import ADMIN, GENERAL, GUILD_ID, BotRunner

ROOT = Path(__file__).resolve().parents[3]


def template_texts() -> set[str]:
    """The English texts of every dashboard template (the core's and the feature packages')."""
    found: set[str] = set()
    for folder in [ROOT / "bot/web/dashboard/templates", *sorted(ROOT.glob("cogs/*/templates"))]:
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.html", "jinja2")], keywords=KEYWORDS
        ):
            text = message if isinstance(message, str) else message[0]
            if "{" not in text and len(text) >= 8:  # whole sentences and labels without placeholders
                found.add(text)
    return found


@pytest.mark.parametrize("language", [language.code for language in i18n.TRANSLATED])
async def test_every_page_is_in_the_language_chosen(
    runner: BotRunner, browser_less: DashboardClient, language: str
) -> None:
    created = await runner.running.servers.add(guild_id=GUILD_ID, name="Survival", vote_url="https://example.com/v")
    await runner.running.servers.switch_feature(created.server, "reminders", enabled=True, channel_id=GENERAL)
    home = await browser_less.log_in(ADMIN)
    await browser_less.post("/dashboard/language", {"lang": language, "next": "/dashboard/"}, csrf=home.csrf)
    pages = await crawl(browser_less)
    assert len(pages) >= 5, sorted(pages)
    chosen = i18n.language(language)
    assert chosen is not None
    with i18n.speaking(chosen):  # the texts this language words differently (catalogs check finds missing ones)
        translated = {text for text in template_texts() if i18n._(text) != text}
    english_left = {}
    for path, page in pages.items():
        assert page.status == 200, (path, page.plain[:300])
        assert f'<html lang="{language}"' in page.text
        left = sorted(text for text in translated if _shown(text, page.plain))
        if left:
            english_left[path] = left
    assert not english_left, english_left


def _shown(text: str, words: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(text) + r"(?!\w)", words) is not None
