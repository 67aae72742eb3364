"""The dashboard's own pages: the guild list, a guild's game servers, a server's features, one feature's form.

Each feature's form is generated from its declaration (bot/core/features.py) and sent through the same services
the slash commands use: :class:`~bot.core.feature_switches.FeatureSwitches` (switching it on with a channel posts
the notice there first), the channel and role checks of bot/core/guild_checks.py with the person as the bot sees
them now, and the settings' own ``parse``. Sections added by feature packages are served here too.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.core import i18n
from bot.core.audit import acting_as
from bot.core.errors import UserError
from bot.core.features import FeatureSpec, translated
from bot.core.guild_checks import invite_url, needed_permissions, usable_channel, usable_role
from bot.core.i18n import _
from bot.web.backend import backend_of
from bot.web.dashboard import audit_page, charts_page, instance_page, setup_pages
from bot.web.dashboard.access import (
    Page,
    Refusal,
    dashboard_of,
    managed_guild,
    require_viewer,
    server_page,
    snowflake_in,
    viewer_of,
)
from bot.web.dashboard.forms import (
    channel_choices,
    role_choices,
    setting_fields,
    settings_sent,
    wants_channel,
    wants_role,
)
from bot.web.dashboard.sections import Form, Section


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("", home)
    app.router.add_post("/language", choose_language)
    app.router.add_get("/guilds/{guild_id}", guild_page)
    app.router.add_get("/servers/{server_id}", server_overview)
    app.router.add_get("/servers/{server_id}/features/{feature}", feature_page)
    app.router.add_post("/servers/{server_id}/features/{feature}", feature_post)
    app.router.add_get("/servers/{server_id}/s/{section}", section_get)
    app.router.add_get("/servers/{server_id}/s/{section}/{tail:.*}", section_get)
    app.router.add_post("/servers/{server_id}/s/{section}", section_post)
    app.router.add_post("/servers/{server_id}/s/{section}/{tail:.*}", section_post)
    charts_page.add_routes(app)
    instance_page.add_routes(app)
    setup_pages.add_routes(app)
    audit_page.add_routes(app)


async def home(request: web.Request) -> web.StreamResponse:
    viewer = await viewer_of(request)
    if viewer is None:
        return aiohttp_jinja2.render_template("login.html", request, {})
    backend = backend_of(request)
    guilds = [guild for guild in (backend.get_guild(guild_id) for guild_id in viewer.guild_ids) if guild is not None]
    guilds.sort(key=lambda guild: guild.name.casefold())
    invite = invite_url(_application_id(backend), needed_permissions(backend.features))
    return aiohttp_jinja2.render_template(
        "home.html", request, {"guilds": guilds, "invitable": viewer.invitable, "invite": invite}
    )


def _application_id(backend: object) -> int:
    return int(getattr(backend, "application_id", None) or 0)


async def choose_language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    code = form.get("lang")
    session = await get_session(request)
    if isinstance(code, str) and i18n.language(code) is not None:
        session["lang"] = code
    back = form.get("next")
    target = back if isinstance(back, str) and back.startswith("/dashboard") and "//" not in back else "/dashboard/"
    raise web.HTTPSeeOther(target)


async def guild_page(request: web.Request) -> web.StreamResponse:
    guild_id = snowflake_in(request.match_info["guild_id"])
    if guild_id is None:
        await require_viewer(request)
        raise Refusal(404, _("There is no Discord server here that you manage with the bot in it."))
    _viewer, guild, _member = await managed_guild(request, guild_id)
    servers = await backend_of(request).servers.list_for_guild(guild.id)
    return aiohttp_jinja2.render_template("guild.html", request, {"guild": guild, "servers": servers})


async def server_overview(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    settings = {setting.feature: setting for setting in await page.backend.servers.settings_of(page.server.id)}
    rows = [(spec, settings.get(spec.name)) for spec in page.backend.features]
    return await page.render("server.html", rows=rows, sections=_sections(request))


def _sections(request: web.Request) -> list[Section]:
    return list(dashboard_of(request).pages.sections)


def _spec(page: Page, name: str) -> FeatureSpec:
    if name not in page.backend.features:
        raise Refusal(404, _("This page does not exist."))
    return page.backend.features.get(name)


async def feature_page(request: web.Request, page: Page | None = None, status: int = 200) -> web.StreamResponse:
    page = page or await server_page(request)
    spec = _spec(page, request.match_info["feature"])
    setting = await page.backend.servers.setting(page.server.id, spec.name)
    current = page.backend.servers.current_settings(setting, spec.name)
    typed_channel = snowflake_in(page.typed("channel_id"))
    typed_role = snowflake_in(page.typed("role_id"))
    channel = typed_channel if page.form is not None else (setting.channel_id if setting else None)
    role = typed_role if page.form is not None else (setting.role_id if setting else None)
    enabled = (page.typed("enabled") == "on") if page.form is not None else bool(setting and setting.enabled)
    return await page.render(
        "feature.html",
        status=status,
        spec=spec,
        label=_(spec.label),
        channel_use=translated(spec.channel_use),
        enabled=enabled,
        channels=channel_choices(page.guild, channel) if wants_channel(spec) else (),
        channel_needed=spec.needs_channel,
        roles=role_choices(page.guild, role) if wants_role(spec) else (),
        fields=setting_fields(spec, current, page.form),
        sections=_sections(request),
    )


async def feature_post(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    spec = _spec(page, request.match_info["feature"])
    form = await request.post()
    try:
        with acting_as(page.actor):
            text = await _save_feature(page, spec, form)
    except UserError as refusal:
        page.error, page.form = str(refusal), form
        return await feature_page(request, page, status=422)
    return await page.done(text)


async def _save_feature(page: Page, spec: FeatureSpec, form: Form) -> str:
    values = settings_sent(spec, form)
    spec.parse_settings(values)  # out of bounds: refused before anything is checked or posted
    setting = await page.backend.servers.setting(page.server.id, spec.name)
    channel_id = snowflake_in(str(form.get("channel_id") or "")) if wants_channel(spec) else None
    role_id = snowflake_in(str(form.get("role_id") or "")) if wants_role(spec) else None
    if channel_id is not None:
        usable_channel(page.guild, channel_id)
    if role_id is not None and (setting is None or setting.role_id != role_id):
        usable_role(page.guild, role_id, spec, page.member)
    enabled = form.get("enabled") == "on"
    servers = page.backend.servers
    if enabled:
        was_on = setting is not None and setting.enabled
        moved = channel_id is not None and (setting is None or setting.channel_id != channel_id)
        return await page.backend.switches.enable(
            page.server,
            spec.name,
            channel_id=channel_id,
            role_id=role_id,
            confirm_in=channel_id if (moved or not was_on) and channel_id is not None else None,
            settings=values,
        )
    await servers.configure(page.server, spec.name, channel_id=channel_id, role_id=role_id, settings=values)
    if setting is not None and setting.enabled:
        return await page.backend.switches.disable(page.server, spec.name)
    return _(
        "Saved the settings of **{feature}** for **{server}**; it stays off.",
        feature=_(spec.label),
        server=page.server.name,
    )


async def section_get(request: web.Request) -> web.StreamResponse:
    section, page = await _section(request)
    return await section.handler.get(page)


async def section_post(request: web.Request) -> web.StreamResponse:
    section, page = await _section(request)
    form = await request.post()
    try:
        with acting_as(page.actor):
            return await section.handler.post(page, form)
    except UserError as refusal:
        page.error, page.form = str(refusal), form
        response = await section.handler.get(page)
        response.set_status(422)
        return response


async def _section(request: web.Request) -> tuple[Section, Page]:
    section = dashboard_of(request).pages.get(request.match_info["section"])
    if section is None:
        await require_viewer(request)
        raise Refusal(404, _("This page does not exist."))
    page = await server_page(request, tail=request.match_info.get("tail", ""))
    if section.feature in page.backend.features:
        setting = await page.backend.servers.setting(page.server.id, section.feature)
        if setting is None or not setting.enabled:
            page.feature_off = section.feature
    return section, page
