"""GET Atom feeds of new comments: one article's, and one site's.

Each feed is built once per freshness key (the thread's version, or the site's sum
of thread versions: ``services/feeds.py``) and kept with the thread pages
(``services/page_cache.py``); its ETag is the hash of that key and of which feed it
is, so a revalidation after any write (a hidden comment included) gets the new feed,
and one before gets a 304 without a query for the entries.

Only If-None-Match earns a 304: moderation can make a feed *older* (hiding its newest
comment moves its <updated> back), so If-Modified-Since alone could keep a hidden
comment in a reader; such a request gets the feed. Last-Modified is sent all the same
(the feed's <updated>) for readers that show it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from flask import Response, request, url_for
from werkzeug.http import http_date

from comments_service.api import api, context, thread_etags
from comments_service.api.openapi import API_PREFIX, documented
from comments_service.api.parsing import query_args
from comments_service.errors import FeedsOff
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.models import Site
from comments_service.schemas.feeds import FeedQuery
from comments_service.services import feeds, threads

# feedgen writes the feed's own <updated> before any entry.
_FEED_UPDATED = re.compile(rb"<updated>([^<]+)</updated>")


def _base_url() -> str:
    """Where this service is reached: server.public_url, else the request's host."""
    return (context.settings().server.public_url or request.host_url).rstrip("/")


def _site_for_feeds(slug: str) -> Site:
    site = context.site(slug)
    if not context.settings().feeds.enabled:
        raise FeedsOff()
    return site


def _feed_response(body: bytes, sent: bytes, etag: str, encoding: str | None) -> Response:
    """The feed (`sent`: its bytes in the client's encoding), Last-Modified from its
    <updated>."""
    response = Response(sent, mimetype=feeds.ATOM_MIMETYPE,
                        headers=thread_etags.validator_headers(etag, encoding))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    updated = _FEED_UPDATED.search(body)
    if updated is not None:
        response.headers["Last-Modified"] = http_date(
            datetime.fromisoformat(updated.group(1).decode()))
    return response


def _conditional_feed(identity: str, version: int, build: Callable[[], bytes]) -> Response:
    """A 304 when the reader holds this version's feed; else the feed, built (and
    compressed, as thread pages are) at most once per version and process."""
    settings = context.settings()
    etag = thread_etags.thread_etag(identity, version)
    accept = request.headers.get("Accept-Encoding")
    held = thread_etags.revalidated(settings, etag, request.if_none_match, accept)
    if held is not None:
        return thread_etags.not_modified(etag, held or None)
    pages = context.page_cache()
    body = pages.get(identity, version)
    if body is None:
        body = build()
        pages.put(identity, version, body)
    sent, encoding = thread_etags.encoded_body(settings, pages, identity, version, body, accept)
    return _feed_response(body, sent, etag, encoding)


def _comment_base(base: str, site: Site) -> str:
    return f"{base}{request.script_root}{API_PREFIX}/sites/{quote(site.slug, safe='')}/comments/"


@api.get("/sites/<site_slug>/thread/feed.atom")
@limiter.limit(read_limit)
@documented(
    "Atom feed (application/atom+xml) of an article's newest visible comments, newest "
    "first (feeds.article_entries). ETag; If-None-Match gets a 304.",
    query=FeedQuery,
    responses={200: None, 304: None},
    streams={feeds.ATOM_MIMETYPE: {"type": "string"}},
    errors=(400, 404, 429),
    tags=("feeds",),
)
def get_article_feed(site_slug: str) -> Response:
    site = _site_for_feeds(site_slug)
    query = query_args(FeedQuery)
    thread = threads.find_thread(db.session, site, query.article)
    base = _base_url()
    self_url = base + url_for(".get_article_feed", site_slug=site.slug, article=query.article)
    identity = f"feed|{self_url}|{site.id}:{thread.id if thread else 0}|{site.name}"
    version = thread.version if thread else 0

    def build() -> bytes:
        settings = context.settings()
        title = (thread.title if thread else None) or query.article
        info = feeds.FeedInfo(
            feed_id=self_url, title=f"Comments on {title}", self_url=self_url,
            article_url=thread.url if thread else None, created_at=site.created_at,
        )
        entries = (feeds.article_entries(db.session, thread.id, settings.feeds.article_entries)
                   if thread else [])
        return feeds.render_feed(info, entries, _comment_base(base, site),
                                 settings.comments.anonymous_name, per_site=False)

    return _conditional_feed(identity, version, build)


@api.get("/sites/<site_slug>/feed.atom")
@limiter.limit(read_limit)
@documented(
    "Atom feed (application/atom+xml) of a site's newest visible comments across its "
    "articles, newest first (feeds.site_entries). ETag; If-None-Match gets a 304.",
    responses={200: None, 304: None},
    streams={feeds.ATOM_MIMETYPE: {"type": "string"}},
    errors=(404, 429),
    tags=("feeds",),
)
def get_site_feed(site_slug: str) -> Response:
    site = _site_for_feeds(site_slug)
    base = _base_url()
    self_url = base + url_for(".get_site_feed", site_slug=site.slug)
    identity = f"feed|{self_url}|{site.id}|{site.name}"
    version = feeds.site_version(db.session, site)

    def build() -> bytes:
        settings = context.settings()
        info = feeds.FeedInfo(
            feed_id=self_url, title=f"Comments on {site.name}", self_url=self_url,
            article_url=None, created_at=site.created_at,
        )
        entries = feeds.site_entries(db.session, site, settings.feeds.site_entries)
        return feeds.render_feed(info, entries, _comment_base(base, site),
                                 settings.comments.anonymous_name, per_site=True)

    return _conditional_feed(identity, version, build)
