"""The thread page's ETag and identity, computed in one place.

A page's ETag is a hash of what the page shows: the site, the thread's id and version
(bumped by every write to the thread: posts, edits, deletes, votes, imports, every
moderation action) and the page asked for (sort, cursor, limit, replies, passage).
The view sets it on every page; ``thread_front.py`` answers matching revalidations,
and pages already built (``services/page_cache.py``), before Flask.
"""

from __future__ import annotations

import hashlib

from flask import Response
from sqlalchemy import bindparam, select
from werkzeug.http import quote_etag

from comments_service.config import Settings
from comments_service.models import Thread
from comments_service.schemas import ThreadQuery

CACHE_CONTROL = "no-cache"
PAGE_MIMETYPE = "application/json"

_T = Thread.__table__.c
# The ETag's inputs from the thread row; served by the (site_id, article_key) unique index.
# thread_front.py runs it through the DBAPI.
THREAD_STATE = select(_T.id, _T.version).where(
    _T.site_id == bindparam("site_id"), _T.article_key == bindparam("article_key")
)


def page_shape(query: ThreadQuery, settings: Settings) -> tuple[int, int]:
    """How many top-level comments and replies per comment the page holds (capped)."""
    tuning = settings.threads
    limit = min(query.limit or tuning.page_size, tuning.max_page_size)
    replies = tuning.replies_per_comment if query.replies is None else query.replies
    return limit, min(replies, tuning.max_replies_page_size)


def page_identity(
    site_id: int, thread_id: int | None, query: ThreadQuery, limit: int, replies: int,
) -> str:
    """Which page of which thread: everything the page shows but the thread's version."""
    return (f"{site_id}:{thread_id or 0}|{query.sort}:{query.cursor}:{limit}:{replies}:"
            f"{query.passage}")


def thread_etag(page: str, version: int) -> str:
    """The page's ETag: it changes with every write to the thread and with the page asked for."""
    return hashlib.sha1(f"{page}|{version}".encode(), usedforsecurity=False).hexdigest()[:20]


def validator_headers(etag: str) -> list[tuple[str, str]]:
    """What every answer for a page carries: its ETag, and that browsers must revalidate."""
    return [("ETag", quote_etag(etag)), ("Cache-Control", CACHE_CONTROL)]


def not_modified(etag: str) -> Response:
    return Response(status=304, headers=validator_headers(etag))


def page_response(body: bytes, etag: str) -> Response:
    """A built page (JSON bytes) with its ETag."""
    return Response(body, mimetype=PAGE_MIMETYPE, headers=validator_headers(etag))
