"""Provider protocol tests: shared vectors, tampering, parsing (no web layer, no database)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.votes.model import Vote, derived_key
from bot.web.providers import (
    MAX_BODY,
    BadPayload,
    Delivery,
    IntegrationCreate,
    IntegrationDelete,
    NotAVote,
    PayloadTooLarge,
    ProviderError,
    SignatureError,
    UpstreamError,
    WrongServer,
    detect_topgg_version,
    fetch_gamemonitoring_vote,
    integration_response,
    parse_gamemonitoring_delivery,
    parse_gamemonitoring_vote,
    parse_integration_event,
    parse_iso8601,
    parse_topgg_v0,
    parse_topgg_v1,
    parse_topserver,
    sign_gamemonitoring,
    sign_topgg_v1,
    sign_topserver,
    verify_gamemonitoring,
    verify_topgg_v0,
    verify_topgg_v1,
    verify_topserver,
)
from bot.web.providers.gamemonitoring import canonical_string

# A copy of ../shared/protocols/vectors.json ships with the tests, so a clean checkout always checks them.
VECTORS_PATH = Path(
    os.environ.get("VOTEBOT_PROTOCOL_VECTORS", Path(__file__).resolve().parents[1] / "data" / "vectors.json")
)

UTC = dt.UTC


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS_PATH.read_text("utf-8"))


def flip(data: bytes, index: int = 10) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# --------------------------------------------------------------------------- common


def test_error_statuses() -> None:
    assert SignatureError("x").status == 401
    assert BadPayload("x").status == 400
    assert PayloadTooLarge(MAX_BODY + 1).status == 413
    assert isinstance(PayloadTooLarge(1), BadPayload)
    assert WrongServer("x").status == 403
    assert UpstreamError("x").status == 503
    for cls in (SignatureError, BadPayload, WrongServer, UpstreamError):
        assert issubclass(cls, ProviderError)
    assert NotAVote("topgg", "test", "ping").status == 204


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-09T00:47:14.2510149+00:00", dt.datetime(2026, 2, 9, 0, 47, 14, 251014, tzinfo=UTC)),
        ("2026-06-22T03:00:00.000Z", dt.datetime(2026, 6, 22, 3, 0, tzinfo=UTC)),
        ("2026-06-22T05:00:00+0200", dt.datetime(2026, 6, 22, 3, 0, tzinfo=UTC)),
        ("2026-06-22T03:00:00.5Z", dt.datetime(2026, 6, 22, 3, 0, 0, 500000, tzinfo=UTC)),
        ("2026-06-22t03:00:00,123456789z", dt.datetime(2026, 6, 22, 3, 0, 0, 123456, tzinfo=UTC)),
        (" 2026-06-22 05:00-0200 ", dt.datetime(2026, 6, 22, 7, 0, tzinfo=UTC)),
    ],
)
def test_parse_iso8601(text: str, expected: dt.datetime) -> None:
    parsed = parse_iso8601(text, "t")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "2026-06-22T03:00:00",
        "2026-W25",
        "2026-W25-1T03:00:00Z",
        "20260622T030000Z",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-06-22T24:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 once in UTC
        1767225600,
        None,
    ],
)
def test_parse_iso8601_rejects(value: object) -> None:
    with pytest.raises(BadPayload):
        parse_iso8601(value, "t")


def test_parse_iso8601_assume_utc() -> None:
    assert parse_iso8601("2026-06-22 03:00:00", "t", assume_utc=True) == dt.datetime(2026, 6, 22, 3, tzinfo=UTC)


# --------------------------------------------------------------------------- Top-Server


def test_topserver_vector(vectors: dict[str, Any]) -> None:
    vec = vectors["topserver"]
    body = vec["body"].encode()
    verify_topserver(vec["secret"], body, vec["x-topserver-signature"])
    assert sign_topserver(vec["secret"], body) == vec["x-topserver-signature"]


def test_topserver_tampering(vectors: dict[str, Any]) -> None:
    vec = vectors["topserver"]
    body, secret, header = vec["body"].encode(), vec["secret"], vec["x-topserver-signature"]
    hexpart = header.removeprefix("sha256=")
    bad_headers = [
        None,
        "",
        hexpart,  # no scheme
        "sha1=" + hexpart,
        "sha256=" + hexpart[:-1],
        "sha256=" + hexpart + "0",
        "sha256=" + hexpart[:-1] + "g",
        "sha256= " + hexpart[:32] + " " + hexpart[32:],
        "sha256=0x" + hexpart[2:],
        "sha256=" + "０" + hexpart[1:],  # full-width digit: non-ASCII must not crash compare_digest
        "sha256=sha256=" + hexpart,
    ]
    for bad in bad_headers:
        with pytest.raises(SignatureError) as info:
            verify_topserver(secret, body, bad)
        assert info.value.status == 401
    with pytest.raises(SignatureError):
        verify_topserver(secret, flip(body), header)
    with pytest.raises(SignatureError):
        verify_topserver("wrong_secret", body, header)
    with pytest.raises(SignatureError):
        verify_topserver("", body, header)


def test_topserver_case_of_hex_and_scheme_is_not_significant(vectors: dict[str, Any]) -> None:
    # Decision: hex is decoded case-insensitively (same digest bytes); lists documenting lowercase are
    # matched exactly, an upper-casing proxy does not lose votes. Whitespace around the header is trimmed.
    vec = vectors["topserver"]
    body, hexpart = vec["body"].encode(), vec["x-topserver-signature"].removeprefix("sha256=")
    verify_topserver(vec["secret"], body, "sha256=" + hexpart.upper())
    verify_topserver(vec["secret"], body, "SHA256=" + hexpart)
    verify_topserver(vec["secret"], body, "  sha256=" + hexpart + " ")


def test_topserver_oversize_body() -> None:
    body = b"{" + b" " * MAX_BODY + b"}"
    with pytest.raises(PayloadTooLarge) as info:
        verify_topserver("s", body, sign_topserver("s", body))
    assert info.value.status == 413
    with pytest.raises(PayloadTooLarge):
        parse_topserver(1, body)


def test_topserver_parse(vectors: dict[str, Any]) -> None:
    vote = parse_topserver(7, vectors["topserver"]["body"].encode(), expected_topserver_id="ckv1server")
    assert isinstance(vote, Vote)
    assert (vote.server_id, vote.provider, vote.external_id, vote.player_name) == (
        7,
        "topserver",
        "ckv1vote",
        "Pseudo123",
    )
    assert vote.voted_at == dt.datetime(2026, 6, 22, 3, tzinfo=UTC)
    assert vote.discord_user_id is None
    assert vote.weight == 1
    with pytest.raises(WrongServer):
        parse_topserver(7, vectors["topserver"]["body"].encode(), expected_topserver_id="other")


def _ts(**overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "event": "vote",
        "serverId": "s1",
        "voteId": "v1",
        "player": "Pseudo123",
        "votedAt": "2026-06-22T03:00:00.000Z",
    }
    body.update(overrides)
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[1,2]", "JSON object"),
        (b"[" * 100_00 + b"]" * 100_00, "nested"),
        (b'{"event":"vote","voteId":NaN}', "JSON"),
        (_ts(voteId=...), "voteId"),
        (_ts(voteId=123), "voteId"),
        (_ts(voteId="../../etc"), "voteId"),
        (_ts(player=...), "player"),
        (_ts(player=42), "player"),
        (_ts(player="x" * 65), "longer than 64"),
        (_ts(player="bad\nname"), "control"),
        (_ts(player="evil\u202ename"), "control"),
        (_ts(player="   "), "empty"),
        (_ts(votedAt="yesterday"), "votedAt"),
        (_ts(votedAt=...), "votedAt"),
        (_ts(serverId=["x"]), "serverId"),
        (_ts(event=5), "event"),
    ],
)
def test_topserver_bad_payloads(body: bytes, needle: str) -> None:
    with pytest.raises(BadPayload) as info:
        parse_topserver(1, body)
    assert info.value.status == 400
    assert needle in info.value.reason


def test_topserver_non_vote_events() -> None:
    test = parse_topserver(1, _ts(event="test"))
    assert isinstance(test, NotAVote)
    assert test.kind == "test"
    other = parse_topserver(1, _ts(event="server.updated"))
    assert isinstance(other, NotAVote)
    assert other.kind == "ignored"


def test_topserver_player_name_limits() -> None:
    vote = parse_topserver(1, _ts(player="Jösé 😀" + "x" * 58))
    assert isinstance(vote, Vote)
    assert vote.player_name is not None
    assert len(vote.player_name) == 64


# --------------------------------------------------------------------------- Top.gg v1


@pytest.mark.parametrize("name", ["topgg_v1_compact", "topgg_v1_pretty", "topgg_v1_test_event", "topgg_v1_utf8"])
def test_topgg_v1_vectors(vectors: dict[str, Any], name: str) -> None:
    vec = vectors[name]
    body = bytes.fromhex(vec["body_hex"]) if "body_hex" in vec else vec["body"].encode()
    header = vec.get("header", f"t={vec['t']},v1={vec['v1']}")
    verify_topgg_v1(vec["secret"], body, header, now=vec["t"])
    assert sign_topgg_v1(vec["secret"], body, vec["t"]) == header
    if "body_len" in vec:
        assert len(body) == vec["body_len"]


def test_topgg_v1_sdk_vector(vectors: dict[str, Any]) -> None:
    vec = vectors["topgg_v1_sdk_testsecret"]
    body = vectors["topgg_v1_compact"]["body"].encode()
    verify_topgg_v1(vec["secret"], body, f"t={vec['t']},v1={vec['v1']}", now=vec["t"] + 29)
    with pytest.raises(SignatureError):
        verify_topgg_v1(vectors["topgg_v1_compact"]["secret"], body, f"t={vec['t']},v1={vec['v1']}", now=vec["t"])


def test_topgg_v1_window_and_tampering(vectors: dict[str, Any]) -> None:
    vec = vectors["topgg_v1_compact"]
    secret, t, body, header, v1 = vec["secret"], vec["t"], vec["body"].encode(), vec["header"], vec["v1"]
    verify_topgg_v1(secret, body, header, now=t + 300)  # edge of the default window
    verify_topgg_v1(secret, body, header, now=t - 300)
    cases: list[tuple[str | None, float, bytes, int]] = [
        (header, t + 301, body, 300),  # stale
        (header, t - 301, body, 300),  # future
        (header, t + 31, body, 30),  # SDK-like window
        (None, t, body, 300),
        ("", t, body, 300),
        (f"v1={v1}", t, body, 300),  # no t
        (f"t={t}", t, body, 300),  # no v1
        (f"t=abc,v1={v1}", t, body, 300),
        (f"t=-{t},v1={v1}", t, body, 300),
        (f"t=1_767_225_600,v1={v1}", t, body, 300),
        (f"t={t}.5,v1={v1}", t, body, 300),
        (f"t={t},v1={v1[:-1]}", t, body, 300),
        (f"t={t},v1={v1}00", t, body, 300),
        (f"t={t},v0={v1}", t, body, 300),
        (f"t={t + 1},v1={v1}", t, body, 300),  # t is signed
        (header, t, flip(body), 300),
        (header, t, body + b"\n", 300),
        (f"t={t},v1={v1[:-2]}\u0661\u0662", t, body, 300),  # non-ASCII digits
    ]
    for bad_header, now, raw, window in cases:
        with pytest.raises(SignatureError):
            verify_topgg_v1(secret, raw, bad_header, now=now, window=window)
    with pytest.raises(SignatureError):
        verify_topgg_v1("whs_wrong", body, header, now=t)


def test_topgg_v1_header_parsed_tolerantly(vectors: dict[str, Any]) -> None:
    vec = vectors["topgg_v1_compact"]
    secret, t, body, v1 = vec["secret"], vec["t"], vec["body"].encode(), vec["v1"]
    for header in (
        f" t = {t} , v1 = {v1} ",
        f"v1={v1},t={t}",
        f"T={t},V1={v1}",
        f"t={t},v1={'0' * 64},v1={v1}",  # rotation: any candidate may match
        f"t={t},foo=bar=baz,v1={v1},junk",
        f"t={t},v1={v1.upper()}",
    ):
        verify_topgg_v1(secret, body, header, now=t)


def test_topgg_v1_oversize() -> None:
    body = b" " * (MAX_BODY + 1)
    with pytest.raises(PayloadTooLarge):
        verify_topgg_v1("whs_x", body, sign_topgg_v1("whs_x", body, 1), now=1)


def test_topgg_v1_parse_vote(vectors: dict[str, Any]) -> None:
    vote = parse_topgg_v1(3, vectors["topgg_v1_compact"]["body"].encode(), expected_project_id="803190510032756736")
    assert isinstance(vote, Vote)
    assert vote.provider == "topgg"
    assert vote.server_id == 3
    assert vote.external_id == "808499215864008704"
    assert vote.discord_user_id == 160105994217586689
    assert vote.player_name == "username"
    assert vote.weight == 1
    assert vote.voted_at == dt.datetime(2026, 2, 9, 0, 47, 14, 251014, tzinfo=UTC)
    assert vote.expires_at == dt.datetime(2026, 2, 9, 12, 47, 14, 251014, tzinfo=UTC)
    assert vote.raw == {"topgg_vote_id": "808499215864008704"}  # Top.gg's own id, kept for the logs
    # the project's Discord id is accepted as well; another project is refused
    parse_topgg_v1(3, vectors["topgg_v1_pretty"]["body"].encode(), expected_project_id="160105994217586689")
    with pytest.raises(WrongServer):
        parse_topgg_v1(3, vectors["topgg_v1_compact"]["body"].encode(), expected_project_id="1")


def test_topgg_v1_pretty_and_compact_give_the_same_vote(vectors: dict[str, Any]) -> None:
    assert parse_topgg_v1(1, vectors["topgg_v1_compact"]["body"].encode()) == parse_topgg_v1(
        1, vectors["topgg_v1_pretty"]["body"].encode()
    )


def test_topgg_v1_test_event(vectors: dict[str, Any]) -> None:
    outcome = parse_topgg_v1(1, vectors["topgg_v1_test_event"]["body"].encode())
    assert isinstance(outcome, NotAVote)
    assert (outcome.kind, outcome.status) == ("test", 204)


def _topgg(**data_overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "808499215864008704",
        "weight": 1,
        "created_at": "2026-02-07T10:00:00.1234567Z",
        "expires_at": "2026-02-07T22:00:00.1234567+00:00",
        "project": {"id": "803190510032756736", "type": "bot", "platform": "discord", "platform_id": "1"},
        "user": {"id": "5", "platform_id": "160105994217586689", "name": "Voter", "avatar_url": "x"},
    }
    data.update(data_overrides)
    return {"type": "vote.create", "data": {k: v for k, v in data.items() if v is not ...}}


def test_topgg_v1_weekend_weight_and_7_digit_expiry() -> None:
    vote = parse_topgg_v1(1, json.dumps(_topgg(weight=2)).encode())
    assert isinstance(vote, Vote)
    assert vote.weight == 2
    assert vote.expires_at == dt.datetime(2026, 2, 7, 22, 0, 0, 123456, tzinfo=UTC)
    assert vote.voted_at == dt.datetime(2026, 2, 7, 10, 0, 0, 123456, tzinfo=UTC)


def test_topgg_v1_unusable_name_is_dropped_not_the_vote() -> None:
    user = {"id": "5", "platform_id": "160105994217586689", "name": "a\x00b"}
    vote = parse_topgg_v1(1, json.dumps(_topgg(user=user)).encode())
    assert isinstance(vote, Vote)
    assert vote.player_name is None
    assert vote.discord_user_id == 160105994217586689


def test_topgg_v1_unknown_type_ignored() -> None:
    outcome = parse_topgg_v1(1, json.dumps({"type": "review.create", "data": {}}).encode())
    assert isinstance(outcome, NotAVote)
    assert outcome.kind == "ignored"
    assert 200 <= outcome.status < 300


@pytest.mark.parametrize(
    "body",
    [
        _topgg(id=...),
        _topgg(id=""),
        _topgg(weight=0),
        _topgg(weight="2"),
        _topgg(weight=True),
        _topgg(weight=1000),
        _topgg(created_at=...),
        _topgg(created_at="2026-02-07T10:00:00"),
        _topgg(expires_at="soon"),
        _topgg(user=...),
        _topgg(user={"platform_id": "abc"}),
        _topgg(user={"platform_id": "0"}),
        _topgg(user={"platform_id": str(2**64)}),
        _topgg(user={"platform_id": "\u0661\u0662"}),
        _topgg(project=...),
        {"type": "vote.create"},
        {"type": "vote.create", "data": []},
        {"data": {}},
        {"type": None},
    ],
)
def test_topgg_v1_bad_payloads(body: dict[str, Any]) -> None:
    with pytest.raises(BadPayload):
        parse_topgg_v1(1, json.dumps(body).encode())


# --------------------------------------------------------------------------- Top.gg v0


def test_topgg_v0_vector(vectors: dict[str, Any]) -> None:
    vec = vectors["topgg_v0"]
    name, _, secret = vec["header"].partition(": ")
    assert detect_topgg_version({name: secret}) == "v0"
    verify_topgg_v0("my-shared-secret", secret)
    for bad in (None, "", "my-shared-secreT", "my-shared-secret ", "Bearer my-shared-secret", "mý-shared-secret"):
        with pytest.raises(SignatureError):
            verify_topgg_v0("my-shared-secret", bad)
    with pytest.raises(SignatureError):
        verify_topgg_v0("", "")

    received = dt.datetime(2026, 6, 20, 13, 5, tzinfo=UTC)  # a Saturday, but v0 says isWeekend=false
    vote = parse_topgg_v0(9, vec["body"].encode(), received)
    assert isinstance(vote, Vote)
    assert vote.discord_user_id == 160105994217586689
    assert vote.weight == 1
    assert vote.voted_at == received
    assert vote.expires_at == received + dt.timedelta(hours=12)
    window = dt.datetime(2026, 6, 20, 12, tzinfo=UTC)
    assert vote.external_id == derived_key("topgg-v0", "803190510032756736", 160105994217586689, window.isoformat())
    assert vote.raw["query"] == "?ref=abc&x=1"
    # a retry 40 minutes later dedupes; the next allowed vote (12 h later) does not
    retry = parse_topgg_v0(9, vec["body"].encode(), received + dt.timedelta(minutes=40))
    later = parse_topgg_v0(9, vec["body"].encode(), received + dt.timedelta(hours=12))
    assert isinstance(retry, Vote)
    assert isinstance(later, Vote)
    assert retry.external_id == vote.external_id
    assert later.external_id != vote.external_id


def test_topgg_v0_server_vote_weekend_and_test() -> None:
    received = dt.datetime(2026, 6, 20, 1, tzinfo=UTC)
    body = {"guild": "803190510032756736", "user": "160105994217586689", "type": "upvote", "isWeekend": True}
    vote = parse_topgg_v0(1, json.dumps(body).encode(), received)
    assert isinstance(vote, Vote)
    assert vote.weight == 2
    test = parse_topgg_v0(1, json.dumps(body | {"type": "test"}).encode(), received)
    assert isinstance(test, NotAVote)
    assert test.kind == "test"
    for bad in (
        {"user": "1", "type": "upvote"},
        body | {"user": "me"},
        body | {"isWeekend": "yes"},
        body | {"query": 1},
    ):
        with pytest.raises(BadPayload):
            parse_topgg_v0(1, json.dumps(bad).encode(), received)
    with pytest.raises(ValueError, match="timezone"):
        parse_topgg_v0(1, json.dumps(body).encode(), dt.datetime(2026, 6, 20))  # noqa: DTZ001


def test_detect_topgg_version() -> None:
    assert detect_topgg_version({"X-Topgg-Signature": "t=1,v1=aa", "Authorization": "x"}) == "v1"
    assert detect_topgg_version({"authorization": "x"}) == "v0"
    with pytest.raises(SignatureError) as info:
        detect_topgg_version({"content-type": "application/json"})
    assert info.value.status == 401
    assert info.value.reason == "missing signature"


# --------------------------------------------------------------------------- Top.gg integrations


def test_integration_events() -> None:
    create: dict[str, Any] = {
        "type": "integration.create",
        "data": {
            "connection_id": "conn_1",
            "webhook_secret": "whs_abcdef0123456789",
            "project": {"id": "803190510032756736", "platform_id": "160105994217586689"},
            "user": {"id": "42", "platform_id": "160105994217586689"},
        },
    }
    event = parse_integration_event(json.dumps(create).encode())
    assert event == IntegrationCreate(
        "conn_1", "whs_abcdef0123456789", "803190510032756736", "42", "160105994217586689", 160105994217586689
    )
    assert "whs_" not in repr(event)
    delete = parse_integration_event(b'{"type":"integration.delete","data":{"connection_id":"conn_1"}}')
    assert delete == IntegrationDelete("conn_1")
    assert integration_response("https://x/hook") == {"webhook_url": "https://x/hook", "routes": ["vote.create"]}
    bad_bodies = [
        create | {"type": "integration.update"},
        {"type": "integration.create", "data": create["data"] | {"webhook_secret": "plain"}},
        {"type": "integration.create", "data": create["data"] | {"webhook_secret": None}},
        {"type": "integration.create", "data": create["data"] | {"connection_id": ""}},
        {"type": "integration.create", "data": {k: v for k, v in create["data"].items() if k != "project"}},
        {"type": "integration.delete", "data": {}},
    ]
    for bad in bad_bodies:
        with pytest.raises(BadPayload):
            parse_integration_event(json.dumps(bad).encode())


# --------------------------------------------------------------------------- GAMEMONITORING


@pytest.mark.parametrize("name", ["gamemonitoring_inferred", "gamemonitoring_inferred_test"])
def test_gamemonitoring_vectors(vectors: dict[str, Any], name: str) -> None:
    vec = vectors[name]
    payload = dict(pair.split("=", 1) for pair in vec["canonical"].split("&"))
    typed: dict[str, Any] = payload | {"is_test": payload["is_test"] == "true"}
    assert canonical_string(typed) == vec["canonical"]
    signed = sign_gamemonitoring(vec["token"], typed)
    assert signed["signature"] == vec["signature"]
    verify_gamemonitoring(vec["token"], signed)
    if payload["event_id"].isdigit():  # a numeric id sent as a JSON number signs the same
        verify_gamemonitoring(vec["token"], signed | {"event_id": int(payload["event_id"])})


def test_gamemonitoring_delivery_vector(vectors: dict[str, Any]) -> None:
    vec = vectors["gamemonitoring_inferred"]
    delivery = parse_gamemonitoring_delivery(vec["body"].encode())
    assert delivery == Delivery("server.vote", "9824cabb-2203-437e-9b6c-aba43dde3e4b", False, {})
    assert delivery.external_id == "server.vote:9824cabb-2203-437e-9b6c-aba43dde3e4b"
    assert delivery.not_a_vote() is None
    verify_gamemonitoring(vec["token"], delivery.payload)
    with pytest.raises(SignatureError):
        verify_gamemonitoring("wrong", delivery.payload)
    for tampered in (
        delivery.payload | {"is_test": True},
        delivery.payload | {"event_id": "other"},
        delivery.payload | {"extra": "1"},
        {k: v for k, v in delivery.payload.items() if k != "signature"},
        delivery.payload | {"signature": vec["signature"][:-1]},
        delivery.payload | {"signature": 5},
    ):
        with pytest.raises(SignatureError) as info:
            verify_gamemonitoring(vec["token"], tampered)
        assert info.value.status == 401
    verify_gamemonitoring(vec["token"], delivery.payload | {"signature": vec["signature"].upper()})


def test_gamemonitoring_delivery_validation() -> None:
    test = parse_gamemonitoring_delivery(b'{"event_type":"server.vote","event_id":"9","is_test":true,"signature":"x"}')
    outcome = test.not_a_vote()
    assert outcome is not None
    assert (outcome.kind, outcome.status) == ("test", 204)
    other = parse_gamemonitoring_delivery(b'{"event_type":"server.review","event_id":"9","signature":"x"}')
    other_outcome = other.not_a_vote()
    assert other_outcome is not None
    assert other_outcome.kind == "ignored"
    for bad in (
        b'{"event_type":"server.vote","event_id":"../admin","signature":"x"}',
        b'{"event_type":"server.vote","event_id":"a/b","signature":"x"}',
        b'{"event_type":"server.vote","event_id":"","signature":"x"}',
        b'{"event_type":"server.vote","event_id":true,"signature":"x"}',
        b'{"event_type":"server.vote","event_id":"1","is_test":"false","signature":"x"}',
        b'{"event_id":"1","signature":"x"}',
        b"nope",
    ):
        with pytest.raises(BadPayload):
            parse_gamemonitoring_delivery(bad)
    with pytest.raises(BadPayload):
        canonical_string({"event_id": {"nested": 1}})


DELIVERY = Delivery("server.vote", "9824cabb-2203-437e-9b6c-aba43dde3e4b", False, {"event_id": "x"})
RECEIVED = dt.datetime(2026, 6, 22, 3, tzinfo=UTC)


def test_gamemonitoring_vote_shapes() -> None:
    shape_a = {"response": {"nickname": "Steve", "server": {"id": 1234}, "user": {"id": 99}}}
    vote = parse_gamemonitoring_vote(5, "1234", shape_a, DELIVERY, received_at=RECEIVED)
    assert (vote.provider, vote.server_id, vote.player_name) == ("gamemonitoring", 5, "Steve")
    assert vote.external_id == "server.vote:9824cabb-2203-437e-9b6c-aba43dde3e4b"
    assert vote.voted_at == RECEIVED
    assert vote.raw["gm_user_id"] == "99"
    shape_b = {
        "response": {
            "id": DELIVERY.event_id,
            "nickname": "Alex",
            "entity_type": "server",
            "entity_id": "1234",
            "created_at": "2026-06-22T02:59:00.1234567Z",
        }
    }
    vote_b = parse_gamemonitoring_vote(5, "1234", shape_b, DELIVERY, received_at=RECEIVED)
    assert vote_b.player_name == "Alex"
    assert vote_b.voted_at == dt.datetime(2026, 6, 22, 2, 59, 0, 123456, tzinfo=UTC)
    assert vote_b.external_id == vote.external_id
    unix = {"response": shape_b["response"] | {"created_at": 1767225600}}
    assert parse_gamemonitoring_vote(5, None, unix, DELIVERY, received_at=RECEIVED).voted_at == dt.datetime(
        2026, 1, 1, tzinfo=UTC
    )
    with pytest.raises(WrongServer) as info:
        parse_gamemonitoring_vote(5, "999", shape_a, DELIVERY, received_at=RECEIVED)
    assert info.value.status == 403


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"response": []},
        {"response": {"nickname": "Steve"}},
        {"response": {"nickname": "Steve", "server": {}}},
        {"response": {"nickname": "", "server": {"id": 1234}}},
        {"response": {"nickname": "a\tb", "server": {"id": 1234}}},
        {"response": {"server": {"id": 1234}}},
        {"response": {"id": "another-vote", "nickname": "S", "entity_type": "server", "entity_id": 1234}},
        {"response": {"nickname": "S", "entity_type": "game", "entity_id": 1234}},
        {"response": {"nickname": "S", "entity_id": 1234, "created_at": "garbage"}},
    ],
)
def test_gamemonitoring_unexpected_answers_are_transient(response: dict[str, Any]) -> None:
    with pytest.raises(UpstreamError) as info:
        parse_gamemonitoring_vote(5, "1234", response, DELIVERY, received_at=RECEIVED)
    assert info.value.status == 503


async def _gm_api(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/votes/{event_id}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


async def test_fetch_gamemonitoring_vote() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        event_id = request.match_info["event_id"]
        seen.append(event_id)
        if event_id == "down":
            return web.Response(status=502)
        if event_id == "html":
            return web.Response(text="<html>", content_type="text/html")
        if event_id == "list":
            return web.json_response([1])
        if event_id == "huge":
            return web.Response(body=b"[" + b"1," * MAX_BODY + b"1]")
        if event_id == "slow":
            await asyncio.sleep(0.6)
        return web.json_response({"response": {"nickname": "Steve", "server": {"id": 1}}})

    runner, base = await _gm_api(handler)
    try:
        async with aiohttp.ClientSession() as session:
            answer = await fetch_gamemonitoring_vote(session, base, "abc-123", timeout=2)
            assert answer["response"]["nickname"] == "Steve"
            for event_id in ("down", "html", "list", "huge", "slow"):
                with pytest.raises(UpstreamError) as info:
                    await fetch_gamemonitoring_vote(session, base, event_id, timeout=0.3)
                assert info.value.status == 503
            with pytest.raises(BadPayload):
                await fetch_gamemonitoring_vote(session, base, "../admin", timeout=1)
            with pytest.raises(UpstreamError):
                await fetch_gamemonitoring_vote(session, "http://127.0.0.1:9/", "abc", timeout=1)
    finally:
        await runner.cleanup()
    assert "../admin" not in seen
    assert seen[0] == "abc-123"
