"""The message catalogs: the template matches the sources, every language is complete and well-formed."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog

from bot.cli.catalogs import (
    TEMPLATE,
    build_template,
    catalog_problems,
    forms,
    identical_allowed,
    problems_in,
    read_catalog,
)
from bot.core import i18n
from bot.core.command_translator import NAME_CONTEXTS

LANGUAGE_IDS = [language.code for language in i18n.TRANSLATED]


def _keys(catalog: Catalog) -> set[tuple[tuple[str, ...], str | None]]:
    return {(forms(message.id), message.context) for message in catalog if message.id}


def test_the_template_holds_every_text_of_the_sources_and_the_slash_commands() -> None:
    fresh, committed = build_template(), read_catalog(TEMPLATE)
    missing, stale = _keys(fresh) - _keys(committed), _keys(committed) - _keys(fresh)
    assert (missing, stale) == (set(), set()), "run `votebot catalogs extract` and `votebot catalogs update`"
    assert len(fresh) > 500  # every cog's texts, not a handful


@pytest.mark.parametrize("language", i18n.TRANSLATED, ids=LANGUAGE_IDS)
def test_every_catalog_is_complete(language: i18n.Language) -> None:
    assert catalog_problems(language) == []


@pytest.mark.parametrize("language", i18n.TRANSLATED, ids=LANGUAGE_IDS)
def test_translations_identical_to_english_are_few_and_declared(language: i18n.Language) -> None:
    catalog = read_catalog(i18n.catalog_path(language), language.babel)
    declared = [forms(message.id)[0] for message in catalog if message.id and identical_allowed(message)]
    # Names, units and words the language shares with English (Status, Online, Dashboard in German): a few per
    # hundred entries, each declared; more would hide texts left untranslated.
    assert len(declared) <= len(catalog) * 3 // 100, declared


@pytest.mark.parametrize("language", i18n.TRANSLATED, ids=LANGUAGE_IDS)
def test_command_and_option_names_follow_discords_rules(language: i18n.Language) -> None:
    catalog = read_catalog(i18n.catalog_path(language), language.babel)
    contexts = set(NAME_CONTEXTS.values())
    bad = [
        (message.id, message.string)
        for message in catalog
        if message.context in contexts
        and not (re.fullmatch(r"[-_\w]{1,32}", str(message.string)) and str(message.string).islower())
    ]
    assert bad == []


def test_the_check_finds_missing_fuzzy_identical_and_mismatched_entries() -> None:
    template = Catalog(locale=None)
    for text in ("Vote now", "Hello {name}", "Bye {name}", "Top.gg", "Status", "Board of {server}"):
        template.add(text)
    template.add(("{count} vote", "{count} votes"))
    catalog = Catalog(locale="ru")
    catalog.add("Vote now", "")  # not translated
    catalog.add("Hello {name}", "Bonjour {nom}")  # placeholder renamed
    catalog.add("Bye {name}", "Au revoir", flags=["fuzzy"])
    catalog.add("Top.gg", "Top.gg", user_comments=["same as English: the site's name"])
    catalog.add("Status", "Status")  # identical, not declared
    catalog.add("Board of {server}", "Tableau de {server")  # broken format string
    catalog.add(("{count} vote", "{count} votes"), ("{count} голос", "{count} голоса", "голосов"))
    problems = problems_in(catalog, template, "xx")
    assert problems == [
        "xx: 'Vote now': not translated",
        "xx: 'Hello {name}': placeholders ['nom'] differ from the English ['name']",
        "xx: 'Bye {name}': fuzzy",
        "xx: 'Status': the translation is the English text (add a '# same as English' comment if that is right)",
        "xx: 'Board of {server}': the translation is not a valid format string (expected '}' before end of string)",
    ]  # the plural leaving {count} out of one form is fine: "голосов" alone is a valid (if odd) form


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1 голос"), (2, "2 голоса"), (5, "5 голосов"), (21, "21 голос"), (12, "12 голосов")]
)
def test_russian_takes_three_plural_forms(count: int, expected: str) -> None:
    with i18n.speaking(i18n.for_locale("ru")):
        assert i18n.n_("{count} vote", "{count} votes", count) == expected
