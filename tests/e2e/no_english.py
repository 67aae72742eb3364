"""The machinery of tests/e2e/test_no_english.py: the pseudo-Russian catalog, what the bot said to Discord (messages,
embeds, components, attachments' alt texts, audit-log reasons) and drew in its charts, what may stay in Latin
letters, and the helpers that drive the bot as a Russian-speaking member or admin."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from typing import Any

import asyncpg
import babel.numbers
import pytest
from babel.support import NullTranslations

from bot.core.charts import Chart, ChartRenderer, Panels
from bot.db.records import Server
from tests.e2e.engagement_helpers import make_server
from tests.e2e.harness import GENERAL, GUILD_ID, BotRunner, reply_text
from tests.fakediscord import FakeDiscord

RU = "ru"
SERVER = "Альфа"
PLAYER = "Стив"
PLAYER_TWO = "Алекс"
T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

# ------------------------------------------------------------------ the pseudo catalog

_LOWER = dict(zip("abcdefghijklmnopqrstuvwxyz", "абцдефгхийклмнопярстувшжыз", strict=True))  # one to one
_CYRILLIC = {**_LOWER, **{a.upper(): c.upper() for a, c in _LOWER.items()}}
_DISCORD_SYNTAX = re.compile(r"<[^<>\s]*>")  # <@id>, <#id>, <t:…:R>, <@&id>, <:emoji:id>: Discord reads them
_FIELD = "\ue000"  # stands for a placeholder while the literal text around it is transformed


def letters(text: str) -> str:
    """Every ASCII letter outside ``<…>`` as its Cyrillic twin."""
    out, last = [], 0
    for found in _DISCORD_SYNTAX.finditer(text):
        out.append(text[last : found.start()].translate(str.maketrans(_CYRILLIC)))
        out.append(found.group())
        last = found.end()
    out.append(text[last:].translate(str.maketrans(_CYRILLIC)))
    return "".join(out)


def pseudo(message: str) -> str:
    """``message`` with its literal text in Cyrillic letters and its ``{placeholders}`` (format specs too)
    as they were, so that ``_()`` fills them as usual."""
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError:  # not a format string (a lone brace): all literal
        return letters(message)
    fields = [part for part in parts if part[1] is not None]
    if not fields:
        return letters(message)
    marked, placeholders = [], []
    for literal, name, spec, conversion in parts:
        marked.append(literal.replace(_FIELD, ""))
        if name is not None:
            placeholders.append(
                "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
            marked.append(_FIELD)
    pieces = letters("".join(marked)).split(_FIELD)
    rebuilt = [pieces[0].replace("{", "{{").replace("}", "}}")]
    for placeholder, piece in zip(placeholders, pieces[1:], strict=True):
        rebuilt += [placeholder, piece.replace("{", "{{").replace("}", "}}")]
    return "".join(rebuilt)


class PseudoRussian(NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return pseudo(singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)


# ------------------------------------------------------------------ what the bot said

EPHEMERAL = 1 << 6
INTERACTION_PATH = re.compile(r"^/interactions/(\d+)/")
MESSAGE_PATH = re.compile(r"^/(channels/\d+/messages(/\d+)?|interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+.*)$")


def _message_texts(body: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if body.get("content"):
        yield where + " content", body["content"]
    for index, embed in enumerate(body.get("embeds") or []):
        at = f"{where} embed {index}"
        for key in ("title", "description"):
            if embed.get(key):
                yield f"{at} {key}", embed[key]
        for fld in embed.get("fields") or []:
            yield f"{at} field name", fld.get("name") or ""
            yield f"{at} field {fld.get('name')!r}", fld.get("value") or ""
        for key in ("footer", "author"):
            part = embed.get(key) or {}
            if part.get("text") or part.get("name"):
                yield f"{at} {key}", part.get("text") or part.get("name")
    for attachment in body.get("attachments") or []:  # a picture's alt text, read out by screen readers
        if attachment.get("description"):
            yield f"{where} attachment {attachment.get('filename')!r} description", attachment["description"]
    if body.get("title"):  # a modal
        yield where + " modal title", body["title"]
    yield from _component_texts(body.get("components") or [], where)
    for choice in body.get("choices") or []:  # autocomplete
        yield where + " choice", choice["name"]


def _component_texts(components: list[dict[str, Any]], where: str) -> Iterator[tuple[str, str]]:
    for component in components:
        for key in ("label", "placeholder"):
            if component.get(key):
                yield f"{where} {key} ({component.get('custom_id') or component.get('url')})", component[key]
        for option in component.get("options") or []:
            yield f"{where} select option", option.get("label") or ""
            if option.get("description"):
                yield f"{where} select option description", option["description"]
        yield from _component_texts(component.get("components") or [], where)


def bot_texts(fake: FakeDiscord) -> list[tuple[str, str]]:
    """(where, text) of every text the bot sent: messages, replies, followups, edits, modals, choices, DMs."""
    found: list[tuple[str, str]] = []
    for request in fake.requests:
        if request.get("audit_log_reason"):  # what the admins read in the server's audit log
            found.append((f"audit log reason of {request['method']} {request['path']}", request["audit_log_reason"]))
        body = request.get("json")
        if request["method"] not in {"POST", "PATCH"} or not isinstance(body, dict):
            continue
        if not MESSAGE_PATH.match(request["path"]):
            continue
        where = f"{request['method']} {request['path']}"
        interaction = INTERACTION_PATH.match(request["path"])
        if interaction:  # named by what was used: the command, or the button's or form's custom_id
            data = fake.interaction_payload(interaction.group(1)).get("data") or {}
            where = f"reply to {data.get('name') or data.get('custom_id')!r} ({request['path'].rsplit('/', 1)[-1]})"
        if request["path"].endswith("/callback"):
            body = body.get("data") or {}
        found.extend(_message_texts(body, where))
    return found


# ------------------------------------------------------------------ what may stay in Latin letters

ALLOWED = re.compile(
    r"https?://\S+"  # links
    r"|<[^<>\s]*>"  # Discord syntax: mentions, channels, roles, timestamps
    r"|`[^`\s]+`"  # a code span without spaces: an id, a key, a protocol the bot echoes as is
    r"|\b[A-Z2-9]{4}-[A-Z2-9]{4}\b"  # a /link code
    r"|\bvb_\w+"  # an API key
    r"|\b(?:Discord|Top-Server|Top\.gg|GAMEMONITORING|Votifier|Minecraft|minecraft|API|UTC)\b"  # names
    r"|\b[A-Z][a-z]+/[A-Za-z_]+\b"  # an IANA time zone (Europe/Moscow), shown as the zone database spells it
    # the command the game plugin registers, typed in the game's chat: it is not a Discord text
    r"|`/votebot link [A-Z2-9]{4}-[A-Z2-9]{4}`"
    # Discord's own error text, quoted in an owner notice as Discord worded it (bot/core/messaging.py: _refused)
    r"|\((?:Missing Permissions|Missing Access)\)"
    # a probe's technical detail (an exception's name, the operating system's error), English by design inside
    # the translated reason (cogs/status/views.py: _REASONS)
    rf"|(?<={re.escape(pseudo('bad answer: '))})[^\n]*"
    rf"|(?<={re.escape(pseudo('network error: '))})[^\n]*"
    # the feature keys a crafted /feature sends: Discord's own client offers only the (translated) choices
    rf"|(?<={re.escape(pseudo('; choose one of: '))})[a-z0-9_, ]+"
)
ENGLISH = re.compile(r"[A-Za-z]{3,}")


# a decimal number the English way ("0.2"): Russian writes "0,2" (versions and addresses have more dots)
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


def english_left(fake: FakeDiscord) -> list[str]:
    leaks = []
    for where, text in bot_texts(fake):
        rest = ALLOWED.sub(" ", text)
        words = ENGLISH.findall(rest) + ENGLISH_DECIMAL.findall(rest)
        if words:
            leaks.append(f"{where}: {text!r} (English: {', '.join(words)})")
    return leaks


def assert_no_english(fake: FakeDiscord, *, at_least: int) -> None:
    said = bot_texts(fake)
    assert len(said) >= at_least, f"only {len(said)} texts collected: {said}"
    leaks = english_left(fake)
    assert not leaks, "English left in what the bot said:\n" + "\n".join(leaks)


def public_texts(fake: FakeDiscord) -> list[tuple[str, str]]:
    """(where, text) of what everyone (or the owner) reads: channel posts and edits, DMs, and interaction answers
    on a message that is not ephemeral (a public reply, a post updated when someone presses its button)."""
    found = [
        (where, text)
        for where, text in bot_texts(fake)
        if where.split(" ", 2)[1].startswith("/channels/") or where.startswith("audit log")
    ]
    interactions = {m.group(1) for r in fake.requests if (m := INTERACTION_PATH.match(r["path"]))}
    for interaction in sorted(interactions):
        for response in fake.responses(interaction):
            message = fake.message(int(response.get("message_id") or 0))
            if message is None or int(message.get("flags") or 0) & EPHEMERAL:
                continue
            found.extend(_message_texts(response.get("data") or {}, f"public {response['kind']} of {interaction}"))
    return found


def assert_posts_not_english(fake: FakeDiscord, *, at_least: int) -> None:
    said = public_texts(fake)
    assert len(said) >= at_least, f"only {len(said)} public texts collected: {said}"
    leaks = [f"{where}: {text!r}" for where, text in said if ENGLISH.findall(ALLOWED.sub(" ", text))]
    assert not leaks, "English in what the server reads (built in the member's language?):\n" + "\n".join(leaks)


# ------------------------------------------------------------------ what the charts say (pictures: PNG)

Drawn = list[Chart | Panels]
# a chart's texts are short and all the bot's own: any Latin letter left is English ("Up", "3 PM", "Nov 3")
CHART_ENGLISH = re.compile(r"[A-Za-z]+")
NUMBERED = {"bars", "line"}  # kinds with a number axis: their marks are the language's


def record_charts(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """Every chart a :class:`~bot.core.charts.ChartRenderer` is asked to draw (the bot's one renderer is
    ``bot.charts``; patched on the class, so a restarted bot's is recorded too), cache hits included: its texts are
    burnt into a PNG that the fake's request log cannot read."""
    drawn: Drawn = []
    render = ChartRenderer.render

    async def recording(self: ChartRenderer, chart: Chart | Panels) -> bytes:
        drawn.append(chart)
        return await render(self, chart)

    monkeypatch.setattr(ChartRenderer, "render", recording)
    return drawn


def panels(drawn: Drawn) -> list[tuple[str, Chart]]:
    """(where, chart) of every chart drawn, a picture of several panels counting each."""
    found = []
    for index, picture in enumerate(drawn):
        if isinstance(picture, Panels):
            found += [(f"picture {index} panel {n} ({c.kind})", c) for n, c in enumerate(picture.charts)]
        else:
            found.append((f"picture {index} ({picture.kind})", picture))
    return found


def chart_texts(drawn: Drawn) -> list[tuple[str, str]]:
    """(where, text) of every text drawn: titles, empty texts, legends, series names and the axis labels."""
    found = []
    for where, chart in panels(drawn):
        found += [(f"{where} title", chart.title), (f"{where} empty text", chart.empty_text)]
        found += [(f"{where} legend", name) for name in chart.legend]
        found += [(f"{where} series name", series.name) for series in chart.series]
        found += [(f"{where} label", label) for label in chart.labels]
    return [(where, text) for where, text in found if text]


def assert_charts_not_english(drawn: Drawn, *, at_least: int, kinds: set[str] | frozenset[str] = frozenset()) -> None:
    """At least ``at_least`` pictures drawn, among them charts of every kind in ``kinds``; no English word in
    their texts, and the number axes with Russian marks (a decimal comma, a no-break space between thousands)."""
    assert len(drawn) >= at_least, f"only {len(drawn)} pictures drawn: {[where for where, _c in panels(drawn)]}"
    drawn_kinds = {chart.kind for _where, chart in panels(drawn)}
    assert kinds <= drawn_kinds, f"no chart of kind {sorted(kinds - drawn_kinds)} drawn (drawn: {drawn_kinds})"
    leaks = []
    for where, text in chart_texts(drawn):
        rest = ALLOWED.sub(" ", text)
        words = CHART_ENGLISH.findall(rest) + ENGLISH_DECIMAL.findall(rest)
        if words:
            leaks.append(f"{where}: {text!r} (English: {', '.join(words)})")
    marks = (babel.numbers.get_decimal_symbol(RU), babel.numbers.get_group_symbol(RU))
    leaks += [
        f"{where}: number marks {(chart.decimal, chart.group)!r}, not Russian {marks!r}"
        for where, chart in panels(drawn)
        if chart.kind in NUMBERED and (chart.decimal, chart.group) != marks
    ]
    assert not leaks, "English in what the charts show:\n" + "\n".join(leaks)


# ------------------------------------------------------------------ driving the bot


async def ru_server(pool: asyncpg.Pool, name: str = SERVER, **columns: Any) -> Server:
    return await make_server(pool, name, language=RU, game="minecraft", **columns)


async def command(runner: BotRunner, user: int, name: str, /, locale: str = RU, **options: Any) -> str:
    return reply_text(await runner.command(user, name, locale=locale, **options))


async def interact(fake: FakeDiscord, user: int, **spec: Any) -> list[dict[str, Any]]:
    created = await fake.interact(
        {"guild_id": str(GUILD_ID), "channel_id": str(GENERAL), "user_id": str(user), "locale": RU, **spec}
    )
    first = await fake.wait_for_response(created["interaction_id"], timeout=10)
    if first[0].get("type") == 5:  # thinking: then the answer
        return await fake.wait_for_response(created["interaction_id"], count=2, timeout=10)
    if first[0].get("type") == 7:  # updated in place, maybe with a private note
        try:
            return await fake.wait_for_response(created["interaction_id"], count=2, timeout=1)
        except TimeoutError:
            return first
    return first


async def press(
    fake: FakeDiscord, user: int, message: dict[str, Any], custom_id: str, locale: str = RU
) -> list[dict[str, Any]]:
    return await interact(fake, user, type=3, custom_id=custom_id, message_id=message["id"], locale=locale)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c.get("custom_id") or "" for row in message.get("components") or [] for c in row["components"]]
