"""Who is asking: the keyed hash of a client's address (read by request_client.py).

Addresses are never stored in clear. Like Isso's ``anonymize``, an IPv4 address is
cut to its /24 and an IPv6 address to its /48 before it is hashed with the
service's secret, which keeps enough to rate-limit and spot floods from one
network while leaving nothing that identifies a reader.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress


def _network_address(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``ip_network(f"{ip}/{prefix}", strict=False).network_address``, by masking the
    integer: building the network from text cost most of ``rate_key`` and ``anonymize``
    (each runs on every post; ``rate_key`` on every limited request). Like ip_network,
    an address already on its network's boundary is returned as is (an IPv6 scope kept).
    """
    bits = int(ip)
    all_ones = (1 << ip.max_prefixlen) - 1
    masked = bits & (all_ones ^ (all_ones >> prefix))
    return ip if masked == bits else type(ip)(masked)


def anonymize(address: str) -> str:
    """The network part of an address: /24 for IPv4, /48 for IPv6; unknown text as is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(_network_address(ip, 24 if ip.version == 4 else 48))


def hash_address(address: str, secret: str) -> str:
    """Keyed hash of the anonymized address: stable per network, useless without the secret."""
    digest = hmac.new(secret.encode(), anonymize(address).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def rate_key(address: str, secret: str) -> str:
    """Keyed hash naming one client for rate limits: an IPv4 address, or an IPv6 /64.

    Narrower than ``anonymize`` (a limit per /24 would make neighbours share it),
    but an IPv6 host usually owns a whole /64 and can rotate addresses inside it
    at will, so it is counted as one client.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        network = str(_network_address(ip, 32 if ip.version == 4 else 64))
    digest = hmac.new(secret.encode(), f"rate\n{network}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
