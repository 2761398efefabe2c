"""POST a comment body to see it rendered as a post would store it; nothing is stored."""

from __future__ import annotations

from flask import Response, jsonify

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import json_body
from comments_service.limits import limiter, read_limit
from comments_service.schemas.preview import PreviewIn, PreviewOut
from comments_service.services.preview import render_preview


# Counted as a read (nothing is written), and open to any origin (api/cors.py).
@api.post("/sites/<site_slug>/preview")
@limiter.limit(read_limit)
@documented(
    "The body rendered and sanitized exactly as posting it would store it. Nothing is "
    "stored; any page may ask.",
    body=PreviewIn,
    responses={200: PreviewOut},
    errors=(400, 404, 413, 415, 422, 429),
    tags=("comments",),
)
def preview_comment(site_slug: str) -> Response:
    context.site(site_slug)
    payload = json_body(PreviewIn)
    body_html = render_preview(payload.body, context.settings().comments)
    response = jsonify(PreviewOut.dump({"body_html": body_html}))
    response.headers["Cache-Control"] = "no-store"
    return response
