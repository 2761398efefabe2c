"""Over-long URLs: refused with the JSON error shape (414), in front of everything else.

gunicorn refuses a request line over its limit_request_line with an HTML page of
its own, before any application code runs. `comments-service serve` and
config/gunicorn.conf.py raise that limit to gunicorn's own hard ceiling (1 MiB,
limit_request_line = 0) and this middleware answers first, at [server]
max_url_bytes, so clients get {"error": {...}} like every other error. Only a
request line beyond gunicorn's ceiling still gets gunicorn's HTML answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from comments_service.errors import error_body

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

URI_TOO_LONG = "uri_too_long"


def raw_url_length(environ: dict[str, Any]) -> int:
    """Bytes of the request target as the client sent it (path and query)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        query = environ.get("QUERY_STRING", "")
        raw = quote(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")
    return len(raw)


class UrlLengthLimit:
    """WSGI middleware: 414 with the JSON error shape for URLs over `max_bytes`."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if raw_url_length(environ) <= self.max_bytes:
            return self.app(environ, start_response)
        body = json.dumps(error_body(
            URI_TOO_LONG, f"The URL is too long (at most {self.max_bytes} bytes).")).encode()
        start_response("414 URI Too Long", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ])
        return [body]
