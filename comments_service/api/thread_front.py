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
database error (the view reports it). The ETag, the body, the content type and the
headers are the view's own (the same functions make them: ``thread_etags.py``, the
request id, CORS for reads, the request metrics), so a reader cannot tell which
answered; ``tests/api/test_thread_front.py`` compares the two.

Answers from here are not counted by the read limit and carry no ``X-RateLimit-*``
headers: they cost less than the counting would, and a client past its limit is
still refused anything that needs building.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.wrappers import Request

from comments_service import logs, metrics
from comments_service.api import cors, thread_etags
from comments_service.api.parsing import args_as
from comments_service.config import Settings
from comments_service.errors import ApiError
from comments_service.schemas import ThreadQuery
from comments_service.services.page_cache import PageCache
from comments_service.services.sites import SiteCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/api/v1/sites/"
SUFFIX = "/thread"


class ThreadPageFront:
    """WSGI middleware: unchanged thread pages answered before Flask, the rest passed on."""

    def __init__(self, wsgi_app: WSGIApplication, engine: Engine, settings: Settings,
                 sites: SiteCache, pages: PageCache) -> None:
        self.wsgi_app = wsgi_app
        self.engine = engine
        self.settings = settings
        self.sites = sites
        self.pages = pages

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            path: str = environ.get("PATH_INFO", "")
            if path.startswith(PREFIX) and path.endswith(SUFFIX):
                response = self.answer(environ, path[len(PREFIX):-len(SUFFIX)])
                if response is not None:
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def answer(self, environ: WSGIEnvironment, slug: str) -> Response | None:
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
        state = self._thread_state(site_id, query.article)
        if state is None:
            return None
        thread_id, version = state
        page = thread_etags.page_identity(site_id, thread_id, query, limit, replies)
        etag = thread_etags.thread_etag(page, version)
        if request.if_none_match.contains(etag):
            response = thread_etags.not_modified(etag)
        else:
            body = self.pages.get(page, version)
            if body is None:
                return None
            response = thread_etags.page_response(body, etag)
            metrics.THREAD_PAGES.labels("cached").inc()
        response.headers[logs.REQUEST_ID_HEADER] = logs.request_id(
            request.headers.get(logs.REQUEST_ID_HEADER, ""))
        origin = request.headers.get("Origin")
        if origin:
            cors.allow_origin(response, "*")
        metrics.observe(thread_etags.ENDPOINT, "GET", response.status_code, started)
        return response

    def _thread_state(self, site_id: int, article: str) -> tuple[int | None, int] | None:
        """The thread's id and version; once more on a new connection if the server had
        dropped the pooled one (a restart); None on any other database error."""
        for _ in range(2):
            try:
                with self.engine.connect() as connection:
                    return thread_etags.thread_state(connection, site_id, article)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    return None
            except SQLAlchemyError:
                return None
        return None


def install(app: Flask, engine: Engine, settings: Settings, sites: SiteCache,
            pages: PageCache) -> None:
    """Put the front before the app's WSGI callable."""
    app.wsgi_app = ThreadPageFront(  # type: ignore[method-assign]
        app.wsgi_app, engine, settings, sites, pages)
