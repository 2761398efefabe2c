"""clients.py: client addresses are anonymized and keyed before anything stores them."""

from __future__ import annotations

from comments_service.clients import anonymize, hash_address


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
