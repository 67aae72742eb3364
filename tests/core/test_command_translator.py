"""The CommandTranslator: names looked up in their own catalog context, descriptions as plain entries, English and
languages the bot does not speak left to Discord's default text."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from babel.support import NullTranslations
from discord import app_commands
from discord.app_commands import TranslationContext
from discord.app_commands import TranslationContextLocation as Location

from bot.core import i18n
from bot.core.command_translator import CommandTranslator, command_texts

ENTRIES = {("command name", "vote"): "voter", (None, "Vote for our game server"): "Votez pour notre serveur"}


class Catalog(NullTranslations):
    def gettext(self, message: str) -> str:
        return ENTRIES.get((None, message), message)

    def pgettext(self, context: str, message: str) -> str:
        return ENTRIES.get((context, message), message)


@pytest.fixture(autouse=True)
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        i18n, "_translations", lambda identifier: Catalog() if identifier == "fr" else NullTranslations()
    )


async def translate(text: str, locale: discord.Locale, location: Location) -> str | None:
    context: Any = TranslationContext(location=location, data=None)
    return await CommandTranslator().translate(app_commands.locale_str(text), locale, context)


async def test_names_use_their_context_and_descriptions_the_plain_entry() -> None:
    assert await translate("vote", discord.Locale.french, Location.command_name) == "voter"
    assert await translate("vote", discord.Locale.french, Location.choice_name) == "vote"  # a choice is not a name
    assert await translate("Vote for our game server", discord.Locale.french, Location.command_description) == (
        "Votez pour notre serveur"
    )


async def test_english_and_unknown_languages_keep_discords_default() -> None:
    assert await translate("vote", discord.Locale.american_english, Location.command_name) is None
    assert await translate("vote", discord.Locale.japanese, Location.command_name) is None
    # a text the catalog lacks (tests/test_catalogs.py fails then) is sent as the English one, not left out
    assert await translate("Something new", discord.Locale.french, Location.command_description) == "Something new"


def test_every_text_of_a_command_is_listed_for_the_catalog() -> None:
    @app_commands.command(name="vote", description="Vote for our game server")
    @app_commands.describe(server="Game server, by name or id")
    @app_commands.choices(server=[app_commands.Choice(name="The main one", value="main")])
    async def vote(interaction: discord.Interaction, server: str) -> None: ...

    group = app_commands.Group(name="setup", description="Link game servers")
    group.add_command(vote)
    listed = [(text.context, text.message) for text in command_texts([group])]
    assert listed == [
        ("command name", "setup"),
        (None, "Link game servers"),
        ("command name", "vote"),
        (None, "Vote for our game server"),
        ("option name", "server"),
        (None, "Game server, by name or id"),
        (None, "The main one"),
    ]
