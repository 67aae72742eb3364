"""The bot owners' instance page (``/dashboard/instance``): every game server of this bot, its health as
``/healthz`` reports it, the vote outbox and its dead letters as ``votebot outbox`` shows them, and the facts
feature packages add (the forwarding backlog). Anyone who is not an owner (``discord.owner_ids``) gets a 404: the
page does not exist for them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp_jinja2
from aiohttp import web

from bot.core.i18n import _
from bot.db.records import Server
from bot.votes.repository import dead_letters
from bot.web.backend import backend_of
from bot.web.dashboard.access import Refusal, dashboard_of, is_owner, require_viewer
from bot.web.dashboard.sections import Fact
from bot.web.intake import DATABASE_ERRORS
from bot.web.routes.health import outbox_health

log = logging.getLogger(__name__)

DEAD_LETTERS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class ServerRow:
    server: Server
    guild: str  # the guild's name as the bot sees it, or its id when the bot is not in it
    features: tuple[str, ...]  # labels of the features that are on, in the language in force


@dataclass(frozen=True, slots=True)
class FactGroup:
    heading: str
    facts: tuple[Fact, ...]
    failed: bool = False


def add_routes(app: web.Application) -> None:
    app.router.add_get("/instance", instance_page)


async def instance_page(request: web.Request) -> web.StreamResponse:
    viewer = await require_viewer(request)
    backend = backend_of(request)
    if not await is_owner(backend, viewer):
        raise Refusal(404, _("This page does not exist."))
    health = await outbox_health(backend.pool)
    letters = []
    rows: list[ServerRow] = []
    if health.database_ok:
        try:
            letters = await dead_letters(backend.pool, DEAD_LETTERS_SHOWN)
            features_on = await backend.servers.features_on()
            for server in await backend.servers.list_all():
                guild = backend.get_guild(server.guild_id)
                labels = tuple(
                    _(backend.features.get(name).label) if name in backend.features else name
                    for name in features_on.get(server.id, [])
                )
                rows.append(ServerRow(server, guild.name if guild is not None else str(server.guild_id), labels))
        except DATABASE_ERRORS as exc:
            log.warning("instance page: database unavailable: %s", type(exc).__name__)
    groups = []
    for heading, facts in dashboard_of(request).pages.instance_facts:
        try:
            groups.append(FactGroup(_(heading), tuple(await facts())))
        except Exception:  # one feature's facts failing must not hide the rest of the page
            log.exception("instance page: the facts of %r failed", heading)
            groups.append(FactGroup(_(heading), (), failed=True))
    return aiohttp_jinja2.render_template(
        "instance.html",
        request,
        {"health": health, "stats": health.stats, "letters": letters, "rows": rows, "groups": groups},
    )
