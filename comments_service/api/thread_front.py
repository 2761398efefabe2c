"""Thread pages answered in front of Flask: revalidations, and pages already built.

Most requests for a thread page ask for a page that has not changed: a reader's
browser revalidating the page it holds (``If-None-Match``), or the next reader of a
busy article asking for the same first page. Both need one indexed lookup (the
thread's id and version) and no more: the first gets a 304, the second the page's
bytes built for an earlier reader (``services/page_cache.py``). Going through Flask
for them cost more than the answer itself (profiled: the request context, URL
matching, the limiter's bookkeeping, the session, the ORM, the after-request hooks),
so ``ThreadPageFront`` wraps the WSGI app and answers them first.

It answers only ``GET /api/v1/sites/<site>/thread`` for a site in the per-process
site cache, with a query the view would accept, when the lookup succeeds and the
ETag matches or the page is cached. Anything else goes to Flask unchanged: no
header, an unknown site, a bad query (the view's 400), a page not built yet, a
database error (the view reports it). The ETag, the body (compressed for clients that
accept it, from the cache's compressed copy), the content type and the headers are the
view's own (the same functions make them: ``thread_etags.py``, the
request id, CORS for reads, the request metrics), so a reader cannot tell which
answered; ``tests/api/test_thread_front.py`` compares the two. The answer is written
to the WSGI server directly and the lookup runs through the DBAPI: werkzeug's
response object and SQLAlchemy's execution machinery cost more than the rest of the
answer (profiled; in-process CPU per 304 on SQLite: 182 -> 112 us).

Answers from here are not counted by the read limit and carry no ``X-RateLimit-*``
headers: they cost less than the counting would, and a client past its limit is
still refused anything that needs building.

Hooks it skips, and what it does in their place:

- the request id (``logs.install_request_ids``): sets ``X-Request-ID`` itself;
- the request metrics (``metrics.install_metrics``): observes the answer itself;
- CORS (``api/cors.py``, before and after request): adds the read headers itself;
- the moderator check (``auth.identify_moderator``), the session
  (``sessions.py``), the limiter's counting and its ``X-RateLimit-*``/``Retry-After``
  hooks (``limits.py``), the JSON provider and the error handlers: none of them
  changes a 200 or 304 of a public thread page, so none is needed.

Where it listens comes from the app itself: the URL and endpoint of the route
whose view is ``api/threads.get_thread``, as registered. ``[threads] front =
false`` turns it off: every thread request then goes through Flask.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Request

from comments_service import logs, metrics
from comments_service.api import cors, thread_etags
from comments_service.api.parsing import args_as
from comments_service.api.threads import get_thread
from comments_service.config import Settings
from comments_service.errors import ApiError
from comments_service.schemas import ThreadQuery
from comments_service.services.page_cache import PageCache
from comments_service.services.sites import SiteCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SITE_PART = "<site_slug>"


@dataclass(frozen=True)
class Answer:
    """What the front sends: a WSGI status line, headers and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


_STATUS_LINES = {200: "200 OK", 304: "304 NOT MODIFIED"}  # as werkzeug writes them


class StateLookup:
    """The thread's id and version, read through the DBAPI connection of a pooled one.

    The lookup is ``thread_etags.THREAD_STATE``, compiled
    once for the engine's dialect: going through SQLAlchemy's execution and result
    machinery for one row cost more than the query (profiled: ~40% of an answer).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        compiled = thread_etags.THREAD_STATE.compile(dialect=engine.dialect)
        self.sql = compiled.string
        # Positional paramstyles (SQLite's "?") take the values in the statement's order.
        self.positions = compiled.positiontup

    def __call__(self, site_id: int, article: str) -> tuple[int | None, int] | None:
        """(id, version), (None, 0) before the first comment, or None on a database error.

        A connection the server dropped (a restart) is invalidated and the lookup is
        tried once more on a new one, so no reader sees it.
        """
        values = {"site_id": site_id, "article_key": article}
        params: Any = (tuple(values[name] for name in self.positions)
                       if self.positions else values)
        dialect = self.engine.dialect
        for _ in range(2):
            try:
                connection = self.engine.raw_connection()
            except (SQLAlchemyError, dialect.loaded_dbapi.Error):  # the pool's, or connect's
                return None
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(self.sql, params)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except dialect.loaded_dbapi.Error as exc:
                if not dialect.is_disconnect(exc, connection.dbapi_connection, None):
                    connection.close()
                    return None
                connection.invalidate(exc)
                continue
            connection.close()
            return (row[0], row[1]) if row is not None else (None, 0)
        return None


@dataclass(frozen=True)
class ThreadRoute:
    """Where the thread view listens: the text around the site's slug, and its endpoint."""

    prefix: str
    suffix: str
    endpoint: str


def thread_route(app: Flask) -> ThreadRoute:
    """The registered route of ``api/threads.get_thread``: its URL around the site's slug.

    Raises LookupError when the view is not registered, or not under one plain
    ``<site_slug>`` part (the front would not know which requests are its own).
    """
    for rule in app.url_map.iter_rules():
        if app.view_functions.get(rule.endpoint) is get_thread:
            prefix, found, suffix = rule.rule.partition(SITE_PART)
            if found and "<" not in prefix + suffix:
                return ThreadRoute(prefix, suffix, rule.endpoint)
    raise LookupError("the thread view is not registered under one <site_slug> part")


class ThreadPageFront:
    """WSGI middleware: unchanged thread pages answered before Flask, the rest passed on."""

    def __init__(self, wsgi_app: WSGIApplication, engine: Engine, settings: Settings,
                 sites: SiteCache, pages: PageCache, route: ThreadRoute) -> None:
        self.wsgi_app = wsgi_app
        self.thread_state = StateLookup(engine)
        self.settings = settings
        self.sites = sites
        self.pages = pages
        self.route = route

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            path: str = environ.get("PATH_INFO", "")
            prefix, suffix = self.route.prefix, self.route.suffix
            if (path.startswith(prefix) and path.endswith(suffix)
                    and len(path) > len(prefix) + len(suffix)):
                answer = self.answer(environ, path[len(prefix):len(path) - len(suffix)])
                if answer is not None:
                    start_response(_STATUS_LINES[answer.status], answer.headers)
                    return [answer.body] if answer.body else []
        return self.wsgi_app(environ, start_response)

    def answer(self, environ: WSGIEnvironment, slug: str) -> Answer | None:
        """The 304 or the cached page for this request, or None to let Flask answer."""
        started = time.perf_counter()
        site_id = self.sites.cached_id(slug) if slug and "/" not in slug else None
        if site_id is None:
            return None
        request = Request(environ)
        try:
            query = args_as(ThreadQuery, request.args)
        except ApiError:
            return None
        limit, replies = thread_etags.page_shape(query, self.settings)
        state = self.thread_state(site_id, query.article)
        if state is None:
            return None
        thread_id, version = state
        page = thread_etags.page_identity(site_id, thread_id, query, limit, replies)
        etag = thread_etags.thread_etag(page, version)
        accept_encoding = request.headers.get("Accept-Encoding")
        held = thread_etags.revalidated(self.settings, etag, request.if_none_match,
                                        accept_encoding)
        if held is not None:
            answer = Answer(304, thread_etags.validator_headers(etag, held), b"")
        else:
            body = self.pages.get(page, version)
            if body is None:
                return None
            body, encoding = thread_etags.encoded_body(self.settings, self.pages, page,
                                                       version, body, accept_encoding)
            answer = Answer(200, thread_etags.body_headers(body, etag, encoding), body)
            metrics.THREAD_PAGES.labels("cached").inc()
        answer.headers.append((logs.REQUEST_ID_HEADER, logs.request_id(
            request.headers.get(logs.REQUEST_ID_HEADER, ""))))
        if request.headers.get("Origin"):
            _add_read_cors(answer.headers)
        metrics.observe(self.route.endpoint, "GET", answer.status, started)
        return answer


def _add_read_cors(headers: list[tuple[str, str]]) -> None:
    """CORS for a read, as cors.allow_origin adds it: Origin joins the Vary already sent."""
    for name, value in cors.READ_HEADERS:
        at = next((i for i, (held, _) in enumerate(headers) if held == name), None)
        if at is None:
            headers.append((name, value))
        else:
            headers[at] = (name, f"{headers[at][1]}, {value}")


def install(app: Flask, engine: Engine, settings: Settings, sites: SiteCache,
            pages: PageCache) -> None:
    """Put the front before the app's WSGI callable (after its blueprints are registered);
    nothing when ``[threads] front`` is off."""
    if not settings.threads.front:
        return
    app.wsgi_app = ThreadPageFront(  # type: ignore[method-assign]
        app.wsgi_app, engine, settings, sites, pages, thread_route(app))
