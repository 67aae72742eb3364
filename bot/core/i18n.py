"""The languages the bot speaks: message catalogs, the language in force, and locale-aware formatting.

Every text a person reads is an English source string marked for translation:

- ``_("Vote for {server}", server=name)`` — translated into the language in force, then formatted with the
  named placeholders (values are inserted as given: outside text is escaped by the caller, never translated);
- ``n_("{count} vote", "{count} votes", count)`` — the plural form the language's CLDR rule picks for
  ``count`` (Russian has three: 1 голос, 2 голоса, 5 голосов, 21 голос); ``{count}`` is the number formatted
  for the language;
- ``p_("context", "text")`` — the same English text that needs another translation in another place;
- ``N_("text")`` — a text kept in a table (a module constant) and translated where it is shown, with
  ``_(TABLE[key])``; ``N_plural(singular, plural)`` likewise for a plural pair, shown with ``n_(*pair, count)``.

Which language is in force: an interaction's handlers run in the member's ``interaction.locale`` (set by
:func:`install_interaction_languages`); what the bot posts in a channel or sends from a timed job runs
``with speaking(server's language)``. Outside of both, English: log lines, the CLI and config errors stay
English.

Catalogs are gettext ``.po`` files under ``bot/locales/<id>/LC_MESSAGES/messages.po``, compiled in memory
when first used (no build step for an installed package). Adding a language is one catalog and one line
in :data:`LANGUAGES`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel.dates
import babel.lists
import babel.numbers
import babel.units
from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@dataclass(frozen=True)
class Language:
    """One language of the bot. ``code`` is what the database stores and owners pick; ``babel`` names the
    catalog folder and the CLDR data; ``discord`` lists the Discord locales (``interaction.locale``,
    ``guild.preferred_locale``) it serves."""

    code: str
    babel: str
    name: str  # in the language itself, as a picker shows it
    discord: tuple[str, ...]

    @property
    def locale(self) -> Locale:
        return _babel_locale(self.babel)

    @property
    def translations(self) -> NullTranslations:
        return _translations(self.babel)


ENGLISH = Language("en", "en", "English", ("en-US", "en-GB"))
LANGUAGES: tuple[Language, ...] = (
    ENGLISH,
    Language("fr", "fr", "Français", ("fr",)),
    Language("de", "de", "Deutsch", ("de",)),
    Language("es-ES", "es_ES", "Español", ("es-ES", "es-419")),
    Language("pt-BR", "pt_BR", "Português (Brasil)", ("pt-BR",)),
    Language("ru", "ru", "Русский", ("ru",)),
)
"""English is the source language (no catalog). To add a language: one line here, then
``votebot catalogs update`` creates its catalog to translate."""

TRANSLATED: tuple[Language, ...] = tuple(language for language in LANGUAGES if language is not ENGLISH)
_BY_CODE = {language.code: language for language in LANGUAGES}
_BY_DISCORD = {locale: language for language in LANGUAGES for locale in language.discord}


def language(code: str | None) -> Language | None:
    """The language stored as ``code`` (``None`` for an unknown or empty one)."""
    return _BY_CODE.get(code) if code else None


def for_locale(locale: object) -> Language:
    """The language for a Discord locale (``discord.Locale`` or its string); English for one the bot does not
    speak. ``fr`` and ``fr-FR`` alike find French."""
    value = str(getattr(locale, "value", locale) or "")
    found = _BY_DISCORD.get(value) or _BY_CODE.get(value) or _BY_CODE.get(value.split("-")[0])
    return found or ENGLISH


# ------------------------------------------------------------------ the language in force

_current: ContextVar[Language] = ContextVar("votebot_language", default=ENGLISH)


def for_accept_language(header: str) -> Language:
    """The first of the bot's languages ``Accept-Language`` asks for (by preference), English otherwise."""
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, index, tag.strip()))
    for _q, _i, tag in sorted(wanted):
        found = for_locale(tag)  # Discord's locales: fr, es-419, pt-BR …
        primary, _dash, region = tag.partition("-")
        if found is not ENGLISH or primary.lower() == "en":
            return found
        for language in LANGUAGES:
            code, _d, code_region = language.code.partition("-")
            if code.lower() == primary.lower() and (not region or code_region.lower() in ("", region.lower())):
                return language
    return ENGLISH


def current() -> Language:
    return _current.get()


@contextlib.contextmanager
def speaking(language: Language) -> Iterator[Language]:
    """Run a block in ``language`` (what the bot posts for a server, in the server's language)."""
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def install_interaction_languages(parsers: dict[str, Any]) -> None:
    """Make every interaction's handlers run in the member's language.

    discord.py turns an INTERACTION_CREATE into tasks (the command, its autocomplete, a button's or a
    modal's callback, the error handler) synchronously in its parser; tasks copy the context they are
    created in, so setting the language around the parser reaches all of them and nothing else.
    """
    parse = parsers["INTERACTION_CREATE"]
    if getattr(parse, "_votebot_languages", False):
        return

    def parse_in_language(data: dict[str, Any]) -> None:
        with speaking(for_locale(data.get("locale"))):
            parse(data)

    parse_in_language._votebot_languages = True  # type: ignore[attr-defined]
    parsers["INTERACTION_CREATE"] = parse_in_language


# ------------------------------------------------------------------ catalogs


@functools.cache
def _babel_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def catalog_path(language: Language) -> Path:
    return LOCALES_DIR / language.babel / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _translations(identifier: str) -> NullTranslations:
    """The compiled catalog of ``identifier`` (fuzzy entries left out, as gettext does); English has none."""
    found = next((lang for lang in TRANSLATED if lang.babel == identifier), None)
    if found is None or not catalog_path(found).exists():
        return NullTranslations()
    with catalog_path(found).open("rb") as source:
        catalog = read_po(source, locale=identifier, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_catalogs() -> None:
    """Compile every catalog now (at start) rather than on the first message in each language."""
    for each in TRANSLATED:
        _translations(each.babel)


def _format(text: str, params: dict[str, Any]) -> str:
    return text.format(**params) if params else text


def _(message: str, /, **params: Any) -> str:
    """``message`` in the language in force, its ``{placeholders}`` filled from ``params``."""
    return _format(current().translations.gettext(message), params)


def n_(singular: str, plural: str, count: int, /, **params: Any) -> str:
    """The plural form for ``count``; ``{count}`` is filled with the number formatted for the language."""
    text = current().translations.ngettext(singular, plural, count)
    return _format(text, {"count": number(count), **params})


def p_(context: str, message: str, /, **params: Any) -> str:
    """``message`` as translated in ``context`` (a word that is a button here and a heading there)."""
    return _format(str(current().translations.pgettext(context, message)), params)


def N_plural(singular: str, plural: str, /) -> tuple[str, str]:
    """Mark a plural pair for the catalog without translating it; show it with ``n_(*pair, count)``."""
    return singular, plural


def N_(message: str, /) -> str:
    """Mark ``message`` for the catalog without translating it (tables built at import)."""
    return message


# ------------------------------------------------------------------ formatting for the language in force


def number(value: float, *, digits: int = 0) -> str:
    """``1234`` → ``1,234`` (en), ``1 234`` (fr), ``1.234`` (de); ``digits`` decimals at most."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return babel.numbers.format_decimal(value, format=pattern, locale=current().locale)


def percent(ratio: float, *, digits: int = 1, fixed: bool = False) -> str:
    """``0.995`` → ``99.5%`` (en), ``99,5 %`` (fr): the language's own pattern, ``digits`` decimals at most
    (exactly, with ``fixed``: ``100.0%`` for an uptime read beside ``99.5%``)."""
    locale = current().locale
    pattern = locale.percent_formats[None].pattern
    if digits:
        decimals = ("0" if fixed else "#") * digits
        pattern = re.sub(r"0(?=[^0-9#.,]*$)", "0." + decimals, pattern, count=1)
    return babel.numbers.format_percent(ratio, format=pattern, locale=locale)


def names(items: Sequence[str]) -> str:
    """``Alice, Bob, and Carol`` / ``Alice, Bob et Carol`` (CLDR: English puts a comma before "and"; items are
    already escaped)."""
    return babel.lists.format_list(list(items), locale=current().locale) if items else ""


def month_name(year: int, month: int) -> str:
    """``November 2026`` / ``novembre 2026`` / ``ноябрь 2026`` (the month as a heading: CLDR's stand-alone form)."""
    return babel.dates.format_skeleton("yMMMM", dt.date(year, month, 1), locale=current().locale)


def day_name(day: dt.date) -> str:
    """``30 November 2026`` / ``30 novembre 2026`` / ``30. November 2026``."""
    return babel.dates.format_date(day, format="long", locale=current().locale)


def short_date(day: dt.date) -> str:
    """``Nov 3`` / ``3 nov.`` / ``3. Nov.`` (a chart's day labels: CLDR's abbreviated month and day)."""
    return babel.dates.format_skeleton("MMMd", day, locale=current().locale)


def moment_utc(moment: dt.datetime) -> str:
    """``Dec 1, 2026, 6:05 PM UTC`` / ``1 déc. 2026, 18:05 UTC``: a point in time in UTC (a log read from any
    zone), the language's medium date and short time joined as the language joins them."""
    locale = current().locale
    moment = moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment
    day = babel.dates.format_date(moment.date(), format="medium", locale=locale)
    time = babel.dates.format_time(moment.time(), format="short", locale=locale)
    joined = str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
    return f"{joined} UTC"


def hour_label(moment: dt.datetime) -> str:
    """``3 PM`` / ``15:00`` (a chart's hour labels, in ``moment``'s zone: the language's clock)."""
    locale = current().locale
    skeleton = "h" if "h" in locale.time_formats["short"].pattern else "Hm"  # the language's 12- or 24-hour clock
    return babel.dates.format_skeleton(skeleton, moment, locale=locale)


def number_marks() -> tuple[str, str]:
    """The decimal and grouping marks of the language in force (``.`` and ``,`` in English; ``,`` and a narrow
    no-break space in French): a chart's axis numbers."""
    locale = current().locale
    return (
        babel.numbers.get_decimal_symbol(locale),
        babel.numbers.get_group_symbol(locale),
    )


def duration(seconds: float) -> str:
    """A duration at a glance, two units at most in short form: ``1 hr 30 min``, ``2 days 1 hr``, ``5 min``
    (no seconds next to minutes) / ``1 h 30 min`` (fr) / ``1 ч 30 мин`` (ru)."""
    locale = current().locale

    def unit(amount: int, name: str) -> str:
        return babel.units.format_unit(amount, f"duration-{name}", length="short", locale=locale)

    days, rest = divmod(max(0, round(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [unit(days, "day")] + ([unit(hours, "hour")] if hours else [])
    elif hours:
        parts = [unit(hours, "hour")] + ([unit(minutes, "minute")] if minutes else [])
    else:
        parts = [unit(minutes, "minute")] if minutes else [unit(secs, "second")]
    return babel.lists.format_list(parts, style="unit-narrow", locale=locale)
