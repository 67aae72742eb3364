"""``POST /webhooks/topgg/{server_id}``: Top.gg v1 (``x-topgg-signature``) and legacy v0 (``Authorization``).

One stored secret per server for provider ``topgg``: a value starting with ``whs_`` is the v1
webhook secret, anything else is the v0 ``Authorization`` value. The webhook secret of every Top.gg
integration connection of the server is accepted for v1 as well.

Vote keys: Top.gg's votes listing (used by the backfill) carries no vote id, so a v1 vote is keyed
``derived_key("topgg", server_id, voter's Discord id, created_at truncated to the second)`` on both
paths — a webhook copy and a backfill copy of the same vote collide on the ledger's unique key. The
provider's own vote id stays in ``Vote.raw`` (and in the logs). v0 votes keep the 12-hour bucket key
of :func:`parse_topgg_v0`; the backfill skips a listed vote when a v0 copy exists in its window.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from bot.votes.model import Vote, topgg_vote_key
from bot.web.intake import Delivery, Intake, NotConfigured, handle_delivery
from bot.web.providers import (
    NotAVote,
    SignatureError,
    parse_topgg_v0,
    parse_topgg_v1,
    verify_topgg_v0,
    verify_topgg_v1,
)
from bot.web.providers.common import get_header
from bot.web.providers.topgg import SIGNATURE_HEADER, TRACE_HEADER

log = logging.getLogger(__name__)

PROVIDER = "topgg"
PATH = "/webhooks/topgg/{server_id}"
V1_PREFIX = "whs_"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """aiohttp's headers are already case-insensitive: one lookup instead of a scan when absent."""
    if isinstance(headers, CIMultiDictProxy | CIMultiDict):
        return headers.get(name)
    return get_header(headers, name)


def _verify_v1(secrets: list[str], delivery: Delivery, header: str, window: int) -> None:
    for secret in secrets:
        try:
            verify_topgg_v1(secret, delivery.raw_body, header, delivery.received_at.timestamp(), window)
        except SignatureError as exc:
            if exc.reason != "invalid x-topgg-signature":  # malformed or stale: same for every secret
                raise SignatureError(f"v1: {exc.reason}") from None
            continue
        return
    raise SignatureError(f"v1 signature mismatch (checked {len(secrets)} secret(s))")


async def process(intake: Intake, delivery: Delivery) -> Vote | NotAVote:
    credential = delivery.credentials.credential
    stored = credential.secret if credential is not None else ""
    v1_secrets = [stored] if stored.startswith(V1_PREFIX) else []
    v1_secrets += delivery.credentials.connection_secrets
    v0_secret = stored if stored and not stored.startswith(V1_PREFIX) else ""
    if not v1_secrets and not v0_secret:
        raise NotConfigured("no Top.gg webhook secret or integration is configured for this server")
    signature = _header(delivery.headers, SIGNATURE_HEADER)
    if signature is not None:
        if not v1_secrets:
            raise SignatureError(
                "v1 signature received but only a legacy v0 Authorization secret is configured "
                "(set the v1 webhook secret, which starts with whs_)"
            )
        _verify_v1(v1_secrets, delivery, signature, intake.settings.topgg_replay_window)
        expected_project = credential.settings.get("project_id") if credential is not None else None
        outcome = parse_topgg_v1(
            delivery.server_id,
            delivery.raw_body,
            expected_project_id=str(expected_project) if expected_project else None,
            key=topgg_vote_key,
        )
        if isinstance(outcome, Vote) and log.isEnabledFor(logging.DEBUG):
            trace = _header(delivery.headers, TRACE_HEADER)
            log.debug(
                "Top.gg vote %s (trace %s) for server %s", outcome.raw.get("topgg_vote_id"), trace, delivery.server_id
            )
        return outcome
    authorization = _header(delivery.headers, "Authorization")
    if authorization is not None:
        if not v0_secret:
            raise SignatureError(
                "v0 Authorization header received but the configured secret is a v1 webhook secret (whs_…); "
                "switch the Top.gg webhook to v1 or store the v0 Authorization value"
            )
        try:
            verify_topgg_v0(v0_secret, authorization)
        except SignatureError:
            raise SignatureError("v0 Authorization mismatch") from None
        return parse_topgg_v0(delivery.server_id, delivery.raw_body, delivery.received_at)
    raise SignatureError("missing x-topgg-signature (v1) or Authorization (v0) header")


async def topgg_webhook(request: web.Request) -> web.Response:
    return await handle_delivery(request, PROVIDER, process)


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, topgg_webhook)
