"""Who the client is: the socket's peer, unless that peer is a proxy the settings name.

``X-Forwarded-For`` is whatever the sender wrote, followed by one address per proxy on the way,
each appended by that proxy. So it is read only when the peer is a trusted proxy, and from the
right: every trusted proxy's entry is skipped, and the first address that is not one is the
client — the last address a trusted proxy vouched for. What a client wrote to the left of it
is never looked at. (The algorithm of uvicorn's ``ProxyHeadersMiddleware``, which the service
switches off so that this is the only place that decides.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

UNKNOWN = "unknown"  # no peer address (a Unix socket): such clients share one budget

# An entry of X-Forwarded-For: an IPv4 address or a bracketed IPv6 address, either with an
# optional port, or a bare IPv6 address. Anything else (names, "unknown", zone ids) is malformed.
_HOP = re.compile(
    r"\[(?P<bracketed>[0-9a-f:.]+)\](?::[0-9]{1,5})?|(?P<v4>[0-9.]+)(?::[0-9]{1,5})?|(?P<v6>[0-9a-f:.]+)",
    re.ASCII | re.IGNORECASE,
)


def parse_address(text: str) -> Address | None:
    """The address in one entry of a forwarded header, or None when it is not one; an IPv4
    address written as IPv6 (``::ffff:192.0.2.1``) is the IPv4 address."""
    match = _HOP.fullmatch(text.strip())
    if match is None:
        return None
    try:
        address = ip_address(match["bracketed"] or match["v4"] or match["v6"])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` is believed (none: the peer is always the client)."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(networks)

    def __contains__(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address, as the key of its budgets, from the socket's `peer` and the
        values of every ``X-Forwarded-For`` header in order; the peer when it is no trusted proxy
        or a value is malformed; the left-most entry when every entry is a trusted proxy."""
        if peer is None:
            return UNKNOWN
        address = parse_address(peer)
        if address is None:
            return peer  # not an IP socket: its own name
        if address not in self or not forwarded_for:
            return str(address)
        client = address
        for hop in reversed(",".join(forwarded_for).split(",")):
            forwarded = parse_address(hop)
            if forwarded is None:
                return str(address)
            client = forwarded
            if forwarded not in self:
                break
        return str(client)
