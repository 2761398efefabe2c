"""The public JSON API, /api/v1: thin views that parse, call a service, serialize."""

from __future__ import annotations

from flask import Blueprint

api = Blueprint("api_v1", __name__, url_prefix="/api/v1")

# The view modules attach their routes (and cors its hooks) to `api` on import.
from comments_service.api import (  # noqa: E402
    comments,
    cors,
    counts,
    feeds,
    flags,
    form_tokens,
    live,
    openapi,
    passages,
    preview,
    reader_data,
    readers,
    site_config,
    subscriptions,
    threads,
    votes,
)

__all__ = [
    "api", "comments", "cors", "counts", "feeds", "flags", "form_tokens", "live", "openapi",
    "passages", "preview", "reader_data", "readers", "site_config", "subscriptions", "threads",
    "votes",
]
