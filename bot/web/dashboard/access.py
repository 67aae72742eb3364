"""Who may see and change what: the login, then the bot's own view of each guild.

A guild is shown only when the person managed it at login (owner, Administrator or Manage Server, as Discord said)
and the bot is in it. Every guild page — and so every write — asks Discord again, through the bot, whether the
person is still a member with Manage Server: permissions taken away after the login take effect on the next
request. Bot owners (``discord.owner_ids``) also get the instance page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import aiohttp_jinja2
import discord
from aiohttp import web
from aiohttp_session import get_session

from bot.core.audit import Actor
from bot.core.i18n import _
from bot.core.ratelimit import SourceBudget
from bot.db.dashboard import SignOutRepository
from bot.db.records import Server
from bot.web.backend import BotBackend, backend_of
from bot.web.dashboard.oauth import DiscordOAuth
from bot.web.dashboard.sections import DashboardPages, Form
from bot.web.dashboard.session import Viewer, log_out, viewer_in
from bot.web.dashboard.settings import DashboardSettings
from bot.web.guard import Network

MEMBER_SECONDS = 30.0  # a page view may reuse what Discord said about the person this recently; a write never does
MEMBERS_KEPT = 1000


@dataclass
class Dashboard:
    settings: DashboardSettings
    pages: DashboardPages
    oauth: DiscordOAuth
    logins: SourceBudget  # logins started per address
    trusted_proxies: tuple[Network, ...] = ()
    # (guild id, user id) -> (when Discord was asked, the member it gave): page views within MEMBER_SECONDS of a
    # check cost Discord nothing; every state-changing request asks again.
    members: dict[tuple[int, int], tuple[float, discord.Member | None]] = field(default_factory=dict)


DASHBOARD_KEY = web.AppKey("dashboard", Dashboard)


class Refusal(Exception):
    """Shown as a page with ``status`` and ``text`` (already in the language in force)."""

    def __init__(self, status: int, text: str, *, retry_after: int | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.retry_after = retry_after


def dashboard_of(request: web.Request) -> Dashboard:
    return request.config_dict[DASHBOARD_KEY]


VIEWER_KEY = web.RequestKey("dashboard_viewer", object)  # the person, found once per request


async def viewer_of(request: web.Request) -> Viewer | None:
    """Who is logged in: a session that is neither older than its lifetime nor from before their last logout."""
    if VIEWER_KEY in request:
        found = request[VIEWER_KEY]
        return found if isinstance(found, Viewer) else None
    dashboard, backend = dashboard_of(request), backend_of(request)
    session = await get_session(request)
    viewer = viewer_in(session, backend.clock, dashboard.settings.session_seconds)
    if viewer is not None:
        signed_out = await SignOutRepository(backend.pool).signed_out_at(viewer.user_id)
        if signed_out is not None and float(session.get("at", 0)) < signed_out.timestamp():
            log_out(session)  # a cookie from before a logout (copied, or kept by another browser)
            viewer = None
    request[VIEWER_KEY] = viewer
    return viewer


async def sign_out(request: web.Request) -> None:
    """Log the person out here and everywhere: sessions made before now are refused from now on."""
    viewer = await viewer_of(request)
    backend = backend_of(request)
    if viewer is not None:
        await SignOutRepository(backend.pool).sign_out(viewer.user_id, backend.clock())
    log_out(await get_session(request))
    request[VIEWER_KEY] = None


async def require_viewer(request: web.Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None:
        raise web.HTTPSeeOther("/dashboard/")
    return viewer


async def is_owner(backend: BotBackend, viewer: Viewer) -> bool:
    return await backend.owns(viewer.user_id)


def manages(member: discord.Member) -> bool:
    """Manage Server now, as the bot sees the member (the owner and Administrator imply it)."""
    return member.guild_permissions.manage_guild


async def managed_guild(request: web.Request, guild_id: int) -> tuple[Viewer, discord.Guild, discord.Member]:
    """The guild and the member, when the person may manage it now; a refusal page otherwise."""
    viewer = await require_viewer(request)
    backend = backend_of(request)
    guild = backend.get_guild(guild_id) if guild_id in viewer.guild_ids else None
    if guild is None:
        raise Refusal(404, _("There is no Discord server here that you manage with the bot in it."))
    member = await _member_now(request, backend, guild, viewer.user_id)
    if member is None or not manages(member):
        raise Refusal(
            403,
            _(
                "You need the Manage Server permission in {guild} to change its settings.",
                guild=guild.name,
            ),
        )
    return viewer, guild, member


async def _member_now(
    request: web.Request, backend: BotBackend, guild: discord.Guild, user_id: int
) -> discord.Member | None:
    """The member as Discord says: asked afresh for every write, at most every MEMBER_SECONDS for page views."""
    members = dashboard_of(request).members
    key, now = (guild.id, user_id), backend.clock().timestamp()
    known = members.get(key)
    if request.method in {"GET", "HEAD"} and known is not None and now - known[0] < MEMBER_SECONDS:
        return known[1]
    member = await backend.member_of(guild, user_id)
    members.pop(key, None)
    members[key] = (now, member)
    while len(members) > MEMBERS_KEPT:  # the oldest check goes first
        members.pop(next(iter(members)))
    return member


def snowflake_in(text: str) -> int | None:
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        return int(text)
    return None


@dataclass
class Page:
    """One request to a game server's page, after the checks: what handlers and sections work with."""

    request: web.Request
    viewer: Viewer
    backend: BotBackend
    guild: discord.Guild
    member: discord.Member
    server: Server
    tail: str = ""
    error: str = ""
    form: Form | None = None
    servers: list[Server] = field(default_factory=list)  # the guild's, for the menu
    feature_off: str = ""  # a section's feature that is switched off: the menu says so, with a link to switch it on

    @property
    def actor(self) -> Actor:
        return Actor("dashboard", self.viewer.user_id, self.viewer.name)

    def url(self, *parts: str) -> str:
        """``/dashboard/servers/{id}/…``"""
        return "/".join([f"/dashboard/servers/{self.server.id}", *parts]).rstrip("/")

    def action(self, actions: Collection[str]) -> tuple[str, str] | None:
        """A section's action on one item, from the path below it (``end/12`` → ``("end", "12")``); None for the
        section's own page; the "does not exist" page for anything else."""
        if not self.tail:
            return None
        action, _slash, item = self.tail.partition("/")
        if action not in actions or not item or "/" in item:
            raise Refusal(404, _("This page does not exist."))
        return action, item

    def action_on_id(self, actions: Collection[str]) -> tuple[str, int] | None:
        """:meth:`action` for items known by their id (``remove/7`` → ``("remove", 7)``)."""
        found = self.action(actions)
        if found is None:
            return None
        item = snowflake_in(found[1])
        if item is None:
            raise Refusal(404, _("This page does not exist."))
        return found[0], item

    def typed(self, name: str, default: str = "") -> str:
        """What was typed into ``name`` when a form was refused (to show it again), else ``default``."""
        if self.form is not None and name in self.form:
            return str(self.form[name])
        return default

    async def render(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        context.setdefault("page", self)
        context.setdefault("server", self.server)
        context.setdefault("guild", self.guild)
        context.setdefault("error", self.error)
        if self.feature_off:
            context.setdefault("feature_off", _(self.backend.features.get(self.feature_off).label))
        return aiohttp_jinja2.render_template(template, self.request, context, status=status)

    async def done(self, text: str, to: str | None = None) -> web.Response:
        """Back to ``to`` (the page itself by default) with ``text`` shown once (post, redirect, get)."""
        session = await get_session(self.request)
        session["flash"] = text[:1000]
        return web.Response(status=303, headers={"Location": to or self.request.path})


async def server_page(request: web.Request, tail: str = "") -> Page:
    """The page of the game server in the URL, for a person who may manage its guild now."""
    server_id = snowflake_in(request.match_info.get("server_id", ""))
    backend = backend_of(request)
    server = await backend.servers.find(server_id) if server_id is not None else None
    if server is None:
        await require_viewer(request)
        raise Refusal(404, _("There is no Discord server here that you manage with the bot in it."))
    viewer, guild, member = await managed_guild(request, server.guild_id)
    servers = await backend.servers.list_for_guild(guild.id)
    return Page(request, viewer, backend, guild, member, server, tail=tail, servers=servers)
