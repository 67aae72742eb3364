"""The Votifier TCP listener: NuVotifier v2 (token HMAC) and Votifier v1 (RSA) on one port for every server.

The server a vote belongs to is found from the credential that authenticates it (see
:mod:`bot.votes.votifier.protocol`); each verified vote is handed to ``record`` (the ledger).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.ratelimit import SourceBudget
from bot.core.time import Clock, utcnow
from bot.votes.model import Vote
from bot.votes.votifier.fairness import BoundedPool, PoolBusy, ThrottledLog, source_of
from bot.votes.votifier.protocol import (
    DEFAULT_PORT,
    MAX_FRAME,
    V1_BLOCK,
    V2_MAGIC,
    VotifierKeys,
    VotifierRejected,
    VotifierVote,
    decrypt_v1,
    new_challenge,
    split_v2_message,
    v2_signature_ok,
    validate_v2_payload,
)

log = logging.getLogger(__name__)

RecordVote = Callable[[Vote], Awaitable[None]]


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class VotifierListener:
    """TCP listener speaking NuVotifier v2 and Votifier v1; hands each verified vote to ``record``.

    ``record`` is typically ``VoteLedger.record``; when it raises, a v2 list gets
    ``cause="storage"`` and retries. A connection must send its first byte within
    ``first_byte_timeout`` seconds of the greeting (a list writes its vote at once; an idle socket
    gives its slot back quickly) and has ``read_timeout`` seconds *in total* to send its vote
    (slow-loris dribbling is cut off). At most ``max_connections`` are served at once, and at
    most ``max_connections_per_source`` from one source address (an IPv4 address or an IPv6 /64), so one
    client holding idle sockets cannot lock the other listing sites out; extra connections are closed
    immediately.

    A v1 block is tried against every server's RSA key (about 0.5 ms each), in a pool of ``v1_workers``
    threads of its own with at most ``v1_queue`` blocks waiting, never on the event loop. Each source
    may spend ``v1_failed_decrypts_per_minute`` key trials a minute on blocks that decrypt to no vote
    (one bogus block costs one trial per key, so the CPU a source can waste does not grow with the
    number of servers); beyond it, its blocks are dropped without decrypting. A real vote costs its
    source nothing.

    What any client can make the listener log (refusals, timeouts, bad frames, signatures and blocks)
    is logged at most once per source and level every ``log_interval`` seconds, with a count of the
    lines left out; never a token, a key or the vote.
    """

    def __init__(
        self,
        keys: VotifierKeys,
        record: RecordVote,
        *,
        read_timeout: float = 5.0,
        first_byte_timeout: float = 3.0,
        write_timeout: float = 5.0,
        max_connections: int = 256,
        max_connections_per_source: int = 16,
        v1_failed_decrypts_per_minute: int = 600,
        v1_workers: int = 1,
        v1_queue: int = 8,
        log_interval: float = 60.0,
        clock: Clock = utcnow,
        challenge_factory: Callable[[], str] = new_challenge,
    ) -> None:
        self._keys = keys
        self._record = record
        self._read_timeout = read_timeout
        self._first_byte_timeout = first_byte_timeout
        self._write_timeout = write_timeout
        self._max_connections = max_connections
        self._max_per_source = max_connections_per_source
        self._per_source: dict[str, int] = {}
        self._noise = ThrottledLog(log, log_interval, clock)
        self._v1_budget = SourceBudget(v1_failed_decrypts_per_minute, clock)
        self._v1_pool = BoundedPool(v1_workers, v1_queue, name="votifier-v1")
        self._clock = clock
        self._new_challenge = challenge_factory
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("listener is not started")
        return int(self._server.sockets[0].getsockname()[1])

    def _say(self, level: int, peer: object, message: str, *args: object) -> None:
        """Log what a connection made us say, ``peer`` first: one line per source and level a minute."""
        self._noise.log(level, source_of(peer), message, peer, *args, stacklevel=2)

    def connections_from(self, source: str) -> int:
        """Connections being served for ``source`` (as :func:`~bot.votes.votifier.fairness.source_of` names it)."""
        return self._per_source.get(source, 0)

    async def start(self, host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> None:  # noqa: S104
        if self._server is not None:
            raise RuntimeError("listener already started")
        self._server = await asyncio.start_server(self._on_connect, host, port, limit=MAX_FRAME * 2)
        log.info("Votifier listener on %s:%s", host, self.port)

    async def close(self, grace: float = 2.0) -> None:
        """Stop accepting, let connections in flight finish for ``grace`` seconds, cancel the rest."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._v1_pool.close()
        await server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = source_of(peer)
        if len(self._tasks) >= self._max_connections:
            self._say(
                logging.WARNING, peer, "Votifier connection from %s refused: %d connections open", len(self._tasks)
            )
            writer.transport.abort()
            return
        if self._per_source.get(source, 0) >= self._max_per_source:
            self._say(
                logging.WARNING,
                peer,
                "Votifier connection from %s refused: %d connections open from %s",
                self._max_per_source,
                source,
            )
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._per_source[source] = self._per_source.get(source, 0) + 1
        try:
            await self._serve(reader, writer, peer)
        except Exception:
            log.exception("Votifier connection from %s failed", peer)
        finally:
            if task is not None:
                self._tasks.discard(task)
            if (left := self._per_source.pop(source, 1) - 1) > 0:
                self._per_source[source] = left
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object) -> None:
        challenge = self._new_challenge()
        writer.write(f"VOTIFIER 2 {challenge}\n".encode("ascii"))
        block: bytes | None = None
        frame = b""
        first: bytes | None = None
        try:
            async with asyncio.timeout(self._read_timeout):
                async with asyncio.timeout(self._first_byte_timeout):
                    await writer.drain()
                    first = await reader.readexactly(1)
                head = first + await reader.readexactly(1)
                if head != V2_MAGIC:
                    block = head + await reader.readexactly(V1_BLOCK - 2)
                else:
                    frame = await self._read_v2_frame(reader)
        except TimeoutError:
            if first is None:
                self._say(
                    logging.INFO, peer, "Votifier connection from %s sent nothing within %gs", self._first_byte_timeout
                )
            else:
                self._say(logging.INFO, peer, "Votifier connection from %s timed out before sending a vote")
            return
        except asyncio.IncompleteReadError as exc:
            self._say(logging.INFO, peer, "Votifier connection from %s closed after %d bytes", len(exc.partial))
            return
        except (ConnectionError, asyncio.LimitOverrunError) as exc:
            self._say(logging.INFO, peer, "Votifier connection from %s dropped: %s", type(exc).__name__)
            return
        except VotifierRejected as exc:
            self._say(logging.INFO, peer, "Votifier v2 frame from %s rejected: %s", exc.message)
            await self._reply(writer, exc)
            return
        if block is not None:
            await self._handle_v1(block, peer)
            return
        try:
            await self._handle_v2(frame, challenge, peer)
        except VotifierRejected as exc:
            await self._reply(writer, exc)
        except Exception:  # e.g. the key lookup failed: tell the list to retry later
            log.exception("Votifier v2 vote from %s could not be processed", peer)
            await self._reply(writer, VotifierRejected("internal", "internal error, try again later"))
        else:
            await self._reply(writer, None)

    async def _read_v2_frame(self, reader: asyncio.StreamReader) -> bytes:
        length = int.from_bytes(await reader.readexactly(2), "big")
        if not 0 < length <= MAX_FRAME - 4:
            raise VotifierRejected("frame", f"frame length {length} is not within 1..{MAX_FRAME - 4} bytes")
        data = await reader.readexactly(length)
        if data.isascii() or _is_json(data):
            return data
        # Some clients count the length in UTF-16 units but send UTF-8: read on until that many units.
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            text = decoder.decode(data)
            while (units := _utf16_units(text)) < length:
                more = await reader.readexactly(length - units)
                data += more
                if len(data) > MAX_FRAME - 4:
                    raise VotifierRejected("frame", f"frame exceeds {MAX_FRAME} bytes")
                text += decoder.decode(more)
        except UnicodeDecodeError:
            raise VotifierRejected("json", "frame is not UTF-8") from None
        return data

    async def _handle_v2(self, frame: bytes, challenge: str, peer: object) -> None:
        payload_text, signature, payload = split_v2_message(frame)
        service = payload.get("serviceName")
        if not isinstance(service, str) or not service:
            raise VotifierRejected("payload", "serviceName must be a non-empty string")
        match = next(
            (t for t in await self._keys.tokens_for(service) if v2_signature_ok(t.token, payload_text, signature)),
            None,
        )
        if match is None:
            self._say(
                logging.WARNING,
                peer,
                "Votifier v2 vote from %s for service %r: signature matches no token",
                service[:64],
            )
            raise VotifierRejected("signature", "signature is not valid (invalid token?)")
        vote = validate_v2_payload(payload, challenge)
        await self._store(match.server_id, vote, peer)

    async def _handle_v1(self, block: bytes, peer: object) -> None:
        source = source_of(peer)
        keys = [key for key in await self._keys.rsa_keys() if key.private_key.key_size // 8 == len(block)]
        if not keys:
            self._say(logging.WARNING, peer, "Votifier v1 block from %s dropped: no server has a v1 key")
            return
        throttled = "Votifier v1 block from %s dropped undecrypted: too many bad blocks from this address"
        if not self._v1_budget.allows(source):  # before it takes a place in the queue
            self._say(logging.WARNING, peer, throttled)
            return
        try:
            async with self._v1_pool.slot(self._read_timeout):
                # again with a worker to itself: the source's blocks ahead of this one are charged by now
                if not self._v1_budget.allows(source):
                    self._say(logging.WARNING, peer, throttled)
                    return
                try:
                    found = await self._v1_pool.call(decrypt_v1, block, keys)
                except VotifierRejected as exc:  # a key fitted but the vote is invalid
                    self._v1_budget.charge(source, len(keys))
                    self._say(logging.WARNING, peer, "Votifier v1 vote from %s rejected: %s", exc.message)
                    return
                if found is None:  # each key tried in vain; a real vote costs its source nothing
                    self._v1_budget.charge(source, len(keys))
                    self._say(logging.WARNING, peer, "Votifier v1 block from %s matches none of the %d keys", len(keys))
                    return
        except PoolBusy:
            self._say(
                logging.WARNING, peer, "Votifier v1 block from %s dropped undecrypted: the v1 decrypt pool is busy"
            )
            return
        server_id, vote = found
        with contextlib.suppress(VotifierRejected):  # already logged; v1 has no reply channel
            await self._store(server_id, vote, peer)

    async def _store(self, server_id: int, vote: VotifierVote, peer: object) -> None:
        try:
            await self._record(vote.to_vote(server_id, self._clock()))
        except Exception:
            log.exception(
                "Could not record Votifier v%d vote from %s (server %s, service %r)",
                vote.protocol,
                peer,
                server_id,
                vote.service_name,
            )
            raise VotifierRejected("storage", "vote could not be stored, try again later") from None
        log.info("Votifier v%d vote for server %s from service %r", vote.protocol, server_id, vote.service_name)

    async def _reply(self, writer: asyncio.StreamWriter, error: VotifierRejected | None) -> None:
        reply: dict[str, str] = (
            {"status": "ok"} if error is None else {"status": "error", "cause": error.cause, "error": error.message}
        )
        writer.write(json.dumps(reply, separators=(",", ":")).encode() + b"\r\n")
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.drain(), self._write_timeout)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True
