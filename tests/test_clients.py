"""clients.py: client addresses are anonymized and keyed before anything stores them."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

import pytest

from comments_service.clients import anonymize, hash_address, rate_key


def test_ipv4_is_cut_to_its_24_network() -> None:
    assert anonymize("203.0.113.77") == "203.0.113.0"


def test_ipv6_is_cut_to_its_48_network() -> None:
    assert anonymize("2001:db8:abcd:1234::1") == "2001:db8:abcd::"


def test_ipv4_mapped_ipv6_is_treated_as_ipv4() -> None:
    assert anonymize("::ffff:198.51.100.9") == "198.51.100.0"


def test_hash_is_keyed_stable_and_not_the_address() -> None:
    one = hash_address("203.0.113.77", "secret-a")
    assert one == hash_address("203.0.113.1", "secret-a")
    assert one != hash_address("203.0.113.77", "secret-b")
    assert "203" not in one


def _reference_network(address: str, v4_prefix: int, v6_prefix: int) -> str:
    """What anonymize and rate_key computed with ipaddress.ip_network, their first form."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = v4_prefix if ip.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


ADDRESSES = [
    "203.0.113.77", "203.0.113.0", "0.0.0.0", "255.255.255.255", "10.1.2.3",  # noqa: S104
    "2001:db8:abcd:1234::1", "2001:db8:abcd::", "2001:db8:abcd:1234::", "::", "::1",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:198.51.100.9", "::ffff:0.0.0.0",
    "fe80::1%eth0", "fe80::%eth0", "2001:db8:abcd:1234:5678::%7", "2001:db8::%1",
    "2001:0DB8:ABCD:0000:0000:0000:0000:0001", "64:ff9b::192.0.2.33",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_networks_are_those_ip_network_gives(address: str) -> None:
    assert anonymize(address) == _reference_network(address, 24, 48)
    expected = hmac.new(
        b"secret", f"rate\n{_reference_network(address, 32, 64)}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    assert rate_key(address, "secret") == expected


def test_text_that_is_no_address_is_kept_as_is() -> None:
    assert anonymize("unix-socket") == "unix-socket"
    expected = hmac.new(b"s", b"rate\nunix-socket", hashlib.sha256).hexdigest()[:32]
    assert rate_key("unix-socket", "s") == expected
