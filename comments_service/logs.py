"""Structured logs: one event name plus key=value fields, and a request id per request.

Every response carries ``X-Request-ID`` (the client's, when it sent a sane one, else a
new one), and every log line written while handling that request carries it too, so
one id ties a user's report to the server's lines. Log lines never hold an email
address or a token: callers pass ids and hashes, not secrets.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from comments_service.config import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id (or '-' outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(settings: Settings) -> None:
    """Route the package's logs to stderr in the configured format, once per process."""
    root = logging.getLogger("comments_service")
    if any(getattr(h, "_comments_service", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._comments_service = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if settings.observability.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "message": "event"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(settings.observability.log_level.upper())
    root.propagate = False


def request_id(offered: str) -> str:
    """The request's id: the client's own when it is sane, else a new one."""
    return offered if _SANE_ID.match(offered) else uuid.uuid4().hex


def install_request_ids(app: Flask) -> None:
    """Give every request an id, echo it in the response, and expose it to CORS readers."""

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
        return response
