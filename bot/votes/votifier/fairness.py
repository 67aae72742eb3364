"""Fairness between the sources sharing the Votifier port: who counts as one source, and its limits."""

from __future__ import annotations

import ipaddress


def source_of(peer: object) -> str:
    """The source a per-source limit counts: an IPv4 address, or the /64 of an IPv6 one.

    One IPv6 host is routinely given a whole /64, so counting single IPv6 addresses would limit nothing.
    """
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    text = str(host).split("%", 1)[0]  # drop an IPv6 zone id
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
