"""GET comment counts for many articles at once, for index pages."""

from __future__ import annotations

from flask import Response, jsonify

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import query_args
from comments_service.errors import BadRequest
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.schemas import CountsOut, CountsQuery
from comments_service.services import threads


@api.get("/sites/<site_slug>/counts")
@limiter.limit(read_limit)
@documented(
    "Visible comment counts for up to counts.max_articles articles in one request.",
    query=CountsQuery,
    responses={200: CountsOut},
    errors=(400, 404, 429),
    tags=("threads",),
)
def get_counts(site_slug: str) -> Response:
    site = context.site(site_slug)
    query = query_args(CountsQuery)
    most = context.settings().counts.max_articles
    if len(set(query.article)) > most:
        raise BadRequest(fields={"article": f"Ask for at most {most} articles at once."})
    counts = threads.count_comments(db.session, site, query.article)
    response = jsonify(CountsOut.dump({"counts": counts}))
    response.headers["Cache-Control"] = "public, max-age=30"
    return response
