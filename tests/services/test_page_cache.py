"""services/page_cache.py: one body per page, valid for one version of its thread, bounded
in bytes with the least recently used page dropped first."""

from __future__ import annotations

from comments_service.services.page_cache import PageCache


def test_a_page_is_served_only_at_the_version_it_was_built_at() -> None:
    cache = PageCache(1000)
    cache.put("p", 3, b"v3")
    assert cache.get("p", 3) == b"v3"
    assert cache.get("p", 4) is None
    assert cache.get("p", 2) is None
    assert cache.get("other", 3) is None


def test_a_newer_version_replaces_the_older_and_an_older_never_replaces_a_newer() -> None:
    cache = PageCache(1000)
    cache.put("p", 3, b"v3")
    cache.put("p", 4, b"v4")
    assert cache.get("p", 3) is None
    assert cache.get("p", 4) == b"v4"
    cache.put("p", 2, b"v2")  # a slow request that read the thread before the last write
    assert cache.get("p", 4) == b"v4"
    assert cache.stats().pages == 1
    assert cache.stats().bytes == 2


def test_the_least_recently_used_page_goes_first_when_the_bytes_run_out() -> None:
    cache = PageCache(800)  # pages of up to 100 bytes are kept
    for name in "abcdefgh":
        cache.put(name, 1, b"x" * 100)
    assert cache.stats().bytes == 800
    assert cache.get("a", 1) is not None  # a is now the most recently used
    cache.put("i", 1, b"x" * 100)
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) is not None
    assert cache.get("i", 1) is not None
    assert cache.stats().bytes <= 800


def test_a_page_larger_than_an_eighth_of_the_bound_is_not_kept() -> None:
    cache = PageCache(800)
    cache.put("small", 1, b"x" * 100)
    cache.put("huge", 1, b"x" * 101)
    assert cache.get("huge", 1) is None
    assert cache.get("small", 1) == b"x" * 100


def test_a_bound_of_zero_keeps_nothing() -> None:
    cache = PageCache(0)
    cache.put("p", 1, b"")
    assert cache.get("p", 1) is None
    assert cache.stats().pages == 0


def test_an_encoded_body_is_made_once_kept_beside_the_page_and_counted() -> None:
    cache = PageCache(1000)
    made: list[bytes] = []

    def encode(body: bytes) -> bytes:
        made.append(body)
        return body.upper()

    cache.put("p", 3, b"page")
    assert cache.encoded("p", 3, "br", b"page", encode) == b"PAGE"
    assert cache.encoded("p", 3, "br", b"page", encode) == b"PAGE"
    assert made == [b"page"]
    assert cache.stats().bytes == 8
    cache.put("p", 4, b"new!")  # a new version drops the old one's encodings with it
    assert cache.stats().bytes == 4
    assert cache.encoded("p", 3, "br", b"page", encode) == b"PAGE"  # stale: made, not kept
    assert cache.stats().bytes == 4
    assert len(made) == 2


def test_an_encoded_body_is_not_kept_for_a_page_that_is_not() -> None:
    cache = PageCache(0)
    assert cache.encoded("p", 1, "gzip", b"x", lambda b: b + b) == b"xx"
    assert cache.stats().bytes == 0
