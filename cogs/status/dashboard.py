"""The status package's dashboard section (``/dashboard/servers/{id}/s/status``): the game server's current
status as the last check found it, the picture of ``/status`` (players over 24 hours, uptime over 7 days) as SVG
at ``…/s/status/picture.svg``, and the query settings of ``/status-admin configure``, whose fields are generated
from their declarations (:data:`cogs.status.spec.QUERY_SETTINGS`) and saved through the same service, with the
same test check and the same refusals (a field left empty keeps its value)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import babel.dates
from aiohttp import web

from bot.core import i18n
from bot.core.i18n import _, number
from bot.core.time import zone
from bot.web.dashboard.access import Page, Refusal, dashboard_of
from bot.web.dashboard.forms import Field, setting_field
from bot.web.dashboard.sections import Form
from cogs.status.alerts import State
from cogs.status.pictures import picture_description
from cogs.status.service import StatusService
from cogs.status.spec import QUERY_SETTINGS
from cogs.status.views import StatusSnapshot, configured_text, reason_text, test_result_text, uptime_percent

PICTURE_TAIL = "picture.svg"


@dataclass(frozen=True, slots=True)
class StatusView:
    """The current status in words, in the language in force."""

    state: str  # online, offline, …
    css: str  # on | off | warning | "" (unknown)
    players: str  # "2/100", "" when unknown
    last_check: str  # when, "" when never
    error: str  # why the last check failed, "" when it answered
    uptime: str


def _when(moment: dt.datetime, zone_name: str) -> str:
    local = moment.astimezone(zone(zone_name))
    return f"{babel.dates.format_datetime(local, 'medium', locale=i18n.current().locale)} ({zone_name})"


def status_view(snap: StatusSnapshot) -> StatusView:
    server, stored = snap.server, snap.stored
    uptime = (
        uptime_percent(snap.uptime.percent / 100) if snap.uptime is not None and snap.uptime.percent is not None else ""
    )
    if not server.address:
        # Translators: the dashboard's status of a game server that has no address (nothing checks it).
        return StatusView(_("Not checked: no address set"), "", "", "", "", uptime)
    if stored is None:
        # Translators: the dashboard's status of a game server before its first check.
        return StatusView(_("Waiting for the first check"), "", "", "", "", uptime)
    result = stored.last_result
    state = stored.monitor.state
    if state is State.UP:
        # Translators: the dashboard's status of a game server that answers.
        text, css = _("Online"), "on"
    elif state is State.DOWN:
        # Translators: the dashboard's status of a game server that stopped answering; {since} a date and time.
        text, css = _("Offline since {since}", since=_when(stored.monitor.since, server.timezone)), "off"
    elif state is State.PENDING or (result is not None and not result.online):
        # Translators: the dashboard's status of a game server whose last check failed (not confirmed yet).
        text, css = _("Not answering: checking again"), "warning"
    else:
        text, css = _("Waiting for the first check"), ""
    players = ""
    if result is not None and result.online and result.players is not None:
        players = number(result.players)
        if result.max_players is not None:
            players = f"{players}/{number(result.max_players)}"
    last = stored.monitor.last_probe_at
    error = reason_text(result.error) if result is not None and not result.online else ""
    return StatusView(text, css, players, _when(last, server.timezone) if last else "", error, uptime)


class StatusSection:
    def __init__(self, service: StatusService) -> None:
        self.service = service

    async def get(self, page: Page) -> web.StreamResponse:
        if page.tail == PICTURE_TAIL:
            picture = await self.service.picture(page.server, "svg")
            return web.Response(body=picture.data, content_type="image/svg+xml", headers={"Cache-Control": "private"})
        if page.tail:
            raise Refusal(404, _("This page does not exist."))
        snap = await self.service.snapshot(page.server)
        settings = snap.settings
        fields: list[Field] = []
        for spec in QUERY_SETTINGS:
            typed = page.form.get(f"setting.{spec.name}") if page.form is not None else None
            fields.append(setting_field(spec, getattr(settings, spec.name), typed))
        return await page.render(
            "status/status.html",
            status=422 if page.error else 200,
            view=status_view(snap),
            picture=page.url("s", "status", PICTURE_TAIL) if page.server.address else "",
            description=picture_description(),
            fields=fields,
            address=page.server.address or "",
            sections=list(dashboard_of(page.request).pages.sections),
        )

    async def post(self, page: Page, form: Form) -> web.StreamResponse:
        values: dict[str, object] = {}
        for spec in QUERY_SETTINGS:
            sent = form.get(f"setting.{spec.name}")
            if isinstance(sent, str) and sent.strip():
                values[spec.option_name] = spec.parse(sent.strip())  # out of bounds: the declaration's refusal
        settings, target, result = await self.service.configure(
            page.server, protocol=None, values=values, requested_by=page.viewer.user_id
        )
        tested = test_result_text(result.players, result.max_players, result.online, result.error)
        where = f"{target.host}:{target.query_port}"
        return await page.done(configured_text(page.server, settings, target.protocol, where, tested))
