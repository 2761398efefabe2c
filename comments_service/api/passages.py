"""GET the comment counts of an article's passages, for the widget's markers (issue 9)."""

from __future__ import annotations

import hashlib

from flask import Response, jsonify, request

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import query_args
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.schemas import PassageCountsOut, PassagesQuery, dump_passage_counts
from comments_service.services import passages, threads


@api.get("/sites/<site_slug>/passages")
@limiter.limit(read_limit)
@documented(
    "Visible comments per passage of an article, with the anchor to place each passage by.",
    query=PassagesQuery,
    responses={200: PassageCountsOut, 304: None},
    errors=(400, 404, 429),
    tags=("threads",),
)
def get_passages(site_slug: str) -> Response:
    site = context.site(site_slug)
    query = query_args(PassagesQuery)
    thread = threads.find_thread(db.session, site, query.article)
    # As the thread read: every write to the thread (moderation included) bumps its
    # version, so revalidating costs one indexed lookup.
    state = f"passages:{site.id}:{thread.id if thread else 0}:{thread.version if thread else 0}"
    etag = hashlib.sha1(state.encode(), usedforsecurity=False).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        counts = passages.count_passages(db.session, thread.id if thread else None)
        response = jsonify(dump_passage_counts(counts))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response
