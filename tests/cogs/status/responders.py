"""Tiny game servers on loopback speaking the real wire formats: Minecraft Server List Ping (TCP) and
Source A2S_INFO / A2S_PLAYER with the S2C_CHALLENGE round trip (UDP). ``mode`` switches behaviour live."""

from __future__ import annotations

import asyncio
import bz2
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any


def varint(value: int) -> bytes:
    out = b""
    value &= 0xFFFFFFFF
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


@dataclass
class MinecraftResponder:
    """Answers the SLP status request with ``status`` as JSON. Modes: ok, silent, garbage, huge."""

    status: dict[str, Any] = field(
        default_factory=lambda: {
            "version": {"name": "1.21.3", "protocol": 768},
            "players": {"max": 100, "online": 2, "sample": [{"name": "Steve", "id": "0"}, {"name": "Alex", "id": "1"}]},
            "description": {"text": "A Minecraft Server"},
        }
    )
    mode: str = "ok"
    port: int = 0
    requests: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> MinecraftResponder:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1024)  # handshake + status request arrive together from opengsq
            self.requests += 1
            if self.mode == "silent":
                await asyncio.sleep(30)
                return
            if self.mode == "garbage":
                writer.write(b"\x05\x00\x03{{{")
            elif self.mode == "huge":
                writer.write(varint(2**31 - 1) + b"\x00")  # claims 2 GiB, then streams
                chunk = b"\x00" * 65536
                for _ in range(200):
                    writer.write(chunk)
                    await writer.drain()
            else:
                body = json.dumps(self.status).encode()
                payload = b"\x00" + varint(len(body)) + body
                writer.write(varint(len(payload)) + payload)
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


class _A2SProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: A2SResponder) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = self.owner.answer(data)
        if answer is not None and self.transport is not None:
            for datagram in answer if isinstance(answer, list) else [answer]:
                self.transport.sendto(datagram, addr)


# bz2.compress(bytes(256 << 20), 9): 208 bytes that inflate to 256 MiB of zeros (CRC32 0x2a0e7dbb)
BZ2_BOMB = bytes.fromhex(
    "425a68393141592653590e09e2df015f8e4000c0000008200030804d4642a025a90a80973141592653590e09e2df015f8e4000c00000"
    "08200030804d4642a025a90a80973141592653590e09e2df015f8e4000c0000008200030804d4642a025a90a80973141592653590e09"
    "e2df015f8e4000c0000008200030804d4642a025a90a80973141592653590e09e2df015f8e4000c0000008200030804d4642a025a90a8"
    "0973141592653591ecee4db012a3fc000c0040008200030cc0529a6aaa8491b002248f1772453850906b17caf00"
)
BOMB_SIZE, BOMB_CRC32 = 256 << 20, 0x2A0E7DBB


@dataclass
class A2SResponder:
    """A2S with challenge: the first request gets S2C_CHALLENGE, the repeat with the challenge gets the info."""

    name: str = "Test Source Server"
    map: str = "de_dust2"
    players: list[str] = field(default_factory=lambda: ["alice", "bob"])
    max_players: int = 24
    version: str = "1.38.0.1"
    mode: str = "ok"  # ok, silent, garbage, split, compressed, bomb (bz2 inflating to 256 MiB), flood (never complete)
    challenge: bytes = b"\x0a\x0b\x0c\x0d"
    port: int = 0
    challenged: int = 0
    answered: int = 0
    _transport: asyncio.DatagramTransport | None = None

    async def start(self) -> A2SResponder:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _A2SProtocol(self), local_addr=("127.0.0.1", 0))
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def answer(self, data: bytes) -> bytes | list[bytes] | None:
        if self.mode == "silent" or not data.startswith(b"\xff\xff\xff\xff"):
            return None
        if self.mode == "garbage":
            return b"\xff\xff\xff\xff\x49\x11"
        body = data[4:]
        if body.startswith(b"TSource Engine Query\x00"):
            if body[len(b"TSource Engine Query\x00") :] != self.challenge:
                self.challenged += 1
                return b"\xff\xff\xff\xffA" + self.challenge
            self.answered += 1
            if self.mode == "bomb":  # one compressed split packet: total 1, number 0, size, CRC32, bz2 data
                return struct.pack("<lLBBLL", -2, 0x80000001, 1, 0, BOMB_SIZE, BOMB_CRC32) + BZ2_BOMB
            if self.mode == "split":  # the answer in three packets, sent out of order
                whole = b"\xff\xff\xff\xff" + self.info()
                parts = [whole[i : i + 20] for i in (0, 20)] + [whole[40:]]
                return [struct.pack("<lLBBH", -2, 9, 3, n, 1248) + parts[n] for n in (2, 0, 1)]
            if self.mode == "compressed":  # bz2 in two packets; the first carries size and CRC32
                whole = b"\xff\xff\xff\xff" + self.info()
                packed = bz2.compress(whole)
                head = struct.pack("<lLBBLL", -2, 0x80000009, 2, 0, len(whole), zlib.crc32(whole))
                half = len(packed) // 2
                return [head + packed[:half], struct.pack("<lLBBH", -2, 0x80000009, 2, 1, 1248) + packed[half:]]
            if self.mode == "flood":  # split packets 0-8 of a 10-packet answer, over and over: never complete
                return [struct.pack("<lLBBH", -2, 7, 10, n % 9, 1248) + b"x" * 32 for n in range(200)]
            return b"\xff\xff\xff\xff" + self.info()
        if body.startswith(b"U"):
            if body[1:] != self.challenge:
                return b"\xff\xff\xff\xffA" + self.challenge
            out = b"D" + bytes([len(self.players)])
            for index, player in enumerate(self.players):
                out += bytes([index]) + player.encode() + b"\x00" + struct.pack("<lf", 3, 12.5)
            return b"\xff\xff\xff\xff" + out
        return None

    def info(self) -> bytes:
        def s(text: str) -> bytes:
            return text.encode() + b"\x00"

        return (
            b"I\x11" + s(self.name) + s(self.map) + s("csgo") + s("Counter-Strike")
            + struct.pack("<h", 730) + bytes([len(self.players), self.max_players, 0]) + b"dl\x00\x01"
            + s(self.version)
        )  # fmt: skip


RAKNET_MAGIC = b"\x00\xff\xff\x00\xfe\xfe\xfe\xfe\xfd\xfd\xfd\xfd\x12\x34\x56\x78"


class _BedrockProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: BedrockResponder) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data[:1] == b"\x01" and data[9:25] == RAKNET_MAGIC and self.transport is not None:
            motd = self.owner.motd.encode()
            header = b"\x1c" + data[1:9] + b"\x00" * 8 + RAKNET_MAGIC
            self.transport.sendto(header + struct.pack(">H", len(motd)) + motd, addr)


@dataclass
class BedrockResponder:
    """RakNet unconnected ping → pong with the Bedrock MOTD string."""

    motd: str = "MCPE;Bedrock Test;712;1.21.20;4;30;123456789;Survival World;Survival;1;19132;19133;"
    port: int = 0
    _transport: asyncio.DatagramTransport | None = None

    async def start(self) -> BedrockResponder:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _BedrockProtocol(self), local_addr=("127.0.0.1", 0))
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
