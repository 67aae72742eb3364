"""``POST /webhooks/topserver/{server_id}``: Top-Server PUSH (``x-topserver-signature: sha256=<hmac>``)."""

from __future__ import annotations

from aiohttp import web

from bot.votes.model import Vote
from bot.web.intake import Delivery, Intake, NotConfigured, handle_delivery
from bot.web.providers import NotAVote, parse_topserver, verify_topserver
from bot.web.providers.common import get_header
from bot.web.providers.topserver import SIGNATURE_HEADER

PROVIDER = "topserver"
PATH = "/webhooks/topserver/{server_id}"


async def process(intake: Intake, delivery: Delivery) -> Vote | NotAVote:
    credential = delivery.credentials.credential
    if credential is None:
        raise NotConfigured("no Top-Server push secret is configured for this server")
    verify_topserver(credential.secret, delivery.raw_body, get_header(delivery.headers, SIGNATURE_HEADER))
    expected = credential.settings.get("topserver_id")
    return parse_topserver(
        delivery.server_id, delivery.raw_body, expected_topserver_id=str(expected) if expected else None
    )


async def topserver_webhook(request: web.Request) -> web.Response:
    return await handle_delivery(request, PROVIDER, process)


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, topserver_webhook)
