"""The thread page's ETag and identity, computed in one place.

A page's ETag is a hash of what the page shows: the site, the thread's id and version
(bumped by every write to the thread: posts, edits, deletes, votes, imports, every
moderation action) and the page asked for (sort, cursor, limit, replies, passage).
The view sets it on every page; ``thread_front.py`` answers matching revalidations,
and pages already built (``services/page_cache.py``), before Flask.

Pages go out gzip- or Brotli-compressed to clients that accept it (compression.py),
each encoding with its own ETag (``"<etag>-br"``); both answerers choose the encoding,
the body and the headers through the functions here, so their answers stay the same.
"""

from __future__ import annotations

import hashlib
from functools import partial

from flask import Response
from sqlalchemy import bindparam, select
from werkzeug.datastructures import ETags
from werkzeug.http import quote_etag

from comments_service import compression
from comments_service.config import Settings
from comments_service.models import Thread
from comments_service.schemas import ThreadQuery
from comments_service.services.page_cache import PageCache

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


def validator_headers(etag: str, encoding: str | None = None) -> list[tuple[str, str]]:
    """What every answer for a page carries: the ETag of its encoding, that browsers must
    revalidate, and that the answer depends on Accept-Encoding."""
    return [("ETag", quote_etag(compression.encoded_etag(etag, encoding))),
            ("Cache-Control", CACHE_CONTROL), compression.VARY]


def revalidated(settings: Settings, etag: str, if_none_match: ETags,
                accept_encoding: str | None) -> str | None:
    """The encoding whose ETag the client holds ("" for the plain body), or None for a 200.

    The page's size is not known before it is built, so the encoding the client would get
    for a large page and the plain one (a small page's) are both current for this version.
    """
    wanted = compression.choose(settings.compression, accept_encoding, size=1 << 62)
    if wanted and if_none_match.contains(compression.encoded_etag(etag, wanted)):
        return wanted
    return "" if if_none_match.contains(etag) else None


def encoded_body(settings: Settings, pages: PageCache, page: str, version: int, body: bytes,
                 accept_encoding: str | None) -> tuple[bytes, str | None]:
    """The page's body in the encoding this client gets (made once per version), and it."""
    encoding = compression.choose(settings.compression, accept_encoding, len(body))
    if encoding is None:
        return body, None
    encoded = pages.encoded(page, version, encoding, body, partial(
        compression.compress_page, settings.compression, encoding=encoding))
    return encoded, encoding


def body_headers(body: bytes, etag: str, encoding: str | None) -> list[tuple[str, str]]:
    """A page answer's headers, in the order both answerers send them."""
    headers = [("Content-Type", PAGE_MIMETYPE), ("Content-Length", str(len(body)))]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return [*headers, *validator_headers(etag, encoding)]


def not_modified(etag: str, encoding: str | None) -> Response:
    return Response(status=304, headers=validator_headers(etag, encoding))


def page_response(body: bytes, etag: str, encoding: str | None) -> Response:
    """A built page (JSON bytes, maybe compressed) with its ETag."""
    response = Response(body, mimetype=PAGE_MIMETYPE, headers=validator_headers(etag, encoding))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response
