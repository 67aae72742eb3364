"""Where and how to query a game server: protocol by game name, ports, address checks. No Discord here."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import opengsq.protocols

from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.validation import clean_address, quoted

# Game names (as owners type them in /setup, lower case) -> (protocol key, default game port).
GAMES: dict[str, tuple[str, int]] = {
    "minecraft": ("minecraft", 25565),
    "minecraft java": ("minecraft", 25565),
    "mc": ("minecraft", 25565),
    "minecraft bedrock": ("bedrock", 19132),
    "bedrock": ("bedrock", 19132),
    "mcbe": ("bedrock", 19132),
    "fivem": ("fivem", 30120),
    "redm": ("fivem", 30120),
    "gta5": ("fivem", 30120),
}
SOURCE_GAMES = (
    "source", "csgo", "cs2", "css", "cstrike", "tf2", "gmod", "garrysmod", "rust", "ark", "valheim", "l4d", "l4d2",
    "dayz", "arma3", "7dtd", "7 days to die", "unturned", "insurgency", "squad", "conan", "hl2dm", "dod", "dods",
    "csgo2", "projectzomboid", "pz", "terraria", "vrising", "palworld-a2s", "left4dead2", "counter-strike",
)  # fmt: skip
for _game in SOURCE_GAMES:
    GAMES.setdefault(_game, ("source", 27015))

# Every other protocol opengsq speaks is selectable by its class name in lower case (samp, quake3, eos …).
OPENGSQ_PROTOCOLS: dict[str, str] = {name.lower(): name for name in opengsq.protocols.__all__}
NATIVE = {"minecraft", "bedrock", "source", "fivem"}


def protocol_names() -> list[str]:
    return sorted(NATIVE | set(OPENGSQ_PROTOCOLS) - {"raknet"})


@dataclass(frozen=True, slots=True)
class Target:
    """One probe destination. ``host`` is what the owner typed; ``ip`` is set once resolved."""

    server_id: int
    protocol: str
    host: str
    port: int
    query_port: int

    @property
    def shown(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def protocol_for(game: str | None, override: str | None = None) -> str:
    """The protocol key for a server: the explicit override, else from its game name, else Source (A2S)."""
    if override:
        key = override.strip().lower()
        if key in NATIVE or key in OPENGSQ_PROTOCOLS:
            return "bedrock" if key == "raknet" else key
        raise UserError(
            _(
                "I don't know the query protocol {protocol}. Start typing in the protocol option to see the ones I "
                "know, or leave it empty to pick it from the game.",
                protocol=quoted(override),
            )
        )
    if game:
        name = game.strip().lower()
        if name in GAMES:
            return GAMES[name][0]
        if name in OPENGSQ_PROTOCOLS:
            return "bedrock" if name == "raknet" else name
    return "source"


def default_port(protocol: str) -> int:
    return {"minecraft": 25565, "bedrock": 19132, "fivem": 30120}.get(protocol, 27015)


def split_address(address: str) -> tuple[str, int | None]:
    normal = clean_address(address)
    if normal is None:
        raise UserError(_("The server has no address. Set one with /setup options address:host:port."))
    if normal.startswith("["):
        host, _bracket, rest = normal[1:].partition("]")
        return host, int(rest[1:]) if rest else None
    host, _colon, port = normal.partition(":")
    return host, int(port) if port else None


def check_port(port: int, what: str = "port") -> int:
    """``what``: ``port`` (the game port) or ``query port``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        if what == "query port":
            raise UserError(_("The query port must be a number between 1 and 65535, not {port}.", port=repr(port)))
        raise UserError(_("The port must be a number between 1 and 65535, not {port}.", port=repr(port)))
    return port


def build_target(
    server_id: int, address: str | None, game: str | None, *, protocol: str | None = None, query_port: int | None = None
) -> Target:
    """A probe target from the server's stored address and game plus the optional status settings."""
    if not address:
        raise UserError(_("The server has no address. Set one with /setup options address:host:port."))
    key = protocol_for(game, protocol)
    host, port = split_address(address)
    port = check_port(port or default_port(key))
    query = check_port(query_port, "query port") if query_port is not None else port
    return Target(server_id=server_id, protocol=key, host=host, port=port, query_port=query)


ALLOW_PRIVATE_HINT = N_(
    "Self-hosting? Allow private addresses with `allow_private_addresses = true` under [status] in bot.toml, "
    "or VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES=true."
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are the IPv4
# Not globally reachable, though the ipaddress module of Python < 3.11.10 calls them global: local-use NAT64
# (operator-defined mapping, RFC 8215), documentation (RFC 9637), SRv6 SIDs, the retired 6to4 relay anycast.
_NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "3fff::/20", "5f00::/16", "192.88.99.0/24"))


class PrivateAddress(UserError):
    """A guild-supplied address that is not public on an instance that only probes public ones."""

    def __init__(self, host: str, ip: str) -> None:
        # Stored as a check's failure reason when raised in the probe loop (English there; translated when shown)
        self.summary = _("{host} is a private or local address ({ip}); this bot only queries public servers.",
                         host=host, ip=ip)  # fmt: skip
        super().__init__(f"{self.summary} {_(ALLOW_PRIVATE_HINT)}")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches: mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) or Teredo (the client's address)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = address.packed
    if address in _NAT64 or (packed[:12] == bytes(12) and int(address) > 0xFFFF):  # ::a.b.c.d, not :: or ::1
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public(ip: str) -> bool:
    """A globally reachable unicast address; an IPv6 address that embeds an IPv4 one is judged by that one."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and (inner := embedded_ipv4(address)) is not None:
        address = inner
    return address.is_global and not address.is_multicast and not any(address in net for net in _NOT_GLOBAL)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


async def resolve(host: str, *, allow_private: bool, dns_seconds: float = 3.0) -> str:
    """The first address of ``host`` (IPv4 preferred); unless allowed, refuses a host any of whose addresses is
    private, loopback, link-local … (:class:`PrivateAddress`, whose message says how a self-hoster allows them)."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), dns_seconds)
        except (TimeoutError, OSError, UnicodeError):
            infos = []
        addresses = sorted({str(info[4][0]) for info in infos}, key=lambda a: (":" in a, a))
        if not addresses:
            raise UserError(_("The host name {host} does not resolve.", host=repr(host)))
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise PrivateAddress(host, refused[0])
    return addresses[0]
