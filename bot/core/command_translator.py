"""Slash commands in every language: discord.py's ``app_commands.Translator`` backed by the message catalogs.

Command, group and option names are translated in their own gettext contexts (``command name``,
``option name``: Discord wants them lowercase, without spaces, at most 32 characters); descriptions and
choice names are ordinary catalog entries, shared with the same English text elsewhere. ``tree.sync()``
sends them as ``name_localizations`` / ``description_localizations``, a key for every language the bot speaks
(a translation identical to the English, such as a brand name, included); English and the languages the bot
does not speak are left to Discord's default text.

:func:`command_texts` lists every such text of a command tree, which ``votebot catalogs extract`` adds to
the catalog template next to the texts marked in the sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Location

from bot.core import i18n

NAME_CONTEXTS = {
    Location.command_name: "command name",
    Location.group_name: "command name",
    Location.parameter_name: "option name",
}
NAME_RULE = "lowercase letters, digits, - or _, no spaces, at most 32 characters"
MAX_DESCRIPTION = 100  # Discord's limit for descriptions and choice names


class CommandTranslator(app_commands.Translator):
    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        language = i18n.for_locale(locale)
        if language is i18n.ENGLISH:
            return None
        translations = language.translations
        name_context = NAME_CONTEXTS.get(context.location)
        message = string.message
        if name_context is not None:
            return str(translations.pgettext(name_context, message))
        return translations.gettext(message)  # also when it is the English text: Discord then has every language


@dataclass(frozen=True)
class CommandText:
    """One text Discord shows of a slash command, as a catalog entry."""

    message: str
    context: str | None  # gettext msgctxt: set for names
    comment: str  # for translators: where it is shown and its limits


def _described(where: str, message: str) -> CommandText:
    return CommandText(message, None, f"Slash command text: {where} (at most {MAX_DESCRIPTION} characters).")


def command_texts(commands: Iterable[app_commands.Command | app_commands.Group]) -> Iterator[CommandText]:
    """Every name, description, option and choice of ``commands`` (walked recursively)."""
    for command in commands:
        path = f"/{command.qualified_name}"
        kind = "group" if isinstance(command, app_commands.Group) else "command"
        yield CommandText(command.name, "command name", f"Name of the {kind} {path}: {NAME_RULE}.")
        yield _described(f"description of {path}", command.description)
        if isinstance(command, app_commands.Group):
            yield from command_texts(command.commands)
            continue
        for parameter in command.parameters:
            option = f"{path} {parameter.display_name}"
            yield CommandText(parameter.display_name, "option name", f"Name of the option {option}: {NAME_RULE}.")
            yield _described(f"description of the option {option}", parameter.description)
            for choice in parameter.choices:
                yield _described(f"a choice of the option {option}", choice.name)
