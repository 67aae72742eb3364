"""The management API for listing sites: a server's options, features, status and votes, as JSON.

Every route is under ``/api/v1/servers/{server_id}`` and takes ``Authorization: Bearer <the server's API key>``
(shown once by ``/setup server`` or ``votebot server add``):

- ``GET`` / ``PATCH`` ``…/{server_id}``: the server's options and master switch (``enabled``);
- ``GET …/features``: every declared feature with its switch, channel, role, settings and their declaration;
- ``GET`` / ``PATCH`` ``…/features/{feature}``: one feature; ``{enabled?, channel_id?, role_id?, settings?}``;
- ``GET …/status``: the game server's last known status (404 when the status feature package is not loaded);
- ``GET …/votes/summary``: today, this month (the server's time zone), in all, the last 30 days, this month's top 10.

Changes go through the services the slash commands use (:class:`~bot.core.servers.ServerService`,
:class:`~bot.core.feature_switches.FeatureSwitches`), as the actor ``api`` for the audit log. Answers are
``{"ok": true, …}``; errors ``{"ok": false, "error": "…"}``: 400 bad JSON or fields (named), 401 no or wrong key
(``WWW-Authenticate: Bearer``; it counts against the source's failed-attempt budget, 429 with ``Retry-After``
beyond), 404 another server's id, an unknown server or feature, 409 the bot does not see the server's Discord guild,
413 body over 64 KiB, 415 a PATCH that is not ``application/json``, 422 a value refused (the slash command's own
words, in the language ``Accept-Language`` picks among the bot's, English otherwise), 503 no bot in this process.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.core import i18n
from bot.core.audit import Actor, acting_as
from bot.core.errors import UserError
from bot.core.features import MASTER_SWITCH, FeatureSpec, SettingSpec
from bot.core.guild_checks import check_role, usable_channel
from bot.core.i18n import _
from bot.core.servers import options_summary
from bot.core.time import day_of, local_midnight, month_of, zone
from bot.db.records import FeatureSetting, Server
from bot.web.backend import BACKEND_KEY, BotBackend, backend_of
from bot.web.guard import PUBLIC_READS_KEY
from bot.web.intake import ClientGone, client_gone, json_error, parse_server_id, read_body, throttled, unauthorized
from bot.web.providers import PayloadTooLarge, ProviderError
from bot.web.providers.common import load_json_object

log = logging.getLogger(__name__)

PREFIX = "/api/v1/servers/{server_id}"
MAX_KEY = 200
DAYS = 30  # the votes summary's daily series
TOP = 10
API_ACTOR = Actor("api", None, "API key")
# PATCH …/{server_id}: field -> (the type it must have, said so, its keyword of ServerService.update_options)
OPTION_FIELDS: Mapping[str, tuple[type | tuple[type, ...], str, str]] = {
    "vote_url": (str, "a string", "vote_url"),
    "game": (str, "a string", "game"),
    "address": (str, "a string", "address"),
    "timezone": (str, "a string", "timezone"),
    "category": (str, "a string", "category"),
    "vote_cooldown_hours": ((int, float), "a number", "cooldown_hours"),
    "language": (str, "a string (a language code, or auto)", "language"),
}
READ_ONLY = ("id", "name", "guild_id", "is_default")
FEATURE_FIELDS = ("enabled", "channel_id", "role_id", "settings")


class Refused(Exception):
    """An answer other than 200, raised from anywhere in a handler."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = json_error(status, message)
        self.response.headers.update(headers or {})

    @classmethod
    def answering(cls, response: web.Response) -> Refused:
        refused = cls(response.status, "")
        refused.response = response
        return refused


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated request: the bot behind the web server and the server the key opens."""

    request: web.Request
    backend: BotBackend
    server: Server


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


# ---------------------------------------------------------------------------------------------- plumbing


def _bearer(request: web.Request) -> str:
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(request: web.Request, reason: str) -> Refused:
    """The 401 (logged, and charged to the source's failed-attempt budget)."""
    unauthorized(request, "management API request", reason)
    return Refused(401, "invalid or missing API key", {"WWW-Authenticate": 'Bearer realm="votebot"'})


async def _authenticate(request: web.Request) -> Call:
    refusal = throttled(request)
    if refusal is not None:
        raise Refused.answering(refusal)
    if request.app.get(BACKEND_KEY) is None:
        raise Refused(503, "this process runs no bot (votebot webhooks): use the bot's own port")
    backend = backend_of(request)
    key = _bearer(request)
    if not key:
        raise _unauthorized(request, "no Authorization: Bearer key")
    if len(key) > MAX_KEY:
        raise _unauthorized(request, "key too long")
    server_id = parse_server_id(request.match_info["server_id"])
    async with request.app[PUBLIC_READS_KEY].slot():
        check = await backend.servers.by_api_key(server_id or 0, key)
    if check.server is not None:
        return Call(request, backend, check.server)
    if not check.known:
        raise _unauthorized(request, "unknown API key")
    raise Refused(404, "no such server for this key")  # a valid key of another server: nothing to say about this id


def api(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Authenticate, speak the language asked for, and turn refusals into JSON errors."""

    @functools.wraps(handler)
    async def route(request: web.Request) -> web.Response:
        with i18n.speaking(i18n.for_accept_language(request.headers.get("Accept-Language", ""))):
            try:
                call = await _authenticate(request)
                with acting_as(API_ACTOR):
                    body = await handler(call)
            except Refused as refused:
                return refused.response
            except UserError as exc:
                return json_error(422, str(exc))
        return web.json_response({"ok": True, **body})

    return route


async def _patch_body(
    request: web.Request, allowed: tuple[str, ...], read_only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The PATCH body: a JSON object of ``allowed`` fields (at least one); 415, 413, 400 otherwise."""
    if request.content_type != "application/json":
        raise Refused(415, "send the body as application/json")
    try:
        body = load_json_object(await read_body(request))
    except PayloadTooLarge:
        raise Refused(413, "body too large") from None
    except ProviderError as exc:
        raise Refused(400, exc.reason) from None
    except ClientGone as exc:
        response = client_gone(request, "management", exc)
        raise Refused(response.status, "request body not received") from None
    fixed = [key for key in body if key in read_only]
    if fixed:
        raise Refused(400, f"read-only field(s): {', '.join(fixed)}")
    unknown = [key[:40] for key in body if key not in allowed]
    if unknown:
        raise Refused(400, f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    if not body:
        raise Refused(400, f"nothing to change: give at least one of {', '.join(allowed)}")
    return body


def _typed(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Refused(400, f"{name} must be {what}")
    return value


def _snowflake(body: Mapping[str, Any], name: str) -> int:
    value = body[name]
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:  # a bigint
        raise Refused(400, f"{name} must be a Discord id (a string of digits)")
    return int(text)


def _id(value: int | None) -> str | None:
    return str(value) if value is not None else None


# ---------------------------------------------------------------------------------------------- the server


def server_json(backend: BotBackend, server: Server) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.name,
        "guild_id": str(server.guild_id),
        "vote_url": server.vote_url,
        "game": server.game,
        "address": server.address,
        "timezone": server.timezone,
        "category": server.category,
        "vote_cooldown_hours": server.vote_cooldown.total_seconds() / 3600,
        "language": server.language,  # null: the Discord server's language
        "language_in_force": backend.servers.language(server).code,
        "enabled": server.enabled,
        "is_default": server.is_default,
    }


@api
async def get_server(call: Call) -> dict[str, Any]:
    return {"server": server_json(call.backend, call.server)}


@api
async def patch_server(call: Call) -> dict[str, Any]:
    body = await _patch_body(call.request, (*OPTION_FIELDS, "enabled"), READ_ONLY)
    options = {
        keyword: _typed(body, name, kind, what) for name, (kind, what, keyword) in OPTION_FIELDS.items() if name in body
    }
    enabled = _typed(body, "enabled", bool, "true or false") if "enabled" in body else None
    servers, switches, server = call.backend.servers, call.backend.switches, call.server
    messages = []
    if options:
        server = await servers.update_options(server, **options)
        messages.append(options_summary(server, servers.language(server)))
    if enabled is True:
        messages.append(await switches.enable(server, MASTER_SWITCH, channel_id=None, role_id=None, confirm_in=None))
    elif enabled is False:
        messages.append(await switches.disable(server, MASTER_SWITCH))
    log.info("server %s: options changed through the management API (%s)", server.id, ", ".join(body))
    return {"server": server_json(call.backend, await servers.get(server.id)), "messages": messages}


# ---------------------------------------------------------------------------------------------- features


def setting_declaration(spec: SettingSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "option": spec.option_name,
        "label": spec.label or spec.option_name.replace("_", " "),
        "kind": spec.kind,
        "default": spec.default,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "choices": list(spec.choices),
        "max_items": spec.max_items,
        "zero_means_off": spec.zero_means_off,
        "unit": spec.unit or None,
        "description": spec.description,
    }


def feature_json(backend: BotBackend, spec: FeatureSpec, setting: FeatureSetting | None) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.label,  # English, as declared
        "enabled": setting.enabled if setting is not None else spec.enabled_by_default,
        "channel_id": _id(setting.channel_id if setting is not None else None),
        "role_id": _id(setting.role_id if setting is not None else None),
        "settings": backend.servers.current_settings(setting, spec.name),
        "declaration": {
            "needs_channel": spec.needs_channel,
            "needs_role": spec.needs_role,
            "uses_role": spec.uses_role,
            "grants_role": spec.grants_role,
            "needs_address": spec.needs_address,
            "enabled_by_default": spec.enabled_by_default,
            "settings": [setting_declaration(s) for s in spec.settings],
        },
    }


def _spec(call: Call) -> FeatureSpec:
    name = call.request.match_info["feature"]
    if name not in call.backend.servers.registry:
        raise Refused(404, f"unknown feature {name[:40]!r}; features: {', '.join(call.backend.servers.registry.names)}")
    return call.backend.servers.spec(name)


@api
async def list_features(call: Call) -> dict[str, Any]:
    stored = {s.feature: s for s in await call.backend.servers.settings_of(call.server.id)}
    registry = call.backend.servers.registry
    return {
        "master_enabled": call.server.enabled,
        "features": [feature_json(call.backend, spec, stored.get(spec.name)) for spec in registry],
    }


@api
async def get_feature(call: Call) -> dict[str, Any]:
    spec = _spec(call)
    setting = await call.backend.servers.setting(call.server.id, spec.name)
    return {"master_enabled": call.server.enabled, "feature": feature_json(call.backend, spec, setting)}


def _checked_targets(call: Call, spec: FeatureSpec, channel_id: int | None, role_id: int | None) -> None:
    """The channel and role checked with the bot's own view of the guild, as /feature enable checks them; the key
    holder is trusted like the operator at the CLI (no member's rights to check)."""
    if channel_id is None and role_id is None:
        return
    guild = call.backend.get_guild(call.server.guild_id)
    if guild is None:
        raise Refused(409, "the bot does not see this server's Discord guild (not invited, or not connected yet)")
    if channel_id is not None:
        usable_channel(guild, channel_id)
    if role_id is not None:
        role = guild.get_role(role_id)
        if role is None:
            raise UserError(_("That role no longer exists."))
        check_role(spec, role, guild.me, None)


@api
async def patch_feature(call: Call) -> dict[str, Any]:
    spec = _spec(call)
    body = await _patch_body(call.request, FEATURE_FIELDS)
    enabled = _typed(body, "enabled", bool, "true or false") if "enabled" in body else None
    channel_id = _snowflake(body, "channel_id") if "channel_id" in body else None
    role_id = _snowflake(body, "role_id") if "role_id" in body else None
    settings = _typed(body, "settings", dict, "an object of setting: value") if "settings" in body else None
    servers, switches, server = call.backend.servers, call.backend.switches, call.server
    if settings is not None:
        spec.parse_settings(settings)  # every refusal before any change (422)
    _checked_targets(call, spec, channel_id, role_id)
    current = await servers.setting(server.id, spec.name)
    is_on = current.enabled if current is not None else spec.enabled_by_default
    messages = []
    if enabled is True or (enabled is None and is_on and (channel_id is not None or role_id is not None)):
        # As /feature enable: a notice in a new channel first, and nothing changes when Discord refuses it.
        messages.append(
            await switches.enable(server, spec.name, channel_id=channel_id, role_id=role_id, confirm_in=channel_id)
        )
        channel_id = role_id = None
    elif enabled is False:
        messages.append(await switches.disable(server, spec.name))
    if settings or channel_id is not None or role_id is not None:
        await servers.configure(server, spec.name, channel_id=channel_id, role_id=role_id, settings=settings)
    log.info("server %s: feature %s changed through the management API (%s)", server.id, spec.name, ", ".join(body))
    setting = await servers.setting(server.id, spec.name)
    return {
        "master_enabled": server.enabled,
        "feature": feature_json(call.backend, spec, setting),
        "messages": messages,
    }


# ---------------------------------------------------------------------------------------------- status, votes


@api
async def get_status(call: Call) -> dict[str, Any]:
    summary = call.backend.summaries.get("status")
    if summary is None:
        raise Refused(404, "the status feature is not loaded in this bot")
    return {"status": dict(await summary(call.server))}


@api
async def votes_summary(call: Call) -> dict[str, Any]:
    server, votes = call.server, call.backend.votes
    tz = zone(server.timezone)
    now = call.backend.clock()
    today = now.astimezone(tz).date()
    day, month = day_of(today, tz), month_of(now, tz)
    first = today - dt.timedelta(days=DAYS - 1)
    counts = await votes.daily_counts(server.id, local_midnight(first, tz), day.end, server.timezone)
    by_day: dict[dt.date, dict[str, int]] = {}
    for count in counts:
        by_day.setdefault(count.day, {})[count.provider] = count.votes
    daily = []
    for offset in range(DAYS):
        date = first + dt.timedelta(days=offset)
        sites = by_day.get(date, {})
        daily.append({"day": date.isoformat(), "votes": sum(sites.values()), "by_site": sites})
    top = await votes.top_voters(server.id, month.start, month.end, TOP)
    return {
        "timezone": server.timezone,
        "today": {"day": day.key, "votes": await votes.count(server.id, day.start, day.end)},
        "month": {"month": month.key, "votes": await votes.count(server.id, month.start, month.end)},
        "total": await votes.total(server.id),
        "daily": daily,
        "top_voters": [{"member_id": _id(v.member_id), "name": v.name, "votes": v.votes} for v in top],
    }


def add_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX, get_server)
    app.router.add_patch(PREFIX, patch_server)
    app.router.add_get(PREFIX + "/features", list_features)
    app.router.add_get(PREFIX + "/features/{feature}", get_feature)
    app.router.add_patch(PREFIX + "/features/{feature}", patch_feature)
    app.router.add_get(PREFIX + "/status", get_status)
    app.router.add_get(PREFIX + "/votes/summary", votes_summary)
