"""``POST /integrations/topgg?server=<id>&token=<token>``: Top.gg's integration configuration URL.

Top.gg does not document how configuration requests are authenticated, so the URL carries a random
per-server token (credential setting ``integration_token``, printed by ``votebot server show``),
compared in constant time; a missing or wrong token is 401. ``integration.create`` stores the
connection and its webhook secret and answers where Top.gg should send that connection's events;
``integration.delete`` removes the connection (204).
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.votes.credentials import webhook_url as credential_webhook_url
from bot.web.intake import (
    DATABASE_ERRORS,
    INTAKE_KEY,
    ClientGone,
    client_gone,
    json_error,
    parse_server_id,
    read_body,
    throttled,
    unauthorized,
)
from bot.web.providers import (
    IntegrationCreate,
    ProviderError,
    integration_response,
    parse_integration_event,
)

log = logging.getLogger(__name__)

PATH = "/integrations/topgg"


def webhook_url(public_url: str, server_id: int) -> str:
    return credential_webhook_url(public_url, "topgg", server_id)


async def topgg_integration(request: web.Request) -> web.Response:
    intake = request.app[INTAKE_KEY]
    server_id = parse_server_id(request.query.get("server", ""))
    token = request.query.get("token", "")
    refusal = throttled(request)
    if refusal is not None:
        return refusal
    try:
        raw_body = await read_body(request)
        credential = (await intake.lookup(server_id, "topgg")).credential if server_id is not None else None
        expected = credential.settings.get("integration_token") if credential is not None else None
        what = f"Top.gg integration request for server {server_id}"
        if not isinstance(expected, str) or not expected or not token:
            return unauthorized(request, what, "no or unknown token")
        if not hmac.compare_digest(expected.encode(), token.encode("utf-8", "surrogateescape")):
            return unauthorized(request, what, "token mismatch")
        assert server_id is not None  # noqa: S101 - a credential was found for it
        event = parse_integration_event(raw_body)
        if isinstance(event, IntegrationCreate):
            public_url = intake.settings.public_url
            if not public_url:
                log.error(
                    "Top.gg integration.create for server %s cannot be answered: set webhooks.public_url "
                    "(the address Top.gg reaches this bot at) and let Top.gg retry",
                    server_id,
                )
                return json_error(500, "webhooks.public_url is not configured on this bot")
            stored = await intake.credentials.save_topgg_connection(
                event.connection_id, server_id, event.webhook_secret, event.project_id, event.user_id
            )
            if not stored:
                log.warning("Top.gg connection %s belongs to another server; not moved", event.connection_id)
                return json_error(409, "this connection belongs to another server")
            log.info("Top.gg integration %s created for server %s", event.connection_id, server_id)
            return web.json_response(integration_response(webhook_url(public_url, server_id)))
        removed = await intake.credentials.delete_topgg_connection(event.connection_id, server_id)
        log.info("Top.gg integration %s for server %s deleted (existed: %s)", event.connection_id, server_id, removed)
        return web.Response(status=204)
    except ClientGone as exc:
        return client_gone(request, "topgg_integration", exc)
    except ProviderError as exc:
        log.warning("Top.gg integration request for server %s rejected (%d): %s", server_id, exc.status, exc.reason)
        return json_error(exc.status, exc.reason)
    except DATABASE_ERRORS as exc:
        log.warning(
            "Top.gg integration request for server %s: database unavailable (%s)", server_id, type(exc).__name__
        )
        return json_error(503, "temporarily unavailable, retry later")


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, topgg_integration)
