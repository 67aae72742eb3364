"""``votebot catalogs extract | update | check``: the translators' workflow (pybabel's, with the slash commands).

- ``extract`` writes ``bot/locales/messages.pot``: every text marked with ``_`` / ``n_`` / ``p_`` / ``N_`` in
  ``bot/`` and ``cogs/`` (with the ``# Translators:`` comments above it), plus every slash command's name,
  description, options and choices, read from the command tree the bot syncs;
- ``update`` merges the template into each language's ``messages.po`` (creating a new language's catalog);
- ``check`` lists what each catalog still lacks (missing, fuzzy, or placeholders that differ from English).

No compile step: the bot compiles the ``.po`` files in memory when it starts (bot/core/i18n.py).
"""

from __future__ import annotations

import argparse
import asyncio
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core import i18n
from bot.core.command_translator import CommandText, command_texts

SOURCE_ROOT = i18n.LOCALES_DIR.parent.parent
TEMPLATE = i18n.LOCALES_DIR / f"{i18n.DOMAIN}.pot"
KEYWORDS = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2), "N_": None, "N_plural": (1, 2)}
COMMENT_TAGS = ("Translators:",)
LINE_WIDTH = 110


def add_arguments(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    catalogs = commands.add_parser("catalogs", parents=[common], help="translators' workflow: extract, update, check")
    actions = catalogs.add_subparsers(dest="catalogs_command", required=True, metavar="ACTION")
    actions.add_parser("extract", help=f"write {TEMPLATE.relative_to(SOURCE_ROOT)} from the sources and commands")
    actions.add_parser("update", help="merge the template into every language's catalog")
    check = actions.add_parser("check", help="list missing, fuzzy and mismatched entries; exit 1 if any")
    check.add_argument("--language", metavar="CODE", help="one language only, e.g. fr or pt-BR")


def run(args: argparse.Namespace) -> int:
    if args.catalogs_command == "extract":
        template = build_template()
        write_catalog(TEMPLATE, template)
        print(f"wrote {TEMPLATE} ({len(template)} messages)")
    elif args.catalogs_command == "update":
        template = read_catalog(TEMPLATE)
        for language in i18n.TRANSLATED:
            print(update_catalog(language, template))
    elif args.catalogs_command == "check":
        chosen = [lang for lang in i18n.TRANSLATED if args.language in (None, lang.code, lang.babel)]
        if not chosen:
            print(f"no such language: {args.language} (one of {', '.join(lang.code for lang in i18n.TRANSLATED)})")
            return 2
        problems = [problem for language in chosen for problem in catalog_problems(language)]
        print("\n".join(problems) if problems else "every catalog is complete")
        return 1 if problems else 0
    return 0


# ------------------------------------------------------------------ extract


def source_messages() -> Iterator[tuple[str, str | tuple[str, ...], str | None, list[str], int]]:
    """(file, message, context, comments, line) of every marked text in bot/ and cogs/."""
    for folder in ("bot", "cogs"):
        for filename, lineno, message, comments, context in extract_from_dir(
            SOURCE_ROOT / folder,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        ):
            yield f"{folder}/{filename}", message, context, comments, lineno


def slash_command_texts() -> list[CommandText]:
    """The texts of the command tree ``votebot sync`` publishes (the cogs loaded without any services)."""
    import discord

    from bot.app.client import VoteBot
    from bot.app.config import load_config
    from bot.app.extensions import EXTENSIONS

    async def load() -> list[CommandText]:
        bot = VoteBot(config=load_config(environ={}), pool=None, services=False)  # type: ignore[arg-type]
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        return list(command_texts(bot.tree.get_commands(type=discord.AppCommandType.chat_input)))

    return asyncio.run(load())


def build_template(commands: Iterable[CommandText] | None = None) -> Catalog:
    template = Catalog(
        project="votebot", domain=i18n.DOMAIN, charset="utf-8", fuzzy=False, copyright_holder="votebot contributors"
    )
    template.msgid_bugs_address = "https://github.com/votebot/votebot/issues"
    for filename, message, context, comments, lineno in source_messages():
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for text in slash_command_texts() if commands is None else commands:
        template.add(text.message, None, [("<slash commands>", 0)], auto_comments=[text.comment], context=text.context)
    return template


# ------------------------------------------------------------------ update and check


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=i18n.DOMAIN)


def write_catalog(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=LINE_WIDTH, include_lineno=False, ignore_obsolete=True)


def update_catalog(language: i18n.Language, template: Catalog) -> str:
    path = i18n.catalog_path(language)
    if path.exists():
        catalog = read_catalog(path, language.babel)
        catalog.update(template, update_header_comment=False)
        verb = "updated"
    else:
        catalog = Catalog(locale=language.babel, domain=i18n.DOMAIN, project="votebot", fuzzy=False)
        catalog.update(template)
        verb = "created"
    write_catalog(path, catalog)
    missing = sum(1 for message in catalog if message.id and not _translated(message))
    return f"{verb} {path.relative_to(SOURCE_ROOT)}: {missing} of {len(catalog)} to translate"


def forms(value: object) -> tuple[str, ...]:
    """A catalog entry's id or string as its forms: one, or singular and plurals."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(form or "") for form in value) if isinstance(value, list | tuple) else ("",)


def placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def _translated(message: Message) -> bool:
    return all(forms(message.string)) and not message.fuzzy


def catalog_problems(language: i18n.Language, template: Catalog | None = None) -> list[str]:
    """What keeps ``language``'s catalog from being complete, one line each (empty when it is)."""
    template = template if template is not None else read_catalog(TEMPLATE)
    path = i18n.catalog_path(language)
    if not path.exists():
        return [f"{language.code}: no catalog at {path.relative_to(SOURCE_ROOT)} (run votebot catalogs update)"]
    return problems_in(read_catalog(path, language.babel), template, language.code)


def problems_in(catalog: Catalog, template: Catalog, code: str) -> list[str]:
    """Every entry of ``template`` that ``catalog`` lacks, has fuzzy, leaves as the English text, or translates
    with other placeholders than the English one."""
    problems = []
    for entry in template:
        if not entry.id:
            continue
        found = catalog.get(entry.id, context=entry.context)
        where = f"{code}: {forms(entry.id)[0][:60]!r}" + (f" ({entry.context})" if entry.context else "")
        if found is None or not _translated(found):
            problems.append(f"{where}: {'fuzzy' if found is not None and found.fuzzy else 'not translated'}")
            continue
        problems += [f"{where}: {problem}" for problem in _mismatches(entry, found)]
    return problems


SAME_AS_ENGLISH = "same as English"
"""A translator's comment (``# same as English``) that allows a translation identical to the source: a brand
name, or a word the language borrows ("Status" in German). The check counts them; keep the list short."""


def identical_allowed(message: Message) -> bool:
    return any(SAME_AS_ENGLISH in comment for comment in message.user_comments)


def _mismatches(entry: Message, found: Message) -> Iterator[str]:
    sources, strings = forms(entry.id), forms(found.string)
    expected = set().union(*(placeholders(text) for text in sources))
    seen: set[str] = set()
    for text in strings:
        try:
            names = placeholders(text)
        except ValueError as exc:
            yield f"the translation is not a valid format string ({exc})"
            return
        if names - expected or (len(sources) == 1 and names != expected):
            yield f"placeholders {sorted(names)} differ from the English {sorted(expected)}"
            return
        seen |= names
    if seen != expected:  # a plural form may leave {count} out ("один голос"), but not every form
        yield f"placeholders {sorted(seen)} differ from the English {sorted(expected)}"
    same = any(text == source for text, source in zip(strings, sources, strict=False))
    if same and any(ch.isalpha() for ch in _literal_text(sources[0])) and not identical_allowed(found):
        yield f"the translation is the English text (add a '# {SAME_AS_ENGLISH}' comment if that is right)"


def _literal_text(text: str) -> str:
    return "".join(literal for literal, _name, _spec, _conversion in string.Formatter().parse(text))
