"""A game server's changes (the audit log), newest first: when, who (and the way they came in) and what, paged
with "Older changes" links (``?before=<entry id>``)."""

from __future__ import annotations

from aiohttp import web

from bot.core.audit_texts import describe, who
from bot.core.i18n import moment_utc
from bot.db.audit import AuditRepository
from bot.web.dashboard.access import dashboard_of, server_page, snowflake_in

PAGE_SIZE = 50


def add_routes(app: web.Application) -> None:
    app.router.add_get("/servers/{server_id}/audit", audit_page)


async def audit_page(request: web.Request) -> web.StreamResponse:
    page = await server_page(request)
    before = snowflake_in(request.query.get("before", ""))
    entries = await AuditRepository(page.backend.pool).list_for_server(
        page.server.id, limit=PAGE_SIZE + 1, before_id=before
    )
    shown = entries[:PAGE_SIZE]
    rows = [
        (entry.at.isoformat(), moment_utc(entry.at), who(entry), describe(entry, page.backend.features))
        for entry in shown
    ]
    older = page.url(f"audit?before={shown[-1].id}") if len(entries) > PAGE_SIZE else ""
    return await page.render(
        "audit.html",
        rows=rows,
        older=older,
        paged=before is not None,
        sections=list(dashboard_of(request).pages.sections),
    )
