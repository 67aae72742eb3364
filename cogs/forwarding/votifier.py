"""Votes out over Votifier: NuVotifier v2 (the server's token) and Votifier v1 (its RSA public key).

Both connect to the game server's Votifier port (the address policy of :mod:`bot.core.addresses` decides which
addresses may be reached: the name is resolved and checked once, and the connection goes to the address that was
checked, so a name cannot change its mind in between), read the greeting, await ``written()`` and write the vote:

- **v2** (:class:`VotifierV2Sender`): the greeting must be ``VOTIFIER 2 <challenge>``; the frame is signed with the
  token (HMAC-SHA256) and carries the challenge; the server answers ``{"status":"ok"}`` — the vote is delivered —
  or ``{"status":"error","cause":…,"error":…}``, said plainly (a bad signature is a wrong token).
- **v1** (:class:`VotifierV1Sender`): any ``VOTIFIER <version>`` greeting; one RSA PKCS#1 v1.5 block with the
  server's public key (base64 DER, NuVotifier's ``public.key``). v1 has no answer: written is as far as it goes.

What goes into the vote, following NuVotifier's conventions:

- ``serviceName``: the destination's service name (NuVotifier picks the token configured for that name, else its
  ``default`` token; reward plugins such as VotingPlugin key their rewards on it);
- ``username``: the player name of the vote;
- ``address``: NuVotifier's field for the *voter's* IP address as the listing site saw it. The bot never has it
  (and would not hand it on), so it sends ``0.0.0.0``, the unspecified address: "unknown", still an IP for the
  plugins that parse it;
- ``timestamp``: when the vote was cast, in milliseconds for v2 (as NuVotifier sends it) and in seconds for v1 (as
  the v1 listing sites and clients do).

The whole exchange has :data:`EXCHANGE_SECONDS` (under the forwarding service's own 15 s per attempt). The token
and the key are never logged nor put into a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator

from bot.core.addresses import PrivateAddress, resolve
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.votes.votifier.protocol import build_v2_frame, encrypt_v1_vote, load_public_key
from cogs.forwarding.model import DeliveryFailed, Destination, ForwardedVote, Sender, Written

__all__ = ["NO_ADDRESS", "VotifierV1Sender", "VotifierV2Sender"]

NO_ADDRESS = "0.0.0.0"  # noqa: S104 - the voter's address, which the bot does not have (see above)
EXCHANGE_SECONDS = 12.0
LINE_LIMIT = 1024  # a greeting is ≤ 64 bytes and an answer a short JSON line; anything longer is not Votifier
SHOWN_CHARS = 120  # of a server's answer or error, in a reason
_TOKEN_ERROR = re.compile(r"signature|unknown\s+service", re.IGNORECASE)

# Reasons shared with the webhook sender (the first three are the forwarding service's and the status feature's
# texts too: one translation each)
NO_ANSWER = N_("no answer within {seconds} seconds")
NETWORK_ERROR = N_("network error: {detail}")
NO_SUCH_HOST = N_("The host name {host} does not resolve.")
PRIVATE = N_("{host} is a private or local address ({ip}); this bot only forwards votes to public addresses.")
BAD_SETTINGS = N_("this destination's key, secret or service name cannot be used: add it again")

NOT_VOTIFIER = N_("{where} did not greet as a Votifier server")
SPEAKS_V1 = N_("this server speaks Votifier v1: add it with its public key")
TOKEN_REFUSED = N_("the game server refused the token (check the NuVotifier token for service “{service}”)")
REFUSED = N_("the game server refused the vote: {error}")
CLOSED = N_("the game server closed the connection without confirming the vote")
UNEXPECTED = N_("the game server's answer is not a Votifier confirmation: {answer}")


def shown_text(raw: bytes | str, limit: int = SHOWN_CHARS) -> str:
    """A remote party's text fit for one line of a reason: decoded, control characters replaced, cut short."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = "".join(char if char.isprintable() else " " for char in text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(value: str) -> str:
    """A v1 field: one line (a line break would shift the fields after it)."""
    return "".join(char for char in value if char.isprintable())


async def connect(host: str, port: int, *, allow_private: bool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve ``host`` under the address policy and connect to the address that was checked."""
    try:
        ip = await resolve(host, allow_private=allow_private)
    except PrivateAddress as exc:
        raise DeliveryFailed(PRIVATE, {"host": host, "ip": exc.ip}, retry=False) from None
    except UserError:
        raise DeliveryFailed(NO_SUCH_HOST, {"host": repr(host)}) from None
    try:
        return await asyncio.open_connection(ip, port, limit=LINE_LIMIT)
    except OSError as exc:
        raise DeliveryFailed(NETWORK_ERROR, {"detail": exc.strerror or type(exc).__name__}) from None


class _VotifierSender(Sender):
    def __init__(self, allow_private: bool, *, timeout: float = EXCHANGE_SECONDS) -> None:
        self.allow_private = allow_private
        self.timeout = timeout

    async def send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._send(destination, vote, written)
        except TimeoutError:
            raise DeliveryFailed(NO_ANSWER, {"seconds": round(self.timeout)}) from None
        except OSError as exc:  # reset while reading or writing
            raise DeliveryFailed(NETWORK_ERROR, {"detail": exc.strerror or type(exc).__name__}) from None

    async def _send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def _connected(
        self, destination: Destination
    ) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        if destination.host is None or destination.port is None:
            raise ValueError(f"Votifier destination {destination.id} has no host and port")
        reader, writer = await connect(destination.host, destination.port, allow_private=self.allow_private)
        try:
            yield reader, writer
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    @staticmethod
    async def _greeting(reader: asyncio.StreamReader, destination: Destination) -> list[str]:
        """``VOTIFIER <version> [<challenge>]``, split; anything else is not a Votifier server."""
        try:
            parts = (await reader.readline()).decode("ascii", "replace").split()
        except ValueError:  # a line longer than LINE_LIMIT
            parts = []
        if len(parts) < 2 or parts[0] != "VOTIFIER":
            raise DeliveryFailed(NOT_VOTIFIER, {"where": destination.shown})
        return parts


class VotifierV2Sender(_VotifierSender):
    """NuVotifier v2: a token-signed frame, acknowledged by ``{"status":"ok"}`` (returned as the answer)."""

    async def _send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        async with self._connected(destination) as (reader, writer):
            greeting = await self._greeting(reader, destination)
            if len(greeting) == 2:  # no challenge: a v1-only server (classic Votifier: "VOTIFIER 1.9")
                raise DeliveryFailed(SPEAKS_V1, retry=False)
            if greeting[1] != "2":
                raise DeliveryFailed(NOT_VOTIFIER, {"where": destination.shown})
            try:
                frame = build_v2_frame(
                    destination.secret,
                    service_name=destination.service_name,
                    username=vote.username,
                    address=NO_ADDRESS,
                    timestamp_ms=int(vote.voted_at.timestamp() * 1000),
                    challenge=greeting[2],
                )
            except ValueError:  # larger than a v2 frame may be
                raise DeliveryFailed(BAD_SETTINGS, retry=False) from None
            await written()
            writer.write(frame)
            await writer.drain()
            try:
                line = await reader.readline()
            except ValueError:
                raise DeliveryFailed(UNEXPECTED, {"answer": f"> {LINE_LIMIT} B"}) from None
        return self._answer(line, destination)

    @staticmethod
    def _answer(line: bytes, destination: Destination) -> str:
        if not line.strip():
            raise DeliveryFailed(CLOSED)
        try:
            answer = json.loads(line)
        except (UnicodeDecodeError, ValueError, RecursionError):
            answer = None
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or not isinstance(status, str):
            raise DeliveryFailed(UNEXPECTED, {"answer": shown_text(line)})
        if status.lower() == "ok":
            return shown_text(line)
        if status.lower() != "error":
            raise DeliveryFailed(UNEXPECTED, {"answer": shown_text(line)})
        cause, error = str(answer.get("cause") or ""), str(answer.get("error") or answer.get("errorMessage") or "")
        # NuVotifier: cause "CorruptedFrameException", error "Signature is not valid (invalid token?)", or
        # "Unknown service '…'" (no token for the service and no default one); this bot's listener: cause "signature"
        if cause.lower() == "signature" or _TOKEN_ERROR.search(error):
            raise DeliveryFailed(TOKEN_REFUSED, {"service": shown_text(destination.service_name)}, retry=False)
        raise DeliveryFailed(REFUSED, {"error": shown_text(error or cause or line)})


class VotifierV1Sender(_VotifierSender):
    """Votifier v1: one RSA block with the server's public key; no answer (returns None once it is written)."""

    async def _send(self, destination: Destination, vote: ForwardedVote, written: Written) -> str | None:
        try:
            block = encrypt_v1_vote(
                load_public_key(destination.secret),
                service_name=_field(destination.service_name),
                username=_field(vote.username),
                address=NO_ADDRESS,
                timestamp=int(vote.voted_at.timestamp()),
            )
        except ValueError:  # not an RSA public key, or the vote does not fit in its block
            raise DeliveryFailed(BAD_SETTINGS, retry=False) from None
        async with self._connected(destination) as (reader, writer):
            await self._greeting(reader, destination)
            await written()
            writer.write(block)
            await writer.drain()
        return None
