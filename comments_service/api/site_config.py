"""GET the public, non-secret settings the widget adapts to."""

from __future__ import annotations

from flask import Response, jsonify

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.limits import limiter, read_limit
from comments_service.schemas import PublicConfigOut
from comments_service.services import reader_languages, sign_in
from comments_service.services.votes import downvotes_allowed


@api.get("/sites/<site_slug>/config")
@limiter.limit(read_limit)
@documented(
    "Public settings of a site (what the widget needs to know; nothing secret).",
    responses={200: PublicConfigOut},
    errors=(404, 429),
    tags=("meta",),
)
def get_site_config(site_slug: str) -> Response:
    site = context.site(site_slug)
    settings = context.settings()
    response = jsonify(PublicConfigOut.dump(
        {
            "site": site.slug,
            "name": site.name,
            "require_name": settings.comments.require_name,
            "require_email": settings.comments.require_email,
            "max_body_chars": settings.comments.max_body_chars,
            "max_depth": settings.comments.max_depth,
            "edit_window_seconds": settings.comments.edit_window_seconds,
            "page_size": settings.threads.page_size,
            "replies_per_comment": settings.threads.replies_per_comment,
            "notifications": settings.notifications.enabled,
            "flags": True,
            "reader_data": settings.privacy.enabled and settings.notifications.enabled,
            "passages": {
                "enabled": settings.passages.enabled,
                "max_quote_chars": settings.passages.max_quote_chars,
                "context_chars": settings.passages.context_chars,
                "auto_paragraphs": settings.passages.auto_paragraphs,
            },
            "votes": settings.votes.enabled,
            "downvotes": settings.votes.enabled and downvotes_allowed(site, settings.votes),
            "feeds": settings.feeds.enabled,
            # issue 20: the languages the widget may pick among ([]: any), site's own first
            "languages": reader_languages.offered(site.settings),
            "sign_in": sign_in.public_config(site, settings.readers),
        }
    ))
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
