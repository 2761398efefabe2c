"""CORS for the API: reads from anywhere, writes only from the site's own origins.

A POST that stores nothing (a preview, ``READ_ONLY_POSTS``) is a read here: any page
may send it and read the answer, as any page may read a thread.

The browser's CORS check only hides a response from the page; it does not stop
the request. So a write carrying an Origin that the site did not allow is also
refused here, before any view runs, with 403 origin_not_allowed. Requests
without an Origin header (curl, servers) are not browsers and pass.
"""

from __future__ import annotations

from flask import Response, g, request

from comments_service.api import api, context
from comments_service.api.comments import EDIT_TOKEN
from comments_service.api.flags import READER_TOKEN
from comments_service.errors import ApiError, OriginNotAllowed
from comments_service.services.sites import is_origin_allowed, normalize_origin

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Authorization: a signed-in reader's bearer token (services/readers.py).
ALLOWED_HEADERS = f"Content-Type, Authorization, {EDIT_TOKEN.name}, {READER_TOKEN.name}"
EXPOSED_HEADERS = (
    "ETag, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
)
PREFLIGHT_MAX_AGE = "600"
# Endpoints answering POST without writing anything: no Origin restriction.
READ_ONLY_POSTS = frozenset({"api_v1.preview_comment"})


def _is_write(method: str) -> bool:
    return method in WRITE_METHODS and request.endpoint not in READ_ONLY_POSTS


def _same_origin(origin: str) -> bool:
    return normalize_origin(origin) == normalize_origin(request.host_url)


def _may_write(origin: str) -> bool:
    """Whether this origin may write to the addressed site; decided once per request.

    The answer is kept for the after-request hook: by then the view has committed,
    which expired the site row, and asking again would read it back from the database.
    """
    decided: dict[str, bool] = g.setdefault("comments_may_write", {})
    if origin not in decided:
        decided[origin] = _decide_may_write(origin)
    return decided[origin]


def _decide_may_write(origin: str) -> bool:
    slug = (request.view_args or {}).get("site_slug")
    if slug is None:
        return False
    try:
        site = context.site(slug)
    except ApiError:
        return False
    return is_origin_allowed(site, origin) or _same_origin(origin)


@api.before_request
def refuse_foreign_writes() -> None:
    origin = request.headers.get("Origin")
    if _is_write(request.method) and origin and not _may_write(origin):
        raise OriginNotAllowed()


ALLOW_ORIGIN = "Access-Control-Allow-Origin"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"
# A read's CORS headers, as allow_origin(response, "*") adds them to a response without
# a Vary header; thread_front.py answers some reads before Flask with these.
READ_HEADERS = (("Vary", "Origin"), (ALLOW_ORIGIN, "*"), (EXPOSE_HEADERS, EXPOSED_HEADERS))


def allow_origin(response: Response, allowed: str) -> None:
    """Vary on Origin and let pages of ``allowed`` ("*": any origin) read the response."""
    response.vary.add("Origin")
    response.headers[ALLOW_ORIGIN] = allowed
    response.headers[EXPOSE_HEADERS] = EXPOSED_HEADERS


@api.after_request
def add_cors_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if not origin:
        return response
    preflight = request.method == "OPTIONS"
    wanted = request.headers.get("Access-Control-Request-Method", "").upper()
    is_write = _is_write(wanted if preflight else request.method)
    if is_write and not _may_write(origin):
        response.vary.add("Origin")
        return response
    allow_origin(response, origin if is_write else "*")
    if preflight:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
