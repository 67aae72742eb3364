"""The webhook sender against an aiohttp receiver that verifies every request with ``standardwebhooks``."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Kind
from cogs.forwarding.votifier import BAD_SETTINGS, PRIVATE
from cogs.forwarding.webhook import (
    HTTP_ERROR,
    MAX_ANSWER,
    REDIRECT,
    SIGNATURE_REFUSED,
    WebhookSender,
    new_webhook_secret,
)
from tests.clock import MovableClock
from tests.http_util import serving

SECRET = new_webhook_secret()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # Webhook.verify checks the timestamp against the real time


def destination(url: str, secret: str = SECRET) -> Destination:
    return Destination(
        id=9, server_id=1, name="site", kind=Kind.WEBHOOK, host=None, port=None, url=url, service_name="",
        secret=secret, providers=(), paused=None, failing_since=None, last_success_at=None, last_error=None,
        last_error_text=None, last_error_at=None, created_at=NOW,
    )  # fmt: skip


def vote(ledger_id: int = 42, discord_user_id: int | None = 123456789012345678) -> ForwardedVote:
    return ForwardedVote(
        ledger_id=ledger_id, server_id=1, server_name="Survival — EU", provider="topgg", external_id="01HX",
        username="Notch", discord_user_id=discord_user_id, voted_at=NOW - dt.timedelta(seconds=3), weight=2,
    )  # fmt: skip


@dataclass
class Receiver:
    """Verifies with ``Webhook(secret).verify``: 401 when it fails, else the scripted status (204 by default)."""

    secret: str = SECRET
    status: int = 204
    ids: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)
    bodies: list[object] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    hits: int = 0

    async def hook(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        body = await request.read()
        try:
            parsed = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            return web.Response(status=401, text="bad signature")
        self.ids.append(request.headers["webhook-id"])
        self.timestamps.append(request.headers["webhook-timestamp"])
        self.bodies.append(parsed)
        self.headers.append(dict(request.headers))
        if self.status == 200:
            return web.json_response({"ok": True, "reward": "given"})
        return web.Response(status=self.status)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def base_url(receiver: Receiver) -> AsyncIterator[str]:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/hook")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"y" * 65536)
        return response

    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    app.router.add_post("/redirect", redirect)
    app.router.add_post("/huge", huge)
    async with serving(app) as url:
        yield url


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    created = WebhookSender(allow_private=True)
    yield created
    await created.close()


class Written:
    def __init__(self, receiver: Receiver | None = None) -> None:
        self.receiver = receiver
        self.calls = 0
        self.hits_then: list[int] = []

    async def __call__(self) -> None:
        self.calls += 1
        if self.receiver is not None:
            self.hits_then.append(self.receiver.hits)


async def test_a_vote_arrives_signed_with_the_documented_body_and_headers(
    sender: WebhookSender, receiver: Receiver, base_url: str
) -> None:
    written = Written(receiver)
    assert await sender.send(destination(f"{base_url}/hook"), vote(), written) == "HTTP 204"
    assert written.calls == 1 and written.hits_then == [0]  # awaited once, before the request reached the receiver
    assert receiver.ids == ["vote_42_9"]
    assert receiver.bodies == [
        {
            "type": "vote.created",
            "timestamp": (NOW - dt.timedelta(seconds=3)).isoformat(),
            "data": {
                "server": {"id": 1, "name": "Survival — EU"},
                "provider": "topgg",
                "vote_id": "42",
                "provider_vote_id": "01HX",
                "player": "Notch",
                "discord_user_id": "123456789012345678",
                "voted_at": (NOW - dt.timedelta(seconds=3)).isoformat(),
                "weight": 2,
            },
        }
    ]
    headers = receiver.headers[0]
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"] == "votebot"
    assert headers["webhook-signature"].startswith("v1,")


async def test_every_attempt_of_a_vote_has_the_same_id_and_its_own_timestamp(receiver: Receiver, base_url: str) -> None:
    clock = MovableClock(NOW)
    sender = WebhookSender(allow_private=True, clock=clock)
    try:
        written = Written(receiver)
        await sender.send(destination(f"{base_url}/hook"), vote(), written)
        clock.advance(60)
        await sender.send(destination(f"{base_url}/hook"), vote(), written)  # a retry (the connection is reused)
        await sender.send(destination(f"{base_url}/hook"), vote(ledger_id=43, discord_user_id=None), written)
    finally:
        await sender.close()
    assert receiver.ids == ["vote_42_9", "vote_42_9", "vote_43_9"]
    assert receiver.timestamps == [str(int(NOW.timestamp())), *[str(int(NOW.timestamp()) + 60)] * 2]
    assert written.calls == 3 and written.hits_then == [0, 1, 2]
    assert receiver.bodies[2]["data"]["discord_user_id"] is None  # type: ignore[index]


async def test_a_2xx_answer_is_shown(sender: WebhookSender, receiver: Receiver, base_url: str) -> None:
    receiver.status = 200
    assert (
        await sender.send(destination(f"{base_url}/hook"), vote(), Written())
        == 'HTTP 200: {"ok": true, "reward": "given"}'
    )


async def test_a_wrong_secret_is_said_plainly(sender: WebhookSender, receiver: Receiver, base_url: str) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(destination(f"{base_url}/hook", secret=new_webhook_secret()), vote(), Written())
    assert failed.value.reason == SIGNATURE_REFUSED and failed.value.retry is False
    assert failed.value.shown == "the receiver refused the signature — is the secret right? (HTTP 401)"
    assert receiver.ids == []


@pytest.mark.parametrize(("status", "retry"), [(500, True), (503, True), (404, False), (400, False), (408, True),
                                               (429, True), (403, False)])  # fmt: skip
async def test_error_statuses(
    sender: WebhookSender, receiver: Receiver, base_url: str, status: int, retry: bool
) -> None:
    receiver.status = status
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(destination(f"{base_url}/hook"), vote(), Written())
    assert failed.value.retry is retry
    if status == 403:
        assert failed.value.reason == SIGNATURE_REFUSED
    else:
        assert failed.value.reason == HTTP_ERROR and failed.value.shown == f"the receiver answered HTTP {status}"


async def test_a_redirect_is_not_followed(sender: WebhookSender, receiver: Receiver, base_url: str) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(destination(f"{base_url}/redirect"), vote(), Written())
    assert failed.value.reason == REDIRECT and failed.value.params == {"status": 307, "location": "/hook"}
    assert receiver.hits == 0


async def test_the_answer_read_is_capped(sender: WebhookSender, base_url: str) -> None:
    answer = await sender.send(destination(f"{base_url}/huge"), vote(), Written())
    assert answer is not None and answer.startswith("HTTP 200: yyy") and len(answer) < 120
    assert MAX_ANSWER < 64 * 65536


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_private_addresses_are_refused_unless_allowed(receiver: Receiver, base_url: str, host: str) -> None:
    url = f"{base_url}/hook".replace("127.0.0.1", host)
    sender = WebhookSender(allow_private=False)
    written = Written()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await sender.send(destination(url), vote(), written)
    finally:
        await sender.close()
    assert failed.value.reason == PRIVATE and failed.value.retry is False and written.calls == 0
    assert "is a private or local address" in failed.value.shown
    assert receiver.hits == 0


async def test_a_secret_that_is_not_whsec_base64_is_refused(
    sender: WebhookSender, receiver: Receiver, base_url: str
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(destination(f"{base_url}/hook", secret="whsec_!!!not base64"), vote(), Written())
    assert failed.value.reason == BAD_SETTINGS and receiver.hits == 0


async def test_nobody_listening_is_a_network_error(sender: WebhookSender) -> None:
    async with serving(web.Application()) as url:
        pass  # the port is free again
    written = Written()
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(destination(f"{url}/hook"), vote(), written)
    assert failed.value.english.startswith("network error: ") and failed.value.retry is True
    assert written.calls == 0


def test_new_secrets_are_whsec_base64_of_24_random_bytes() -> None:
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first != second and first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 24
    signature = Webhook(first).sign("vote_1_1", NOW, json.dumps({}))
    assert signature.startswith("v1,")
