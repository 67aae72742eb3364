"""Independent Votifier servers for the tests: a loopback TCP server greeting as Votifier, and handlers speaking
NuVotifier's v2 (frame, HMAC-SHA256 checked in constant time, challenge, ok/error) and v1 (RSA block)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding, rsa

# --------------------------------------------------------------------------- independent servers

Handler = Callable[["MiniServer", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class MiniServer:
    """A loopback TCP server whose behaviour after the greeting is ``handler``."""

    greeting: bytes
    handler: Handler | None = None
    greeting_delay: float = 0.05
    connections: int = 0
    greeted: bool = False
    received: int = 0
    votes: list[dict[str, Any]] = field(default_factory=list)
    challenge: str = field(default_factory=lambda: secrets.token_hex(8))
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await asyncio.sleep(self.greeting_delay)  # a client must wait for the greeting before it writes
            writer.write(self.greeting.replace(b"{challenge}", self.challenge.encode()))
            await writer.drain()
            self.greeted = True
            if self.handler is not None:
                await self.handler(self, reader, writer)
            else:
                self.received += len(await reader.read())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def read(self, reader: asyncio.StreamReader, count: int) -> bytes:
        data = await reader.readexactly(count)
        self.received += len(data)
        return data


@contextlib.asynccontextmanager
async def running(server: MiniServer) -> AsyncIterator[MiniServer]:
    tcp = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.port = tcp.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        tcp.close()
        await tcp.wait_closed()


async def hang_up(server: MiniServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    return None


def nuvotifier(token: str, *, answer: bool = True, reply: bytes | None = None) -> Handler:
    """NuVotifier v2 in a few lines: frame, HMAC-SHA256 checked in constant time, challenge, ok/error."""

    async def handle(server: MiniServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await server.read(reader, 4)
        assert head[:2] == b"\x73\x3a"
        message = json.loads(await server.read(reader, int.from_bytes(head[2:], "big")))
        payload_text = message["payload"]
        expected = hmac.new(token.encode(), payload_text.encode(), hashlib.sha256).digest()
        payload = json.loads(payload_text)
        if not hmac.compare_digest(expected, base64.b64decode(message["signature"])):
            result = {"status": "error", "cause": "CorruptedFrameException",
                      "error": "Signature is not valid (invalid token?)"}  # fmt: skip
        elif payload["challenge"] != server.challenge:
            result = {"status": "error", "cause": "CorruptedFrameException", "error": "Challenge is not valid"}
        else:
            server.votes.append(payload)
            result = {"status": "ok"}
        if not answer:
            await asyncio.sleep(5)
            return
        writer.write(reply if reply is not None else json.dumps(result).encode() + b"\r\n")
        await writer.drain()

    return handle


def votifier_v1(private_key: rsa.RSAPrivateKey) -> Handler:
    async def handle(server: MiniServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        block = await server.read(reader, 256)
        plaintext = private_key.decrypt(block, padding.PKCS1v15()).decode()
        kind, service, username, address, timestamp, *_rest = plaintext.split("\n")
        assert kind == "VOTE"
        server.votes.append({"service": service, "username": username, "address": address, "timestamp": timestamp})

    return handle
