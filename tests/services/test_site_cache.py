"""SiteCache: a site's row read once per process for a few seconds, never shared mutably."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from comments_service.errors import SiteNotFound
from comments_service.extensions import db
from comments_service.services import sites
from tests.conftest import count_queries


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cached_site_is_served_without_a_query(app, session: Session, site: str) -> None:
    cache = sites.SiteCache(5, Clock())
    first = cache.get(session, site)
    db.session.remove()
    with count_queries(app) as statements:
        again = cache.get(db.session, site)
        assert (again.id, again.slug, again.allowed_origins) == (
            first.id, first.slug, first.allowed_origins)
    assert statements == []


def test_site_change_is_seen_once_the_ttl_passes(session: Session, site: str) -> None:
    clock = Clock()
    cache = sites.SiteCache(5, clock)
    cache.get(session, site)
    sites.set_origins(db.session, sites.get_site(db.session, site), ["https://other.example"])
    db.session.commit()
    db.session.remove()
    clock.now += 4.9
    assert cache.get(db.session, site).allowed_origins == ["https://news.example"]
    db.session.remove()
    clock.now += 0.2
    assert cache.get(db.session, site).allowed_origins == ["https://other.example"]


def test_change_through_a_cached_copy_is_flushed_and_not_shared(session: Session,
                                                                  site: str) -> None:
    cache = sites.SiteCache(60, Clock())
    cache.get(session, site)
    db.session.remove()
    copy = cache.get(db.session, site)
    sites.set_origins(db.session, copy, ["https://changed.example"])
    db.session.commit()
    db.session.remove()
    assert sites.get_site(db.session, site).allowed_origins == ["https://changed.example"]
    db.session.remove()
    # The cache still holds what it read; a copy handed out earlier changed alone.
    assert cache.get(db.session, site).allowed_origins == ["https://news.example"]


def test_unknown_site_is_not_cached(session: Session) -> None:
    cache = sites.SiteCache(60, Clock())
    with pytest.raises(SiteNotFound):
        cache.get(session, "nope")
    sites.create_site(session, "nope", "Now it exists", [], datetime.now(UTC))
    assert cache.get(session, "nope").name == "Now it exists"


def test_zero_ttl_reads_every_time(app, session: Session, site: str) -> None:
    cache = sites.SiteCache(0, Clock())
    cache.get(session, site)
    db.session.remove()
    with count_queries(app) as statements:
        cache.get(db.session, site)
    assert len(statements) == 1
