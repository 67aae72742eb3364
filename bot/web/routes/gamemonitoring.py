"""``POST /webhooks/gamemonitoring/{server_id}``: verify the delivery, fetch the vote from the GM API, record.

``is_test`` deliveries are answered 204 without any fetch. The expected GAMEMONITORING server id is
the credential's ``gm_server_id`` setting when set; a vote for another server is refused with 403.
An unreachable or nonsensical API answers 503 so GAMEMONITORING retries.
"""

from __future__ import annotations

from aiohttp import web

from bot.votes.model import Vote
from bot.web.intake import Delivery, Intake, NotConfigured, handle_delivery
from bot.web.providers import (
    NotAVote,
    fetch_gamemonitoring_vote,
    parse_gamemonitoring_delivery,
    parse_gamemonitoring_vote,
    verify_gamemonitoring,
)

PROVIDER = "gamemonitoring"
PATH = "/webhooks/gamemonitoring/{server_id}"


async def process(intake: Intake, delivery: Delivery) -> Vote | NotAVote:
    credential = delivery.credentials.credential
    if credential is None:
        raise NotConfigured("no GAMEMONITORING token is configured for this server")
    parsed = parse_gamemonitoring_delivery(delivery.raw_body)
    verify_gamemonitoring(credential.secret, parsed.payload)
    skip = parsed.not_a_vote()
    if skip is not None:
        return skip
    answer = await fetch_gamemonitoring_vote(intake.http, intake.settings.gamemonitoring_api_base, parsed.event_id)
    expected = credential.settings.get("gm_server_id")
    return parse_gamemonitoring_vote(
        delivery.server_id,
        str(expected) if expected not in (None, "") else None,
        answer,
        parsed,
        received_at=delivery.received_at,
    )


async def gamemonitoring_webhook(request: web.Request) -> web.Response:
    return await handle_delivery(request, PROVIDER, process)


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, gamemonitoring_webhook)
