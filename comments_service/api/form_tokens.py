"""GET a signed form token, which the widget sends back with a comment (a spam defence)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.limits import limiter, read_limit
from comments_service.schemas import FormTokenOut
from comments_service.services import spam


@api.get("/sites/<site_slug>/form-token")
@limiter.limit(read_limit)
@documented(
    "A signed, timestamped token for a comment form. Fetch it when the form is shown and "
    "send it as form_token: a comment sent too soon after, or with an expired or altered "
    "token, counts as spam.",
    responses={200: FormTokenOut},
    errors=(404, 429),
    tags=("comments",),
)
def get_form_token(site_slug: str) -> Response:
    site = context.site(site_slug)
    issued = spam.issue_form_token(current_app.config["SECRET_KEY"], site.slug)
    response = jsonify(FormTokenOut.dump(issued))
    response.headers["Cache-Control"] = "no-store"
    return response
