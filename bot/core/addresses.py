"""Which network addresses guild admins may point the bot at: public ones only, unless the operator allows private
ones (``status.allow_private_addresses``) — for game-server queries (status) and vote forwarding alike.

A public instance must not become a way into its own network: loopback, private, link-local, cloud metadata
(169.254.169.254) and the IPv6 forms that embed such an IPv4 address are refused, for literal addresses and for
every address a host name resolves to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from bot.core.errors import UserError
from bot.core.i18n import N_, _

__all__ = ["ALLOW_PRIVATE_HINT", "PrivateAddress", "embedded_ipv4", "is_public", "resolve"]

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
        self.host, self.ip = host, ip
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
