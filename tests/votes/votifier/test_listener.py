"""Votifier listener against the real ``aiovotifier`` client and hand-made hostile frames."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiovotifier import NuVotifierResponseError, VotifierClient
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.votes.model import Vote, derived_key
from bot.votes.votifier.listener import VotifierListener
from bot.votes.votifier.protocol import (
    MAX_FRAME,
    StaticVotifierKeys,
    VotifierRejected,
    VotifierToken,
    build_v2_frame,
    encrypt_v1_vote,
    generate_keypair,
    load_private_key,
    load_public_key,
    new_challenge,
    parse_v1_plaintext,
    public_key_b64,
    send_test_vote,
    sign_v2_payload,
)

VECTORS_PATH = Path(
    os.environ.get("VOTEBOT_PROTOCOL_VECTORS", Path(__file__).resolve().parents[2] / "data" / "vectors.json")
)
needs_vectors = pytest.mark.skipif(not VECTORS_PATH.is_file(), reason=f"protocol vectors not found at {VECTORS_PATH}")

TOKEN_A = "token-for-server-one"
TOKEN_B = "token-for-server-two-testlist"
READ_TIMEOUT = 0.3
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def keypairs() -> list[tuple[str, str]]:
    return [generate_keypair(), generate_keypair()]


class Recorder:
    def __init__(self) -> None:
        self.votes: list[Vote] = []
        self.fail: Exception | None = None
        self.event = asyncio.Event()

    async def __call__(self, vote: Vote) -> None:
        if self.fail is not None:
            raise self.fail
        self.votes.append(vote)
        self.event.set()

    async def wait(self, timeout: float = 2.0) -> Vote:
        await asyncio.wait_for(self.event.wait(), timeout)
        return self.votes[-1]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def private_keys(keypairs: list[tuple[str, str]]) -> list[rsa.RSAPrivateKey]:
    return [load_private_key(private) for private, _ in keypairs]  # loading checks the key: slow-ish


@pytest.fixture
def keys(private_keys: list[rsa.RSAPrivateKey]) -> StaticVotifierKeys:
    keys = StaticVotifierKeys()
    keys.add_server(1, default_token=TOKEN_A, private_key=private_keys[0])
    keys.add_server(2, service_tokens={"TestList": TOKEN_B}, private_key=private_keys[1])
    return keys


def test_static_keys_accept_base64_private_key(keypairs: list[tuple[str, str]]) -> None:
    keys = StaticVotifierKeys()
    keys.add_server(3, private_key=keypairs[0][0])
    with pytest.raises(ValueError, match="private key"):
        keys.add_server(4, private_key="garbage")


ListenerFactory = Callable[..., Any]


@pytest.fixture
async def make_listener(keys: StaticVotifierKeys, recorder: Recorder) -> AsyncIterator[ListenerFactory]:
    listeners: list[VotifierListener] = []

    async def factory(**kwargs: Any) -> VotifierListener:
        options: dict[str, Any] = {"read_timeout": READ_TIMEOUT} | kwargs
        listener = VotifierListener(keys, recorder, **options)
        await listener.start("127.0.0.1", 0)
        listeners.append(listener)
        return listener

    yield factory
    for listener in listeners:
        await listener.close(grace=0.5)


@pytest.fixture
async def listener(make_listener: ListenerFactory) -> VotifierListener:
    return await make_listener()


async def connect(listener: VotifierListener) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    greeting = (await asyncio.wait_for(reader.readline(), 1)).decode()
    parts = greeting.split()
    assert greeting.endswith("\n")
    assert parts[:2] == ["VOTIFIER", "2"]
    return reader, writer, parts[2]


async def exchange(listener: VotifierListener, data: bytes | Callable[[str], bytes]) -> bytes:
    """Send raw bytes (or bytes built from the challenge), return everything until the server closes."""
    reader, writer, challenge = await connect(listener)
    try:
        writer.write(data(challenge) if callable(data) else data)
        await writer.drain()
        writer.write_eof()  # half-close: the listener sees EOF at once instead of waiting for its timeout
        return await asyncio.wait_for(reader.read(), 2)
    finally:
        writer.close()


def v2(token: str, username: str = "Notch", **overrides: Any) -> Callable[[str], bytes]:
    def build(challenge: str) -> bytes:
        fields: dict[str, Any] = {
            "service_name": "TestList",
            "username": username,
            "address": "127.0.0.1",
            "timestamp_ms": 1767225600000,
            "challenge": challenge,
        } | overrides
        return build_v2_frame(token, **fields)

    return build


def error_cause(reply: bytes) -> str:
    assert reply.endswith(b"\r\n")
    decoded = json.loads(reply)
    assert decoded["status"] == "error"
    assert decoded["error"]
    return str(decoded["cause"])


# --------------------------------------------------------------------------- real client, v2 and v1


async def test_aiovotifier_v2_default_token(listener: VotifierListener, recorder: Recorder) -> None:
    client = VotifierClient("127.0.0.1", listener.port, "OtherList", TOKEN_A)
    response = await client.nu_vote("Notch", "10.0.0.1")
    assert response == {"status": "ok"}
    vote = await recorder.wait()
    assert (vote.server_id, vote.provider, vote.player_name) == (1, "votifier", "Notch")
    assert vote.raw["protocol"] == 2
    assert vote.raw["service"] == "OtherList"
    assert "10.0.0.1" not in json.dumps(vote.raw)  # the voter's IP is not kept
    assert vote.external_id == derived_key("votifier", 1, "OtherList", "Notch", vote.raw["timestamp"])


async def test_aiovotifier_v2_service_token_routes_to_its_server(
    listener: VotifierListener, recorder: Recorder
) -> None:
    await VotifierClient("127.0.0.1", listener.port, "TestList", TOKEN_B).vote("Alex")
    assert (await recorder.wait()).server_id == 2
    recorder.event.clear()
    # TestList also matches server 1's default token: the token decides, not the name
    await VotifierClient("127.0.0.1", listener.port, "TestList", TOKEN_A).vote("Steve")
    assert (await recorder.wait()).server_id == 1


@pytest.mark.parametrize("server_index", [0, 1])
async def test_aiovotifier_v1_each_key_routes_to_its_server(
    listener: VotifierListener, recorder: Recorder, keypairs: list[tuple[str, str]], server_index: int
) -> None:
    # aiovotifier sends v1 when given an RSA public key, even after a v2 greeting
    client = VotifierClient("127.0.0.1", listener.port, "TestList", keypairs[server_index][1])
    await client.vote("Notch", "127.0.0.1")
    vote = await recorder.wait()
    assert vote.server_id == server_index + 1
    assert vote.player_name == "Notch"
    assert vote.raw["protocol"] == 1
    assert abs(vote.voted_at.timestamp() - time.time()) < 60


async def test_same_vote_twice_has_the_same_key(listener: VotifierListener, recorder: Recorder) -> None:
    for _ in range(2):
        assert json.loads(await exchange(listener, v2(TOKEN_A))) == {"status": "ok"}
    assert len(recorder.votes) == 2
    assert recorder.votes[0].external_id == recorder.votes[1].external_id


async def test_send_test_vote_helper(listener: VotifierListener, recorder: Recorder, keypairs: list[Any]) -> None:
    assert await send_test_vote("127.0.0.1", listener.port, username="Notch", token=TOKEN_A) == {"status": "ok"}
    assert (await recorder.wait()).server_id == 1
    recorder.event.clear()
    await send_test_vote("127.0.0.1", listener.port, username="Alex", public_key=keypairs[1][1])
    assert (await recorder.wait()).server_id == 2
    with pytest.raises(ValueError, match="exactly one"):
        await send_test_vote("127.0.0.1", listener.port, username="x")


# --------------------------------------------------------------------------- vectors


@needs_vectors
async def test_nuvotifier_v2_vector(make_listener: ListenerFactory, recorder: Recorder) -> None:
    vec = json.loads(VECTORS_PATH.read_text("utf-8"))["nuvotifier_v2"]
    challenge = vec["greeting_sent_by_server"].split()[2]
    assert sign_v2_payload(vec["token"], vec["payload"]) == vec["signature_b64"]
    frame = build_v2_frame(
        vec["token"],
        service_name="TestList",
        username="Notch",
        address="127.0.0.1",
        timestamp_ms="1767225600000",
        challenge=challenge,
    )
    assert frame == bytes.fromhex(vec["packet_hex"])
    assert frame[:4].hex() == vec["packet_head_hex"]

    keys = StaticVotifierKeys()
    keys.add_server(5, service_tokens={"TestList": vec["token"]})
    listener = VotifierListener(keys, recorder, clock=lambda: NOW, challenge_factory=lambda: challenge)
    await listener.start("127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        assert await reader.readline() == vec["greeting_sent_by_server"].encode()
        writer.write(bytes.fromhex(vec["packet_hex"]))
        assert await asyncio.wait_for(reader.read(), 2) == vec["ok_response"].encode()
        writer.close()
    finally:
        await listener.close()
    vote = await recorder.wait()
    assert vote.server_id == 5
    assert vote.voted_at == NOW  # 1767225600000 ms
    assert vote.external_id == derived_key("votifier", 5, "TestList", "Notch", "1767225600000")


@needs_vectors
async def test_votifier_v1_vector(make_listener: ListenerFactory, recorder: Recorder, keypairs: list[Any]) -> None:
    vec = json.loads(VECTORS_PATH.read_text("utf-8"))["votifier_v1_plaintext"]
    plaintext = bytes.fromhex(vec["hex"])
    assert len(plaintext) == vec["len"]
    parsed = parse_v1_plaintext(plaintext)
    assert parsed is not None
    assert (parsed.service_name, parsed.username, parsed.address, parsed.timestamp) == (
        "TestList",
        "Notch",
        "127.0.0.1",
        "1767225600",
    )
    assert parse_v1_plaintext(plaintext.rstrip(b"\n")) == parsed  # trailing newline optional

    listener = await make_listener(clock=lambda: NOW)
    public = load_public_key(keypairs[0][1])
    block = public.encrypt(plaintext, padding.PKCS1v15())
    assert await exchange(listener, block) == b""  # v1: no reply
    vote = await recorder.wait()
    assert vote.server_id == 1
    assert vote.voted_at == NOW  # 1767225600 s
    assert vote.external_id == derived_key("votifier", 1, "TestList", "Notch", "1767225600")


# --------------------------------------------------------------------------- rejections


async def test_wrong_token_is_refused(listener: VotifierListener, recorder: Recorder, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NuVotifierResponseError) as info:
        await VotifierClient("127.0.0.1", listener.port, "TestList", "not-the-token").nu_vote("Notch")
    assert info.value.response["cause"] == "signature"
    assert recorder.votes == []
    assert "not-the-token" not in caplog.text


async def test_bad_challenge(listener: VotifierListener, recorder: Recorder) -> None:
    reply = await exchange(listener, lambda challenge: v2(TOKEN_A)(new_challenge()))
    assert error_cause(reply) == "challenge"
    reply = await exchange(listener, lambda challenge: v2(TOKEN_A)(challenge + "x"))
    assert error_cause(reply) == "challenge"
    assert recorder.votes == []


@pytest.mark.parametrize(
    ("username", "overrides"),
    [
        ("A" * 17, {}),
        ("", {}),
        ("Bad\nName", {}),
        ("@everyone<>", {}),
        ("Notch", {"timestamp_ms": "12abc"}),
        ("Notch", {"timestamp_ms": -5}),
        ("Notch", {"service_name": ""}),
        ("Notch", {"address": "a\x00b"}),
        ("Notch", {"uuid": "not-a-uuid"}),
    ],
)
async def test_invalid_payload_fields(
    listener: VotifierListener, recorder: Recorder, username: str, overrides: dict[str, Any]
) -> None:
    reply = await exchange(listener, v2(TOKEN_A, username, **overrides))
    assert error_cause(reply) == "payload"
    assert recorder.votes == []


async def test_overlong_username_with_real_client(listener: VotifierListener, recorder: Recorder) -> None:
    with pytest.raises(NuVotifierResponseError) as info:
        await VotifierClient("127.0.0.1", listener.port, "TestList", TOKEN_A).nu_vote("X" * 17)
    assert info.value.response["cause"] == "payload"
    assert recorder.votes == []


async def test_absurd_timestamps_fall_back_to_receive_time(make_listener: ListenerFactory, recorder: Recorder) -> None:
    listener = await make_listener(clock=lambda: NOW)
    for stamp in (9999999999999999, 0, "001767225600000"):
        recorder.event.clear()
        assert json.loads(await exchange(listener, v2(TOKEN_A, timestamp_ms=stamp))) == {"status": "ok"}
        assert (await recorder.wait()).voted_at == NOW
    assert recorder.votes[-1].raw["timestamp"] == "1767225600000"  # normalised for the dedupe key


async def test_key_lookup_failure_replies_error(make_listener: ListenerFactory, recorder: Recorder) -> None:
    class BrokenKeys(StaticVotifierKeys):
        async def tokens_for(self, service_name: str) -> Sequence[VotifierToken]:
            raise ConnectionRefusedError("database is down")

    listener = VotifierListener(BrokenKeys(), recorder, read_timeout=READ_TIMEOUT)
    await listener.start("127.0.0.1", 0)
    try:
        assert error_cause(await exchange(listener, v2(TOKEN_A))) == "internal"
    finally:
        await listener.close()
    assert recorder.votes == []


async def test_optional_uuid_accepted(listener: VotifierListener, recorder: Recorder) -> None:
    uuid = "069a79f4-44e9-4726-a5be-fca90e38aaf5"
    assert json.loads(await exchange(listener, v2(TOKEN_A, uuid=uuid.replace("-", "")))) == {"status": "ok"}
    assert (await recorder.wait()).raw["uuid"] == uuid


def frame_of(message: bytes, length: int | None = None) -> bytes:
    return b"\x73\x3a" + (len(message) if length is None else length).to_bytes(2, "big") + message


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (frame_of(b"x" * 1021), "frame"),
        (frame_of(b"", 0xFFFF), "frame"),
        (frame_of(b"", 0), "frame"),
        (frame_of(b"not json at all"), "json"),
        (frame_of(b"[1,2,3]"), "json"),
        (frame_of(b'{"payload":5,"signature":"x"}'), "json"),
        (frame_of(b'{"payload":"{}","signature":"***"}'), "signature"),
        (frame_of(b'{"payload":"nope","signature":"AAAA"}'), "json"),
        (frame_of(b'{"payload":"{\\"serviceName\\":7}","signature":"AAAA"}'), "payload"),
        (frame_of(b"\xff\xfe\xfd"), "json"),
        (frame_of(b"[" * 1000), "json"),
    ],
)
async def test_garbage_v2_frames(listener: VotifierListener, recorder: Recorder, data: bytes, cause: str) -> None:
    assert error_cause(await exchange(listener, data)) == cause
    assert recorder.votes == []


async def test_frame_limit_is_1024_bytes_total(listener: VotifierListener, recorder: Recorder) -> None:
    def padded(challenge: str) -> bytes:
        frame = v2(TOKEN_A)(challenge)
        message = json.loads(frame[4:])
        message["pad"] = ""
        body = json.dumps(message, separators=(",", ":")).encode()
        message["pad"] = "x" * (MAX_FRAME - 4 - len(body))
        return frame_of(json.dumps(message, separators=(",", ":")).encode())

    assert len(padded(new_challenge())) == MAX_FRAME
    assert json.loads(await exchange(listener, padded)) == {"status": "ok"}


async def test_utf16_counted_length_is_tolerated(listener: VotifierListener, recorder: Recorder) -> None:
    def utf16_counted(challenge: str) -> bytes:
        frame = v2(TOKEN_A, address="hôte-😀.example")(challenge)
        message = frame[4:]
        units = len(message.decode().encode("utf-16-le")) // 2
        assert units < len(message)
        return frame_of(message, units)

    assert json.loads(await exchange(listener, utf16_counted)) == {"status": "ok"}
    assert (await recorder.wait()).player_name == "Notch"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes(256),
        secrets.token_bytes(256),
        secrets.token_bytes(300),
    ],
)
async def test_garbage_without_reply_is_closed(listener: VotifierListener, recorder: Recorder, data: bytes) -> None:
    started = time.monotonic()
    assert await exchange(listener, data) == b""
    assert time.monotonic() - started < READ_TIMEOUT + 1
    assert recorder.votes == []


async def test_v1_with_bad_fields_is_dropped(
    listener: VotifierListener, recorder: Recorder, keypairs: list[Any]
) -> None:
    block = encrypt_v1_vote(
        keypairs[0][1], service_name="TestList", username="X" * 17, address="127.0.0.1", timestamp=1
    )
    assert await exchange(listener, block) == b""
    await asyncio.sleep(0.05)
    assert recorder.votes == []


# --------------------------------------------------------------------------- hostile timing and capacity


async def test_silent_connection_closed_after_read_timeout(listener: VotifierListener) -> None:
    reader, writer, _ = await connect(listener)
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    assert READ_TIMEOUT - 0.05 <= time.monotonic() - started < READ_TIMEOUT + 0.5
    writer.close()


@pytest.mark.parametrize("v2_prefix", [True, False])
async def test_dribbling_connection_closed_after_total_timeout(listener: VotifierListener, v2_prefix: bool) -> None:
    reader, writer, challenge = await connect(listener)
    data = v2(TOKEN_A)(challenge) if v2_prefix else secrets.token_bytes(256)
    started = time.monotonic()
    closed_after: float | None = None
    for byte in data:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            break
        try:
            if await asyncio.wait_for(reader.read(), 0.05) == b"":
                closed_after = time.monotonic() - started
                break
        except TimeoutError:
            continue
    writer.close()
    assert closed_after is not None
    assert closed_after < READ_TIMEOUT + 0.5


async def test_connection_cap(make_listener: ListenerFactory, recorder: Recorder) -> None:
    listener = await make_listener(max_connections=2, read_timeout=2)
    held = [await connect(listener) for _ in range(2)]
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    try:
        refused = await asyncio.wait_for(reader.read(), 1)
    except ConnectionResetError:  # the listener aborts: no greeting, just a reset
        refused = b""
    assert refused == b""
    writer.close()
    for _, held_writer, _ in held:
        held_writer.close()
    await asyncio.sleep(0.05)
    # capacity is released: a real vote goes through again
    assert await send_test_vote("127.0.0.1", listener.port, username="Notch", token=TOKEN_A) == {"status": "ok"}


async def test_record_failure_replies_storage_error(
    listener: VotifierListener, recorder: Recorder, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder.fail = ConnectionRefusedError("database is down")
    with pytest.raises(NuVotifierResponseError) as info:
        await VotifierClient("127.0.0.1", listener.port, "TestList", TOKEN_B).nu_vote("Notch")
    assert info.value.response["cause"] == "storage"
    assert "TestList" in caplog.text
    assert "server 2" in caplog.text
    assert TOKEN_B not in caplog.text
    # the listener survives and records once the database is back
    recorder.fail = None
    assert (await VotifierClient("127.0.0.1", listener.port, "TestList", TOKEN_B).nu_vote("Notch"))["status"] == "ok"


async def test_close_with_idle_connection(make_listener: ListenerFactory) -> None:
    listener = await make_listener(read_timeout=30)
    reader, writer, _ = await connect(listener)
    started = time.monotonic()
    await listener.close(grace=0.1)
    assert time.monotonic() - started < 1
    assert await asyncio.wait_for(reader.read(), 1) == b""
    writer.close()
    with pytest.raises(RuntimeError):
        _ = listener.port


# --------------------------------------------------------------------------- key helpers


def test_keypair_format(keypairs: list[tuple[str, str]]) -> None:
    private_b64, public_b64 = keypairs[0]
    assert "-----" not in private_b64
    assert "-----" not in public_b64
    key = load_private_key(private_b64)
    assert key.key_size == 2048
    assert public_key_b64(key) == public_b64
    assert load_public_key(public_b64).public_numbers() == key.public_key().public_numbers()
    # PEM-armoured and line-wrapped input is tolerated
    wrapped = (
        "-----BEGIN PRIVATE KEY-----\n"
        + "\n".join(private_b64[i : i + 64] for i in range(0, len(private_b64), 64))
        + "\n-----END PRIVATE KEY-----\n"
    )
    assert load_private_key(wrapped).private_numbers() == key.private_numbers()
    for bad in ("", "not base64!", public_b64, "AAAA"):
        with pytest.raises(ValueError, match="private key") as info:
            load_private_key(bad)
        assert public_b64[:20] not in str(info.value)


def test_challenge_format() -> None:
    for _ in range(200):
        challenge = new_challenge()
        assert 1 <= len(challenge) <= 26
        assert set(challenge) <= set("0123456789abcdefghijklmnopqrstuv")
    assert len({new_challenge() for _ in range(50)}) == 50


def test_rejected_exception() -> None:
    exc = VotifierRejected("frame", "too big")
    assert (exc.cause, exc.message, str(exc)) == ("frame", "too big", "too big")


def test_a_timestamp_of_unicode_digits_falls_back_to_the_arrival_time() -> None:
    from bot.votes.votifier.protocol import VotifierVote

    for stamp in ("²", "١٧٦٧٢٢٥٦٠٠", "-1", ""):
        vote = VotifierVote(protocol=2, service_name="List", username="Steve", address="1.2.3.4", timestamp=stamp)
        assert vote.voted_at(NOW) == NOW, stamp
