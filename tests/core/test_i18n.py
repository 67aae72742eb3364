"""The language in force, locale lookup and formatting (bot/core/i18n.py)."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import pytest

from bot.core import i18n
from bot.core.i18n import ENGLISH, _, for_locale, n_, names, number, percent, speaking


def lang(code: str) -> i18n.Language:
    found = i18n.language(code)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        (discord.Locale.french, "fr"),
        ("fr", "fr"),
        ("de", "de"),
        ("es-ES", "es-ES"),
        ("es-419", "es-ES"),  # Latin American Spanish reads Spanish better than English
        ("pt-BR", "pt-BR"),
        ("ru", "ru"),
        ("en-GB", "en"),
        ("ja", "en"),  # a language the bot does not speak: English
        (None, "en"),
        ("", "en"),
    ],
)
def test_discord_locales_find_their_language(locale: object, code: str) -> None:
    assert for_locale(locale).code == code


def test_every_discord_locale_served_is_a_real_one_and_served_once() -> None:
    served = [locale for language in i18n.LANGUAGES for locale in language.discord]
    assert len(served) == len(set(served))
    assert set(served) <= {locale.value for locale in discord.Locale}
    assert {language.code for language in i18n.TRANSLATED} >= {"fr", "de", "es-ES", "pt-BR", "ru"}


def test_the_language_in_force_is_scoped_and_english_outside() -> None:
    assert i18n.current() is ENGLISH
    with speaking(lang("fr")):
        assert i18n.current().code == "fr"
        with speaking(lang("ru")):
            assert i18n.current().code == "ru"
        assert i18n.current().code == "fr"
    assert i18n.current() is ENGLISH


async def test_an_interaction_parser_runs_its_tasks_in_the_members_language_and_nothing_else() -> None:
    """discord.py creates the handler's task inside its INTERACTION_CREATE parser; the task keeps the member's
    language, the gateway's own context (and every later event) stays English."""
    seen: list[str] = []

    async def handler() -> None:
        await asyncio.sleep(0)
        seen.append(i18n.current().code)

    tasks: list[asyncio.Task[None]] = []
    parsers = {"INTERACTION_CREATE": lambda data: tasks.append(asyncio.create_task(handler()))}
    i18n.install_interaction_languages(parsers)
    i18n.install_interaction_languages(parsers)  # installing twice wraps once
    parsers["INTERACTION_CREATE"]({"locale": "de"})
    parsers["INTERACTION_CREATE"]({"locale": "pt-BR"})
    parsers["INTERACTION_CREATE"]({})
    assert i18n.current() is ENGLISH
    await asyncio.gather(*tasks)
    assert seen == ["de", "pt-BR", "en"]


def test_english_is_the_source_with_placeholders_filled() -> None:
    assert _("Vote for {server}", server="Alpha") == "Vote for Alpha"
    assert n_("{count} vote", "{count} votes", 1) == "1 vote"
    assert n_("{count} vote", "{count} votes", 12345) == "12,345 votes"


def test_numbers_percentages_and_lists_follow_the_language() -> None:
    with speaking(lang("fr")):
        assert (number(1234567), percent(0.995), percent(1.0)) == ("1\u202f234\u202f567", "99,5\u00a0%", "100\u00a0%")
        assert names(["Alice", "Bob", "Carol"]) == "Alice, Bob et Carol"
    with speaking(lang("de")):
        assert (number(1234567), percent(0.995)) == ("1.234.567", "99,5\u00a0%")
    assert (number(1234567), percent(0.995), names(["Alice", "Bob"])) == ("1,234,567", "99.5%", "Alice and Bob")
    assert names([]) == ""
    assert (percent(1.0, fixed=True), percent(0.5, digits=0)) == ("100.0%", "50%")
    with speaking(lang("fr")):
        assert percent(0.99, fixed=True) == "99,0\u00a0%"


def test_a_moment_in_utc_reads_as_the_language_writes_dates_and_times() -> None:
    moment = dt.datetime(2026, 12, 1, 19, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 18:05 UTC
    assert i18n.moment_utc(moment) == "Dec 1, 2026, 6:05\u202fPM UTC"  # CLDR: a narrow no-break space
    with speaking(for_locale("fr")):
        assert i18n.moment_utc(moment) == "1 déc. 2026, 18:05 UTC"
    with speaking(for_locale("de")):
        assert i18n.moment_utc(moment) == "01.12.2026, 18:05 UTC"
