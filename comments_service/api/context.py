"""What a request carries: the settings, the site it addresses, who is writing, and when."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request

from comments_service.auth import bearer_token
from comments_service.clients import hash_address
from comments_service.config import Settings
from comments_service.events import EXTENSION as EVENTS_EXTENSION
from comments_service.events import EventBus
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.request_client import client_address
from comments_service.services import readers, sites, spam
from comments_service.services.page_cache import PageCache
from comments_service.services.posting import Author
from comments_service.services.readers import Reader


def settings() -> Settings:
    return current_app.extensions["comments_settings"]


def events() -> EventBus:
    """This app's comment events, for the services a view calls (events.py)."""
    bus: EventBus = current_app.extensions[EVENTS_EXTENSION]
    return bus


def _site_cache() -> sites.SiteCache:
    return current_app.extensions["comments_site_cache"]


def page_cache() -> PageCache:
    """Thread pages already built, kept by this process (services/page_cache.py)."""
    return current_app.extensions["comments_page_cache"]


def site(slug: str) -> Site:
    """The addressed site, looked up once per request. Raises SiteNotFound.

    Reads may use the per-process cache (they need only the site's id). Writes and
    preflights read the row fresh: its origins, pre-moderation and spam settings
    must take effect at once, not after the cache's few seconds.
    """
    cached: Site | None = g.get("comments_site")
    if cached is None or cached.slug != slug:
        if request.method in ("GET", "HEAD"):
            cached = _site_cache().get(db.session, slug)
        else:
            cached = sites.get_site(db.session, slug)
        g.comments_site = cached
    return cached


def reader(site: Site) -> Reader | None:
    """The signed-in reader whose bearer token this request carries, on this site; None
    without a reader's token. Raises ReaderTokenInvalid for one that does not work
    (expired, revoked, altered, another site's) and Banned for a banned reader."""
    token = bearer_token()
    if token is None or not readers.is_reader_token(token):
        return None
    return readers.authenticate(db.session, site, token, now())


def author(site: Site | None = None) -> Author:
    """Who writes: the client's hashed address, and with ``site`` the signed-in reader."""
    secret = current_app.config["SECRET_KEY"]
    return Author(client_hash=hash_address(client_address(), secret), secret=secret,
                  reader=reader(site) if site is not None else None)


def now() -> datetime:
    return datetime.now(UTC)


def spam_signals(honeypot: str | None, form_token: str | None) -> spam.Signals:
    """What the spam rules learn from this request besides the comment itself."""
    return spam.Signals(
        honeypot=honeypot,
        form_token=form_token,
        from_browser=bool(request.headers.get("Origin")),
        user_agent=request.user_agent.string or None,
        referrer=request.referrer,
        client_address=client_address(),
    )
