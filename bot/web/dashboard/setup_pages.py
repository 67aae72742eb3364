"""Setting the bot up from the browser, as ``/setup`` does in Discord: linking a game server (its API key shown
once), its options, the master switch and the default server, the listing sites' secrets, and removing it.

Every change goes through the service the slash command uses — :class:`~bot.core.servers.ServerService`,
:class:`~bot.core.feature_switches.FeatureSwitches`, :func:`bot.votes.credentials.save_secret`,
:class:`~bot.core.server_removal.ServerRemoval` — inside ``acting_as`` the person, so the audit log records it
and a refusal is the slash command's own text. No secret is ever shown back: a stored one is known by its
fingerprint, and a generated one is shown once, on the answer to the form that made it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.core import i18n
from bot.core.audit import Actor, acting_as
from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH
from bot.core.i18n import _
from bot.core.server_removal import ServerRemoval, describe_removal, removed_text
from bot.core.servers import options_summary
from bot.core.text import escape
from bot.core.validation import AUTO_LANGUAGE
from bot.db.credentials import CredentialRepository
from bot.db.records import Server
from bot.votes.credentials import (
    CREDENTIAL_KINDS,
    DEFAULT_SECRET_INPUT,
    GENERATED_KINDS,
    NO_PUBLIC_ADDRESS,
    SECRET_INPUTS,
    SETTING_KEYS,
    SETTING_LABELS,
    check_generate,
    describe,
    generated_secret_text,
    new_secret,
    pastes,
    provider_name,
    save_secret,
    setting_label,
)
from bot.web.backend import backend_of
from bot.web.dashboard.access import Page, Refusal, dashboard_of, managed_guild, server_page, snowflake_in
from bot.web.dashboard.sections import Form, Section

OPTION_FIELDS = ("timezone", "category", "vote_cooldown_hours", "vote_url", "address", "game")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/guilds/{guild_id}/servers", add_server_post)
    app.router.add_get("/servers/{server_id}/options", options_page)
    app.router.add_post("/servers/{server_id}/options", options_post)
    app.router.add_post("/servers/{server_id}/options/master", master_post)
    app.router.add_post("/servers/{server_id}/options/default", default_post)
    app.router.add_get("/servers/{server_id}/remove", remove_page)
    app.router.add_post("/servers/{server_id}/remove", remove_post)
    app.router.add_get("/servers/{server_id}/secrets", secrets_page)
    app.router.add_post("/servers/{server_id}/secrets/{provider}", secret_post)


def _sections(request: web.Request) -> list[Section]:
    return list(dashboard_of(request).pages.sections)


# ---------------------------------------------------------------------------------------------- linking a server


async def add_server_post(request: web.Request) -> web.StreamResponse:
    guild_id = snowflake_in(request.match_info["guild_id"])
    if guild_id is None:
        raise Refusal(404, _("There is no Discord server here that you manage with the bot in it."))
    viewer, guild, _member = await managed_guild(request, guild_id)
    backend = backend_of(request)
    form = await request.post()
    typed = {key: str(form.get(key, "")) for key in ("name", "vote_url", "game", "address")}
    try:
        with acting_as(Actor("dashboard", viewer.user_id, viewer.name)):
            created = await backend.servers.add(
                guild_id=guild.id,
                name=typed["name"],
                vote_url=typed["vote_url"],
                game=typed["game"].strip() or None,
                address=typed["address"].strip() or None,
            )
            if form.get("default") == "on" and not created.server.is_default:
                await backend.servers.make_default(created.server)
    except UserError as refusal:
        servers = await backend.servers.list_for_guild(guild.id)
        context = {"guild": guild, "servers": servers, "typed": typed, "error": str(refusal)}
        return aiohttp_jinja2.render_template("guild.html", request, context, status=422)
    # The key is in this answer only (stored as a hash; the answer is not cached): never shown again.
    return aiohttp_jinja2.render_template(
        "server_linked.html", request, {"guild": guild, "server": created.server, "api_key": created.api_key}
    )


# ---------------------------------------------------------------------------------------------- options


def _cooldown_hours(server: Server) -> str:
    return f"{server.vote_cooldown.total_seconds() / 3600:g}"


def _current_options(server: Server) -> dict[str, str]:
    return {
        "timezone": server.timezone,
        "category": server.category or "",
        "vote_cooldown_hours": _cooldown_hours(server),
        "vote_url": server.vote_url,
        "address": server.address or "",
        "game": server.game or "",
        "language": server.language or AUTO_LANGUAGE,
    }


async def options_page(request: web.Request, page: Page | None = None, status: int = 200) -> web.StreamResponse:
    page = page or await server_page(request)
    current = _current_options(page.server)
    values = {key: page.typed(key, value) for key, value in current.items()}
    languages = [(language.code, language.name) for language in i18n.LANGUAGES]
    languages.append((AUTO_LANGUAGE, _("Follow the Discord server's language")))
    return await page.render(
        "options.html", status=status, values=values, language_choices=languages, sections=_sections(request)
    )


def _hours(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return math.nan  # refused with the slash command's words by clean_cooldown


async def options_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    form = await request.post()
    current = _current_options(page.server)
    sent = {key: str(form.get(key, "")).strip() for key in current}
    # Only what changed (an emptied field keeps its value, as an option left out of /setup options does).
    changed = {key: value for key, value in sent.items() if value and value != current[key]}
    if not changed:
        return await page.done(_("Nothing changed: every option is as it was."))
    try:
        with acting_as(page.actor):
            updated = await page.backend.servers.update_options(
                page.server,
                timezone=changed.get("timezone"),
                category=changed.get("category"),
                cooldown_hours=_hours(changed["vote_cooldown_hours"]) if "vote_cooldown_hours" in changed else None,
                vote_url=changed.get("vote_url"),
                address=changed.get("address"),
                game=changed.get("game"),
                language=changed.get("language"),
            )
    except UserError as refusal:
        page.error, page.form = str(refusal), form
        return await options_page(request, page, status=422)
    return await page.done(options_summary(updated, page.backend.servers.language(updated)))


async def master_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    form = await request.post()
    switches = page.backend.switches
    with acting_as(page.actor):
        if form.get("enabled") == "on":
            text = await switches.enable(page.server, MASTER_SWITCH, channel_id=None, role_id=None, confirm_in=None)
        else:
            text = await switches.disable(page.server, MASTER_SWITCH)
    return await page.done(text, to=page.url("options"))


async def default_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    name = escape(page.server.name)
    if page.server.is_default:
        return await page.done(_("**{server}** is already the default server.", server=name), to=page.url("options"))
    with acting_as(page.actor):
        await page.backend.servers.make_default(page.server)
    return await page.done(
        _("**{server}** is now the default server: /vote shows it first.", server=name), to=page.url("options")
    )


# ---------------------------------------------------------------------------------------------- removal


async def remove_page(request: web.Request, page: Page | None = None, error: str = "") -> web.StreamResponse:
    page = page or await server_page(request)
    summary = await ServerRemoval(page.backend.pool, page.backend.messenger).preview(page.server)
    return await page.render(
        "remove.html",
        status=422 if error else 200,
        what=describe_removal(summary),
        sections=_sections(request),
        error=error,
    )


async def remove_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    form = await request.post()
    if form.get("confirm") != "on":  # the box the browser asks for, checked here too (a replayed form, no JS)
        return await remove_page(request, page, error=_("Tick the box to confirm; nothing was changed."))
    try:
        with acting_as(page.actor):
            outcome = await ServerRemoval(page.backend.pool, page.backend.messenger).remove(page.server)
    except UserError as refusal:  # removed meanwhile (another admin, the CLI)
        return await page.done(str(refusal), to=f"/dashboard/guilds/{page.guild.id}")
    return await page.done(removed_text(outcome), to=f"/dashboard/guilds/{page.guild.id}")


# ---------------------------------------------------------------------------------------------- listing sites


@dataclass
class ProviderView:
    """One listing site on the secrets page: what is stored (fingerprints only) and what to paste where."""

    kind: str
    name: str
    configured: bool
    fingerprint: str
    secret_label: str
    secret_hint: str
    can_generate: bool
    paste: list[tuple[str, str]] = field(default_factory=list)  # (label, value) to paste into the site
    missing_address: bool = False
    settings: list[tuple[str, str, str]] = field(default_factory=list)  # (key, label, stored or typed value)
    service_tokens: list[tuple[str, str]] = field(default_factory=list)  # (service, fingerprint)
    votifier_off: bool = False


def _paste_lines(info: dict[str, object]) -> tuple[list[tuple[str, str]], bool]:
    found, missing = pastes(info)
    lines = [
        (
            paste.label,
            paste.value or _("the bot's public address followed by {path}", path=paste.path_after_public_address),
        )
        for paste in found
    ]
    return lines, missing


async def _providers(page: Page) -> list[ProviderView]:
    credentials = CredentialRepository(page.backend.pool)
    views = []
    for kind in CREDENTIAL_KINDS:
        credential = await credentials.get(page.server.id, kind)
        info = describe(page.backend.endpoints, page.server.id, credential, kind)
        paste, missing = _paste_lines(info)
        label, hint = SECRET_INPUTS.get(kind, DEFAULT_SECRET_INPUT)
        stored = info.get("settings") or {}
        assert isinstance(stored, dict)  # noqa: S101 - describe() gives a dict
        settings = [
            (key, setting_label(key), page.typed(f"setting.{key}", str(stored.get(key, ""))))
            for key in SETTING_KEYS[kind]
            if key in SETTING_LABELS
        ]
        tokens = info.get("service_tokens") or {}
        assert isinstance(tokens, dict)  # noqa: S101
        views.append(
            ProviderView(
                kind=kind,
                name=provider_name(kind),
                configured=credential is not None,
                fingerprint=str(info.get("secret", "")),
                secret_label=_(label),
                secret_hint=_(hint),
                can_generate=kind in GENERATED_KINDS,
                paste=paste,
                missing_address=missing,
                settings=settings,
                service_tokens=sorted((str(name), str(value)) for name, value in tokens.items()),
                votifier_off=kind == "votifier" and not info.get("enabled"),
            )
        )
    return views


async def secrets_page(request: web.Request, page: Page | None = None, status: int = 200) -> web.StreamResponse:
    page = page or await server_page(request)
    return await page.render(
        "secrets.html",
        status=status,
        providers=await _providers(page),
        no_public_address=_(NO_PUBLIC_ADDRESS),
        sections=_sections(request),
    )


async def secret_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    kind = request.match_info["provider"]
    if kind not in CREDENTIAL_KINDS:
        raise Refusal(404, _("This page does not exist."))
    form = await request.post()
    generated = "generate" in form
    try:
        with acting_as(page.actor):
            shown, value = await _store(page, kind, form, generated)
    except UserError as refusal:
        page.error = str(refusal)
        page.form = _without_secret(form)
        return await secrets_page(request, page, status=422)
    lines = [
        _("{provider} secret for **{server}** saved.", provider=provider_name(kind), server=escape(page.server.name)),
        _("Its fingerprint: `{fingerprint}`", fingerprint=shown),
    ]
    if not generated:
        return await page.done("\n".join(lines), to=page.url("secrets"))
    # A secret the bot chose: shown in this answer only (not cached), with where to paste it.
    return await page.render(
        "secret_generated.html",
        saved="\n".join(lines),
        secret_line=generated_secret_text(kind, value),
        sections=_sections(request),
    )


def _without_secret(form: Form) -> Form:
    """What is shown again after a refusal: the provider settings, never the secret."""
    return MultiDictProxy(MultiDict((key, str(value)) for key, value in form.items() if key.startswith("setting.")))


async def _store(page: Page, kind: str, form: Form, generated: bool) -> tuple[str, str]:
    if generated:
        check_generate(kind)  # only secrets the bot may choose; the others come from the listing site
        value = new_secret()
    else:
        value = str(form.get("secret", "")).strip()
    settings = {key: str(form.get(f"setting.{key}", "")) for key in SETTING_KEYS[kind] if key in SETTING_LABELS}
    shown = await save_secret(page.backend.pool, page.server, kind, value, settings)
    return shown, value
